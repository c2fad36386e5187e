/*
 * fuzz_query.c -- pkt_query_parse() on arbitrary client messages, then the
 * response building a parsed query leads to: error answers, records from
 * wire chunks (the input itself), RFC 8482, the ldns slow path, and the
 * cache-hit fast path (hit.c) over a real LMDB cache made once per process
 * in a temp dir. The cache holds CNAME chains under fuzz.: c1 -> c2 -> C3
 * -> end (A, AAAA, RRSIGs), nx -> gone (NXDOMAIN), nd -> end (NODATA for
 * MX), loop1 <-> loop2, miss -> nowhere (not cached); the seeds ask for
 * them. Every fast-path response must parse with ldns within its limit.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cache/cache.h"
#include "dns/pkt.h"
#include "resolver/answer.h"
#include "resolver/hit.h"
#include "util/log.h"

#define FUZZ_NOW 1700000000
#define FUZZ_SIG "8 2 300 20300101000000 20200101000000 1 fuzz. AAAA"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int verdict_rcode[] = {
    [PKT_OK] = PKT_RCODE_NOERROR,      [PKT_FORMERR] = PKT_RCODE_FORMERR,
    [PKT_NOTIMP] = PKT_RCODE_NOTIMP,   [PKT_REFUSED] = PKT_RCODE_REFUSED,
    [PKT_BADVERS] = PKT_RCODE_BADVERS,
};

static void
build_answers(const struct pkt_query *q, int verdict, const uint8_t *data,
              size_t size)
{
	static uint8_t buf[65535];
	struct answer_opts o = {size % 2 == 0, (uint16_t)(512 + size), 10000};
	struct answer a;
	ldns_pkt *p = NULL;
	size_t len;

	len = answer_error(buf, sizeof(buf), q, &o, verdict_rcode[verdict],
	                   ANSWER_EDE_OTHER, "fuzz");
	if (len < PKT_HDR_LEN || len > answer_limit(q, &o))
		__builtin_trap();
	if (verdict != PKT_OK)
		return;
	if (answer_begin(&a, buf, sizeof(buf), q, &o, 0) == 0) {
		answer_add_rfc8482(&a);
		answer_add_rrs(&a, ANSWER_SEC_AUTHORITY, data, size);
		answer_add_rrs(&a, ANSWER_SEC_ADDITIONAL, data, size);
		if (answer_finish(&a) > answer_limit(q, &o))
			__builtin_trap();
	}
	/* the resolver hands ldns only replies that pass this check */
	if (pkt_reply_is_sane(data, size) &&
	    ldns_wire2pkt(&p, data, size) == LDNS_STATUS_OK) {
		answer_from_ldns(buf, sizeof(buf), q, &o, p);
		ldns_pkt_free(p);
	}
}

static const char *const fuzz_rrsets[][3] = {
    {"c1.fuzz. 300 IN CNAME c2.fuzz.", "c1.fuzz. 300 IN RRSIG CNAME " FUZZ_SIG,
     NULL},
    {"c2.fuzz. 200 IN CNAME C3.Fuzz.", NULL, NULL},
    {"c3.fuzz. 100 IN CNAME end.fuzz.", NULL, NULL},
    {"end.fuzz. 60 IN A 192.0.2.1", "end.fuzz. 60 IN A 192.0.2.2", NULL},
    {"end.fuzz. 60 IN AAAA 2001:db8::1", "end.fuzz. 60 IN RRSIG AAAA " FUZZ_SIG,
     NULL},
    {"nx.fuzz. 300 IN CNAME gone.fuzz.", NULL, NULL},
    {"nd.fuzz. 300 IN CNAME end.fuzz.", NULL, NULL},
    {"loop1.fuzz. 300 IN CNAME loop2.fuzz.", NULL, NULL},
    {"loop2.fuzz. 300 IN CNAME LOOP1.fuzz.", NULL, NULL},
    {"miss.fuzz. 300 IN CNAME nowhere.fuzz.", NULL, NULL},
};

static ldns_rr *
rr_of(const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) != LDNS_STATUS_OK)
		__builtin_trap();
	return rr;
}

/* Stores one line of fuzz_rrsets: records, then RRSIGs. */
static void
fill_rrset(struct cache *c, const char *const *lines)
{
	ldns_rr_list *rrs = ldns_rr_list_new(), *sigs = ldns_rr_list_new();
	size_t i;

	for (i = 0; i < 3 && lines[i] != NULL; i++) {
		ldns_rr *rr = rr_of(lines[i]);

		ldns_rr_list_push_rr(
		    ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG ? sigs : rrs,
		    rr);
	}
	if (cache_rrset_put(c, rrs, sigs, RANK_AUTH_ANSWER, FUZZ_NOW) != 0)
		__builtin_trap();
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
}

static void
fill_neg(struct cache *c, const char *name, uint16_t type)
{
	ldns_rr *soa =
	    rr_of("fuzz. 300 IN SOA ns.fuzz. host.fuzz. 1 2 3 4 300");
	ldns_rdf *n = ldns_dname_new_frm_str(name);

	if (n == NULL ||
	    cache_neg_put(c, n, type, LDNS_RR_CLASS_IN, soa, FUZZ_NOW) != 0)
		__builtin_trap();
	ldns_rdf_deep_free(n);
	ldns_rr_free(soa);
}

static char fuzz_dir[64];
static struct cache *fuzz_cache;

static void
cache_remove(void)
{
	static const char *const files[] = {"cache.mdb", "cache.mdb-lock",
	                                    "cache.mdb-lock.pid"};
	char path[128];
	size_t i;

	cache_close(fuzz_cache);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		snprintf(path, sizeof(path), "%s/%s", fuzz_dir, files[i]);
		unlink(path);
	}
	rmdir(fuzz_dir);
}

/* The chains described above, made on the first call. */
static struct cache *
chain_cache(void)
{
	struct cache_opts o;
	char path[128];
	size_t i;

	if (fuzz_cache != NULL)
		return fuzz_cache;
	log_set_verbosity(0);
	strcpy(fuzz_dir, "/tmp/cairn-fuzz-query-XXXXXX");
	if (mkdtemp(fuzz_dir) == NULL)
		__builtin_trap();
	snprintf(path, sizeof(path), "%s/cache.mdb", fuzz_dir);
	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = (size_t)4 << 20;
	if (cache_open(&fuzz_cache, &o, FUZZ_NOW) != 0)
		__builtin_trap();
	atexit(cache_remove);
	for (i = 0; i < sizeof(fuzz_rrsets) / sizeof(fuzz_rrsets[0]); i++)
		fill_rrset(fuzz_cache, fuzz_rrsets[i]);
	fill_neg(fuzz_cache, "gone.fuzz.", 0);
	fill_neg(fuzz_cache, "end.fuzz.", LDNS_RR_TYPE_MX);
	return fuzz_cache;
}

/* The fast path: a response it sends is a valid message within limits. */
static void
fast_path(const struct pkt_query *q, const struct answer_opts *o, time_t age)
{
	static uint8_t buf[65535], scratch[65535];
	struct hit_info info;
	ldns_pkt *p = NULL;

	if (hit_answer(chain_cache(), q, o, FUZZ_NOW + age, HIT_MAX_LINKS, buf,
	               sizeof(buf), scratch, sizeof(scratch), &info) != 0)
		return;
	if (info.len > answer_limit(q, o) || info.links > HIT_MAX_LINKS ||
	    ldns_wire2pkt(&p, buf, info.len) != LDNS_STATUS_OK)
		__builtin_trap();
	ldns_pkt_free(p);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_query q;
	int verdict = pkt_query_parse(data, size, &q);

	if (verdict == PKT_DROP)
		return 0;
	if (q.has_question && (q.qname < data || q.qname_len > size))
		__builtin_trap();
	build_answers(&q, verdict, data, size);
	if (verdict == PKT_OK) {
		struct answer_opts o = {size % 2 == 0, (uint16_t)(512 + size),
		                        10000};

		/* the size also moves the clock: some links expire */
		fast_path(&q, &o, (time_t)(size % 128));
	}
	return 0;
}
