/*
 * upstream.c -- queries to authoritative servers over UDP, with TC=1 and
 * "TCP wanted" handed to tcp_pool.c.
 */
#include "config.h"
#include "resolver/upstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#ifdef HAVE_GETRANDOM
#include <sys/random.h>
#endif

#include <ev.h>

#include "dns/pkt.h"
#include "resolver/tcp_pool.h"
#include "util/log.h"
#include "util/util.h"

#define DNS_HEADER_LEN 12u
#define DNS_FLAG_QR 0x80u /* byte 2 */
#define DNS_FLAG_TC 0x02u /* byte 2 */
#define DNS_FLAG_RD 0x01u /* byte 2 */
#define DNS_FLAG_CD 0x10u /* byte 3 */
/* Datagrams read per readiness event before yielding to the loop. */
#define RECVS_PER_EVENT 16

struct upstream {
	struct ev_loop *loop; /* borrowed */
	struct upstream_opts opts;
	struct upstream_stats stats;
	struct upstream_rng rng;
	struct tcp_pool *pool;     /* owned */
	struct upstream_req *reqs; /* owned: pending requests */
	upstream_rtt_fn *rtt_cb;
	void *rtt_arg; /* borrowed */
	upstream_tc_fn *tc_cb;
	void *tc_arg; /* borrowed */
	uint8_t rbuf[65536];
};

struct upstream_req {
	struct upstream_req *prev, *next; /* in u->reqs */
	struct upstream *u;               /* borrowed */
	struct sockaddr_storage server;
	uint8_t wire[UPSTREAM_QUERY_MAX]; /* the query as sent */
	size_t len;
	int fd;               /* UDP socket, -1 when none */
	struct tcp_query *tq; /* borrowed: pending TCP query */
	enum upstream_transport transport;
	enum upstream_status fail; /* set: failure due from the timer */
	uint64_t sent_ms;          /* UDP send time */
	uint32_t timeout_ms;       /* for one exchange, as the caller gave it */
	ev_io io;
	ev_timer timer; /* deadline, or zero delay for a send failure */
	upstream_done_fn *cb;
	void *arg;
};

void
upstream_opts_default(struct upstream_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->edns_bufsize = UPSTREAM_EDNS_BUFSIZE_DEFAULT;
	o->tcp_idle_ms = 10000;
	o->connect_timeout_ms = 3000;
	o->tcp_timeout_min_ms = 1000;
	o->max_inflight_per_conn = 100;
	o->conns_per_server = 1;
	o->source4.ss_family = AF_UNSPEC;
	o->source6.ss_family = AF_UNSPEC;
}

const char *
upstream_status_str(enum upstream_status s)
{
	switch (s) {
	case UPSTREAM_OK: return "ok";
	case UPSTREAM_TIMEOUT: return "timeout";
	case UPSTREAM_NETERR: return "network error";
	case UPSTREAM_REFUSED: return "connection refused";
	case UPSTREAM_MALFORMED: return "malformed reply";
	case UPSTREAM_TOO_LARGE: return "too large";
	case UPSTREAM_NOMEM: return "out of memory";
	}
	return "unknown";
}

const char *
upstream_transport_str(enum upstream_transport t)
{
	return t == UPSTREAM_TCP ? "tcp" : "udp";
}

/* ---- random numbers ---- */

static void
rng_refill(struct upstream_rng *r)
{
	size_t got = 0;
	ssize_t n;

#ifdef HAVE_GETRANDOM
	while (got < sizeof(r->pool)) {
		n = getrandom(r->pool + got, sizeof(r->pool) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
#endif
	if (got < sizeof(r->pool)) {
		/* the kernel CSPRNG is always there on Linux >= 3.17; this
		 * only keeps IDs varied if it is not */
		int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

		if (fd >= 0) {
			while (got < sizeof(r->pool) &&
			       (n = read(fd, r->pool + got,
			                 sizeof(r->pool) - got)) > 0)
				got += (size_t)n;
			close(fd);
		}
	}
	if (got < sizeof(r->pool)) {
		log_err("no randomness for query IDs");
		abort(); /* predictable IDs would invite spoofing */
	}
	r->pool_left = sizeof(r->pool);
}

void
upstream_rng_init(struct upstream_rng *r)
{
	memset(r, 0, sizeof(*r));
	rng_refill(r); /* at startup: fail there, not mid-flight */
}

void
upstream_rng_seed(struct upstream_rng *r, uint64_t seed)
{
	memset(r, 0, sizeof(*r));
	r->state = seed;
	r->is_seeded = true;
}

static uint64_t
splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

uint16_t
upstream_rng_u16(struct upstream_rng *r)
{
	uint16_t v;

	if (r->is_seeded)
		return (uint16_t)splitmix64(&r->state);
	if (r->pool_left < 2)
		rng_refill(r);
	r->pool_left -= 2;
	memcpy(&v, r->pool + r->pool_left, 2);
	memset(r->pool + r->pool_left, 0, 2); /* never reuse a value */
	return v;
}

/* ---- addresses ---- */

socklen_t
upstream_addr_len(const struct sockaddr_storage *a)
{
	switch (a->ss_family) {
	case AF_INET: return sizeof(struct sockaddr_in);
	case AF_INET6: return sizeof(struct sockaddr_in6);
	default: return 0;
	}
}

bool
upstream_addr_equal(const struct sockaddr_storage *a,
                    const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const struct sockaddr_in *)a;
		const struct sockaddr_in *y = (const struct sockaddr_in *)b;

		return x->sin_port == y->sin_port &&
		       x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const struct sockaddr_in6 *)a;
		const struct sockaddr_in6 *y = (const struct sockaddr_in6 *)b;

		return x->sin6_port == y->sin6_port &&
		       x->sin6_scope_id == y->sin6_scope_id &&
		       memcmp(&x->sin6_addr, &y->sin6_addr,
		              sizeof(x->sin6_addr)) == 0;
	}
	return false;
}

void
upstream_addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;

		inet_ntop(AF_INET, &s->sin_addr, host, sizeof(host));
		port = ntohs(s->sin_port);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;

		inet_ntop(AF_INET6, &s->sin6_addr, host, sizeof(host));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s#%u", host, port);
}

/* ---- reply matching (pure) ---- */

/* Length of the uncompressed name at wire[off], or 0 if invalid or
 * compressed (a question name never needs a pointer). */
static size_t
name_len(const uint8_t *wire, size_t len, size_t off)
{
	size_t start = off;

	while (off < len) {
		uint8_t l = wire[off];

		if (l == 0)
			return off + 1 - start;
		if (l > 63)
			return 0;
		off += 1u + l;
	}
	return 0;
}

static bool
names_equal(const uint8_t *a, const uint8_t *b, size_t n, bool exact_case)
{
	size_t i;

	if (exact_case)
		return memcmp(a, b, n) == 0;
	/* label length bytes are <= 63, never letters, so one pass works */
	for (i = 0; i < n; i++) {
		uint8_t x = a[i], y = b[i];

		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x + 32);
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y + 32);
		if (x != y)
			return false;
	}
	return true;
}

/*
 * An error reply without question and without records: some servers
 * answer FORMERR (EDNS intolerance), NOTIMP or REFUSED so. It carries no
 * data to poison a cache with, and the caller must see it to fall back.
 */
static bool
is_bare_error(const uint8_t *reply, size_t len)
{
	unsigned rcode = reply[3] & 0x0fu;
	size_t i;

	if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)
		return false;
	for (i = 4; i < DNS_HEADER_LEN; i++)
		if (reply[i] != 0)
			return false; /* QD, AN, NS and AR counts all zero */
	return len == DNS_HEADER_LEN;
}

bool
upstream_reply_matches(const uint8_t *reply, size_t reply_len,
                       const uint8_t *query, size_t query_len, bool exact_case)
{
	size_t qn, rn;

	if (reply_len < DNS_HEADER_LEN || query_len < DNS_HEADER_LEN)
		return false;
	if (reply[0] != query[0] || reply[1] != query[1])
		return false;
	if (!(reply[2] & DNS_FLAG_QR))
		return false;
	if (is_bare_error(reply, reply_len))
		return true;
	/* RFC 1035 s4.1.1: exactly one question, echoed */
	if (reply[4] != 0 || reply[5] != 1)
		return false;
	qn = name_len(query, query_len, DNS_HEADER_LEN);
	rn = name_len(reply, reply_len, DNS_HEADER_LEN);
	if (qn == 0 || qn != rn || DNS_HEADER_LEN + qn + 4 > reply_len ||
	    DNS_HEADER_LEN + qn + 4 > query_len)
		return false;
	if (!names_equal(reply + DNS_HEADER_LEN, query + DNS_HEADER_LEN, qn,
	                 exact_case))
		return false;
	return memcmp(reply + DNS_HEADER_LEN + qn, query + DNS_HEADER_LEN + qn,
	              4) == 0; /* type and class */
}

/* ---- requests ---- */

static uint64_t
now_ms(const struct upstream *u)
{
	return (uint64_t)(ev_now(u->loop) * 1000.0);
}

static void
req_release_udp(struct upstream_req *r)
{
	ev_io_stop(r->u->loop, &r->io);
	if (r->fd >= 0) {
		close(r->fd);
		r->fd = -1;
	}
}

static void
req_free(struct upstream_req *r)
{
	struct upstream *u = r->u;

	req_release_udp(r);
	ev_timer_stop(u->loop, &r->timer);
	if (r->tq != NULL)
		tcp_pool_cancel(r->tq);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		u->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	free(r);
}

static void
report_rtt(struct upstream_req *r, uint32_t rtt_ms, bool is_timeout)
{
	struct upstream *u = r->u;

	if (u->rtt_cb != NULL)
		u->rtt_cb(u->rtt_arg, &r->server, r->transport, rtt_ms,
		          is_timeout);
}

/* Calls back once and frees r. reply: ownership passes to the callback. */
static void
req_finish(struct upstream_req *r, enum upstream_status st, ldns_pkt *reply,
           size_t wire_size, uint32_t rtt_ms)
{
	struct upstream_result res = {
	    .status = st,
	    .reply = reply,
	    .wire_size = wire_size,
	    .rtt_ms = rtt_ms,
	    .transport = r->transport,
	    .server = &r->server,
	};

	if (st != UPSTREAM_OK && log_enabled(VERB_QUERY)) {
		char buf[64];

		upstream_addr_str(&r->server, buf, sizeof(buf));
		log_verb(VERB_QUERY, "upstream %s over %s: %s", buf,
		         upstream_transport_str(r->transport),
		         upstream_status_str(st));
	}
	r->cb(r->arg, &res);
	req_free(r);
}

/* Schedules a failure from the loop (never call back from the start). */
static void
req_fail_async(struct upstream_req *r, enum upstream_status st)
{
	req_release_udp(r);
	r->fail = st;
	ev_timer_stop(r->u->loop, &r->timer);
	ev_timer_set(&r->timer, 0., 0.);
	ev_timer_start(r->u->loop, &r->timer);
}

static enum upstream_status
status_from_errno(int err)
{
	switch (err) {
	case ECONNREFUSED: return UPSTREAM_REFUSED;
	case ETIMEDOUT: return UPSTREAM_TIMEOUT;
	case EBADMSG: return UPSTREAM_MALFORMED;
	case EMSGSIZE: return UPSTREAM_TOO_LARGE;
	case ENOMEM: return UPSTREAM_NOMEM;
	default: return UPSTREAM_NETERR;
	}
}

/* The reply as an ldns packet (the caller owns it), or NULL when it is
 * malformed: its structure is checked first because ldns loses memory on
 * some hostile replies (dns/pkt.h, pkt_reply_is_sane). */
static ldns_pkt *
reply_parse(const uint8_t *wire, size_t len)
{
	ldns_pkt *pkt = NULL;

	if (!pkt_reply_is_sane(wire, len) ||
	    ldns_wire2pkt(&pkt, wire, len) != LDNS_STATUS_OK)
		return NULL;
	return pkt;
}

static void
req_on_tcp(void *arg, int rc, const uint8_t *reply, size_t len, uint32_t rtt_ms)
{
	struct upstream_req *r = arg;
	ldns_pkt *pkt = NULL;

	r->tq = NULL; /* the pool frees it after we return */
	if (rc < 0) {
		report_rtt(r, rtt_ms, true);
		req_finish(r, status_from_errno(-rc), NULL, 0, rtt_ms);
		return;
	}
	report_rtt(r, rtt_ms, false);
	if (len > 2 && (reply[2] & DNS_FLAG_TC)) {
		/* RFC 7766 s8: TC over TCP means the answer does not fit in
		 * 65535 bytes; it is incomplete, never an answer to cache */
		r->u->stats.tcp_truncated++;
		req_finish(r, UPSTREAM_TOO_LARGE, NULL, len, rtt_ms);
		return;
	}
	if ((pkt = reply_parse(reply, len)) == NULL) {
		req_finish(r, UPSTREAM_MALFORMED, NULL, len, rtt_ms);
		return;
	}
	req_finish(r, UPSTREAM_OK, pkt, len, rtt_ms);
}

/*
 * Sends r over TCP. The TCP leg gets a deadline of its own, twice the
 * exchange timeout: a handshake and an exchange (RFC 7766 s6.2.1), to a
 * server that has just answered; and a floor, since a UDP timeout comes
 * from RTTs of a few ms on a near server while a TCP timeout costs more
 * than a UDP one: the query fails and the connection, stalled, is
 * replaced. Left with what remained of the UDP timeout, TCP legs timed
 * out under load with the answers on their way. The caller's resolution
 * deadline still bounds the whole.
 */
static void
req_start_tcp(struct upstream_req *r)
{
	struct upstream *u = r->u;
	const struct sockaddr_storage *src = r->server.ss_family == AF_INET6
	                                         ? &u->opts.source6
	                                         : &u->opts.source4;
	uint32_t left =
	    r->timeout_ms > UINT32_MAX / 2 ? UINT32_MAX : 2 * r->timeout_ms;

	left = MAX(left, u->opts.tcp_timeout_min_ms);

	req_release_udp(r);
	ev_timer_stop(u->loop, &r->timer); /* the pool keeps the deadline */
	r->transport = UPSTREAM_TCP;
	r->tq = tcp_pool_send(u->pool, &r->server,
	                      src->ss_family == AF_UNSPEC ? NULL : src, r->wire,
	                      r->len, left, req_on_tcp, r);
	if (r->tq == NULL)
		req_fail_async(r, UPSTREAM_NOMEM);
}

static int
udp_open(struct upstream_req *r)
{
	const struct upstream_opts *o = &r->u->opts;
	const struct sockaddr_storage *src =
	    r->server.ss_family == AF_INET6 ? &o->source6 : &o->source4;
	struct sockaddr_storage bind_to;
	int fd;

	fd = socket(r->server.ss_family,
	            SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r->fd = fd;
	if (src->ss_family == r->server.ss_family) {
		/* port 0: Linux picks a random ephemeral port (RFC 5452 s9.2)
		 */
		bind_to = *src;
		if (bind_to.ss_family == AF_INET)
			((struct sockaddr_in *)&bind_to)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&bind_to)->sin6_port = 0;
		if (bind(fd, (struct sockaddr *)&bind_to,
		         upstream_addr_len(&bind_to)) < 0)
			return -errno;
	}
	/* connect() binds a random ephemeral port if not yet bound, and
	 * makes the kernel drop datagrams from other addresses */
	if (connect(fd, (const struct sockaddr *)&r->server,
	            upstream_addr_len(&r->server)) < 0)
		return -errno;
	return 0;
}

static void req_io_cb(struct ev_loop *loop, ev_io *w, int revents);

static void
req_start_udp(struct upstream_req *r)
{
	struct upstream *u = r->u;
	int rc;

	if ((rc = udp_open(r)) < 0) {
		req_fail_async(r, rc == -ECONNREFUSED ? UPSTREAM_REFUSED
		                                      : UPSTREAM_NETERR);
		return;
	}
	if (send(r->fd, r->wire, r->len, 0) < 0) {
		req_fail_async(r, errno == ECONNREFUSED ? UPSTREAM_REFUSED
		                                        : UPSTREAM_NETERR);
		return;
	}
	u->stats.udp_sent++;
	r->sent_ms = now_ms(u);
	ev_io_init(&r->io, req_io_cb, r->fd, EV_READ);
	ev_io_start(u->loop, &r->io);
}

/* Handles one accepted datagram. */
static void
req_on_udp_reply(struct upstream_req *r, const uint8_t *buf, size_t n)
{
	struct upstream *u = r->u;
	uint64_t now = now_ms(u);
	uint32_t rtt = now > r->sent_ms ? (uint32_t)(now - r->sent_ms) : 0;
	ldns_pkt *pkt = NULL;

	u->stats.udp_replies++;
	u->stats.udp_rtt_ms_total += rtt;
	u->stats.udp_rtt_count++;
	report_rtt(r, rtt, false);
	if (buf[2] & DNS_FLAG_TC) {
		/* RFC 7766 s5: a truncated reply is discarded and the
		 * question asked again over TCP, same server */
		u->stats.udp_truncated++;
		if (u->tc_cb != NULL)
			u->tc_cb(u->tc_arg, &r->server);
		req_start_tcp(r);
		return;
	}
	if ((pkt = reply_parse(buf, n)) == NULL) {
		req_finish(r, UPSTREAM_MALFORMED, NULL, n, rtt);
		return;
	}
	req_finish(r, UPSTREAM_OK, pkt, n, rtt);
}

static void
req_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct upstream_req *r = container_of(w, struct upstream_req, io);
	struct upstream *u = r->u;
	struct sockaddr_storage from;
	socklen_t flen;
	ssize_t n;
	int i;

	UNUSED(loop);
	UNUSED(revents);
	for (i = 0; i < RECVS_PER_EVENT; i++) {
		flen = sizeof(from);
		n = recvfrom(r->fd, u->rbuf, sizeof(u->rbuf), 0,
		             (struct sockaddr *)&from, &flen);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			/* ICMP port unreachable arrives as ECONNREFUSED on a
			 * connected socket */
			enum upstream_status st = errno == ECONNREFUSED
			                              ? UPSTREAM_REFUSED
			                              : UPSTREAM_NETERR;

			report_rtt(r, 0, true);
			req_finish(r, st, NULL, 0, 0);
			return;
		}
		/* RFC 5452 s9.1: address, port, ID and question must match;
		 * anything else may be a spoof attempt: ignore, keep
		 * waiting */
		if (!upstream_addr_equal(&from, &r->server) ||
		    !upstream_reply_matches(u->rbuf, (size_t)n, r->wire, r->len,
		                            u->opts.use_0x20)) {
			u->stats.spoofed++;
			continue;
		}
		req_on_udp_reply(r, u->rbuf, (size_t)n);
		return;
	}
}

static void
req_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct upstream_req *r = container_of(w, struct upstream_req, timer);
	uint64_t now = now_ms(r->u);

	UNUSED(loop);
	UNUSED(revents);
	if (r->fail != UPSTREAM_OK) {
		report_rtt(r, 0, true);
		req_finish(r, r->fail, NULL, 0, 0);
		return;
	}
	r->u->stats.udp_timeouts++;
	report_rtt(r, now > r->sent_ms ? (uint32_t)(now - r->sent_ms) : 0,
	           true);
	req_finish(r, UPSTREAM_TIMEOUT, NULL, 0,
	           now > r->sent_ms ? (uint32_t)(now - r->sent_ms) : 0);
}

/* Randomises the case of the letters of a wire name (0x20 bits,
 * draft-vixie-dnsext-dns0x20). */
static void
randomise_case(struct upstream_rng *rng, uint8_t *name, size_t len)
{
	size_t i, next_label = 0;
	uint16_t bits = 0;
	unsigned nbits = 0;

	for (i = 0; i < len; i++) {
		uint8_t c = name[i];

		if (i == next_label) {
			next_label = i + 1u + c;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')))
			continue;
		if (nbits == 0) {
			bits = upstream_rng_u16(rng);
			nbits = 16;
		}
		name[i] = (uint8_t)((bits & 1) ? (c | 0x20) : (c & ~0x20));
		bits >>= 1;
		nbits--;
	}
}

static void
put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* True if name is exactly one uncompressed wire name of len bytes, at
 * most 255 (RFC 1035 s3.1). */
static bool
is_wire_name(const uint8_t *name, size_t len)
{
	return len >= 1 && len <= 255 && name_len(name, len, 0) == len;
}

size_t
upstream_query_wire(uint8_t *buf, const uint8_t *qname, size_t qname_len,
                    uint16_t qtype, uint16_t qclass, uint16_t id,
                    unsigned flags, uint16_t edns_bufsize)
{
	bool has_opt = (flags & (UPSTREAM_F_EDNS | UPSTREAM_F_DO)) != 0;
	uint8_t *p = buf;

	if (!is_wire_name(qname, qname_len))
		return 0;
	/* RFC 1035 s4.1.1: QR 0, opcode QUERY, AA, TC, RA, Z, AD 0 */
	memset(p, 0, DNS_HEADER_LEN);
	put_u16(p, id);
	if (flags & UPSTREAM_F_RD)
		p[2] |= DNS_FLAG_RD;
	if (flags & UPSTREAM_F_CD)
		p[3] |= DNS_FLAG_CD;
	p[5] = 1;                /* QDCOUNT */
	p[11] = has_opt ? 1 : 0; /* ARCOUNT */
	p += DNS_HEADER_LEN;
	memcpy(p, qname, qname_len);
	p += qname_len;
	put_u16(p, qtype);
	put_u16(p + 2, qclass);
	p += 4;
	if (has_opt) {
		/* RFC 6891 s6.1.2: root owner, type OPT, CLASS the payload
		 * size we can reassemble (s6.2.5), TTL extended RCODE 0,
		 * version 0 and the DO bit, no options */
		p[0] = 0;
		put_u16(p + 1, LDNS_RR_TYPE_OPT);
		put_u16(p + 3, edns_bufsize);
		p[5] = 0;
		p[6] = 0;
		put_u16(p + 7, (flags & UPSTREAM_F_DO) ? 0x8000u : 0);
		put_u16(p + 9, 0);
		p += 11;
	}
	return (size_t)(p - buf);
}

/* The query in r->wire, its name case randomised for 0x20 over UDP. */
static int
build_query(struct upstream *u, struct upstream_req *r, const ldns_rdf *qname,
            ldns_rr_type qtype, ldns_rr_class qclass, unsigned flags)
{
	size_t nlen = ldns_rdf_size(qname);

	r->len = upstream_query_wire(r->wire, ldns_rdf_data(qname), nlen,
	                             (uint16_t)qtype, (uint16_t)qclass, 0,
	                             flags, u->opts.edns_bufsize);
	if (r->len == 0)
		return -EINVAL;
	if (u->opts.use_0x20 && !(flags & UPSTREAM_F_TCP))
		randomise_case(&u->rng, r->wire + DNS_HEADER_LEN, nlen);
	put_u16(r->wire, upstream_rng_u16(&u->rng));
	return 0;
}

struct upstream_req *
upstream_query(struct upstream *u, const struct sockaddr_storage *server,
               const ldns_rdf *qname, ldns_rr_type qtype, ldns_rr_class qclass,
               unsigned flags, uint32_t timeout_ms, upstream_done_fn *cb,
               void *arg)
{
	struct upstream_req *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->u = u;
	r->server = *server;
	r->fd = -1;
	r->cb = cb;
	r->arg = arg;
	r->timeout_ms = MAX(timeout_ms, 1u);
	r->next = u->reqs;
	if (u->reqs != NULL)
		u->reqs->prev = r;
	u->reqs = r;
	ev_init(&r->io, req_io_cb);
	ev_timer_init(&r->timer, req_timer_cb, timeout_ms / 1000.0, 0.);
	ev_timer_start(u->loop, &r->timer);
	if (upstream_addr_len(server) == 0 || qname == NULL ||
	    ldns_rdf_get_type(qname) != LDNS_RDF_TYPE_DNAME) {
		req_fail_async(r, UPSTREAM_NETERR);
		return r;
	}
	if (build_query(u, r, qname, qtype, qclass, flags) < 0) {
		req_fail_async(r, UPSTREAM_TOO_LARGE);
		return r;
	}
	if (flags & UPSTREAM_F_TCP)
		req_start_tcp(r);
	else
		req_start_udp(r);
	return r;
}

void
upstream_cancel(struct upstream_req *r)
{
	if (r != NULL)
		req_free(r);
}

struct upstream *
upstream_new(struct ev_loop *loop, const struct upstream_opts *opts)
{
	struct upstream *u;
	struct tcp_pool_opts po;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return NULL;
	u->loop = loop;
	u->opts = *opts;
	if (u->opts.edns_bufsize < 512)
		u->opts.edns_bufsize = 512; /* RFC 6891 s6.2.3 */
	upstream_rng_init(&u->rng);
	tcp_pool_opts_default(&po);
	po.idle_ms = opts->tcp_idle_ms;
	po.connect_timeout_ms = opts->connect_timeout_ms;
	po.max_inflight = opts->max_inflight_per_conn;
	po.conns_per_server = opts->conns_per_server;
	if ((u->pool = tcp_pool_new(loop, &po, &u->stats, &u->rng)) == NULL) {
		free(u);
		return NULL;
	}
	return u;
}

void
upstream_drain(struct upstream *u)
{
	while (u->reqs != NULL)
		req_free(u->reqs);
	tcp_pool_close_all(u->pool);
}

void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	upstream_drain(u);
	tcp_pool_free(u->pool);
	free(u);
}

void
upstream_set_rtt_cb(struct upstream *u, upstream_rtt_fn *cb, void *arg)
{
	u->rtt_cb = cb;
	u->rtt_arg = arg;
}

void
upstream_set_tc_cb(struct upstream *u, upstream_tc_fn *cb, void *arg)
{
	u->tc_cb = cb;
	u->tc_arg = arg;
}

struct upstream_rng *
upstream_rng(struct upstream *u)
{
	return &u->rng;
}

const struct upstream_stats *
upstream_get_stats(const struct upstream *u)
{
	return &u->stats;
}

static uint64_t
mean(uint64_t total, uint64_t count)
{
	return count > 0 ? total / count : 0;
}

static void
log_auth(void *arg, const struct sockaddr_storage *addr, uint64_t opened,
         unsigned open_now)
{
	char buf[64];

	UNUSED(arg);
	upstream_addr_str(addr, buf, sizeof(buf));
	log_info("upstream tcp %s: %llu connections opened, %u open", buf,
	         (unsigned long long)opened, open_now);
}

void
upstream_stats_log(const struct upstream *u)
{
	const struct upstream_stats *s = &u->stats;

	log_info(
	    "upstream udp: %llu sent, %llu replies, %llu truncated, "
	    "%llu timeouts, mean rtt %llu ms",
	    (unsigned long long)s->udp_sent, (unsigned long long)s->udp_replies,
	    (unsigned long long)s->udp_truncated,
	    (unsigned long long)s->udp_timeouts,
	    (unsigned long long)mean(s->udp_rtt_ms_total, s->udp_rtt_count));
	log_info(
	    "upstream tcp: %llu sent, %llu replies, %llu truncated, "
	    "%llu timeouts, %llu retried, mean rtt %llu ms",
	    (unsigned long long)s->tcp_sent, (unsigned long long)s->tcp_replies,
	    (unsigned long long)s->tcp_truncated,
	    (unsigned long long)s->tcp_timeouts,
	    (unsigned long long)s->tcp_retried,
	    (unsigned long long)mean(s->tcp_rtt_ms_total, s->tcp_rtt_count));
	log_info("upstream tcp connections: %llu opened, %llu closed, "
	         "%llu failed, queries per connection mean %llu max %llu, "
	         "age at close mean %llu ms max %llu ms",
	         (unsigned long long)s->tcp_conns_opened,
	         (unsigned long long)s->tcp_conns_closed,
	         (unsigned long long)s->tcp_conn_failed,
	         (unsigned long long)mean(s->tcp_conn_queries_total,
	                                  s->tcp_conns_closed),
	         (unsigned long long)s->tcp_conn_queries_max,
	         (unsigned long long)mean(s->tcp_conn_age_ms_total,
	                                  s->tcp_conns_closed),
	         (unsigned long long)s->tcp_conn_age_ms_max);
	log_info("upstream spoofed or mismatched replies ignored: %llu",
	         (unsigned long long)s->spoofed);
	tcp_pool_foreach_auth(u->pool, log_auth, NULL);
}

const struct tcp_pool *
upstream_tcp_pool(const struct upstream *u)
{
	return u->pool;
}
