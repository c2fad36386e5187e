/*
 * test_hit.c -- the cache-hit fast path against a real LMDB cache: plain
 * answers, CNAME chains into an RRset, NXDOMAIN and NODATA, with RRSIGs
 * and truncated; and the cases it must leave to the resolver (a loop, a
 * missing or expired link, a chain too long). Every response is parsed
 * back with ldns, and compared byte for byte with the response the query
 * state machine builds from the same cache (serve.c's slow path).
 */
#include "config.h"
#include "resolver/hit.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "cache/cache.h"
#include "dns/pkt.h"
#include "resolver/answer.h"
#include "resolver/budget.h"
#include "resolver/iter.h"
#include "resolver/query.h"
#include "util/clock.h"
#include "util/log.h"

Suite *hit_suite(void);

#define SOA_TEXT "test. 3600 IN SOA ns.test. host.test. 1 3600 600 86400 300"
#define SIG_TAIL "8 2 300 20300101000000 20200101000000 12345 test. AAAA"

static char dir[64], path[128];
static struct cache *cache;
static time_t now;

static void
setup(void)
{
	struct cache_opts o;

	strcpy(dir, "/tmp/cairn-hit-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/cache.mdb", dir);
	log_set_verbosity(0);
	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = (size_t)8 << 20;
	now = time(NULL);
	ck_assert_int_eq(cache_open(&cache, &o, now), 0);
}

static void
teardown(void)
{
	char cmd[128];

	cache_close(cache);
	cache = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static ldns_rr *
rr_of(const char *text)
{
	ldns_rr *rr = NULL;

	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL),
	                 LDNS_STATUS_OK);
	return rr;
}

/* Stores the RRset of the presentation lines (NULL-terminated) at rank,
 * written age_s seconds ago, with RRSIGs for its type if with_sigs. */
static void
put_ranked(const char *const *lines, bool with_sigs, time_t age_s,
           enum cache_rank rank)
{
	ldns_rr_list *l = ldns_rr_list_new(), *sigs = NULL;
	char text[512];

	for (; *lines != NULL; lines++)
		ldns_rr_list_push_rr(l, rr_of(*lines));
	if (with_sigs) {
		const ldns_rr *first = ldns_rr_list_rr(l, 0);
		char *owner = ldns_rdf2str(ldns_rr_owner(first));
		char *type = ldns_rr_type2str(ldns_rr_get_type(first));

		snprintf(text, sizeof(text), "%s 300 IN RRSIG %s " SIG_TAIL,
		         owner, type);
		sigs = ldns_rr_list_new();
		ldns_rr_list_push_rr(sigs, rr_of(text));
		free(owner);
		free(type);
	}
	ck_assert_int_eq(cache_rrset_put(cache, l, sigs, rank, now - age_s), 0);
	ldns_rr_list_deep_free(l);
	ldns_rr_list_deep_free(sigs);
}

/* The same from the answer section of an authoritative reply. */
static void
put_at(const char *const *lines, bool with_sigs, time_t age_s)
{
	put_ranked(lines, with_sigs, age_s, RANK_AUTH_ANSWER);
}

static void
put1_ranked(const char *line, enum cache_rank rank)
{
	const char *lines[] = {line, NULL};

	put_ranked(lines, false, 10, rank);
}

static void
put1(const char *line)
{
	const char *lines[] = {line, NULL};

	put_at(lines, false, 10);
}

/* A negative answer for name (type 0: NXDOMAIN), the zone's SOA. */
static void
put_neg(const char *name, uint16_t type)
{
	ldns_rr *soa = rr_of(SOA_TEXT);
	ldns_rdf *n = NULL;

	ck_assert_int_eq(ldns_str2rdf_dname(&n, name), LDNS_STATUS_OK);
	ck_assert_int_eq(
	    cache_neg_put(cache, n, type, LDNS_RR_CLASS_IN, soa, now - 10), 0);
	ldns_rdf_deep_free(n);
	ldns_rr_free(soa);
}

/* A client query and the request options it came with. */
struct tq {
	uint8_t wire[512];
	size_t len;
	struct pkt_query q;
	struct answer_opts ao;
};

static void
tq_make(struct tq *t, const char *name, uint16_t type, uint16_t edns_udp,
        bool is_do)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, type,
	                                            LDNS_RR_CLASS_IN, LDNS_RD),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0x4242);
	if (edns_udp != 0) {
		ldns_pkt_set_edns_udp_size(p, edns_udp);
		ldns_pkt_set_edns_do(p, is_do);
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ck_assert_uint_le(len, sizeof(t->wire));
	memcpy(t->wire, wire, len);
	t->len = len;
	ck_assert_int_eq(pkt_query_parse(t->wire, t->len, &t->q), PKT_OK);
	memset(&t->ao, 0, sizeof(t->ao));
	free(wire);
	ldns_pkt_free(p);
}

static uint8_t out[65535], scratch[65535];

/* The fast path's answer to t at when, following at most max_links CNAME
 * links; its return code. */
static int
fast_bounded(const struct tq *t, time_t when, unsigned max_links, size_t *len,
             struct hit_info *info)
{
	int rc = hit_answer(cache, &t->q, &t->ao, when, max_links, out,
	                    sizeof(out), scratch, sizeof(scratch), info);

	*len = rc == 0 ? info->len : 0;
	return rc;
}

/* The same with the resolver's default CNAME bound. */
static int
fast(const struct tq *t, time_t when, size_t *len, struct hit_info *info)
{
	return fast_bounded(t, when, ITER_MAX_CNAME_LINKS, len, info);
}

/* --- the slow path: the query state machine over the same cache -------- */

struct slow {
	const struct tq *t;
	uint8_t buf[65535];
	size_t len;
	int rcode;
	bool is_done;
};

/* Builds the response from the query's result as serve.c does. */
static void
slow_done_cb(void *arg, const struct query_result *r)
{
	struct slow *s = arg;
	struct answer a;

	s->is_done = true;
	s->rcode = r->rcode;
	ck_assert_int_eq(answer_begin(&a, s->buf, sizeof(s->buf), &s->t->q,
	                              &s->t->ao, r->rcode),
	                 0);
	if (r->ede_code >= 0)
		answer_set_ede(&a, (uint16_t)r->ede_code, r->ede_text);
	if (answer_add_ldns(&a, ANSWER_SEC_ANSWER, r->answer, s->t->q.is_do) !=
	    -EMSGSIZE)
		(void)answer_add_ldns(&a, ANSWER_SEC_AUTHORITY, r->authority,
		                      s->t->q.is_do);
	s->len = answer_finish(&a);
}

/* Resolves t with a resolver that has the cache and nothing else: only
 * questions the cache answers (or fails) may be asked; it follows at most
 * max_cname CNAME links. */
static void
slow_opts(const struct tq *t, struct slow *s, unsigned max_cname,
          bool is_serve_stale)
{
	struct ev_loop *loop = ev_loop_new(EVFLAG_AUTO);
	struct resolver_opts o;
	struct resolver *r;
	struct query_waiter w = {.cb = slow_done_cb, .arg = s};
	ldns_rdf *qname =
	    ldns_dname_new_frm_data((uint16_t)t->q.qname_len, t->q.qname_lc);
	int i;

	memset(s, 0, sizeof(*s));
	s->t = t;
	resolver_opts_init(&o);
	o.budget.max[BUDGET_CNAME] = max_cname;
	o.is_serve_stale = is_serve_stale;
	r = resolver_new(loop, cache, NULL, NULL, NULL, &o);
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(
	    resolver_resolve(r, qname, t->q.qtype, t->q.qclass, t->q.is_do, &w),
	    0);
	for (i = 0; i < 100 && !s->is_done; i++)
		ev_run(loop, EVRUN_ONCE);
	ck_assert(s->is_done);
	resolver_free(r);
	ldns_rdf_deep_free(qname);
	ev_loop_destroy(loop);
}

static void
slow_bounded(const struct tq *t, struct slow *s, unsigned max_cname)
{
	slow_opts(t, s, max_cname, false);
}

static void
slow(const struct tq *t, struct slow *s)
{
	slow_bounded(t, s, ITER_MAX_CNAME_LINKS);
}

/* The fast path answers t exactly as the slow path does; returns the
 * parsed response (ldns_pkt_free it). */
static ldns_pkt *
same_as_slow(const struct tq *t, struct hit_info *info)
{
	static struct slow s;
	ldns_pkt *p = NULL;
	size_t len = 0;
	int tries;

	/* both read the wall clock: retry if a second boundary fell
	 * between them and the TTLs differ by one */
	for (tries = 0; tries < 3; tries++) {
		time_t t0 = time(NULL);

		ck_assert_int_eq(fast(t, t0, &len, info), 0);
		slow(t, &s);
		if (time(NULL) == t0)
			break;
	}
	ck_assert_int_eq(s.rcode, info->rcode);
	ck_assert_uint_eq(s.len, len);
	ck_assert_mem_eq(s.buf, out, len);
	ck_assert_int_eq(ldns_wire2pkt(&p, out, len), LDNS_STATUS_OK);
	return p;
}

static void
assert_rr(const ldns_rr_list *l, size_t i, const char *owner, ldns_rr_type type,
          uint32_t ttl)
{
	const ldns_rr *rr = ldns_rr_list_rr(l, i);
	char *o;

	ck_assert_ptr_nonnull(rr);
	o = ldns_rdf2str(ldns_rr_owner(rr));
	ck_assert_str_eq(o, owner);
	ck_assert_int_eq(ldns_rr_get_type(rr), type);
	/* ttl at setup time; a slow machine may be a second or two on */
	ck_assert_uint_le(ldns_rr_ttl(rr), ttl);
	ck_assert_uint_ge(ldns_rr_ttl(rr), ttl - 2);
	free(o);
}

/* a.one.test -> b.two.test -> C.Three.test -> final.test A (3 links) */
static void
put_chain3(void)
{
	static const char *const fin[] = {"final.test. 60 IN A 192.0.2.1",
	                                  "final.test. 60 IN A 192.0.2.2",
	                                  NULL};

	put1("a.one.test. 300 IN CNAME b.two.test.");
	put1("b.two.test. 200 IN CNAME C.Three.test.");
	put1("c.three.test. 100 IN CNAME final.test.");
	put_at(fin, false, 10);
}

START_TEST(chain_of_three_links_answers_like_the_resolver)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;
	const ldns_rr_list *an;

	put_chain3();
	tq_make(&t, "A.one.TEST.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_int_eq(info.rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(info.links, 3);
	ck_assert(info.has_rrset);
	ck_assert_uint_eq(info.orig_ttl_s, 300);
	an = ldns_pkt_answer(p);
	ck_assert_uint_eq(ldns_rr_list_rr_count(an), 5);
	/* each RRset keeps its own remaining TTL; the owner of a link is
	 * the previous target, as its rdata spells it */
	assert_rr(an, 0, "A.one.TEST.", LDNS_RR_TYPE_CNAME, 290);
	assert_rr(an, 1, "b.two.test.", LDNS_RR_TYPE_CNAME, 190);
	assert_rr(an, 2, "C.Three.test.", LDNS_RR_TYPE_CNAME, 90);
	assert_rr(an, 3, "final.test.", LDNS_RR_TYPE_A, 50);
	assert_rr(an, 4, "final.test.", LDNS_RR_TYPE_A, 50);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 0);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert(ldns_pkt_ra(p));
	ck_assert(!ldns_pkt_aa(p));
	ck_assert_uint_eq(ldns_pkt_id(p), 0x4242);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(chain_into_nxdomain_answers_with_soa)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	put1("dangling.one.test. 300 IN CNAME b.two.test.");
	put1("b.two.test. 200 IN CNAME nothere.three.test.");
	put_neg("nothere.three.test.", 0);
	tq_make(&t, "dangling.one.test.", LDNS_RR_TYPE_A, 0, false);
	p = same_as_slow(&t, &info);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(info.links, 2);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	assert_rr(ldns_pkt_answer(p), 1, "b.two.test.", LDNS_RR_TYPE_CNAME,
	          190);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	/* RFC 2308 s5: min(SOA TTL, MINIMUM), counting down */
	assert_rr(ldns_pkt_authority(p), 0, "test.", LDNS_RR_TYPE_SOA, 290);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(chain_into_nxdomain_of_an_ancestor)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	/* RFC 8020: nothing exists below a nonexistent name */
	put1("deep.one.test. 300 IN CNAME x.gone.test.");
	put_neg("gone.test.", 0);
	tq_make(&t, "deep.one.test.", LDNS_RR_TYPE_AAAA, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(chain_into_nodata_answers_noerror_with_soa)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	put1("mx.one.test. 300 IN CNAME host.two.test.");
	put1("host.two.test. 300 IN A 192.0.2.9");
	put_neg("host.two.test.", LDNS_RR_TYPE_MX);
	tq_make(&t, "mx.one.test.", LDNS_RR_TYPE_MX, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	assert_rr(ldns_pkt_answer(p), 0, "mx.one.test.", LDNS_RR_TYPE_CNAME,
	          290);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	assert_rr(ldns_pkt_authority(p), 0, "test.", LDNS_RR_TYPE_SOA, 290);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(chain_with_rrsigs_when_do)
{
	static const char *const l1[] = {"s.one.test. 300 IN CNAME t.two.test.",
	                                 NULL};
	static const char *const l2[] = {"t.two.test. 300 IN A 192.0.2.7",
	                                 NULL};
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	put_at(l1, true, 10);
	put_at(l2, true, 10);
	tq_make(&t, "s.one.test.", LDNS_RR_TYPE_A, 1232, true);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 4);
	assert_rr(ldns_pkt_answer(p), 1, "s.one.test.", LDNS_RR_TYPE_RRSIG,
	          290);
	assert_rr(ldns_pkt_answer(p), 3, "t.two.test.", LDNS_RR_TYPE_RRSIG,
	          290);
	ck_assert(ldns_pkt_edns_do(p));
	ldns_pkt_free(p);
	/* without DO the same chain comes without its RRSIGs */
	tq_make(&t, "s.one.test.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(chain_too_large_for_udp_is_truncated)
{
	const char *lines[41];
	char text[40][64];
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;
	int i;

	for (i = 0; i < 40; i++) {
		snprintf(text[i], sizeof(text[i]),
		         "many.two.test. 300 IN A 192.0.2.%d", i + 1);
		lines[i] = text[i];
	}
	lines[40] = NULL;
	put1("big.one.test. 300 IN CNAME many.two.test.");
	put_at(lines, false, 10);
	tq_make(&t, "big.one.test.", LDNS_RR_TYPE_A, 0, false);
	p = same_as_slow(&t, &info);
	ck_assert(ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	/* over TCP it fits */
	t.ao.is_tcp = true;
	p = same_as_slow(&t, &info);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 41);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(qtype_cname_is_not_followed)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	put_chain3();
	tq_make(&t, "a.one.test.", LDNS_RR_TYPE_CNAME, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(info.links, 0);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(plain_answers_stay_on_the_fast_path)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	put_chain3();
	put_neg("nx.test.", 0);
	tq_make(&t, "final.test.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(info.links, 0);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2);
	ldns_pkt_free(p);
	tq_make(&t, "nx.test.", LDNS_RR_TYPE_A, 0, false);
	p = same_as_slow(&t, &info);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(loop_falls_back)
{
	struct hit_info info;
	struct slow s;
	struct tq t;
	size_t len;

	put1("x.one.test. 300 IN CNAME y.two.test.");
	put1("y.two.test. 300 IN CNAME X.ONE.test.");
	tq_make(&t, "x.one.test.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
	/* the resolver ends it at its CNAME budget */
	slow(&t, &s);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_SERVFAIL);
}
END_TEST

START_TEST(missing_or_expired_link_falls_back)
{
	static const char *const fin_long[] = {
	    "final.test. 3000 IN A 192.0.2.1", NULL};
	struct hit_info info;
	struct tq t;
	size_t len;

	put_chain3();
	tq_make(&t, "a.one.test.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), 0);
	/* final.test A (60 s, stored 10 s ago) has expired: stale data and
	 * the fresh fetch are the resolver's */
	ck_assert_int_eq(fast(&t, now + 55, &len, &info), -ENOENT);
	/* with a fresh end, the middle link (100 s) expires first */
	put_at(fin_long, false, 0);
	ck_assert_int_eq(fast(&t, now + 85, &len, &info), 0);
	ck_assert_int_eq(fast(&t, now + 95, &len, &info), -ENOENT);
	/* a link to a name the cache knows nothing about */
	put1("m.one.test. 300 IN CNAME unknown.two.test.");
	tq_make(&t, "m.one.test.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
	/* a link whose target holds another type only */
	tq_make(&t, "a.one.test.", LDNS_RR_TYPE_TXT, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
}
END_TEST

/* A chain of n links from l0.chain.test to l<n>.chain.test A. */
static void
put_links(int n)
{
	char text[128];
	int i;

	for (i = 0; i < n; i++) {
		snprintf(text, sizeof(text),
		         "l%d.chain.test. 300 IN CNAME l%d.chain.test.", i,
		         i + 1);
		put1(text);
	}
	snprintf(text, sizeof(text), "l%d.chain.test. 300 IN A 192.0.2.3", n);
	put1(text);
}

START_TEST(chain_longer_than_the_bound_falls_back)
{
	struct hit_info info;
	struct tq t;
	size_t len;
	ldns_pkt *p;

	put_links(HIT_MAX_LINKS + 1);
	tq_make(&t, "l1.chain.test.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(info.links, HIT_MAX_LINKS);
	ck_assert_uint_eq(ldns_pkt_ancount(p), HIT_MAX_LINKS + 1);
	ldns_pkt_free(p);
	tq_make(&t, "l0.chain.test.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
}
END_TEST

/* max-cname-chain 2: the resolver fails a cached 3-link chain as too
 * long, so the fast path must leave it to the resolver, not answer it. */
START_TEST(chain_longer_than_max_cname_chain_is_left_to_the_resolver)
{
	static struct slow s;
	struct hit_info info;
	struct tq t;
	size_t len;

	put_chain3();
	tq_make(&t, "a.one.test.", LDNS_RR_TYPE_A, 1232, false);
	slow_bounded(&t, &s, 2);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_SERVFAIL);
	ck_assert_int_eq(fast_bounded(&t, now, 2, &len, &info), -ENOENT);
	slow_bounded(&t, &s, 3);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_NOERROR);
	ck_assert_int_eq(fast_bounded(&t, now, 3, &len, &info), 0);
	ck_assert_uint_eq(info.links, 3);
	ck_assert_uint_eq(len, s.len);
	/* 0: no link at all, as the resolver follows none */
	tq_make(&t, "c.three.test.", LDNS_RR_TYPE_A, 1232, false);
	slow_bounded(&t, &s, 0);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_SERVFAIL);
	ck_assert_int_eq(fast_bounded(&t, now, 0, &len, &info), -ENOENT);
}
END_TEST

/* Neither path answers t: the fast path misses, the resolver (with no
 * server to ask) fails rather than return a cached RRset of the type
 * asked (it may return the CNAME links it followed). */
static void
assert_not_answered(const struct tq *t)
{
	struct hit_info info;
	struct slow s;
	ldns_pkt *p = NULL;
	size_t len, i;

	ck_assert_int_eq(fast(t, now, &len, &info), -ENOENT);
	slow(t, &s);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_SERVFAIL);
	ck_assert_int_eq(ldns_wire2pkt(&p, s.buf, s.len), LDNS_STATUS_OK);
	for (i = 0; i < ldns_pkt_ancount(p); i++)
		ck_assert_int_eq(
		    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), i)),
		    LDNS_RR_TYPE_CNAME);
	ldns_pkt_free(p);
}

START_TEST(glue_is_not_an_answer)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;
	char *addr;

	/* a referral's glue, an answer's additional data */
	put1_ranked("ns1.glue.test. 300 IN A 192.0.2.53", RANK_GLUE);
	put1_ranked("ns1.glue.test. 300 IN AAAA 2001:db8::53", RANK_ADDITIONAL);
	tq_make(&t, "ns1.glue.test.", LDNS_RR_TYPE_A, 1232, false);
	assert_not_answered(&t);
	tq_make(&t, "ns1.glue.test.", LDNS_RR_TYPE_AAAA, 1232, false);
	assert_not_answered(&t);
	/* the zone's own answer replaces the glue and is answered */
	put1("ns1.glue.test. 300 IN A 192.0.2.54");
	tq_make(&t, "ns1.glue.test.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	addr = ldns_rdf2str(
	    ldns_rr_rdf(ldns_rr_list_rr(ldns_pkt_answer(p), 0), 0));
	ck_assert_str_eq(addr, "192.0.2.54");
	free(addr);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(answer_section_ranks_are_answers)
{
	struct hit_info info;
	struct tq t;
	ldns_pkt *p;

	/* a non-authoritative answer (a forwarder's) is an answer */
	put1_ranked("fwd.test. 300 IN A 192.0.2.7", RANK_NONAUTH_ANSWER);
	tq_make(&t, "fwd.test.", LDNS_RR_TYPE_A, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	/* the parent's DS from its referral answers a DS question; other
	 * authority-section data does not */
	put1_ranked("child.test. 300 IN DS 12345 8 2 "
	            "0123456789ABCDEF0123456789ABCDEF"
	            "0123456789ABCDEF0123456789ABCDEF",
	            RANK_AUTH_AUTHORITY);
	tq_make(&t, "child.test.", LDNS_RR_TYPE_DS, 1232, false);
	p = same_as_slow(&t, &info);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ldns_pkt_free(p);
	put1_ranked("child.test. 300 IN SOA ns.child.test. h.child.test. "
	            "1 3600 600 86400 300",
	            RANK_AUTH_AUTHORITY);
	tq_make(&t, "child.test.", LDNS_RR_TYPE_SOA, 1232, false);
	assert_not_answered(&t);
}
END_TEST

START_TEST(referral_ns_leads_to_servers_only)
{
	struct cache_deleg *d = NULL;
	struct hit_info info;
	ldns_rdf *name = NULL;
	struct tq t;
	size_t len;

	put1_ranked("glue.test. 300 IN NS ns1.glue.test.", RANK_GLUE);
	put1_ranked("ns1.glue.test. 300 IN A 192.0.2.53", RANK_GLUE);
	/* the resolver would ask ns1 now: the fast path alone here */
	tq_make(&t, "glue.test.", LDNS_RR_TYPE_NS, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
	tq_make(&t, "ns1.glue.test.", LDNS_RR_TYPE_A, 1232, false);
	ck_assert_int_eq(fast(&t, now, &len, &info), -ENOENT);
	/* the delegation still has its NS set and the glue address */
	ck_assert_int_eq(ldns_str2rdf_dname(&name, "www.glue.test."),
	                 LDNS_STATUS_OK);
	ck_assert_int_eq(cache_deleg_get(cache, name, now, 0, &d), 0);
	ck_assert_uint_eq(d->ns_count, 1);
	ck_assert_uint_eq(ldns_rr_list_rr_count(d->servers[0].addrs), 1);
	cache_deleg_free(d);
	ldns_rdf_deep_free(name);
}
END_TEST

START_TEST(chain_into_glue_falls_back)
{
	struct tq t;

	/* every link must be answer data: the end here is glue */
	put1("www.one.test. 300 IN CNAME ns1.glue.test.");
	put1_ranked("ns1.glue.test. 300 IN A 192.0.2.53", RANK_GLUE);
	tq_make(&t, "www.one.test.", LDNS_RR_TYPE_A, 1232, false);
	assert_not_answered(&t);
	/* and here a middle link */
	put1_ranked("m.one.test. 300 IN CNAME m.two.test.", RANK_ADDITIONAL);
	put1("m.two.test. 300 IN A 192.0.2.9");
	tq_make(&t, "m.one.test.", LDNS_RR_TYPE_A, 1232, false);
	assert_not_answered(&t);
}
END_TEST

START_TEST(stale_glue_is_not_served)
{
	static const char *const glue[] = {"ns1.glue.test. 60 IN A 192.0.2.53",
	                                   NULL};
	static const char *const ans[] = {"www.glue.test. 60 IN A 192.0.2.80",
	                                  NULL};
	struct slow s;
	struct tq t;

	/* both expired (60 s TTL, stored 100 s ago), inside the stale
	 * window: the answer is served stale, the glue is not */
	put_ranked(glue, false, 100, RANK_GLUE);
	put_ranked(ans, false, 100, RANK_AUTH_ANSWER);
	tq_make(&t, "www.glue.test.", LDNS_RR_TYPE_A, 1232, false);
	slow_opts(&t, &s, ITER_MAX_CNAME_LINKS, true);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(LDNS_ANCOUNT(s.buf), 1);
	tq_make(&t, "ns1.glue.test.", LDNS_RR_TYPE_A, 1232, false);
	slow_opts(&t, &s, ITER_MAX_CNAME_LINKS, true);
	ck_assert_int_eq(s.rcode, LDNS_RCODE_SERVFAIL);
	ck_assert_uint_eq(LDNS_ANCOUNT(s.buf), 0);
}
END_TEST

Suite *
hit_suite(void)
{
	Suite *s = suite_create("hit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, chain_of_three_links_answers_like_the_resolver);
	tcase_add_test(tc, chain_into_nxdomain_answers_with_soa);
	tcase_add_test(tc, chain_into_nxdomain_of_an_ancestor);
	tcase_add_test(tc, chain_into_nodata_answers_noerror_with_soa);
	tcase_add_test(tc, chain_with_rrsigs_when_do);
	tcase_add_test(tc, chain_too_large_for_udp_is_truncated);
	tcase_add_test(tc, qtype_cname_is_not_followed);
	tcase_add_test(tc, plain_answers_stay_on_the_fast_path);
	tcase_add_test(tc, loop_falls_back);
	tcase_add_test(tc, missing_or_expired_link_falls_back);
	tcase_add_test(tc, chain_longer_than_the_bound_falls_back);
	tcase_add_test(tc, glue_is_not_an_answer);
	tcase_add_test(tc, answer_section_ranks_are_answers);
	tcase_add_test(tc, chain_into_glue_falls_back);
	tcase_add_test(tc, referral_ns_leads_to_servers_only);
	tcase_add_test(tc, stale_glue_is_not_served);
	tcase_add_test(
	    tc, chain_longer_than_max_cname_chain_is_left_to_the_resolver);
	suite_add_tcase(s, tc);
	return s;
}
