/*
 * hit.h -- the cache-hit fast path: a client's response built straight
 * from the cache's wire form.
 *
 * serve.c calls hit_answer() for each query before it starts resolving.
 * It answers only when the cache alone holds the whole answer the query
 * state machine would give from the cache (query_cache.c, QS_CACHE), and
 * gives the same response, byte for byte: for each name, starting with
 * the question's, the RRset of the asked type, else a negative answer
 * (RFC 2308: NODATA for the type, NXDOMAIN for the name or an ancestor,
 * its SOA in the authority section), else the name's CNAME RRset, whose
 * target is the next name (unless CNAME was asked for). Every RRset has
 * its own remaining TTL, RRSIGs follow each RRset when the client set DO.
 * The first owner is a pointer to the question (0xC00C), later owners are
 * written uncompressed as the CNAME rdata names them.
 *
 * Anything else is left to the resolver, which answers it as before: a
 * chain whose next link is missing or expired (stale data is the
 * resolver's, RFC 8767), a chain longer than HIT_MAX_LINKS or than the
 * resolver's max-cname-chain (a loop ends there too), a DNAME, a damaged
 * CNAME. No heap allocation: one short
 * LMDB read per name into the caller's scratch buffer.
 *
 * It reads the cache and builds wire data; it neither touches sockets nor
 * decides policy (ACL, RD, special-use names stay in serve.c).
 */
#ifndef CAIRN_RESOLVER_HIT_H
#define CAIRN_RESOLVER_HIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct answer_opts;
struct cache;
struct pkt_query;

/* CNAME links followed from the cache at most; longer chains, and
 * loops, go to the resolver (whose default limit, ITER_MAX_CNAME_LINKS,
 * is higher). */
#define HIT_MAX_LINKS 8

/* What hit_answer() sent. */
struct hit_info {
	int rcode;           /* LDNS_RCODE_NOERROR or LDNS_RCODE_NXDOMAIN */
	size_t len;          /* response bytes in out */
	unsigned links;      /* CNAME links followed */
	bool has_rrset;      /* the question's name held a positive RRset (the
	                        answer or the first CNAME): ttl_s is its */
	uint32_t ttl_s;      /* remaining TTL of that RRset, for prefetch */
	uint32_t orig_ttl_s; /* its TTL when stored */
};

/*
 * Builds the response to pq (parsed by pkt_query_parse, PKT_OK, with a
 * question) from c at now into out (out_cap bytes), using scratch
 * (scratch_cap bytes, up to 65535 useful) for the records read. It
 * follows at most max_links CNAME links (capped at HIT_MAX_LINKS): pass
 * the resolver's own limit (max-cname-chain), so that a chain the
 * resolver would fail as too long is left to it rather than answered
 * from the cache. All pointers are borrowed for the call. Returns 0 and fills
 * *info; -ENOENT if the cache does not hold the whole answer; -ENOSPC if the
 * records do not fit scratch; -ENOBUFS if out cannot hold even the question;
 * another negative errno from the cache. On failure nothing is to be sent.
 */
int hit_answer(struct cache *c, const struct pkt_query *pq,
               const struct answer_opts *ao, time_t now, unsigned max_links,
               uint8_t *out, size_t out_cap, uint8_t *scratch,
               size_t scratch_cap, struct hit_info *info);

#endif /* CAIRN_RESOLVER_HIT_H */
