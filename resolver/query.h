/*
 * query.h -- the per-question resolution state machine.
 *
 * A struct query resolves one (name, type, class, DO) from the cache and,
 * failing that, by walking the delegations from the closest one the cache
 * holds (or the root hints) down to an authority that answers. Clients and
 * parent queries wait on a query through a struct query_waiter; identical
 * questions in flight share one query (aggregation), and queries that
 * would send the same upstream question at once share one exchange
 * (query_share.h).
 *
 * The machine (STYLE.md s3): one enum, one short handler per state, one
 * driver. Decisions are iter.c's, server choice servsel.c's, transport
 * upstream.c's, memory the cache's; this module only sequences them.
 *
 *   QS_CACHE   answer, CNAME link or negative entry in the cache?
 *   QS_DELEG   closest delegation: cache, else prime from the hints
 *   QS_PICK    next server address (or resolve a glueless NS name)
 *   QS_SENT    waiting for upstream.c: reply or failure
 *   QS_RESPONSE classify the reply (iter.c), cache it, act on it
 *   QS_WAIT_SUB waiting for NS address sub-queries
 *   QS_DONE    result ready for every waiter
 */
#ifndef CAIRN_RESOLVER_QUERY_H
#define CAIRN_RESOLVER_QUERY_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "resolver/budget.h"
#include "resolver/deleg.h"
#include "resolver/iter.h"

struct ev_loop;
struct cache;
struct upstream;
struct servsel;
struct hints;
struct query;
struct resolver;
struct config_forward_list;

/* What a finished query hands its waiters. Everything is borrowed and
 * valid only during the callback. */
struct query_result {
	int rcode;                     /* LDNS_RCODE_* */
	const ldns_rr_list *answer;    /* CNAME links, then the RRset */
	const ldns_rr_list *authority; /* SOA of a negative answer */
	int ede_code;                  /* RFC 8914 info code, -1: none */
	const char *ede_text;          /* static, may be NULL */
	bool is_stale;                 /* served from expired data */
};

typedef void query_done_fn(void *arg, const struct query_result *res);

/*
 * A waiter, embedded in whoever waits (a client request, a parent query).
 * Attach with resolver_resolve(); detach with query_waiter_cancel() if the
 * waiter goes away first. cb runs exactly once unless cancelled, never
 * from inside resolver_resolve().
 */
struct query_waiter {
	struct query_waiter *next; /* in the query's list */
	struct query *q;           /* borrowed: NULL when not attached */
	query_done_fn *cb;
	void *arg;
};

struct resolver_opts {
	struct iter_opts iter;
	struct deleg_opts deleg;
	struct iter_budget_limits budget;
	uint32_t resolve_timeout_ms;  /* whole question, then SERVFAIL */
	uint32_t upstream_timeout_ms; /* per-try ceiling */
	uint32_t upstream_timeout_min_ms;
	bool use_edns; /* send EDNS0 upstream (servsel may turn it off) */
	bool is_serve_stale;
	/* RFC 8767 s5 client response timer: a client still waiting after
	 * this long gets stale data if the cache has some, while the query
	 * goes on and refreshes the cache. 0: stale data at once. */
	uint32_t client_timeout_ms;
	/* Refresh an entry in the last 10% of its TTL on a hit. */
	bool is_prefetch;
	/* forward-zone: sections; borrowed, must outlive the resolver
	 * (the running configuration's list). NULL: none. */
	const struct config_forward_list *forwards;
};

/* Defaults matching the configuration's defaults. */
void resolver_opts_init(struct resolver_opts *o);

/* Counters of resolution, printed by the control channel. */
struct resolver_stats {
	uint64_t queries_started; /* distinct questions resolved */
	uint64_t aggregated;      /* waiters that joined a running query */
	uint64_t upstream_sent;
	uint64_t upstream_shared; /* sends saved: joined the same question */
	uint64_t upstream_failed; /* timeouts and network errors */
	uint64_t lame;            /* lame, bogus or refusing servers */
	uint64_t referrals;
	uint64_t subqueries;
	uint64_t budget_exhausted;
	uint64_t deadline_expired;
	uint64_t servfail;
	uint64_t out_of_bailiwick; /* records dropped as poisoning attempts */
	uint64_t primes;           /* root priming queries */
	uint64_t stale_served;     /* waiters answered with stale data */
	uint64_t prefetches;       /* background refreshes started */
	uint64_t forwarded;        /* queries sent to a forward zone */
};

/*
 * A resolver: the in-flight table and the borrowed parts it drives. All
 * pointers are borrowed and must outlive the resolver; hints may change
 * (reload) between questions.
 */
struct resolver *resolver_new(struct ev_loop *loop, struct cache *cache,
                              struct upstream *up, struct servsel *servsel,
                              const struct hints *hints,
                              const struct resolver_opts *opts);
/* Fails every query still running (waiters get SERVFAIL) and frees. */
void resolver_free(struct resolver *r);
void resolver_set_opts(struct resolver *r, const struct resolver_opts *o);
void resolver_set_hints(struct resolver *r, const struct hints *hints);
const struct resolver_stats *resolver_get_stats(const struct resolver *r);
/* Questions in flight (for tests and the control channel). */
size_t resolver_inflight(const struct resolver *r);

/*
 * Resolves (qname, qtype, qclass) with RRSIGs if is_do, joining an
 * identical question in flight. w is attached and its callback runs once
 * when done (never before this returns). Returns 0 or -ENOMEM (w not
 * attached; answer SERVFAIL).
 */
int resolver_resolve(struct resolver *r, const ldns_rdf *qname, uint16_t qtype,
                     uint16_t qclass, bool is_do, struct query_waiter *w);

/*
 * Prefetch (RFC 8767 s5 style refresh before expiry): true if a cache hit
 * with ttl_s left of orig_ttl_s is in the last 10% of its TTL and prefetch
 * is on.
 */
bool resolver_should_prefetch(const struct resolver *r, uint32_t ttl_s,
                              uint32_t orig_ttl_s);

/*
 * Starts a background query for (qname, qtype, qclass, is_do) with no
 * waiter, which skips the cached answer and refreshes it. Nothing is
 * started if the question is already in flight. Returns 0 or -ENOMEM.
 */
int resolver_prefetch(struct resolver *r, const ldns_rdf *qname, uint16_t qtype,
                      uint16_t qclass, bool is_do);

/* Detaches w from its query; the query goes on for the others (and to
 * fill the cache). No-op if w is not attached. */
void query_waiter_cancel(struct query_waiter *w);

#endif /* CAIRN_RESOLVER_QUERY_H */
