/*
 * upstream.h -- the resolver's transport to authoritative servers.
 *
 * query.c asks one question of one server address and gets back exactly
 * one result: a parsed reply or a failure code. This module owns the
 * transport policy (STYLE s5): a fresh connected UDP socket per query on a
 * kernel-chosen random source port, an unpredictable query ID, EDNS0
 * (RFC 6891) with a configurable buffer size, optional 0x20 case
 * randomisation, strict reply matching (address, port, ID, question:
 * anything else is ignored and counted as a spoof attempt), and TC=1
 * handled by resending over TCP through tcp_pool (RFC 7766 s5); the
 * caller never sees a truncated reply. It does not choose servers or keep
 * RTT estimates (servsel.c does): it reports each RTT and timeout through
 * an optional callback.
 */
#ifndef CAIRN_RESOLVER_UPSTREAM_H
#define CAIRN_RESOLVER_UPSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

struct ev_loop;
struct tcp_pool;
struct upstream;
struct upstream_req;

#define UPSTREAM_EDNS_BUFSIZE_DEFAULT 1232 /* DNS flag day 2020 */

/* Filled by the caller (services.c); upstream_opts_default() first. */
struct upstream_opts {
	uint16_t edns_bufsize;           /* advertised UDP payload size */
	uint32_t tcp_idle_ms;            /* RFC 7766 s6.2.3 idle close */
	uint32_t connect_timeout_ms;     /* TCP connect deadline */
	uint32_t tcp_timeout_min_ms;     /* floor of a TCP exchange deadline */
	unsigned max_inflight_per_conn;  /* beyond this, queries queue */
	unsigned conns_per_server;       /* TCP connections per address */
	bool use_0x20;                   /* randomise qname case on UDP */
	struct sockaddr_storage source4; /* AF_UNSPEC: kernel's choice */
	struct sockaddr_storage source6; /* AF_UNSPEC: kernel's choice */
};

/* Defaults: EDNS 1232, idle 10 s, connect 3 s, TCP exchange at least
 * 1 s, 100 in flight per connection, 1 connection per server, no 0x20,
 * no source address. */
void upstream_opts_default(struct upstream_opts *o);

/* Flags for upstream_query(). RD is always 0 unless UPSTREAM_F_RD. */
enum upstream_flag {
	UPSTREAM_F_EDNS = 1 << 0, /* add an OPT record */
	UPSTREAM_F_DO = 1 << 1,   /* DNSSEC OK (implies UPSTREAM_F_EDNS) */
	UPSTREAM_F_CD = 1 << 2,   /* checking disabled */
	UPSTREAM_F_RD = 1 << 3,   /* recursion desired (forwarding only) */
	UPSTREAM_F_TCP = 1 << 4   /* skip UDP: the server truncated recently */
};

enum upstream_transport { UPSTREAM_UDP, UPSTREAM_TCP };

enum upstream_status {
	UPSTREAM_OK = 0,
	UPSTREAM_TIMEOUT,   /* no acceptable reply before the deadline */
	UPSTREAM_NETERR,    /* send/receive error, connection reset */
	UPSTREAM_REFUSED,   /* connection or port refused (ICMP/RST) */
	UPSTREAM_MALFORMED, /* matching reply that ldns cannot parse, bad frame
	                     */
	UPSTREAM_TOO_LARGE, /* frame above the cap, or query cannot be built */
	UPSTREAM_NOMEM
};

const char *upstream_status_str(enum upstream_status s);
const char *upstream_transport_str(enum upstream_transport t);

struct upstream_result {
	enum upstream_status status;
	ldns_pkt *reply;  /* owned by the callback when status is OK: it must
	                     ldns_pkt_free() it or keep it; NULL otherwise */
	size_t wire_size; /* bytes of the reply on the wire */
	uint32_t rtt_ms;  /* send to reply (or to failure) */
	enum upstream_transport transport; /* the one that answered/failed */
	const struct sockaddr_storage *server; /* borrowed: during the call */
};

/*
 * Called exactly once per request not cancelled, from the loop, never
 * from inside upstream_query(). The request is freed after it returns.
 * It may start or cancel other requests, but not free the upstream.
 */
typedef void upstream_done_fn(void *arg, struct upstream_result *res);

/*
 * Told about every exchange for server selection (servsel.c): an RTT, or
 * is_timeout when the server did not answer in time (penalise it).
 */
typedef void upstream_rtt_fn(void *arg, const struct sockaddr_storage *server,
                             enum upstream_transport t, uint32_t rtt_ms,
                             bool is_timeout);

/*
 * Told when a server truncated a UDP reply (TC=1), before the question
 * is asked again over TCP, so server selection can send it the next
 * queries over TCP directly (servsel_report_truncated()).
 */
typedef void upstream_tc_fn(void *arg, const struct sockaddr_storage *server);

/* Counters; printed by the control channel and upstream_stats_log(). */
struct upstream_stats {
	uint64_t udp_sent;         /* UDP queries sent */
	uint64_t udp_replies;      /* accepted UDP replies (TC included) */
	uint64_t udp_truncated;    /* UDP replies with TC=1 */
	uint64_t spoofed;          /* mismatched replies ignored */
	uint64_t udp_timeouts;     /* UDP queries timed out */
	uint64_t tcp_timeouts;     /* TCP queries timed out */
	uint64_t tcp_sent;         /* TCP queries written (retries too) */
	uint64_t tcp_replies;      /* matched TCP replies */
	uint64_t tcp_truncated;    /* TCP replies with TC=1: too large */
	uint64_t tcp_conns_opened; /* TCP connections dialled */
	uint64_t tcp_conns_closed; /* ... and closed */
	uint64_t tcp_conn_failed;  /* connect refused or timed out */
	uint64_t tcp_retried;      /* queries resent after a server close */
	uint64_t tcp_conn_queries_total; /* queries answered on closed conns */
	uint64_t tcp_conn_queries_max;   /* most answered on one connection */
	uint64_t tcp_conn_age_ms_total;  /* summed age at close */
	uint64_t tcp_conn_age_ms_max;
	uint64_t udp_rtt_ms_total, udp_rtt_count; /* latency of replies */
	uint64_t tcp_rtt_ms_total, tcp_rtt_count;
};

/*
 * Query IDs and 0x20 bits come from here: getrandom(2) by default, or a
 * deterministic sequence after upstream_rng_seed() (tests only).
 */
struct upstream_rng {
	uint64_t state;   /* seeded generator state */
	bool is_seeded;   /* false: getrandom() */
	uint8_t pool[64]; /* buffered getrandom() output */
	size_t pool_left; /* unread bytes at the end of pool */
};

void upstream_rng_init(struct upstream_rng *r);
void upstream_rng_seed(struct upstream_rng *r, uint64_t seed);
uint16_t upstream_rng_u16(struct upstream_rng *r);

/*
 * Creates the transport on loop (borrowed: must outlive it). opts is
 * copied. Returns NULL when out of memory.
 */
struct upstream *upstream_new(struct ev_loop *loop,
                              const struct upstream_opts *opts);

/*
 * Cancels every pending request without calling back, closes all
 * sockets (counting TCP connections as closed) and frees u. NULL is a
 * no-op.
 */
void upstream_free(struct upstream *u);

/*
 * Cancels every pending request without calling back and closes every
 * TCP connection (counted as closed, so the per-connection figures cover
 * them); u stays usable. At exit: upstream_drain(), upstream_stats_log(),
 * upstream_free().
 */
void upstream_drain(struct upstream *u);

/* Installs the RTT/timeout report (cb may be NULL; arg borrowed). */
void upstream_set_rtt_cb(struct upstream *u, upstream_rtt_fn *cb, void *arg);

/* Installs the truncation report (cb may be NULL; arg borrowed). */
void upstream_set_tc_cb(struct upstream *u, upstream_tc_fn *cb, void *arg);

/* The RNG used for IDs, e.g. to seed it in tests. Borrowed. */
struct upstream_rng *upstream_rng(struct upstream *u);

/*
 * Sends qname/qtype/qclass to server (port included) and calls cb(arg,
 * result) once, later, from the loop. qname is borrowed (copied here).
 * flags: enum upstream_flag. timeout_ms bounds the UDP exchange; the
 * TCP one (after TC=1, or with UPSTREAM_F_TCP) gets 2 * timeout_ms from
 * its start, for the handshake and the exchange, and at least
 * opts.tcp_timeout_min_ms. Returns a handle for
 * upstream_cancel() (valid until cb runs), or NULL when out of memory
 * (no callback then). Failures at send time arrive through cb.
 */
struct upstream_req *upstream_query(struct upstream *u,
                                    const struct sockaddr_storage *server,
                                    const ldns_rdf *qname, ldns_rr_type qtype,
                                    ldns_rr_class qclass, unsigned flags,
                                    uint32_t timeout_ms, upstream_done_fn *cb,
                                    void *arg);

/* Drops a pending request: no callback; its sockets are released. */
void upstream_cancel(struct upstream_req *req);

/* Counters (borrowed: valid while u lives). */
const struct upstream_stats *upstream_get_stats(const struct upstream *u);

/* Logs the counters and the per-address TCP connection list (at exit).
 * Per-connection figures (queries, age) cover closed connections. */
void upstream_stats_log(const struct upstream *u);

/* The TCP pool, for tcp_pool_foreach_auth() (control channel). Borrowed:
 * valid while u lives. */
const struct tcp_pool *upstream_tcp_pool(const struct upstream *u);

/*
 * True if reply answers query, both in wire format: same ID, QR set,
 * one question equal to the query's (type, class, and the name compared
 * case-insensitively, or byte for byte when exact_case, for 0x20); or,
 * with the same ID and QR, a bare 12-byte error header (rcode other than
 * NOERROR/NXDOMAIN, all counts 0), as EDNS-intolerant servers send.
 * Pure; shared with tcp_pool.c.
 */
bool upstream_reply_matches(const uint8_t *reply, size_t reply_len,
                            const uint8_t *query, size_t query_len,
                            bool exact_case);

/* Bytes of the longest query upstream_query_wire() writes: header, a
 * name of at most 255 bytes, type and class, an OPT record without
 * options. */
#define UPSTREAM_QUERY_MAX (12 + 255 + 4 + 11)

/*
 * Writes into buf (UPSTREAM_QUERY_MAX bytes) the query that
 * upstream_query() sends: ID id, opcode QUERY, RD and CD from flags, one
 * question qname (qname_len bytes, an uncompressed wire name as an ldns
 * dname holds it), qtype, qclass, and, when flags has UPSTREAM_F_EDNS or
 * UPSTREAM_F_DO, an OPT record with payload size edns_bufsize, version 0
 * and the DO bit from UPSTREAM_F_DO. Returns its length, or 0 when qname
 * is not one valid wire name of qname_len bytes. Pure.
 */
size_t upstream_query_wire(uint8_t *buf, const uint8_t *qname, size_t qname_len,
                           uint16_t qtype, uint16_t qclass, uint16_t id,
                           unsigned flags, uint16_t edns_bufsize);

/* Socket address helpers (pure). Equal means same family, address and
 * port; _len is the sockaddr length of its family (0 if unknown). */
bool upstream_addr_equal(const struct sockaddr_storage *a,
                         const struct sockaddr_storage *b);
socklen_t upstream_addr_len(const struct sockaddr_storage *a);
/* "192.0.2.1#53" or "2001:db8::1#53" into buf (always terminated). */
void upstream_addr_str(const struct sockaddr_storage *a, char *buf, size_t len);

#endif /* CAIRN_RESOLVER_UPSTREAM_H */
