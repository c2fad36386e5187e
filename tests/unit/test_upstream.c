/*
 * test_upstream.c -- the upstream transport against real sockets on
 * 127.0.0.1 ephemeral ports: a small responder on the same libev loop
 * answers over UDP (plainly, truncated, spoofed first, in lower case or
 * not at all) and over TCP (in order, in reverse order, closing after k
 * answers, silent, or with a broken frame). Also the pure helpers.
 */
#include "config.h"
#include "resolver/upstream.h"

#include <arpa/inet.h>
#include <check.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "resolver/frame.h"
#include "util/util.h"

Suite *upstream_suite(void);

enum udp_mode { U_ANSWER, U_TC, U_SILENT, U_SPOOF_FIRST, U_LOWERCASE };
enum tcp_mode { T_ANSWER, T_SILENT, T_REVERSE, T_BAD_FRAME, T_TC };

#define MAX_PENDING 64

struct rconn {
	struct rconn *next;
	struct resp *r;
	int fd;
	ev_io w;
	struct frame_reader rd;
	uint8_t *pending[MAX_PENDING];
	size_t plen[MAX_PENDING];
	unsigned npending;
	unsigned answered;
};

struct resp {
	struct ev_loop *loop;
	int udp_fd, lfd;
	struct sockaddr_storage addr;
	enum udp_mode udp_mode;
	enum tcp_mode tcp_mode;
	unsigned close_after; /* TCP: answers per connection, 0: no limit */
	bool is_abrupt;       /* then close() at once, unread queries and all */
	unsigned batch;       /* T_REVERSE: answer when this many wait */
	unsigned udp_queries, tcp_accepted, tcp_queries, tcp_closed;
	char last_qname[256];
	uint16_t edns_size; /* of the last UDP query, 0: no OPT */
	bool has_do, has_rd, has_cd;
	uint16_t ports[MAX_PENDING];       /* UDP source ports seen */
	struct in_addr udp_from, tcp_from; /* last peers */
	ev_io udp_w, accept_w;
	struct rconn *conns;
};

/* ---- the responder ---- */

/* The reply to query: an A record, or empty with TC=1. Caller frees. */
static uint8_t *
make_answer(const uint8_t *q, size_t qlen, bool tc, size_t *len)
{
	ldns_pkt *p = NULL;
	ldns_rr *rr;
	uint8_t *wire = NULL;

	if (ldns_wire2pkt(&p, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	if (tc) {
		ldns_pkt_set_tc(p, true);
	} else {
		rr = ldns_rr_clone(
		    ldns_rr_list_rr(ldns_pkt_question(p), 0)); /* copy */
		ldns_rr_set_question(rr, false);
		ldns_rr_set_ttl(rr, 300);
		ldns_rr_push_rdf(
		    rr, ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "192.0.2.1"));
		ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, rr); /* takes rr */
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static void
note_qname(struct resp *r, const uint8_t *q, size_t qlen)
{
	size_t i = 12, o = 0;

	while (i < qlen && q[i] != 0 && o + 64 < sizeof(r->last_qname)) {
		memcpy(r->last_qname + o, q + i + 1, q[i]);
		o += q[i];
		r->last_qname[o++] = '.';
		i += 1u + q[i];
	}
	r->last_qname[o] = '\0';
}

static void
note_udp_query(struct resp *r, const uint8_t *q, size_t len,
               const struct sockaddr_storage *from)
{
	ldns_pkt *p = NULL;

	r->udp_from = ((const struct sockaddr_in *)from)->sin_addr;
	if (r->udp_queries < MAX_PENDING)
		r->ports[r->udp_queries] =
		    ntohs(((const struct sockaddr_in *)from)->sin_port);
	ck_assert_int_eq(ldns_wire2pkt(&p, q, len), LDNS_STATUS_OK);
	r->edns_size = ldns_pkt_edns(p) ? ldns_pkt_edns_udp_size(p) : 0;
	r->has_do = ldns_pkt_edns_do(p);
	r->has_rd = ldns_pkt_rd(p);
	r->has_cd = ldns_pkt_cd(p);
	ldns_pkt_free(p);
}

static size_t
qname_len(const uint8_t *q, size_t qlen)
{
	size_t i = 12;

	while (i < qlen && q[i] != 0)
		i += 1u + q[i];
	return i + 1 - 12;
}

static void
udp_reply(struct resp *r, const uint8_t *msg, size_t len,
          const struct sockaddr_storage *to, socklen_t tolen)
{
	ck_assert_int_eq(
	    sendto(r->udp_fd, msg, len, 0, (const struct sockaddr *)to, tolen),
	    (ssize_t)len);
}

static void
resp_udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resp *r = container_of(w, struct resp, udp_w);
	struct sockaddr_storage from;
	socklen_t flen = sizeof(from);
	uint8_t q[4096], *a;
	size_t alen, nl, i;
	ssize_t n;

	(void)loop;
	(void)revents;
	n = recvfrom(r->udp_fd, q, sizeof(q), 0, (struct sockaddr *)&from,
	             &flen);
	if (n < 12)
		return;
	note_udp_query(r, q, (size_t)n, &from);
	r->udp_queries++;
	note_qname(r, q, (size_t)n);
	if (r->udp_mode == U_SILENT)
		return;
	a = make_answer(q, (size_t)n, r->udp_mode == U_TC, &alen);
	ck_assert_ptr_nonnull(a);
	nl = qname_len(a, alen);
	if (r->udp_mode == U_SPOOF_FIRST) {
		a[1] ^= 1; /* wrong ID */
		udp_reply(r, a, alen, &from, flen);
		a[1] ^= 1;
		a[12 + nl + 1] ^= 0x1c; /* A -> AAAA: wrong question */
		udp_reply(r, a, alen, &from, flen);
		a[12 + nl + 1] ^= 0x1c;
	}
	if (r->udp_mode == U_LOWERCASE)
		for (i = 12; i < 12 + nl; i++)
			a[i] = (uint8_t)tolower(a[i]);
	udp_reply(r, a, alen, &from, flen);
	free(a);
}

static void
rconn_close(struct rconn *c)
{
	struct rconn **pp;
	unsigned i;

	for (pp = &c->r->conns; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	ev_io_stop(c->r->loop, &c->w);
	close(c->fd);
	frame_reader_clear(&c->rd);
	for (i = 0; i < c->npending; i++)
		free(c->pending[i]);
	c->r->tcp_closed++;
	free(c);
}

static void
tcp_send_framed(struct rconn *c, const uint8_t *msg, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};
	struct iovec iov[2] = {{hdr, 2}, {(void *)msg, len}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};

	/* small replies on loopback: the socket buffer takes them whole */
	(void)sendmsg(c->fd, &mh, MSG_NOSIGNAL);
}

static void rconn_close(struct rconn *c);

/* Returns true if c was closed. */
static bool
tcp_answer(struct rconn *c, const uint8_t *q, size_t qlen)
{
	size_t alen;
	uint8_t *a = make_answer(q, qlen, false, &alen);

	ck_assert_ptr_nonnull(a);
	tcp_send_framed(c, a, alen);
	free(a);
	c->answered++;
	if (c->r->close_after == 0 || c->answered < c->r->close_after)
		return false;
	if (!c->r->is_abrupt) {
		shutdown(c->fd, SHUT_WR); /* graceful close, no RST */
		return false;
	}
	rconn_close(c); /* as NSD's tcp-query-count does */
	return true;
}

/* Returns true if c was closed. */
static bool
rconn_on_query(struct rconn *c, const uint8_t *q, size_t len)
{
	struct resp *r = c->r;
	uint8_t *a;
	size_t alen;
	unsigned i;

	r->tcp_queries++;
	switch (r->tcp_mode) {
	case T_SILENT: return false;
	case T_BAD_FRAME: tcp_send_framed(c, q, 0); return false;
	case T_TC: /* as a server whose answer exceeds 65535 bytes */
		a = make_answer(q, len, true, &alen);
		ck_assert_ptr_nonnull(a);
		tcp_send_framed(c, a, alen);
		free(a);
		return false;
	case T_ANSWER:
		if (r->close_after == 0 || c->answered < r->close_after)
			return tcp_answer(c, q, len);
		return false;
	case T_REVERSE:
		ck_assert_uint_lt(c->npending, MAX_PENDING);
		c->pending[c->npending] = malloc(len);
		memcpy(c->pending[c->npending], q, len);
		c->plen[c->npending++] = len;
		if (c->npending < r->batch)
			return false;
		for (i = c->npending; i-- > 0;) {
			tcp_answer(c, c->pending[i], c->plen[i]);
			free(c->pending[i]);
		}
		c->npending = 0;
		return false;
	}
	return false;
}

static void
rconn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct rconn *c = container_of(w, struct rconn, w);
	const uint8_t *msg;
	size_t room, len;
	uint8_t *p;
	ssize_t n;

	(void)loop;
	(void)revents;
	p = frame_reader_space(&c->rd, &room);
	ck_assert_ptr_nonnull(p);
	n = recv(c->fd, p, room, 0);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n <= 0) {
		rconn_close(c);
		return;
	}
	frame_reader_commit(&c->rd, (size_t)n);
	while (frame_reader_next(&c->rd, &msg, &len) == 1)
		if (rconn_on_query(c, msg, len))
			return;
}

static void
resp_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct resp *r = container_of(w, struct resp, accept_w);
	struct rconn *c;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	int fd;

	(void)revents;
	fd = accept4(r->lfd, (struct sockaddr *)&peer, &plen,
	             SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	r->tcp_from = peer.sin_addr;
	r->tcp_accepted++;
	c = calloc(1, sizeof(*c));
	c->r = r;
	c->fd = fd;
	frame_reader_init(&c->rd, 65535);
	ev_io_init(&c->w, rconn_cb, fd, EV_READ);
	ev_io_start(loop, &c->w);
	c->next = r->conns;
	r->conns = c;
}

static void
loopback(struct sockaddr_storage *ss, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
}

/* UDP and TCP sockets on one free 127.0.0.1 port; listen only if asked. */
static void
bind_pair(int *ufd, int *tfd, struct sockaddr_storage *addr, bool do_listen)
{
	int tries, one = 1;
	socklen_t alen = sizeof(*addr);

	for (tries = 0; tries < 50; tries++) {
		*ufd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		loopback(addr, 0);
		ck_assert_int_eq(bind(*ufd, (struct sockaddr *)addr,
		                      sizeof(struct sockaddr_in)),
		                 0);
		ck_assert_int_eq(
		    getsockname(*ufd, (struct sockaddr *)addr, &alen), 0);
		*tfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		setsockopt(*tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(*tfd, (struct sockaddr *)addr,
		         sizeof(struct sockaddr_in)) == 0 &&
		    (!do_listen || listen(*tfd, 64) == 0))
			return;
		close(*ufd);
		close(*tfd);
	}
	ck_abort_msg("no free loopback port");
}

static void
resp_open(struct resp *r, struct ev_loop *loop)
{
	memset(r, 0, sizeof(*r));
	r->loop = loop;
	bind_pair(&r->udp_fd, &r->lfd, &r->addr, true);
	ev_io_init(&r->udp_w, resp_udp_cb, r->udp_fd, EV_READ);
	ev_io_start(loop, &r->udp_w);
	ev_io_init(&r->accept_w, resp_accept_cb, r->lfd, EV_READ);
	ev_io_start(loop, &r->accept_w);
}

static void
resp_close(struct resp *r)
{
	while (r->conns != NULL)
		rconn_close(r->conns);
	ev_io_stop(r->loop, &r->udp_w);
	ev_io_stop(r->loop, &r->accept_w);
	close(r->udp_fd);
	close(r->lfd);
}

/* ---- the client side ---- */

#define MAX_CALLS 64

struct call {
	struct tctx *t;
	ldns_rdf *qname; /* owned */
	bool is_done;
	enum upstream_status status;
	enum upstream_transport transport;
	bool is_right_answer; /* question echoed, one A record */
	uint32_t rtt_ms;
	size_t wire_size;
};

struct tctx {
	struct ev_loop *loop;
	struct upstream *u;
	struct upstream_opts opts;
	struct resp resp;
	struct call calls[MAX_CALLS];
	unsigned ncalls, done;
	unsigned rtt_reports, timeout_reports, tc_reports;
	ev_timer guard;
	bool is_guard_hit;
};

static void
on_rtt(void *arg, const struct sockaddr_storage *server,
       enum upstream_transport tr, uint32_t rtt_ms, bool is_timeout)
{
	struct tctx *t = arg;

	(void)server;
	(void)tr;
	(void)rtt_ms;
	t->rtt_reports++;
	if (is_timeout)
		t->timeout_reports++;
}

static void
on_tc(void *arg, const struct sockaddr_storage *server)
{
	struct tctx *t = arg;

	ck_assert(upstream_addr_equal(server, &t->resp.addr));
	t->tc_reports++;
}

static void
tctx_open(struct tctx *t, void (*tune)(struct upstream_opts *))
{
	memset(t, 0, sizeof(*t));
	t->loop = ev_loop_new(EVFLAG_AUTO);
	resp_open(&t->resp, t->loop);
	upstream_opts_default(&t->opts);
	if (tune != NULL)
		tune(&t->opts);
	t->u = upstream_new(t->loop, &t->opts);
	ck_assert_ptr_nonnull(t->u);
	upstream_rng_seed(upstream_rng(t->u), 7);
	upstream_set_rtt_cb(t->u, on_rtt, t);
	upstream_set_tc_cb(t->u, on_tc, t);
}

static void
tctx_close(struct tctx *t)
{
	unsigned i;

	upstream_free(t->u);
	resp_close(&t->resp);
	for (i = 0; i < t->ncalls; i++)
		ldns_rdf_deep_free(t->calls[i].qname);
	ev_loop_destroy(t->loop);
}

static void
on_done(void *arg, struct upstream_result *res)
{
	struct call *c = arg;
	ldns_rr *q;

	ck_assert(!c->is_done); /* exactly once */
	c->is_done = true;
	c->status = res->status;
	c->transport = res->transport;
	c->rtt_ms = res->rtt_ms;
	c->wire_size = res->wire_size;
	if (res->reply != NULL) {
		q = ldns_rr_list_rr(ldns_pkt_question(res->reply), 0);
		c->is_right_answer =
		    q != NULL &&
		    ldns_dname_compare(ldns_rr_owner(q), c->qname) == 0 &&
		    ldns_pkt_ancount(res->reply) == 1;
		ldns_pkt_free(res->reply); /* ours now */
	}
	if (++c->t->done == c->t->ncalls)
		ev_break(c->t->loop, EVBREAK_ONE);
}

static void
guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tctx *t = container_of(w, struct tctx, guard);

	(void)revents;
	t->is_guard_hit = true;
	ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop until every call is done or max_s passes. */
static void
run(struct tctx *t, double max_s)
{
	ev_timer_init(&t->guard, guard_cb, max_s, 0.);
	ev_timer_start(t->loop, &t->guard);
	if (t->done < t->ncalls || t->ncalls == 0)
		ev_run(t->loop, 0);
	ev_timer_stop(t->loop, &t->guard);
}

/* Runs the loop for max_s whatever is pending. */
static void
run_for(struct tctx *t, double max_s)
{
	ev_timer_init(&t->guard, guard_cb, max_s, 0.);
	ev_timer_start(t->loop, &t->guard);
	ev_run(t->loop, 0);
	ev_timer_stop(t->loop, &t->guard);
	t->is_guard_hit = false;
}

static struct call *
ask(struct tctx *t, const char *name, unsigned flags, uint32_t timeout_ms)
{
	struct call *c = &t->calls[t->ncalls++];

	c->t = t;
	c->qname = ldns_dname_new_frm_str(name);
	ck_assert_ptr_nonnull(upstream_query(t->u, &t->resp.addr, c->qname,
	                                     LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN,
	                                     flags, timeout_ms, on_done, c));
	ck_assert(!c->is_done); /* never before upstream_query returns */
	return c;
}

static void
ask_many(struct tctx *t, unsigned n, unsigned flags, uint32_t timeout_ms)
{
	char name[64];
	unsigned i;

	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "q%u.example.", i);
		ask(t, name, flags, timeout_ms);
	}
}

static void
assert_all_answered(const struct tctx *t, enum upstream_transport tr)
{
	unsigned i;

	ck_assert(!t->is_guard_hit);
	ck_assert_uint_eq(t->done, t->ncalls);
	for (i = 0; i < t->ncalls; i++) {
		ck_assert_msg(t->calls[i].status == UPSTREAM_OK, "call %u: %s",
		              i, upstream_status_str(t->calls[i].status));
		ck_assert(t->calls[i].is_right_answer);
		ck_assert_int_eq(t->calls[i].transport, tr);
	}
}

START_TEST(udp_query_gets_its_answer)
{
	struct tctx t;
	const struct upstream_stats *st;

	tctx_open(&t, NULL);
	ask(&t, "www.example.", UPSTREAM_F_EDNS, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_UDP);
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->udp_sent, 1);
	ck_assert_uint_eq(st->udp_replies, 1);
	ck_assert_uint_eq(st->udp_rtt_count, 1);
	ck_assert_uint_eq(t.rtt_reports, 1);
	ck_assert_uint_eq(t.timeout_reports, 0);
	ck_assert_uint_gt(t.calls[0].wire_size, 12);
	/* RFC 6891: OPT with our buffer size; RD off for iteration */
	ck_assert_uint_eq(t.resp.edns_size, 1232);
	ck_assert(!t.resp.has_do);
	ck_assert(!t.resp.has_rd);
	tctx_close(&t);
}
END_TEST

/* A fresh socket per query: the 20 concurrent queries came from 20
 * kernel-chosen ports. */
static void
assert_distinct_ports(const struct resp *r)
{
	unsigned i, j;

	for (i = 0; i < r->udp_queries && i < MAX_PENDING; i++) {
		ck_assert_uint_ne(r->ports[i], 0);
		for (j = 0; j < i; j++)
			ck_assert_uint_ne(r->ports[i], r->ports[j]);
	}
}

static void
tune_bufsize(struct upstream_opts *o)
{
	o->edns_bufsize = 4096;
}

START_TEST(edns_flags_follow_the_request)
{
	struct tctx t;

	tctx_open(&t, tune_bufsize);
	ask(&t, "a.example.", UPSTREAM_F_DO | UPSTREAM_F_CD, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_UDP);
	ck_assert_uint_eq(t.resp.edns_size, 4096);
	ck_assert(t.resp.has_do);
	ck_assert(t.resp.has_cd);
	ask(&t, "b.example.", 0, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_UDP);
	ck_assert_uint_eq(t.resp.edns_size, 0); /* no OPT */
	ck_assert(!t.resp.has_do);
	tctx_close(&t);
}
END_TEST

static void
tune_source(struct upstream_opts *o)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&o->source4;

	sin->sin_family = AF_INET;
	sin->sin_port = htons(53); /* ignored: the port is always random */
	inet_pton(AF_INET, "127.0.0.2", &sin->sin_addr);
}

START_TEST(outgoing_interface_is_the_source_address)
{
	struct tctx t;
	char buf[INET_ADDRSTRLEN];

	tctx_open(&t, tune_source);
	ask(&t, "a.example.", 0, 2000);
	ask(&t, "b.example.", UPSTREAM_F_TCP, 2000);
	run(&t, 5);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_msg(t.calls[0].is_right_answer && t.calls[1].is_right_answer,
	              "%s %s", upstream_status_str(t.calls[0].status),
	              upstream_status_str(t.calls[1].status));
	ck_assert_int_eq(t.calls[0].transport, UPSTREAM_UDP);
	ck_assert_int_eq(t.calls[1].transport, UPSTREAM_TCP);
	inet_ntop(AF_INET, &t.resp.udp_from, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.2");
	ck_assert_uint_ne(t.resp.ports[0], 53);
	inet_ntop(AF_INET, &t.resp.tcp_from, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.2");
	tctx_close(&t);
}
END_TEST

START_TEST(truncated_udp_replies_share_one_tcp_connection)
{
	struct tctx t;
	const struct upstream_stats *st;

	tctx_open(&t, NULL);
	t.resp.udp_mode = U_TC;
	ask_many(&t, 20, UPSTREAM_F_EDNS, 3000);
	run(&t, 8);
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.resp.tcp_accepted, 1);
	ck_assert_uint_eq(t.resp.tcp_queries, 20);
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->udp_truncated, 20);
	ck_assert_uint_eq(st->tcp_conns_opened, 1);
	ck_assert_uint_eq(st->tcp_replies, 20);
	ck_assert_uint_eq(t.resp.udp_queries, 20);
	ck_assert_uint_eq(t.tc_reports, 20); /* for servsel's TCP preference */
	/* at exit: connections still open count in the figures */
	upstream_drain(t.u);
	ck_assert_uint_eq(st->tcp_conns_closed, 1);
	ck_assert_uint_eq(st->tcp_conn_queries_max, 20);
	ck_assert_uint_eq(st->tcp_conn_queries_total, 20);
	upstream_stats_log(t.u);
	assert_distinct_ports(&t.resp);
	tctx_close(&t);
}
END_TEST

START_TEST(tcp_queries_report_no_truncation)
{
	struct tctx t;

	tctx_open(&t, NULL);
	ask_many(&t, 3, UPSTREAM_F_TCP, 3000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.resp.udp_queries, 0);
	ck_assert_uint_eq(t.tc_reports, 0);
	tctx_close(&t);
}
END_TEST

START_TEST(tc_over_tcp_is_too_large_not_an_answer)
{
	struct tctx t;

	tctx_open(&t, NULL);
	t.resp.udp_mode = U_TC;
	t.resp.tcp_mode = T_TC;
	ask(&t, "huge.example.", UPSTREAM_F_EDNS, 2000);
	ask(&t, "huge2.example.", UPSTREAM_F_TCP, 2000);
	run(&t, 5);
	ck_assert(!t.is_guard_hit);
	ck_assert_int_eq(t.calls[0].status, UPSTREAM_TOO_LARGE);
	ck_assert_int_eq(t.calls[0].transport, UPSTREAM_TCP);
	ck_assert_int_eq(t.calls[1].status, UPSTREAM_TOO_LARGE);
	ck_assert_uint_eq(upstream_get_stats(t.u)->tcp_truncated, 2);
	ck_assert_uint_eq(t.resp.udp_queries, 1); /* never retried on UDP */
	tctx_close(&t);
}
END_TEST

/* Asks a second TCP question once the first has waited past its own
 * exchange timeout, which completes the server's batch of two. */
static void
late_ask_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tctx *t = w->data;

	(void)loop;
	(void)revents;
	ask(t, "late.example.", UPSTREAM_F_TCP, 2000);
}

static void
no_tcp_floor(struct upstream_opts *o)
{
	o->tcp_timeout_min_ms = 0;
}

START_TEST(tcp_leg_after_truncation_has_its_own_deadline)
{
	struct tctx t;
	ev_timer late;

	tctx_open(&t, no_tcp_floor);
	t.resp.udp_mode = U_TC;
	t.resp.tcp_mode = T_REVERSE;
	t.resp.batch = 2; /* the first answer waits for the late query */
	ask(&t, "first.example.", UPSTREAM_F_EDNS, 300);
	ev_timer_init(&late, late_ask_cb, 0.45, 0.);
	late.data = &t;
	ev_timer_start(t.loop, &late);
	run(&t, 5);
	ev_timer_stop(t.loop, &late);
	/* answered after 450 ms: past the 300 ms UDP timeout, within the
	 * TCP leg's 2 * 300 ms */
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.ncalls, 2);
	ck_assert_uint_eq(t.resp.tcp_accepted, 1);
	tctx_close(&t);
}
END_TEST

START_TEST(server_closing_after_3_answers_still_answers_all_20)
{
	struct tctx t;
	const struct upstream_stats *st;

	tctx_open(&t, NULL);
	t.resp.close_after = 3;
	ask_many(&t, 20, UPSTREAM_F_TCP, 5000);
	run(&t, 10);
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.resp.tcp_accepted, 7); /* ceil(20 / 3) */
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->tcp_conns_opened, 7);
	ck_assert_uint_eq(st->tcp_retried, 17 + 14 + 11 + 8 + 5 + 2);
	ck_assert_uint_eq(st->tcp_conn_queries_max, 3);
	tctx_close(&t);
}
END_TEST

START_TEST(server_resetting_after_3_answers_still_answers_all_20)
{
	struct tctx t;
	const struct upstream_stats *st;

	tctx_open(&t, NULL);
	t.resp.close_after = 3;
	t.resp.is_abrupt = true; /* our next write fails, answers unread */
	ask_many(&t, 20, UPSTREAM_F_TCP, 5000);
	run(&t, 10);
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.resp.tcp_accepted, 7);
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->tcp_conns_opened, 7);
	ck_assert_uint_eq(st->tcp_conn_queries_max, 3);
	tctx_close(&t);
}
END_TEST

START_TEST(out_of_order_tcp_replies_match_their_queries)
{
	struct tctx t;

	tctx_open(&t, NULL);
	t.resp.tcp_mode = T_REVERSE;
	t.resp.batch = 10;
	ask_many(&t, 10, UPSTREAM_F_TCP | UPSTREAM_F_EDNS, 3000);
	run(&t, 8);
	assert_all_answered(&t, UPSTREAM_TCP); /* each its own question */
	ck_assert_uint_eq(t.resp.tcp_accepted, 1);
	tctx_close(&t);
}
END_TEST

START_TEST(never_answering_udp_server_times_out_in_bound)
{
	struct tctx t;
	ev_tstamp start;

	tctx_open(&t, NULL);
	t.resp.udp_mode = U_SILENT;
	ev_now_update(t.loop);
	start = ev_now(t.loop);
	ask(&t, "www.example.", 0, 200);
	run(&t, 5);
	ev_now_update(t.loop);
	ck_assert_uint_eq(t.done, 1);
	ck_assert_int_eq(t.calls[0].status, UPSTREAM_TIMEOUT);
	ck_assert(ev_now(t.loop) - start >= 0.19);
	ck_assert(ev_now(t.loop) - start < 1.0);
	ck_assert_uint_eq(upstream_get_stats(t.u)->udp_timeouts, 1);
	ck_assert_uint_eq(t.timeout_reports, 1);
	tctx_close(&t);
}
END_TEST

START_TEST(silent_tcp_server_fails_queries_and_loses_the_connection)
{
	struct tctx t;
	const struct upstream_stats *st;
	ev_tstamp start;
	unsigned i;

	tctx_open(&t, NULL);
	t.resp.tcp_mode = T_SILENT;
	ev_now_update(t.loop);
	start = ev_now(t.loop);
	ask_many(&t, 3, UPSTREAM_F_TCP, 300);
	run(&t, 5);
	ev_now_update(t.loop);
	/* the TCP floor (1 s by default), not 2 * 300 ms */
	ck_assert(ev_now(t.loop) - start >= 0.95);
	ck_assert(ev_now(t.loop) - start < 2.0);
	for (i = 0; i < 3; i++)
		ck_assert_int_eq(t.calls[i].status, UPSTREAM_TIMEOUT);
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->tcp_timeouts, 3);
	ck_assert_uint_eq(st->tcp_conns_closed, 1); /* dropped */
	ck_assert_uint_eq(t.timeout_reports, 3);    /* RTT penalised */
	ck_assert_uint_eq(t.resp.tcp_queries, 3);
	tctx_close(&t);
}
END_TEST

START_TEST(spoofed_id_and_wrong_question_are_ignored)
{
	struct tctx t;

	tctx_open(&t, NULL);
	t.resp.udp_mode = U_SPOOF_FIRST;
	ask(&t, "www.example.", UPSTREAM_F_EDNS | UPSTREAM_F_DO, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_UDP);
	ck_assert_uint_eq(upstream_get_stats(t.u)->spoofed, 2);
	tctx_close(&t);
}
END_TEST

static void
tune_0x20(struct upstream_opts *o)
{
	o->use_0x20 = true;
}

START_TEST(case_randomised_name_must_come_back_exactly)
{
	struct tctx t;
	const char *name = "abcdefghijklmnopqrstuvw.example.";

	tctx_open(&t, tune_0x20);
	ask(&t, name, 0, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_UDP);
	/* the server saw the same name in another case */
	ck_assert_int_eq(strcasecmp(t.resp.last_qname, name), 0);
	ck_assert_str_ne(t.resp.last_qname, name);
	tctx_close(&t);

	tctx_open(&t, tune_0x20);
	t.resp.udp_mode = U_LOWERCASE; /* breaks 0x20 */
	ask(&t, name, 0, 300);
	run(&t, 5);
	ck_assert_int_eq(t.calls[0].status, UPSTREAM_TIMEOUT);
	ck_assert_uint_eq(upstream_get_stats(t.u)->spoofed, 1);
	tctx_close(&t);
}
END_TEST

START_TEST(closed_port_is_refused_promptly)
{
	struct tctx t;
	struct sockaddr_storage dead;
	int ufd, tfd;

	tctx_open(&t, NULL);
	bind_pair(&ufd, &tfd, &dead, false);
	close(ufd);
	close(tfd);
	t.resp.addr = dead; /* ask a port nobody listens on */
	ask(&t, "www.example.", 0, 3000);
	ask(&t, "www.example.", UPSTREAM_F_TCP, 3000);
	run(&t, 2);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.calls[0].status, UPSTREAM_REFUSED);
	ck_assert_int_eq(t.calls[1].status, UPSTREAM_REFUSED);
	ck_assert_uint_eq(upstream_get_stats(t.u)->tcp_conn_failed, 1);
	tctx_close(&t);
}
END_TEST

START_TEST(broken_frame_fails_queries_cleanly)
{
	struct tctx t;

	tctx_open(&t, NULL);
	t.resp.tcp_mode = T_BAD_FRAME;
	ask_many(&t, 2, UPSTREAM_F_TCP, 2000);
	run(&t, 5);
	ck_assert_uint_eq(t.done, 2);
	ck_assert_int_eq(t.calls[0].status, UPSTREAM_MALFORMED);
	ck_assert_int_eq(t.calls[1].status, UPSTREAM_MALFORMED);
	ck_assert_uint_eq(upstream_get_stats(t.u)->tcp_conns_closed, 1);
	tctx_close(&t);
}
END_TEST

static void
tune_idle(struct upstream_opts *o)
{
	o->tcp_idle_ms = 150;
}

START_TEST(idle_connection_closes_after_idle_timeout)
{
	struct tctx t;
	const struct upstream_stats *st;

	tctx_open(&t, tune_idle);
	ask(&t, "www.example.", UPSTREAM_F_TCP, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_TCP);
	st = upstream_get_stats(t.u);
	ck_assert_uint_eq(st->tcp_conns_closed, 0);
	run_for(&t, 0.6);
	ck_assert_uint_eq(st->tcp_conns_closed, 1);
	ck_assert_uint_ge(st->tcp_conn_age_ms_max, 150);
	ck_assert_uint_eq(t.resp.tcp_closed, 1); /* the server saw EOF */
	/* the next need dials again */
	ask(&t, "www.example.", UPSTREAM_F_TCP, 2000);
	run(&t, 5);
	assert_all_answered(&t, UPSTREAM_TCP);
	ck_assert_uint_eq(t.resp.tcp_accepted, 2);
	tctx_close(&t);
}
END_TEST

START_TEST(cancelled_query_never_calls_back)
{
	struct tctx t;
	struct upstream_req *r;
	ldns_rdf *name = ldns_dname_new_frm_str("www.example.");

	tctx_open(&t, NULL);
	r = upstream_query(t.u, &t.resp.addr, name, LDNS_RR_TYPE_A,
	                   LDNS_RR_CLASS_IN, 0, 200, on_done, NULL);
	upstream_cancel(r);
	r = upstream_query(t.u, &t.resp.addr, name, LDNS_RR_TYPE_A,
	                   LDNS_RR_CLASS_IN, UPSTREAM_F_TCP, 200, on_done,
	                   NULL);
	upstream_cancel(r);
	run_for(&t, 0.4); /* on_done with a NULL arg would crash */
	ldns_rdf_deep_free(name);
	tctx_close(&t);
}
END_TEST

/* ---- pure helpers ---- */

static uint8_t *
wire_of(const char *name, uint16_t id, size_t *len)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, LDNS_RR_TYPE_A,
	                                            LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, id);
	ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

START_TEST(reply_match_checks_id_qr_question_and_case)
{
	size_t ql, rl;
	uint8_t *q = wire_of("WwW.Example.", 1234, &ql);
	uint8_t *r = wire_of("www.example.", 1234, &rl);

	ck_assert(!upstream_reply_matches(r, rl, q, ql, false)); /* no QR */
	r[2] |= 0x80;
	ck_assert(upstream_reply_matches(r, rl, q, ql, false));
	ck_assert(!upstream_reply_matches(r, rl, q, ql, true));
	free(r);
	r = wire_of("WwW.Example.", 1234, &rl);
	r[2] |= 0x80;
	ck_assert(upstream_reply_matches(r, rl, q, ql, true));
	r[1] ^= 1;
	ck_assert(!upstream_reply_matches(r, rl, q, ql, false));
	r[1] ^= 1;
	ck_assert(!upstream_reply_matches(r, rl - 1, q, ql, false));
	r[5] = 2; /* two questions */
	ck_assert(!upstream_reply_matches(r, rl, q, ql, false));
	free(r);
	r = wire_of("www.example.org.", 1234, &rl);
	r[2] |= 0x80;
	ck_assert(!upstream_reply_matches(r, rl, q, ql, false));
	/* a bare FORMERR header with the right ID is a reply */
	memset(r + 4, 0, 8);
	r[3] = LDNS_RCODE_FORMERR;
	ck_assert(upstream_reply_matches(r, 12, q, ql, true));
	r[1] ^= 1;
	ck_assert(!upstream_reply_matches(r, 12, q, ql, true));
	r[1] ^= 1;
	r[3] = LDNS_RCODE_NOERROR; /* an empty NOERROR is not */
	ck_assert(!upstream_reply_matches(r, 12, q, ql, true));
	r[3] = LDNS_RCODE_REFUSED;
	r[7] = 1; /* nor an error carrying records */
	ck_assert(!upstream_reply_matches(r, 12, q, ql, true));
	free(r);
	free(q);
}
END_TEST

/* The query as ldns builds it from a packet: the reference for the
 * bytes upstream_query_wire() writes. Caller frees. */
static uint8_t *
ldns_query_wire(const ldns_rdf *name, uint16_t qtype, uint16_t id,
                unsigned flags, uint16_t bufsize, size_t *len)
{
	ldns_pkt *p = ldns_pkt_query_new(ldns_rdf_clone(name), qtype,
	                                 LDNS_RR_CLASS_IN, 0); /* takes name */
	uint8_t *w = NULL;

	ck_assert_ptr_nonnull(p);
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_rd(p, (flags & UPSTREAM_F_RD) != 0);
	ldns_pkt_set_cd(p, (flags & UPSTREAM_F_CD) != 0);
	if (flags & (UPSTREAM_F_EDNS | UPSTREAM_F_DO)) {
		ldns_pkt_set_edns_udp_size(p, bufsize);
		ldns_pkt_set_edns_do(p, (flags & UPSTREAM_F_DO) != 0);
	}
	ck_assert_int_eq(ldns_pkt2wire(&w, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return w;
}

START_TEST(query_wire_equals_ldns_for_every_flag_mix)
{
	static const char *names[] = {
	    ".", "WwW.Example.", "xn--bcher-kva.TEST.",
	    /* a 63-octet label, written in two parts */
	    ("a234567890123456789012345678901234567890123456789012345678901ab."
	     "b.c.")};
	static const unsigned flag_mixes[] = {
	    0,
	    UPSTREAM_F_EDNS,
	    UPSTREAM_F_DO,
	    UPSTREAM_F_EDNS | UPSTREAM_F_DO,
	    UPSTREAM_F_CD,
	    UPSTREAM_F_RD,
	    UPSTREAM_F_EDNS | UPSTREAM_F_RD | UPSTREAM_F_CD,
	    UPSTREAM_F_EDNS | UPSTREAM_F_DO | UPSTREAM_F_RD | UPSTREAM_F_CD |
	        UPSTREAM_F_TCP};
	static const uint16_t sizes[] = {512, 1232, 4096, 65535};
	static const uint16_t types[] = {LDNS_RR_TYPE_A, LDNS_RR_TYPE_AAAA,
	                                 LDNS_RR_TYPE_NS, LDNS_RR_TYPE_DS};
	size_t i, f, z, k = 0;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ldns_rdf *n = ldns_dname_new_frm_str(names[i]);

		ck_assert_ptr_nonnull(n);
		for (f = 0; f < sizeof(flag_mixes) / sizeof(flag_mixes[0]);
		     f++) {
			for (z = 0; z < sizeof(sizes) / sizeof(sizes[0]);
			     z++, k++) {
				uint16_t t = types[k % 4], id = (uint16_t)k;
				uint8_t buf[UPSTREAM_QUERY_MAX];
				size_t rl, len;
				uint8_t *ref = ldns_query_wire(
				    n, t, id, flag_mixes[f], sizes[z], &rl);

				len = upstream_query_wire(
				    buf, ldns_rdf_data(n), ldns_rdf_size(n), t,
				    LDNS_RR_CLASS_IN, id, flag_mixes[f],
				    sizes[z]);
				ck_assert_uint_eq(len, rl);
				ck_assert_mem_eq(buf, ref, rl);
				free(ref);
			}
		}
		ldns_rdf_deep_free(n);
	}
}
END_TEST

START_TEST(query_wire_bytes_for_a_forwarded_dnssec_query)
{
	static const uint8_t name[] = {3,   'w', 'w', 'w', 4,
	                               'T', 'e', 's', 't', 0};
	static const uint8_t want[] = {
	    0xbe, 0xef, 0x01, 0x10, 0,    1,   0,   0,    0,   0, 0,
	    1,                                                    /* header */
	    3,    'w',  'w',  'w',  4,    'T', 'e', 's',  't', 0, /* qname */
	    0x00, 0x1c, 0x00, 0x01,                               /* AAAA IN */
	    0,    0x00, 0x29, 0x04, 0xd0, 0,   0,   0x80, 0,   0, 0}; /* OPT */
	uint8_t buf[UPSTREAM_QUERY_MAX];
	size_t len;

	len = upstream_query_wire(
	    buf, name, sizeof(name), LDNS_RR_TYPE_AAAA, LDNS_RR_CLASS_IN,
	    0xbeef, UPSTREAM_F_DO | UPSTREAM_F_RD | UPSTREAM_F_CD, 1232);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_mem_eq(buf, want, sizeof(want));
	/* without EDNS: no OPT, ARCOUNT 0, flags off */
	len = upstream_query_wire(buf, name, sizeof(name), LDNS_RR_TYPE_AAAA,
	                          LDNS_RR_CLASS_IN, 0xbeef, 0, 1232);
	ck_assert_uint_eq(len, 12 + sizeof(name) + 4);
	ck_assert_uint_eq(buf[2], 0);
	ck_assert_uint_eq(buf[3], 0);
	ck_assert_uint_eq(buf[11], 0);
}
END_TEST

START_TEST(query_wire_takes_only_one_valid_name)
{
	uint8_t name[300], buf[UPSTREAM_QUERY_MAX];
	size_t i;

	/* the longest name: 127 labels of one byte, 255 bytes */
	for (i = 0; i < 254; i += 2) {
		name[i] = 1;
		name[i + 1] = 'a';
	}
	name[254] = 0;
	ck_assert_uint_eq(
	    upstream_query_wire(buf, name, 255, 1, 1, 7, UPSTREAM_F_DO, 1232),
	    UPSTREAM_QUERY_MAX);
	/* one label more is 257 bytes: too long */
	name[254] = 1;
	name[255] = 'a';
	name[256] = 0;
	ck_assert_uint_eq(upstream_query_wire(buf, name, 257, 1, 1, 7, 0, 512),
	                  0);
	ck_assert_uint_eq(upstream_query_wire(buf, name, 0, 1, 1, 7, 0, 512),
	                  0);
	/* a label of 64 bytes, a compression pointer, no terminator, a
	 * length that runs past the root label */
	name[0] = 64;
	ck_assert_uint_eq(upstream_query_wire(buf, name, 66, 1, 1, 7, 0, 512),
	                  0);
	name[0] = 0xc0;
	name[1] = 12;
	ck_assert_uint_eq(upstream_query_wire(buf, name, 2, 1, 1, 7, 0, 512),
	                  0);
	name[0] = 1;
	name[1] = 'a';
	ck_assert_uint_eq(upstream_query_wire(buf, name, 2, 1, 1, 7, 0, 512),
	                  0);
	name[2] = 0;
	name[3] = 0;
	ck_assert_uint_eq(upstream_query_wire(buf, name, 4, 1, 1, 7, 0, 512),
	                  0);
	ck_assert_uint_eq(upstream_query_wire(buf, name, 3, 1, 1, 7, 0, 512),
	                  12 + 3 + 4);
}
END_TEST

START_TEST(seeded_rng_repeats_and_system_rng_varies)
{
	struct upstream_rng a, b;
	unsigned i, same = 0;

	upstream_rng_seed(&a, 99);
	upstream_rng_seed(&b, 99);
	for (i = 0; i < 100; i++)
		ck_assert_uint_eq(upstream_rng_u16(&a), upstream_rng_u16(&b));
	upstream_rng_init(&a);
	upstream_rng_init(&b);
	for (i = 0; i < 100; i++)
		same += upstream_rng_u16(&a) == upstream_rng_u16(&b);
	ck_assert_uint_lt(same, 10);
}
END_TEST

START_TEST(addresses_compare_by_family_address_and_port)
{
	struct sockaddr_storage a, b;
	char buf[64];

	loopback(&a, 53);
	loopback(&b, 53);
	ck_assert(upstream_addr_equal(&a, &b));
	loopback(&b, 54);
	ck_assert(!upstream_addr_equal(&a, &b));
	upstream_addr_str(&a, buf, sizeof(buf));
	ck_assert_str_eq(buf, "127.0.0.1#53");
}
END_TEST

Suite *
upstream_suite(void)
{
	Suite *s = suite_create("upstream");
	TCase *tp = tcase_create("pure");
	TCase *tn = tcase_create("sockets");

	tcase_add_test(tp, reply_match_checks_id_qr_question_and_case);
	tcase_add_test(tp, query_wire_equals_ldns_for_every_flag_mix);
	tcase_add_test(tp, query_wire_bytes_for_a_forwarded_dnssec_query);
	tcase_add_test(tp, query_wire_takes_only_one_valid_name);
	tcase_add_test(tp, seeded_rng_repeats_and_system_rng_varies);
	tcase_add_test(tp, addresses_compare_by_family_address_and_port);
	tcase_set_timeout(tn, 30);
	tcase_add_test(tn, udp_query_gets_its_answer);
	tcase_add_test(tn, edns_flags_follow_the_request);
	tcase_add_test(tn, outgoing_interface_is_the_source_address);
	tcase_add_test(tn, truncated_udp_replies_share_one_tcp_connection);
	tcase_add_test(tn, tcp_queries_report_no_truncation);
	tcase_add_test(tn, tc_over_tcp_is_too_large_not_an_answer);
	tcase_add_test(tn, tcp_leg_after_truncation_has_its_own_deadline);
	tcase_add_test(tn, server_closing_after_3_answers_still_answers_all_20);
	tcase_add_test(tn,
	               server_resetting_after_3_answers_still_answers_all_20);
	tcase_add_test(tn, out_of_order_tcp_replies_match_their_queries);
	tcase_add_test(tn, never_answering_udp_server_times_out_in_bound);
	tcase_add_test(
	    tn, silent_tcp_server_fails_queries_and_loses_the_connection);
	tcase_add_test(tn, spoofed_id_and_wrong_question_are_ignored);
	tcase_add_test(tn, case_randomised_name_must_come_back_exactly);
	tcase_add_test(tn, closed_port_is_refused_promptly);
	tcase_add_test(tn, broken_frame_fails_queries_cleanly);
	tcase_add_test(tn, idle_connection_closes_after_idle_timeout);
	tcase_add_test(tn, cancelled_query_never_calls_back);
	suite_add_tcase(s, tp);
	suite_add_tcase(s, tn);
	return s;
}
