/*
 * test_cache.c -- the LMDB cache against real files in a temp dir.
 */
#include "config.h"
#include "cache/cache.h"

#include <check.h>
#include <errno.h>
#include <fnmatch.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/log.h"

Suite *cache_suite(void);

#define T0 1700000000

static char dir[64], path[128];

static void
setup(void)
{
	strcpy(dir, "/tmp/cairn-cache-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.mdb", dir);
	log_set_verbosity(0);
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static struct cache *
open_at(size_t max, time_t now)
{
	struct cache_opts o;
	struct cache *c;

	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = max;
	ck_assert_int_eq(cache_open(&c, &o, now), 0);
	return c;
}

/* An RRset from presentation lines (NULL-terminated). */
static ldns_rr_list *
rrs(const char *const *lines)
{
	ldns_rr_list *l = ldns_rr_list_new();

	for (; *lines; lines++) {
		ldns_rr *rr;

		ck_assert_int_eq(
		    ldns_rr_new_frm_str(&rr, *lines, 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

static ldns_rdf *
dn(const char *s)
{
	ldns_rdf *r;

	ck_assert_int_eq(ldns_str2rdf_dname(&r, s), LDNS_STATUS_OK);
	return r;
}

static void
put(struct cache *c, const char *const *lines, enum cache_rank rank, time_t now)
{
	ldns_rr_list *l = rrs(lines);

	ck_assert_int_eq(cache_rrset_put(c, l, NULL, rank, now), 0);
	ldns_rr_list_deep_free(l);
}

/* The rdata of RR i of l as text. */
static char *
rd(const ldns_rr_list *l, size_t i)
{
	ldns_buffer *b = ldns_buffer_new(64);
	const ldns_rr *rr = ldns_rr_list_rr(l, i);
	char *s;

	for (size_t j = 0; j < ldns_rr_rd_count(rr); j++)
		ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, j));
	s = ldns_buffer_export2str(b);
	ldns_buffer_free(b);
	return s;
}

static void
assert_same_rdata(const ldns_rr_list *a, const ldns_rr_list *b)
{
	ck_assert_uint_eq(ldns_rr_list_rr_count(a), ldns_rr_list_rr_count(b));
	for (size_t i = 0; i < ldns_rr_list_rr_count(a); i++) {
		char *x = rd(a, i), *y = rd(b, i);

		ck_assert_str_eq(x, y);
		ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(a, i)),
		                 ldns_rr_get_type(ldns_rr_list_rr(b, i)));
		free(x);
		free(y);
	}
}

static void
roundtrip(struct cache *c, const char *const *lines, time_t now)
{
	ldns_rr_list *in = rrs(lines);
	const ldns_rr *f = ldns_rr_list_rr(in, 0);
	struct cache_rrset out;

	ck_assert_int_eq(cache_rrset_put(c, in, NULL, RANK_AUTH_ANSWER, now),
	                 0);
	ck_assert_int_eq(cache_rrset_get(c, ldns_rr_owner(f),
	                                 ldns_rr_get_type(f), LDNS_RR_CLASS_IN,
	                                 now + 10, 0, &out),
	                 0);
	assert_same_rdata(in, out.rrs);
	ck_assert_uint_eq(out.ttl_s, ldns_rr_ttl(f) - 10);
	ck_assert(!out.is_stale);
	cache_rrset_clear(&out);
	ldns_rr_list_deep_free(in);
}

START_TEST(every_record_kind_round_trips)
{
	struct cache *c = open_at(8 << 20, T0);
	static const char *const a[] = {"a.test. 300 IN A 192.0.2.1",
	                                "a.test. 300 IN A 192.0.2.2", NULL};
	static const char *const aaaa[] = {"a.test. 300 IN AAAA 2001:db8::1",
	                                   NULL};
	static const char *const ns[] = {"test. 3600 IN NS ns1.test.",
	                                 "test. 3600 IN NS ns2.other.", NULL};
	static const char *const cn[] = {"w.test. 60 IN CNAME a.test.", NULL};
	static const char *const mx[] = {"test. 600 IN MX 10 mail.test.", NULL};
	static const char *const txt[] = {
	    "test. 600 IN TXT \"hello world\" \"two\"", NULL};
	static const char *const soa[] = {
	    "test. 600 IN SOA ns1.test. h.test. 1 2 3 4 5", NULL};
	static const char *const dname[] = {"d.test. 600 IN DNAME other.",
	                                    NULL};

	roundtrip(c, a, T0);
	roundtrip(c, aaaa, T0);
	roundtrip(c, ns, T0);
	roundtrip(c, cn, T0);
	roundtrip(c, mx, T0);
	roundtrip(c, txt, T0);
	roundtrip(c, soa, T0);
	roundtrip(c, dname, T0);
	cache_close(c);
}
END_TEST

START_TEST(rrsigs_are_stored_with_their_rrset)
{
	static const char *const a[] = {"s.test. 300 IN A 192.0.2.9", NULL};
	static const char *const sig[] = {
	    "s.test. 300 IN RRSIG A 8 2 300 20300101000000 20200101000000 "
	    "12345 test. AAECAwQFBgcICQ==",
	    NULL};
	struct cache *c = open_at(8 << 20, T0);
	ldns_rr_list *l = rrs(a), *s = rrs(sig);
	struct cache_rrset out;
	struct cache_wire_info wi;
	uint8_t buf[512];
	ldns_rdf *owner = ldns_rr_owner(ldns_rr_list_rr(l, 0));

	ck_assert_int_eq(cache_rrset_put(c, l, s, RANK_AUTH_ANSWER, T0), 0);
	ck_assert_int_eq(cache_rrset_get(c, owner, LDNS_RR_TYPE_A, 1, T0,
	                                 CACHE_WANT_DNSSEC, &out),
	                 0);
	ck_assert_ptr_nonnull(out.rrsigs);
	assert_same_rdata(s, out.rrsigs);
	cache_rrset_clear(&out);
	ck_assert_int_eq(
	    cache_rrset_get(c, owner, LDNS_RR_TYPE_A, 1, T0, 0, &out), 0);
	ck_assert_ptr_null(out.rrsigs);
	cache_rrset_clear(&out);
	ck_assert_int_eq(cache_rrset_wire(c, ldns_rdf_data(owner),
	                                  ldns_rdf_size(owner), 1, 1, T0,
	                                  CACHE_WANT_DNSSEC,
	                                  (const uint8_t *)"\xc0\x0c", 2, buf,
	                                  sizeof(buf), &wi),
	                 0);
	ck_assert_uint_eq(wi.rr_count, 2);
	ck_assert(wi.has_rrsigs);
	ck_assert_uint_eq(buf[2 + 14 + 2], 0);
	ck_assert_uint_eq(buf[2 + 14 + 3], LDNS_RR_TYPE_RRSIG);
	ldns_rr_list_deep_free(l);
	ldns_rr_list_deep_free(s);
	cache_close(c);
}
END_TEST

START_TEST(wire_lookup_writes_owner_pointer_and_remaining_ttl)
{
	static const char *const a[] = {"Mixed.Test. 300 IN A 192.0.2.7", NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_wire_info wi;
	uint8_t buf[64];
	static const uint8_t q[] = "\5mIXED\4tEST";
	static const uint8_t expect[] = {0xc0, 0x0c, 0, 1, 0,   1, 0, 0,
	                                 0x01, 0x22, 0, 4, 192, 0, 2, 7};

	put(c, a, RANK_AUTH_ANSWER, T0);
	/* not committed yet: the open batch is read */
	ck_assert_int_eq(cache_rrset_wire(c, q, sizeof(q), 1, 1, T0 + 10, 0,
	                                  expect, 2, buf, sizeof(buf), &wi),
	                 0);
	ck_assert_uint_eq(wi.len, sizeof(expect));
	ck_assert_mem_eq(buf, expect, sizeof(expect));
	ck_assert_uint_eq(wi.ttl_s, 290);
	ck_assert_int_eq(cache_commit(c), 0);
	ck_assert_int_eq(cache_rrset_wire(c, q, sizeof(q), 1, 1, T0 + 10, 0,
	                                  expect, 2, buf, 10, &wi),
	                 -ENOSPC);
	ck_assert_int_eq(cache_rrset_wire(c, q, sizeof(q), 28, 1, T0, 0, expect,
	                                  2, buf, sizeof(buf), &wi),
	                 -ENOENT);
	cache_close(c);
}
END_TEST

START_TEST(ttl_counts_down_across_reopen)
{
	static const char *const a[] = {"r.test. 1000 IN A 192.0.2.1", NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_rrset out;
	ldns_rdf *n = dn("r.test.");

	put(c, a, RANK_AUTH_ANSWER, T0);
	cache_close(c);
	c = open_at(8 << 20, T0 + 400);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 400, 0, &out), 0);
	ck_assert_uint_eq(out.ttl_s, 600);
	cache_rrset_clear(&out);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 1000, 0, &out),
	                 -ENOENT);
	ldns_rdf_deep_free(n);
	cache_close(c);
}
END_TEST

START_TEST(ttls_are_clamped_by_options)
{
	static const char *const a[] = {"big.test. 999999 IN A 192.0.2.1",
	                                NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_rrset out;
	ldns_rdf *n = dn("big.test.");

	put(c, a, RANK_AUTH_ANSWER, T0);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0, 0, &out), 0);
	ck_assert_uint_eq(out.ttl_s, 86400);
	cache_rrset_clear(&out);
	ldns_rdf_deep_free(n);
	cache_close(c);
}
END_TEST

START_TEST(glue_never_replaces_fresh_authoritative_answer)
{
	static const char *const auth[] = {"ns.test. 300 IN A 192.0.2.1", NULL};
	static const char *const glue[] = {"ns.test. 300 IN A 198.51.100.1",
	                                   NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_rrset out;
	ldns_rdf *n = dn("ns.test.");
	char *s;

	put(c, auth, RANK_AUTH_ANSWER, T0);
	put(c, glue, RANK_GLUE, T0 + 1);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 1, 0, &out), 0);
	s = rd(out.rrs, 0);
	ck_assert_str_eq(s, "192.0.2.1");
	ck_assert_int_eq(out.rank, RANK_AUTH_ANSWER);
	free(s);
	cache_rrset_clear(&out);
	/* once the authoritative data expired, glue may take its place */
	put(c, glue, RANK_GLUE, T0 + 301);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 302, 0, &out), 0);
	s = rd(out.rrs, 0);
	ck_assert_str_eq(s, "198.51.100.1");
	free(s);
	cache_rrset_clear(&out);
	/* a higher rank replaces a lower one at once */
	put(c, auth, RANK_AUTH_ANSWER, T0 + 303);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 303, 0, &out), 0);
	ck_assert_int_eq(out.rank, RANK_AUTH_ANSWER);
	cache_rrset_clear(&out);
	ldns_rdf_deep_free(n);
	cache_close(c);
}
END_TEST

static ldns_rr *
soa_rr(void)
{
	ldns_rr *rr;

	ck_assert_int_eq(ldns_rr_new_frm_str(&rr,
	                                     "test. 900 IN SOA ns1.test. "
	                                     "h.test. 1 2 3 4 120",
	                                     0, NULL, NULL),
	                 LDNS_STATUS_OK);
	return rr;
}

START_TEST(nxdomain_covers_names_below_rfc8020)
{
	struct cache *c = open_at(8 << 20, T0);
	ldns_rr *soa = soa_rr();
	ldns_rdf *nx = dn("gone.test."), *below = dn("a.b.gone.test.");
	ldns_rdf *other = dn("here.test.");
	struct cache_neg neg;
	struct cache_neg_wire_info wi;
	uint8_t buf[256];

	ck_assert_int_eq(cache_neg_put(c, nx, 0, 1, soa, T0), 0);
	ck_assert_int_eq(cache_neg_get(c, below, 1, 1, T0 + 20, 0, &neg), 0);
	ck_assert_int_eq(neg.kind, CACHE_NEG_NXDOMAIN);
	ck_assert_uint_eq(neg.ttl_s, 100); /* min(900, MINIMUM 120) - 20 */
	ck_assert_int_eq(ldns_rr_get_type(neg.soa), LDNS_RR_TYPE_SOA);
	cache_neg_clear(&neg);
	ck_assert_int_eq(cache_neg_get(c, other, 1, 1, T0, 0, &neg), -ENOENT);
	ck_assert_int_eq(cache_neg_wire(c, ldns_rdf_data(below),
	                                ldns_rdf_size(below), 28, 1, T0, 0, buf,
	                                sizeof(buf), &wi),
	                 0);
	ck_assert_int_eq(wi.kind, CACHE_NEG_NXDOMAIN);
	ck_assert_mem_eq(buf, "\4test\0\0\6\0\1", 10);
	ck_assert_int_eq(cache_neg_get(c, below, 1, 1, T0 + 120, 0, &neg),
	                 -ENOENT);
	ldns_rdf_deep_free(nx);
	ldns_rdf_deep_free(below);
	ldns_rdf_deep_free(other);
	ldns_rr_free(soa);
	cache_close(c);
}
END_TEST

START_TEST(nodata_is_per_type_and_positive_clears_nxdomain)
{
	static const char *const a[] = {"gone.test. 300 IN A 192.0.2.1", NULL};
	struct cache *c = open_at(8 << 20, T0);
	ldns_rr *soa = soa_rr();
	ldns_rdf *n = dn("gone.test.");
	struct cache_neg neg;

	ck_assert_int_eq(cache_neg_put(c, n, LDNS_RR_TYPE_MX, 1, soa, T0), 0);
	ck_assert_int_eq(cache_neg_get(c, n, LDNS_RR_TYPE_MX, 1, T0, 0, &neg),
	                 0);
	ck_assert_int_eq(neg.kind, CACHE_NEG_NODATA);
	cache_neg_clear(&neg);
	ck_assert_int_eq(cache_neg_get(c, n, LDNS_RR_TYPE_TXT, 1, T0, 0, &neg),
	                 -ENOENT);
	ck_assert_int_eq(cache_neg_put(c, n, 0, 1, soa, T0), 0);
	ck_assert_int_eq(cache_neg_get(c, n, LDNS_RR_TYPE_TXT, 1, T0, 0, &neg),
	                 0);
	cache_neg_clear(&neg);
	put(c, a, RANK_AUTH_ANSWER, T0 + 1);
	ck_assert_int_eq(
	    cache_neg_get(c, n, LDNS_RR_TYPE_TXT, 1, T0 + 1, 0, &neg), -ENOENT);
	ldns_rdf_deep_free(n);
	ldns_rr_free(soa);
	cache_close(c);
}
END_TEST

START_TEST(closest_delegation_is_deepest_cached_ns)
{
	static const char *const root[] = {". 86400 IN NS a.root.test.", NULL};
	static const char *const roota[] = {"a.root.test. 86400 IN A 127.0.0.1",
	                                    NULL};
	static const char *const com[] = {"com. 3600 IN NS ns.com.", NULL};
	static const char *const comaaaa[] = {"ns.com. 3600 IN AAAA ::1", NULL};
	static const char *const ex[] = {"example.com. 3600 IN NS ns1.ex.",
	                                 "example.com. 3600 IN NS ns2.ex.",
	                                 NULL};
	static const char *const ns1[] = {"ns1.ex. 3600 IN A 127.0.0.2",
	                                  "ns1.ex. 3600 IN A 127.0.0.3", NULL};
	static const char *const sib[] = {"exa.com. 3600 IN NS ns.exa.com.",
	                                  NULL};
	static const char *const sib2[] = {"b.example.com. 60 IN NS x.test.",
	                                   NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_deleg *d;
	ldns_rdf *q = dn("www.c.example.com."), *q2 = dn("www.net."),
	         *q3 = dn("a.com."), *zone;

	put(c, root, RANK_AUTH_ANSWER, T0);
	put(c, roota, RANK_AUTH_ANSWER, T0);
	put(c, com, RANK_GLUE, T0);
	put(c, comaaaa, RANK_GLUE, T0);
	put(c, ex, RANK_GLUE, T0);
	put(c, ns1, RANK_GLUE, T0);
	put(c, sib, RANK_GLUE, T0);
	put(c, sib2, RANK_GLUE, T0);
	ck_assert_int_eq(cache_commit(c), 0);
	ck_assert_int_eq(cache_deleg_get(c, q, T0, 0, &d), 0);
	zone = dn("example.com.");
	ck_assert_int_eq(ldns_dname_compare(d->zone, zone), 0);
	ck_assert_uint_eq(d->ns_count, 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(d->servers[0].addrs), 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(d->servers[1].addrs), 0);
	cache_deleg_free(d);
	ldns_rdf_deep_free(zone);
	ck_assert_int_eq(cache_deleg_get(c, q3, T0, 0, &d), 0);
	zone = dn("com.");
	ck_assert_int_eq(ldns_dname_compare(d->zone, zone), 0);
	ck_assert_uint_eq(ldns_rr_list_rr_count(d->servers[0].addrs), 1);
	cache_deleg_free(d);
	ldns_rdf_deep_free(zone);
	ck_assert_int_eq(cache_deleg_get(c, q2, T0, 0, &d), 0);
	ck_assert_uint_eq(ldns_dname_label_count(d->zone), 0);
	cache_deleg_free(d);
	/* once example.com's NS expired, com. is the closest */
	ck_assert_int_eq(cache_deleg_get(c, q, T0 + 3600, 0, &d), 0);
	ck_assert_uint_eq(ldns_dname_label_count(d->zone), 0);
	cache_deleg_free(d);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(q2);
	ldns_rdf_deep_free(q3);
	cache_close(c);
}
END_TEST

START_TEST(stale_data_only_when_asked_and_flagged)
{
	static const char *const a[] = {"st.test. 100 IN A 192.0.2.1", NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_rrset out;
	ldns_rdf *n = dn("st.test.");

	put(c, a, RANK_AUTH_ANSWER, T0);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 200, 0, &out),
	                 -ENOENT);
	ck_assert_int_eq(
	    cache_rrset_get(c, n, 1, 1, T0 + 200, CACHE_ALLOW_STALE, &out), 0);
	ck_assert(out.is_stale);
	ck_assert_uint_eq(out.ttl_s, CACHE_STALE_TTL_S);
	cache_rrset_clear(&out);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 100 + 86400,
	                                 CACHE_ALLOW_STALE, &out),
	                 -ENOENT);
	ldns_rdf_deep_free(n);
	cache_close(c);
}
END_TEST

START_TEST(backward_clock_jump_serves_old_entries_as_stale)
{
	static const char *const a[] = {"cl.test. 3600 IN A 192.0.2.1", NULL};
	static const char *const b[] = {"new.test. 3600 IN A 192.0.2.2", NULL};
	struct cache *c = open_at(8 << 20, T0);
	struct cache_rrset out;
	ldns_rdf *n = dn("cl.test."), *m = dn("new.test.");

	put(c, a, RANK_AUTH_ANSWER, T0);
	cache_close(c);
	c = open_at(8 << 20, T0 - 1000); /* the clock went back */
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 - 1000, 0, &out),
	                 -ENOENT);
	ck_assert_int_eq(
	    cache_rrset_get(c, n, 1, 1, T0 - 1000, CACHE_ALLOW_STALE, &out), 0);
	ck_assert(out.is_stale);
	cache_rrset_clear(&out);
	put(c, b, RANK_AUTH_ANSWER, T0 - 1000); /* new data is fresh */
	ck_assert_int_eq(cache_rrset_get(c, m, 1, 1, T0 - 999, 0, &out), 0);
	ck_assert_uint_eq(out.ttl_s, 3599);
	cache_rrset_clear(&out);
	/* once the clock catches up, the old entry is fresh again */
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0 + 10, 0, &out), 0);
	cache_rrset_clear(&out);
	ldns_rdf_deep_free(n);
	ldns_rdf_deep_free(m);
	cache_close(c);
}
END_TEST

START_TEST(full_small_map_evicts_and_keeps_working)
{
	struct cache *c = open_at(2 << 20, T0);
	struct cache_stats st;
	struct cache_rrset out;
	char line[128];
	const char *lines[] = {line, NULL};
	int i;

	for (i = 0; i < 40000; i++) {
		snprintf(line, sizeof(line),
		         "host%d.fill.test. %d IN TXT \"%064d\"", i, 600 + i,
		         i);
		put(c, lines, RANK_AUTH_ANSWER, T0);
		if (i % 100 == 99)
			ck_assert_int_eq(cache_commit(c), 0);
	}
	ck_assert_int_eq(cache_commit(c), 0);
	ck_assert_int_eq(cache_stats(c, &st), 0);
	ck_assert_uint_gt(st.evictions, 0);
	ck_assert_uint_gt(st.entries, 1000);
	/* the latest entries, farthest from expiry, are still there */
	{
		ldns_rdf *n = dn("host39999.fill.test.");

		ck_assert_int_eq(cache_rrset_get(c, n, 16, 1, T0, 0, &out), 0);
		cache_rrset_clear(&out);
		ldns_rdf_deep_free(n);
	}
	cache_close(c);
}
END_TEST

static void
write_file(const char *p, const void *data, size_t len)
{
	FILE *fp = fopen(p, "wb");

	ck_assert_ptr_nonnull(fp);
	ck_assert_uint_eq(fwrite(data, 1, len, fp), len);
	fclose(fp);
}

static int
count_bad_files(void)
{
	char cmd[160];
	FILE *fp;
	int n = 0;

	snprintf(cmd, sizeof(cmd), "ls '%s' | grep -c '\\.bad\\.'", dir);
	fp = popen(cmd, "r");
	if (fscanf(fp, "%d", &n) != 1)
		n = -1;
	pclose(fp);
	return n;
}

/* Runs the built cairn-dump and matches its output line by line against
 * fnmatch() patterns (TTLs count down while the test runs). */
static void
check_dump(const char *args, const char *const *expect, int want_rc)
{
	const char *b = getenv("top_builddir");
	char cmd[512], line[512];
	FILE *fp;
	size_t i = 0;

	snprintf(cmd, sizeof(cmd), "'%s/cairn-dump' %s 2>&1",
	         b != NULL ? b : ".", args);
	fp = popen(cmd, "r");
	ck_assert_ptr_nonnull(fp);
	while (fgets(line, sizeof(line), fp) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		ck_assert_ptr_nonnull(expect[i]);
		ck_assert_msg(fnmatch(expect[i], line, 0) == 0,
		              "line %zu: got '%s', want '%s'", i, line,
		              expect[i]);
		i++;
	}
	ck_assert_ptr_null(expect[i]);
	ck_assert_int_eq(WEXITSTATUS(pclose(fp)), want_rc);
}

START_TEST(random_and_truncated_files_are_moved_aside)
{
	static const char *const a[] = {"t.test. 300 IN A 192.0.2.1", NULL};
	struct cache_opts o;
	struct cache *c;
	uint8_t junk[20000];
	char cmd[256];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7919u >> 3);
	write_file(path, junk, sizeof(junk));
	cache_opts_init_defaults(&o);
	o.path = path;
	o.read_only = true;
	ck_assert_int_eq(cache_open(&c, &o, T0), CACHE_E_NOT_CACHE);
	c = open_at(4 << 20, T0);
	ck_assert_int_eq(count_bad_files(), 1);
	for (int i = 0; i < 200; i++)
		put(c, a, RANK_AUTH_ANSWER, T0 + i);
	cache_close(c);
	/* cut the file short of the pages its meta page claims */
	snprintf(cmd, sizeof(cmd), "truncate -s 12288 '%s'", path);
	ck_assert_int_eq(system(cmd), 0);
	c = open_at(4 << 20, T0 + 1);
	ck_assert_int_eq(count_bad_files(), 2);
	cache_close(c);
}
END_TEST

START_TEST(other_version_is_moved_aside)
{
	char cmd[512];
	struct cache_opts o;
	struct cache *c;

	/* mdb_load (lmdb-utils, in scripts/install-deps) writes a foreign
	 * LMDB file whose meta table holds version 99 */
	ck_assert_msg(system("command -v mdb_load >/dev/null") == 0,
	              "mdb_load not found: install lmdb-utils");
	snprintf(cmd, sizeof(cmd),
	         "printf 'VERSION=3\\nformat=bytevalue\\ntype=btree\\n"
	         "HEADER=END\\n 76657273696f6e\\n 0000000000000063\\n"
	         "DATA=END\\n' | mdb_load -n -s meta '%s'",
	         path);
	ck_assert_int_eq(system(cmd), 0);
	cache_opts_init_defaults(&o);
	o.path = path;
	o.read_only = true;
	ck_assert_int_eq(cache_open(&c, &o, T0), CACHE_E_VERSION);
	snprintf(cmd, sizeof(cmd), "'%s'", path);
	{
		static const char *const e[] = {
		    "cairn-dump: *: cache file of another format version",
		    NULL};
		check_dump(cmd, e, 1);
	}
	c = open_at(4 << 20, T0);
	ck_assert_int_eq(count_bad_files(), 1);
	cache_close(c);
}
END_TEST

START_TEST(second_writer_is_refused)
{
	struct cache_opts o;
	struct cache *c = open_at(4 << 20, T0), *c2;

	cache_opts_init_defaults(&o);
	o.path = path;
	ck_assert_int_eq(cache_open(&c2, &o, T0), CACHE_E_LOCKED);
	ck_assert_ptr_null(c2);
	o.read_only = true; /* readers need no lock */
	ck_assert_int_eq(cache_open(&c2, &o, T0), 0);
	cache_close(c2);
	cache_close(c);
}
END_TEST

START_TEST(missing_file_read_only_is_enoent)
{
	struct cache_opts o;
	struct cache *c;

	cache_opts_init_defaults(&o);
	o.path = path;
	o.read_only = true;
	ck_assert_int_eq(cache_open(&c, &o, T0), -ENOENT);
}
END_TEST

START_TEST(kill_9_while_writing_leaves_a_cache_that_opens)
{
	struct cache_rrset out;
	struct cache *c;
	ldns_rdf *n = dn("k0.test.");
	pid_t pid;
	int status;

	c = open_at(8 << 20, T0);
	cache_close(c);
	if ((pid = fork()) == 0) {
		char line[96];
		const char *lines[] = {line, NULL};

		c = open_at(8 << 20, T0);
		for (int i = 0;; i++) {
			ldns_rr_list *l;

			snprintf(line, sizeof(line),
			         "k%d.test. 900 IN A 192.0.2.1", i % 5000);
			l = rrs(lines);
			cache_rrset_put(c, l, NULL, RANK_AUTH_ANSWER, T0);
			ldns_rr_list_deep_free(l);
			if (i % 50 == 0)
				cache_commit(c);
		}
	}
	usleep(300 * 1000);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	c = open_at(8 << 20, T0);
	ck_assert_int_eq(count_bad_files(), 0);
	ck_assert_int_eq(cache_rrset_get(c, n, 1, 1, T0, 0, &out), 0);
	cache_rrset_clear(&out);
	ldns_rdf_deep_free(n);
	cache_close(c);
}
END_TEST

/* The file cannot grow to the map size (a full file system, here a file
 * size limit): the cache opens, logs, serves lookups and refuses puts. */
static int
degraded_child(void)
{
	static const char *const a[] = {"d.test. 300 IN A 192.0.2.1", NULL};
	struct rlimit rl = {1 << 20, 1 << 20};
	struct cache_stats st;
	struct cache_rrset out;
	struct cache_opts o;
	ldns_rr_list *l;
	struct cache *c;
	ldns_rdf *n;
	int rc;

	signal(SIGXFSZ, SIG_IGN);
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 10;
	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = 8 << 20;
	if (cache_open(&c, &o, T0) != 0)
		return 11;
	l = rrs(a);
	rc = cache_rrset_put(c, l, NULL, RANK_AUTH_ANSWER, T0);
	ldns_rr_list_deep_free(l);
	if (rc != -EROFS)
		return 12;
	if (cache_stats(c, &st) != 0 || !st.is_degraded)
		return 13;
	n = dn("d.test.");
	rc = cache_rrset_get(c, n, 1, 1, T0, 0, &out);
	ldns_rdf_deep_free(n);
	cache_close(c);
	return rc == -ENOENT ? 0 : 14;
}

START_TEST(full_file_system_degrades_to_read_only)
{
	pid_t pid;
	int status;

	if ((pid = fork()) == 0)
		_exit(degraded_child());
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

START_TEST(flush_removes_name_or_subtree)
{
	static const char *const a[] = {"f.test. 300 IN A 192.0.2.1", NULL};
	static const char *const b[] = {"x.f.test. 300 IN A 192.0.2.1", NULL};
	static const char *const d[] = {"g.test. 300 IN A 192.0.2.1", NULL};
	struct cache *c = open_at(8 << 20, T0);
	ldns_rdf *f = dn("f.test."), *g = dn("g.test."), *x = dn("x.f.test.");
	struct cache_rrset out;

	put(c, a, RANK_AUTH_ANSWER, T0);
	put(c, b, RANK_AUTH_ANSWER, T0);
	put(c, d, RANK_AUTH_ANSWER, T0);
	ck_assert_int_eq(cache_flush_name(c, f, false), 1);
	ck_assert_int_eq(cache_rrset_get(c, x, 1, 1, T0, 0, &out), 0);
	cache_rrset_clear(&out);
	ck_assert_int_eq(cache_flush_name(c, f, true), 1);
	ck_assert_int_eq(cache_rrset_get(c, x, 1, 1, T0, 0, &out), -ENOENT);
	ck_assert_int_eq(cache_rrset_get(c, g, 1, 1, T0, 0, &out), 0);
	cache_rrset_clear(&out);
	ldns_rdf_deep_free(f);
	ldns_rdf_deep_free(g);
	ldns_rdf_deep_free(x);
	cache_close(c);
}
END_TEST

START_TEST(cairn_dump_prints_zone_text_and_filters)
{
	static const char *const a[] = {"www.ex.test. 3600 IN A 192.0.2.1",
	                                NULL};
	static const char *const mx[] = {"ex.test. 3600 IN MX 5 mx.ex.test.",
	                                 NULL};
	static const char *const old[] = {"old.test. 1 IN A 192.0.2.9", NULL};
	struct cache *c;
	ldns_rdf *nx = dn("nx.ex.test.");
	ldns_rr *soa = soa_rr();
	time_t now = time(NULL);
	char args[256];

	c = open_at(4 << 20, now);
	put(c, a, RANK_AUTH_ANSWER, now);
	put(c, mx, RANK_AUTH_ANSWER, now);
	put(c, old, RANK_AUTH_ANSWER, now - 100);
	ck_assert_int_eq(cache_neg_put(c, nx, 0, 1, soa, now), 0);
	ck_assert_int_eq(cache_commit(c), 0);
	/* the daemon still has the file open: dump reads alongside */
	snprintf(args, sizeof(args), "'%s'", path);
	{
		static const char *const e[] = {
		    "ex.test.\t3[56][0-9][0-9]\tIN\tMX\t5 mx.ex.test.",
		    "; NXDOMAIN nx.ex.test. ttl=1[12][0-9] "
		    "soa=test.\t1[12][0-9]"
		    "\tIN\tSOA\tns1.test. h.test. 1 2 3 4 120",
		    "www.ex.test.\t3[56][0-9][0-9]\tIN\tA\t192.0.2.1", NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "-s -n ex.test. -t A '%s'", path);
	{
		static const char *const e[] = {
		    "www.ex.test.\t3[56][0-9][0-9]\tIN\tA\t192.0.2.1", NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "-n ex.test. '%s'", path);
	{
		static const char *const e[] = {
		    "ex.test.\t3[56][0-9][0-9]\tIN\tMX\t5 mx.ex.test.", NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "-n old.test. '%s'", path);
	{
		static const char *const e[] = {NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "-n old.test. --expired '%s'", path);
	{
		static const char *const e[] = {
		    "old.test.\t0\tIN\tA\t192.0.2.9 ; stale", NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "--stats '%s'", path);
	{
		static const char *const e[] = {"entries 4",
		                                "rrsets 3",
		                                "nxdomain 1",
		                                "nodata 0",
		                                "expired 1",
		                                "file_bytes 4194304",
		                                "map_bytes 4194304",
		                                "map_use_percent [0-9]*.[0-9]",
		                                "type A 2",
		                                "type MX 1",
		                                NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "--json -n www.ex.test. '%s'", path);
	{
		static const char *const e[] = {
		    "\\[",
		    " {\"name\":\"www.ex.test.\",\"type\":\"A\","
		    "\"kind\":\"rrset\",\"ttl\":3[56][0-9][0-9],"
		    "\"orig_ttl\":3600,\"expire_at\":*,\"rank\":6,"
		    "\"stale\":false,\"rdata\":\\[\"192.0.2.1\"],"
		    "\"rrsigs\":\\[]}",
		    "]", NULL};
		check_dump(args, e, 0);
	}
	snprintf(args, sizeof(args), "'%s/none'", dir);
	{
		static const char *const e[] = {
		    "cairn-dump: */none: No such file or directory", NULL};
		check_dump(args, e, 1);
	}
	cache_close(c);
	write_file(path, "not a cache at all", 18);
	snprintf(args, sizeof(args), "'%s'", path);
	{
		static const char *const e[] = {
		    "cairn-dump: *: not a cairn cache file, or corrupt", NULL};
		check_dump(args, e, 1);
	}
	ldns_rdf_deep_free(nx);
	ldns_rr_free(soa);
}
END_TEST

Suite *
cache_suite(void)
{
	Suite *s = suite_create("cache");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, every_record_kind_round_trips);
	tcase_add_test(tc, rrsigs_are_stored_with_their_rrset);
	tcase_add_test(tc, wire_lookup_writes_owner_pointer_and_remaining_ttl);
	tcase_add_test(tc, ttl_counts_down_across_reopen);
	tcase_add_test(tc, ttls_are_clamped_by_options);
	tcase_add_test(tc, glue_never_replaces_fresh_authoritative_answer);
	tcase_add_test(tc, nxdomain_covers_names_below_rfc8020);
	tcase_add_test(tc, nodata_is_per_type_and_positive_clears_nxdomain);
	tcase_add_test(tc, closest_delegation_is_deepest_cached_ns);
	tcase_add_test(tc, stale_data_only_when_asked_and_flagged);
	tcase_add_test(tc, backward_clock_jump_serves_old_entries_as_stale);
	tcase_add_test(tc, full_small_map_evicts_and_keeps_working);
	tcase_add_test(tc, random_and_truncated_files_are_moved_aside);
	tcase_add_test(tc, other_version_is_moved_aside);
	tcase_add_test(tc, second_writer_is_refused);
	tcase_add_test(tc, missing_file_read_only_is_enoent);
	tcase_add_test(tc, kill_9_while_writing_leaves_a_cache_that_opens);
	tcase_add_test(tc, flush_removes_name_or_subtree);
	tcase_add_test(tc, full_file_system_degrades_to_read_only);
	tcase_add_test(tc, cairn_dump_prints_zone_text_and_filters);
	suite_add_tcase(s, tc);
	return s;
}
