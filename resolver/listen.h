/*
 * listen.h -- the client-facing sockets of cairnd: UDP and TCP listeners
 * on libev.
 *
 * listen.c receives queries from stub clients and hands each message, as
 * a struct listen_req, to the caller's on_query callback; the caller
 * (ACL, pkt_query_parse, cache, resolver) answers it later with
 * listen_reply() or listen_drop(). Over UDP it reads datagrams in batches
 * (recvmmsg) and replies from the address the query was sent to
 * (IP_PKTINFO / IPV6_RECVPKTINFO on wildcard binds). Over TCP (RFC 7766)
 * it assembles length-prefixed messages across reads, hands pipelined
 * queries on at once (their replies may go out in any order), queues
 * replies without blocking, closes idle connections and limits the number
 * of clients. It does not parse DNS beyond the TCP length prefix, and it
 * does not check ACLs.
 *
 * TCP timeouts (RFC 7766 s6.2.3, RFC 7828): a connection is idle when no
 * query of it is being resolved and no reply waits; it is closed after
 * tcp_idle_ms idle, the value the caller advertises in edns-tcp-keepalive
 * (listen_req.tcp_idle_ms), so the advertised timeout is the one kept. A
 * client that stops reading is no longer read once more than tcp_out_cap
 * reply bytes wait for it, and is closed when its output has not moved
 * for tcp_idle_ms. A zero-length frame closes that connection only.
 *
 * Request lifetime: on_query receives a request that the caller then owns;
 * it must call exactly one of listen_reply() or listen_drop() on it,
 * immediately or later from the loop, and that call frees it. A request
 * stays valid when its TCP connection closes or even after listen_close():
 * its reply is then discarded. The connection and the listener are freed
 * when the last of their requests completes.
 */
#ifndef CAIRN_RESOLVER_LISTEN_H
#define CAIRN_RESOLVER_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct ev_loop;
struct listen;
struct stats;

#define LISTEN_DEFAULT_TCP_IDLE_MS 10000 /* RFC 7766 s6.2.3 suggests 10 s */
#define LISTEN_DEFAULT_TCP_MAX_CLIENTS 256
#define LISTEN_DEFAULT_MAX_UDP_SIZE 1232
#define LISTEN_DEFAULT_TCP_OUT_CAP (256 * 1024)

enum listen_transport { LISTEN_UDP = 0, LISTEN_TCP = 1 };

struct listen_opts {
	/* Addresses to serve on UDP and TCP, with their port; port 0 picks
	 * one ephemeral port for both (tests). borrowed: read during
	 * listen_open only. */
	const struct sockaddr_storage *addrs;
	size_t n_addrs;
	uint32_t tcp_idle_ms;         /* 0: LISTEN_DEFAULT_TCP_IDLE_MS */
	unsigned int tcp_max_clients; /* 0: LISTEN_DEFAULT_TCP_MAX_CLIENTS */
	uint16_t max_udp_size;        /* 0: LISTEN_DEFAULT_MAX_UDP_SIZE */
	size_t tcp_out_cap;  /* a connection stops being read while more
	                        reply bytes wait; 0: the default */
	struct stats *stats; /* borrowed, may be NULL: valid until
	                        listen_close() */
};

/* One query from a client. Fields are read-only for the caller. */
struct listen_req {
	const uint8_t *wire; /* owned by the request: the message */
	size_t len;
	enum listen_transport transport;
	struct sockaddr_storage client;
	socklen_t client_len;
	uint16_t max_udp_size; /* the listener's, for answer_opts */
	uint32_t tcp_idle_ms;  /* the listener's, for edns-tcp-keepalive */
};

/* Called from the loop for each message received; see the lifetime rules
 * above. */
typedef void listen_query_fn(struct listen_req *req, void *arg);

/*
 * Binds every address of opts on UDP and TCP (SO_REUSEADDR; IPv6 sockets
 * IPV6_V6ONLY) and starts their watchers on loop. on_query and arg are
 * kept until listen_close(). On success *out is the listener, owned by the
 * caller. Returns 0, -EINVAL (no address, unknown family) or a negative
 * errno from socket calls; nothing is left open on failure.
 */
int listen_open(struct listen **out, struct ev_loop *loop,
                const struct listen_opts *opts, listen_query_fn *on_query,
                void *arg);

/*
 * Stops and closes every socket and TCP connection. Outstanding requests
 * stay valid (their replies are discarded); the memory goes when the last
 * completes. NULL is a no-op. No callback runs afterwards.
 */
void listen_close(struct listen *l);

/*
 * The address the i-th entry of opts.addrs is bound to, with the port
 * the kernel picked for port 0. Returns 0 or -ENOENT.
 */
int listen_bound_addr(const struct listen *l, size_t i,
                      struct sockaddr_storage *ss, socklen_t *len);

/* TCP connections open now. */
size_t listen_tcp_clients(const struct listen *l);

/*
 * Sends wire[0..len) to the client of req and frees req. The bytes are
 * copied (queued for TCP). Returns 0 if sent or queued, or a negative
 * errno if the reply was discarded (closed connection or listener, UDP
 * send error, len over 65535): the request is freed in every case.
 */
int listen_reply(struct listen_req *req, const uint8_t *wire, size_t len);

/* Frees req without answering. */
void listen_drop(struct listen_req *req);

/*
 * Fills ss from a numeric IPv4 or IPv6 address text and a port.
 * Returns 0 or -EINVAL.
 */
int listen_addr_parse(const char *text, uint16_t port,
                      struct sockaddr_storage *ss);

#endif /* CAIRN_RESOLVER_LISTEN_H */
