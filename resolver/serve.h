/*
 * serve.h -- what cairnd does with a client's query.
 *
 * listen.c hands every query to serve_query(): it is parsed (dns/pkt.c),
 * checked against the access list, answered locally when it is a
 * special-use name (RFC 6761) or qtype ANY (RFC 8482), answered straight
 * from the cache's wire form when the cache holds the whole answer, CNAME
 * chains included (the fast path, hit.h: no ldns objects, one short read
 * per name), and otherwise given to the resolver (query.c), whose result
 * is turned into the response.
 * A failed resolution is answered from stale cache data when allowed
 * (RFC 8767), else SERVFAIL with an Extended DNS Error.
 */
#ifndef CAIRN_RESOLVER_SERVE_H
#define CAIRN_RESOLVER_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cache;
struct config;
struct listen_req;
struct resolver;
struct serve;
struct stats;

/*
 * A front end. All pointers are borrowed and must outlive it; cfg may be
 * replaced with serve_set_config() (reload). cache may be NULL (no
 * cache: every query is resolved).
 */
struct serve *serve_new(struct cache *cache, struct resolver *resolver,
                        const struct config *cfg, struct stats *stats);
/* Answers SERVFAIL to every client still waiting, then frees. */
void serve_free(struct serve *s);
void serve_set_config(struct serve *s, const struct config *cfg);

/* The listen_query_fn: arg is the struct serve. Takes req over: it is
 * answered or dropped, now or when resolution ends. */
void serve_query(struct listen_req *req, void *arg);

/* Clients waiting for resolution now. */
size_t serve_waiting(const struct serve *s);

#endif /* CAIRN_RESOLVER_SERVE_H */
