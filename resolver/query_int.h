/*
 * query_int.h -- private to the query state machine: struct query, struct
 * resolver and the helpers shared by query.c (driver, states, events),
 * query_cache.c (cache probes, delegations from the cache, hints and
 * forward zones, stale answers), query_inflight.c (identical client
 * questions share a query) and query_share.c (identical upstream
 * questions share an exchange). Nothing outside those files includes it.
 */
#ifndef CAIRN_RESOLVER_QUERY_INT_H
#define CAIRN_RESOLVER_QUERY_INT_H

#include <time.h>

#include <ev.h>

#include "resolver/query.h"
#include "resolver/servsel.h"

struct cache;
struct query_share;
struct upstream_result;

#define INFLIGHT_BUCKETS 1024u
#define SHARE_BUCKETS 1024u
/* Glueless NS lookups a query runs at once (RFC 9156-era resolvers
 * resolve a few in parallel rather than all of them: NXNS). */
#define GLUELESS_PARALLEL 2u
/* Rounds over a delegation's addresses when some timed out: a timeout on
 * a busy or lossy path is not a dead server, and servsel doubles the
 * timeout of the next try (RFC 6298 s5.5). Budgets and the deadline
 * bound the rounds too. */
#define QUERY_MAX_ROUNDS 3u

enum query_state {
	QS_CACHE,
	QS_DELEG,
	QS_PICK,
	QS_SENT,
	QS_RESPONSE,
	QS_WAIT_SUB,
	QS_DONE
};

enum step { STEP_NEXT, STEP_WAIT, STEP_FINISHED };

/* A parent's wait on one sub-query: an NS address lookup or priming. */
struct sub_link {
	struct query_waiter w; /* attached to the sub-query */
	struct query *parent;  /* borrowed: the link dies with it */
	ldns_rdf *ns_name;     /* owned; NULL for the priming query */
	struct sub_link *next; /* in parent->subs */
};

struct query {
	struct resolver *r;              /* borrowed */
	struct query *next_in, *prev_in; /* in the in-flight bucket */
	unsigned bucket;
	const struct query *parent; /* borrowed: first asker, loop checks */
	int depth;

	ldns_rdf *qname; /* owned */
	uint16_t qtype, qclass;
	bool is_do;
	bool is_prime;   /* the root priming query, RFC 8109 */
	bool is_refresh; /* prefetch: skip the cached answer for qname */

	enum query_state state;
	struct query_waiter *waiters;

	/* progress */
	ldns_rdf *sname;         /* owned: name now resolved (after CNAMEs) */
	ldns_rr_list *chain;     /* owned: answer so far */
	ldns_rr_list *authority; /* owned: SOA of a negative answer */
	int rcode;
	int ede_code;
	const char *ede_text;

	struct deleg *dp;      /* owned: servers asked now */
	ldns_rdf *qmin_prev;   /* owned: last minimised name sent to dp */
	bool is_qmin_off;      /* fall back to the full name (relaxed) */
	bool is_prime_waited;  /* priming was tried for this query */
	bool is_forward;       /* dp is a forward zone: RD=1, full names */
	bool has_served_stale; /* the client timer found stale data */
	struct servsel_tried tried;
	unsigned rounds;  /* over dp's addresses, from 1 */
	bool has_timeout; /* some try of this round timed out */
	struct servsel_choice cur;

	ldns_rdf *sent_name; /* owned */
	ldns_rr_type sent_type;
	bool is_sent_minimised;
	bool is_sent_edns;
	/* borrowed: the upstream exchange q waits for (query_share.c);
	 * NULL when none. q leaves it on finish. */
	struct query_share *share;
	struct query *next_share; /* in share's waiters */
	/* The reply is a copy another waiter of the same exchange also
	 * classifies: that one reports about the server and the records. */
	bool is_reply_copy;
	ldns_pkt *reply; /* owned: waiting for QS_RESPONSE */

	struct sub_link *subs;
	size_t n_subs;

	struct iter_budget budget;
	ev_timer kick;         /* starts the machine from the loop */
	ev_timer deadline;     /* resolve_timeout_ms: SERVFAIL */
	ev_timer client_timer; /* client_timeout_ms: stale answer, RFC 8767 */
};

struct resolver {
	struct ev_loop *loop;      /* borrowed */
	struct cache *cache;       /* borrowed, may be NULL */
	struct upstream *up;       /* borrowed */
	struct servsel *servsel;   /* borrowed */
	const struct hints *hints; /* borrowed */
	struct resolver_opts opts;
	struct resolver_stats stats;
	struct query *buckets[INFLIGHT_BUCKETS];
	size_t n_inflight;
	struct query_share *shares[SHARE_BUCKETS]; /* owned */
	size_t n_shares;
	bool is_closing; /* resolver_free() runs: no new queries */
};
/* --- query.c --- */

/* Logs with the query's name, type and depth as prefix (STYLE s11). */
void log_q(const struct query *q, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Ends q with SERVFAIL and the EDE code/text (static); sets QS_DONE. */
enum step query_fail(struct query *q, int ede_code, const char *ede_text);
enum step query_fail_budget(struct query *q);
/* Monotonic milliseconds (server selection) and wall seconds (cache). */
uint64_t query_now_ms(void);
time_t query_now_s(void);
/* Appends deep copies of src's records to *dst (created if NULL). */
int query_append_clones(ldns_rr_list **dst, const ldns_rr_list *src);
/* Replaces *dst by a copy of src (NULL allowed). */
void query_set_name(ldns_rdf **dst, const ldns_rdf *src);

/* --- query_inflight.c --- */

/* The query in flight for (name, type, class, is_do), or NULL. */
struct query *query_inflight_find(struct resolver *r, const ldns_rdf *name,
                                  uint16_t type, uint16_t class, bool is_do);
/* Adds q (its key: qname, qtype, qclass, is_do) to r's table. */
void query_inflight_add(struct resolver *r, struct query *q);
/* Removes q; no-op if it is not in the table. */
void query_inflight_remove(struct resolver *r, struct query *q);

/* An upstream exchange finished for q, one of its waiters: res (its
 * reply, if any, owned by q now) as if q had sent the question. */
void query_on_upstream(struct query *q, struct upstream_result *res);

/* --- query_share.c --- */

/*
 * An exchange q, about to send its question (sent_name, sent_type,
 * qclass, dp->zone, is_do, is_forward) to ch, can wait for instead: the
 * same question in flight to ch's server, or to a server q has not
 * tried. NULL if there is none.
 */
struct query_share *query_share_find(struct resolver *r, const struct query *q,
                                     const struct servsel_choice *ch);
/* q waits for e: it takes e's server as its q->cur, adds it to q->tried,
 * and gets e's result through query_on_upstream(). */
void query_share_join(struct query_share *e, struct query *q);
/*
 * Sends q's question to ch with the upstream flags and timeout, as an
 * exchange others may join; q is its first waiter. Returns 0 or -ENOMEM
 * (nothing sent).
 */
int query_share_send(struct query *q, const struct servsel_choice *ch,
                     unsigned flags, uint32_t timeout_ms);
/* q stops waiting (it is finishing); the exchange is cancelled when no
 * waiter is left. No-op if q waits for nothing. */
void query_share_leave(struct query *q);

/* --- query_cache.c --- */

/* QS_CACHE: answer, negative answer or CNAME links from the cache. */
enum step query_cache_step(struct query *q);
/* Stores what iter_classify() marked for caching. */
void query_cache_result(struct query *q, const struct iter_result *res);
/* Stores a negative answer (RFC 2308) about name (type 0: NXDOMAIN). */
void query_cache_negative(struct query *q, const ldns_rdf *name, uint16_t type,
                          const ldns_rr *soa);
/* The closest delegation the cache holds for q->sname, or NULL. */
struct deleg *query_cache_deleg(struct query *q);
/* The root delegation from the hints, or NULL. */
struct deleg *query_hints_deleg(const struct query *q);
/* The longest forward zone at or above q->sname as a delegation whose
 * servers are the forwarders, or NULL when no forward zone matches. */
struct deleg *query_forward_deleg(const struct query *q);
/* Adds cached addresses for NS names of q->dp that have none. */
void query_cache_fill_deleg(struct query *q);
/*
 * Looks for stale data (RFC 8767) answering q's question: the RRset, or a
 * negative answer. Fills *res (its lists owned by *answer / *authority,
 * which the caller frees with ldns_rr_list_deep_free) and returns true if
 * found.
 */
bool query_cache_stale(const struct query *q, struct query_result *res,
                       ldns_rr_list **answer, ldns_rr_list **authority);

#endif /* CAIRN_RESOLVER_QUERY_INT_H */
