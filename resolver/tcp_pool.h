/*
 * tcp_pool.h -- reused, pipelined TCP connections to authoritative
 * servers (RFC 7766 s6.2), used by upstream.c for TC=1 retries and for
 * servers asked over TCP directly.
 *
 * At most conns_per_server connections per address, dialled lazily
 * (non-blocking connect) and reused by every later query to that address;
 * queries are pipelined up to max_inflight per connection (the rest wait
 * in a per-address queue), each with an ID unique among the connection's
 * in-flight queries, and replies are matched by ID and question in any
 * order (RFC 7766 s7). A connection closes after idle_ms without work
 * (s6.2.3) or on error and is dialled again only on the next need.
 * A server close with queries in flight resends them on a fresh
 * connection; a query loses that chance once it has been lost on a
 * connection that answered nothing at all, so a server that closes after
 * every k answers still gets every query answered (each connection makes
 * progress) while one that accepts and closes cannot loop us. A server that
 * accepts and never answers fails the queries by their deadline, and its
 * connection is dropped once none of its queries is left.
 *
 * The bookkeeping (address map, ID map, queues, retry and idle rules)
 * lives in functions that take no fd and no loop, declared at the end of
 * this header; the socket side drives them and the unit tests exercise
 * them directly. Not thread-safe: one loop.
 */
#ifndef CAIRN_RESOLVER_TCP_POOL_H
#define CAIRN_RESOLVER_TCP_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ev_loop;
struct tcp_pool;
struct tcp_query;
struct tcp_auth;
struct tcp_conn;
struct upstream_stats;
struct upstream_rng;

struct tcp_pool_opts {
	uint32_t idle_ms;            /* close after this long without work */
	uint32_t connect_timeout_ms; /* give up dialling after this */
	unsigned max_inflight;       /* queries in flight per connection */
	unsigned conns_per_server;   /* connections per address */
	size_t max_frame;            /* largest reply accepted (<= 65535) */
	size_t write_cap;            /* bytes queued for writing per conn */
};

/* idle 10 s, connect 3 s, 100 in flight, 1 connection, 65535, 256 KiB. */
void tcp_pool_opts_default(struct tcp_pool_opts *o);

/*
 * The result of one query: rc 0 with the reply (borrowed: valid during
 * the call) and its RTT, or a negative errno with reply NULL:
 * -ETIMEDOUT (deadline, or connect timeout), -ECONNREFUSED,
 * -ECONNRESET (closed by the server, retry spent), -EIO (socket error),
 * -EBADMSG (invalid frame), -EMSGSIZE (frame above max_frame),
 * -ENOBUFS (the server does not read), -ENOMEM.
 * Called once, from the loop, never inside tcp_pool_send(); the query is
 * freed after it returns. The callback may send or cancel other queries.
 */
typedef void tcp_pool_done_fn(void *arg, int rc, const uint8_t *reply,
                              size_t len, uint32_t rtt_ms);

/*
 * A pool on loop (borrowed). opts is copied; stats (borrowed, may be
 * shared with upstream.c) receives the TCP counters; rng (borrowed)
 * chooses query IDs. Both must outlive the pool. NULL on no memory.
 */
struct tcp_pool *tcp_pool_new(struct ev_loop *loop,
                              const struct tcp_pool_opts *opts,
                              struct upstream_stats *stats,
                              struct upstream_rng *rng);

/* Closes every connection and drops every query without calling back. */
void tcp_pool_free(struct tcp_pool *p);

/*
 * Sends the DNS message wire (len bytes, copied; its ID is replaced by
 * one unique on the connection) to server, from source's address if not
 * NULL (its port is ignored), and calls cb once within timeout_ms. Returns the
 * query for tcp_pool_cancel() (valid until cb runs), NULL when out of memory
 * (no callback then).
 */
struct tcp_query *
tcp_pool_send(struct tcp_pool *p, const struct sockaddr_storage *server,
              const struct sockaddr_storage *source, const uint8_t *wire,
              size_t len, uint32_t timeout_ms, tcp_pool_done_fn *cb, void *arg);

/* Drops a pending query without callback. */
void tcp_pool_cancel(struct tcp_query *q);

/* Drops every query without callback and closes every connection,
 * counting them in the statistics; the pool stays usable. */
void tcp_pool_close_all(struct tcp_pool *p);

/* Visits each known address with the connections ever opened to it and
 * those open now. */
typedef void tcp_pool_auth_fn(void *arg, const struct sockaddr_storage *addr,
                              uint64_t conns_opened, unsigned conns_open);
void tcp_pool_foreach_auth(const struct tcp_pool *p, tcp_pool_auth_fn *fn,
                           void *arg);

/* ---- Bookkeeping: no fd, no loop, no clock (now_ms is passed in). ---- */

/* The entry for addr, created if create (NULL if absent or no memory).
 * Borrowed: owned by the pool. */
struct tcp_auth *tcp_pool_auth_get(struct tcp_pool *p,
                                   const struct sockaddr_storage *addr,
                                   bool create);

/* A connection record under a, in the dialling state, not yet with an
 * fd; owned by the pool. NULL on no memory. Counts it as opened. */
struct tcp_conn *tcp_auth_conn_add(struct tcp_auth *a, uint64_t now_ms);

/*
 * Where a new query for a goes: a connection with a free slot (the least
 * loaded, skipping stalled ones), else NULL with *should_dial true if
 * another connection may be opened, false if the query must wait.
 */
struct tcp_conn *tcp_auth_pick(struct tcp_auth *a, bool *should_dial);

/* A query record: wire copied (>= 12 bytes). No timer running yet.
 * Owned by the caller until admitted or queued. NULL on bad input/OOM. */
struct tcp_query *tcp_query_new(struct tcp_pool *p, const uint8_t *wire,
                                size_t len, tcp_pool_done_fn *cb, void *arg);

/* Frees a query not (any more) held by a connection or queue. */
void tcp_query_free(struct tcp_query *q);

/*
 * Puts q in flight on c: gives it an ID unique among c's in-flight
 * queries and queues its frame for writing. Returns 0, -EAGAIN if c is
 * at max_inflight (queue q on the address instead), -ENOBUFS if the
 * write queue is full.
 */
int tcp_conn_admit(struct tcp_conn *c, struct tcp_query *q, uint64_t now_ms);

/* Appends q to a's waiting queue (oldest first). */
void tcp_auth_enqueue(struct tcp_auth *a, struct tcp_query *q);

/* Removes and returns the oldest waiting query of a, or NULL. */
struct tcp_query *tcp_auth_dequeue(struct tcp_auth *a);

/* Queries waiting on a. */
unsigned tcp_auth_queued(const struct tcp_auth *a);

/*
 * The in-flight query reply answers (ID and question), removed from c's
 * in-flight set, or NULL (the reply is ignored). Records the progress
 * and the activity time.
 */
struct tcp_query *tcp_conn_match(struct tcp_conn *c, const uint8_t *reply,
                                 size_t len, uint64_t now_ms);

/* Removes q from whatever connection or queue holds it. */
void tcp_query_detach(struct tcp_query *q);

/*
 * After the server closed c: each in-flight query that may still be
 * retried (c answered something, or the query was not retried before)
 * goes back to the head of the address queue (in order) and is
 * counted in stats->tcp_retried; the others are returned as a list to
 * fail (walk it with tcp_query_next()). c's in-flight set is emptied.
 */
struct tcp_query *tcp_conn_requeue(struct tcp_conn *c);

/* Detaches every in-flight query of c and returns them as a list. */
struct tcp_query *tcp_conn_take_all(struct tcp_conn *c);

/* The next query of a list returned above (detached: owned by caller). */
struct tcp_query *tcp_query_next(const struct tcp_query *q);

/*
 * A query on c passed its deadline: detach it and note whether c
 * answered anything since the query was sent; if not, c is stalled (no
 * new queries) and tcp_conn_should_close() becomes true once empty.
 */
void tcp_conn_on_timeout(struct tcp_conn *c, struct tcp_query *q);

/* True if c is stalled and has nothing left in flight. */
bool tcp_conn_should_close(const struct tcp_conn *c);

/* The time c becomes idle-closable: last activity plus idle_ms, or
 * UINT64_MAX while it has queries in flight or bytes to write. */
uint64_t tcp_conn_idle_deadline(const struct tcp_conn *c);

/* Records activity on c (a write, a new query) at now_ms. */
void tcp_conn_touch(struct tcp_conn *c, uint64_t now_ms);

unsigned tcp_conn_inflight(const struct tcp_conn *c);
unsigned tcp_auth_conns(const struct tcp_auth *a);
uint16_t tcp_query_id(const struct tcp_query *q);
bool tcp_query_is_retried(const struct tcp_query *q);

#endif /* CAIRN_RESOLVER_TCP_POOL_H */
