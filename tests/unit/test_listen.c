/*
 * test_listen.c -- the UDP and TCP listeners with real sockets on
 * 127.0.0.1 ephemeral ports, driven by a libev loop inside the test
 * process. The on_query handler answers REFUSED through pkt and answer,
 * at once or after a timer, as the resolver will.
 */
#include "config.h"
#include "resolver/listen.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define UNDER_VALGRIND() RUNNING_ON_VALGRIND
#endif
#endif
#ifndef UNDER_VALGRIND
#define UNDER_VALGRIND() 0
#endif

#include "dns/pkt.h"
#include "resolver/answer.h"
#include "resolver/stats.h"
#include "util/clock.h"

Suite *listen_suite(void);

#define WAIT_MS 5000 /* bound on every wait below */

enum mode {
	MODE_NOW,     /* answer inside on_query */
	MODE_DELAYED, /* answer after (100 - id % 100) ms */
	MODE_BIG      /* answer at once with a 32 KiB message */
};

struct tctx {
	struct ev_loop *loop;
	struct listen *l;
	struct stats st;
	enum mode mode;
	int queries;
	int pending; /* delayed answers not sent yet */
	int reply_errors;
	uint16_t port;
};

struct delayed {
	ev_timer t;
	struct listen_req *req;
	struct tctx *ctx;
};

static uint8_t big_reply[32768];

static void
answer_req(struct tctx *ctx, struct listen_req *req)
{
	struct answer_opts o = {req->transport == LISTEN_TCP, req->max_udp_size,
	                        req->tcp_idle_ms};
	struct pkt_query q;
	uint8_t buf[1232];
	size_t len;

	if (pkt_query_parse(req->wire, req->len, &q) == PKT_DROP) {
		listen_drop(req);
		return;
	}
	if (ctx->mode == MODE_BIG) {
		memcpy(big_reply, req->wire, 2);
		big_reply[2] = 0x80;
		if (listen_reply(req, big_reply, sizeof(big_reply)) < 0)
			ctx->reply_errors++;
		return;
	}
	len =
	    answer_error(buf, sizeof(buf), &q, &o, PKT_RCODE_REFUSED, -1, NULL);
	if (listen_reply(req, buf, len) < 0)
		ctx->reply_errors++;
}

static void
delayed_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct delayed *d = (struct delayed *)w;

	(void)loop;
	(void)revents;
	d->ctx->pending--;
	answer_req(d->ctx, d->req);
	free(d);
}

static void
on_query(struct listen_req *req, void *arg)
{
	struct tctx *ctx = arg;
	struct delayed *d;
	unsigned int id;

	ctx->queries++;
	if (ctx->mode != MODE_DELAYED) {
		answer_req(ctx, req);
		return;
	}
	ck_assert_uint_ge(req->len, 2);
	id = (unsigned int)(req->wire[0] << 8 | req->wire[1]);
	d = calloc(1, sizeof(*d));
	ck_assert_ptr_nonnull(d);
	d->req = req;
	d->ctx = ctx;
	ctx->pending++;
	ev_timer_init(&d->t, delayed_cb, (100 - id % 100) / 1000.0, 0.);
	ev_timer_start(ctx->loop, &d->t);
}

static void
ctx_open(struct tctx *ctx, enum mode mode, struct listen_opts *o)
{
	struct sockaddr_storage addr, bound;
	socklen_t blen;

	memset(ctx, 0, sizeof(*ctx));
	ctx->loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_ptr_nonnull(ctx->loop);
	ctx->mode = mode;
	stats_init(&ctx->st);
	ck_assert_int_eq(listen_addr_parse("127.0.0.1", 0, &addr), 0);
	o->addrs = &addr;
	o->n_addrs = 1;
	o->stats = &ctx->st;
	ck_assert_int_eq(listen_open(&ctx->l, ctx->loop, o, on_query, ctx), 0);
	ck_assert_int_eq(listen_bound_addr(ctx->l, 0, &bound, &blen), 0);
	ctx->port = ntohs(((struct sockaddr_in *)&bound)->sin_port);
	ck_assert_uint_ne(ctx->port, 0);
}

static void
ctx_close(struct tctx *ctx)
{
	listen_close(ctx->l);
	ev_loop_destroy(ctx->loop);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ONE);
}

/* Runs the loop for about ms milliseconds. */
static void
run_ms(struct tctx *ctx, unsigned int ms)
{
	ev_timer t;

	ev_timer_init(&t, stop_cb, ms / 1000.0, 0.);
	ev_timer_start(ctx->loop, &t);
	ev_run(ctx->loop, 0);
	ev_timer_stop(ctx->loop, &t);
}

/* A query for www.example.com/A with this ID, as wire. */
static size_t
make_query(uint8_t *buf, uint16_t id)
{
	static const uint8_t q[] = {
	    0,   0,   0x01, 0,   0,   1,   0,   0,   0,   0,   0,
	    0,   3,   'w',  'w', 'w', 7,   'e', 'x', 'a', 'm', 'p',
	    'l', 'e', 3,    'c', 'o', 'm', 0,   0,   1,   0,   1};

	memcpy(buf, q, sizeof(q));
	buf[0] = (uint8_t)(id >> 8);
	buf[1] = (uint8_t)id;
	return sizeof(q);
}

/* A TCP frame: length prefix and query. */
static size_t
make_frame(uint8_t *buf, uint16_t id)
{
	size_t len = make_query(buf + 2, id);

	buf[0] = 0;
	buf[1] = (uint8_t)len;
	return len + 2;
}

static int
client_socket(struct tctx *ctx, int type, int rcvbuf)
{
	struct sockaddr_in sin = {0};
	int fd = socket(AF_INET, type, 0);

	ck_assert_int_ge(fd, 0);
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(ctx->port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	return fd;
}

static void
send_all(int fd, const uint8_t *buf, size_t len)
{
	ck_assert_int_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len);
}

/* A TCP client's stream of responses. */
struct reader {
	int fd;
	uint8_t buf[70000];
	size_t have;
	uint16_t ids[1000];
	int n;
	bool is_eof;
};

/* Reads what arrived and splits it into messages. */
static void
reader_poll(struct reader *r)
{
	ssize_t n;

	while (!r->is_eof) {
		n = recv(r->fd, r->buf + r->have, sizeof(r->buf) - r->have,
		         MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN))
			r->is_eof = true;
		if (n <= 0)
			break;
		r->have += (size_t)n;
		for (;;) {
			size_t len = (size_t)(r->buf[0] << 8 | r->buf[1]);

			if (r->have < 2 || r->have < 2 + len)
				break;
			ck_assert_uint_ge(len, 12);
			ck_assert(r->buf[4] & 0x80); /* a response */
			ck_assert_int_lt(r->n, 1000);
			r->ids[r->n++] = (uint16_t)(r->buf[2] << 8 | r->buf[3]);
			memmove(r->buf, r->buf + 2 + len, r->have - 2 - len);
			r->have -= 2 + len;
		}
	}
}

/* Runs the loop until r has n responses (or EOF); bounded. */
static void
reader_wait(struct tctx *ctx, struct reader *r, int n)
{
	uint64_t end = clock_mono_ms() + WAIT_MS;

	while (r->n < n && !r->is_eof && clock_mono_ms() < end) {
		run_ms(ctx, 2);
		reader_poll(r);
	}
}

static void
reader_wait_eof(struct tctx *ctx, struct reader *r)
{
	uint64_t end = clock_mono_ms() + WAIT_MS;

	while (!r->is_eof && clock_mono_ms() < end) {
		run_ms(ctx, 2);
		reader_poll(r);
	}
}

static void
reader_init(struct reader *r, int fd)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
}

/* One query and its answer on a fresh connection: it still works. */
static void
check_tcp_works(struct tctx *ctx, struct reader *r, uint16_t id)
{
	uint8_t frame[64];
	int before = r->n;

	send_all(r->fd, frame, make_frame(frame, id));
	reader_wait(ctx, r, before + 1);
	ck_assert_int_eq(r->n, before + 1);
	ck_assert_uint_eq(r->ids[before], id);
}

START_TEST(udp_query_is_answered)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	uint8_t q[64], resp[1500];
	uint64_t end;
	ssize_t n = -1;
	int fd;

	ctx_open(&ctx, MODE_NOW, &o);
	fd = client_socket(&ctx, SOCK_DGRAM, 0);
	send_all(fd, q, make_query(q, 0x4242));
	for (end = clock_mono_ms() + WAIT_MS; n < 0 && clock_mono_ms() < end;) {
		run_ms(&ctx, 2);
		n = recv(fd, resp, sizeof(resp), MSG_DONTWAIT);
	}
	ck_assert_int_eq(n, make_query(q, 0));
	ck_assert_uint_eq(resp[0] << 8 | resp[1], 0x4242);
	ck_assert(resp[2] & 0x80);
	ck_assert_uint_eq(resp[3] & 0x0F, PKT_RCODE_REFUSED);
	ck_assert_uint_eq(ctx.st.queries[STATS_UDP], 1);
	close(fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(udp_burst_is_answered_in_batches)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	uint8_t q[64], resp[1500];
	bool seen[200] = {false};
	int fd, i, got = 0, rcvbuf = 1 << 20;
	uint64_t end;
	ssize_t n;

	ctx_open(&ctx, MODE_NOW, &o);
	fd = client_socket(&ctx, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	for (i = 0; i < 200; i++) /* more than one recvmmsg batch */
		send_all(fd, q, make_query(q, (uint16_t)i));
	for (end = clock_mono_ms() + WAIT_MS;
	     got < 200 && clock_mono_ms() < end;) {
		run_ms(&ctx, 2);
		while ((n = recv(fd, resp, sizeof(resp), MSG_DONTWAIT)) > 0) {
			int id = resp[0] << 8 | resp[1];

			ck_assert_int_lt(id, 200);
			ck_assert(!seen[id]);
			seen[id] = true;
			got++;
		}
	}
	ck_assert_int_eq(got, 200);
	ck_assert_uint_eq(ctx.st.queries[STATS_UDP], 200);
	ck_assert_uint_eq(ctx.st.dropped, 0);
	close(fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(udp_reply_from_wildcard_bind_comes_from_query_address)
{
	struct sockaddr_storage any, bound;
	struct sockaddr_in from = {0};
	socklen_t blen, flen = sizeof(from);
	struct listen_opts o = {0};
	struct tctx ctx = {0};
	uint8_t q[64], resp[1500];
	struct sockaddr_in to = {0};
	uint64_t end;
	ssize_t n = -1;
	int fd;

	ctx.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_int_eq(listen_addr_parse("0.0.0.0", 0, &any), 0);
	o.addrs = &any;
	o.n_addrs = 1;
	ck_assert_int_eq(listen_open(&ctx.l, ctx.loop, &o, on_query, &ctx), 0);
	ck_assert_int_eq(listen_bound_addr(ctx.l, 0, &bound, &blen), 0);
	/* query 127.0.0.2: the reply must come from 127.0.0.2 */
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	to.sin_family = AF_INET;
	to.sin_port = ((struct sockaddr_in *)&bound)->sin_port;
	to.sin_addr.s_addr = htonl(0x7F000002);
	ck_assert_int_eq(sendto(fd, q, make_query(q, 7), 0,
	                        (struct sockaddr *)&to, sizeof(to)),
	                 (ssize_t)make_query(q, 7));
	for (end = clock_mono_ms() + WAIT_MS; n < 0 && clock_mono_ms() < end;) {
		run_ms(&ctx, 2);
		n = recvfrom(fd, resp, sizeof(resp), MSG_DONTWAIT,
		             (struct sockaddr *)&from, &flen);
	}
	ck_assert_int_gt(n, 12);
	ck_assert_uint_eq(ntohl(from.sin_addr.s_addr), 0x7F000002);
	ck_assert_uint_eq(from.sin_port, to.sin_port);
	close(fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(tcp_pipelined_queries_all_answered_out_of_order)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader r;
	static uint8_t frames[100 * 40];
	size_t len = 0;
	bool seen[100] = {false};
	int i, in_order = 0;

	ctx_open(&ctx, MODE_DELAYED, &o);
	reader_init(&r, client_socket(&ctx, SOCK_STREAM, 0));
	for (i = 0; i < 100; i++) /* all 100 in one write */
		len += make_frame(frames + len, (uint16_t)i);
	send_all(r.fd, frames, len);
	reader_wait(&ctx, &r, 100);
	ck_assert_int_eq(r.n, 100);
	for (i = 0; i < 100; i++) {
		ck_assert_uint_lt(r.ids[i], 100);
		ck_assert(!seen[r.ids[i]]);
		seen[r.ids[i]] = true;
		in_order += r.ids[i] == i;
	}
	/* later IDs wait less: the replies overtake each other */
	ck_assert_int_lt(in_order, 100);
	ck_assert_uint_gt(r.ids[0], r.ids[99]);
	ck_assert_uint_eq(ctx.st.queries[STATS_TCP], 100);
	close(r.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(tcp_query_sent_one_byte_at_a_time)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader r;
	uint8_t frame[64];
	size_t i, len;

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&r, client_socket(&ctx, SOCK_STREAM, 0));
	len = make_frame(frame, 0x0102);
	for (i = 0; i < len; i++) {
		send_all(r.fd, frame + i, 1);
		run_ms(&ctx, 1);
	}
	reader_wait(&ctx, &r, 1);
	ck_assert_int_eq(r.n, 1);
	ck_assert_uint_eq(r.ids[0], 0x0102);
	close(r.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(tcp_several_messages_in_one_write)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader r;
	uint8_t frames[200];
	size_t len;

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&r, client_socket(&ctx, SOCK_STREAM, 0));
	len = make_frame(frames, 1);
	len += make_frame(frames + len, 2);
	len += make_frame(frames + len, 3);
	/* and a fourth cut in two writes */
	len += make_frame(frames + len, 4);
	send_all(r.fd, frames, len - 10);
	run_ms(&ctx, 20);
	send_all(r.fd, frames + len - 10, 10);
	reader_wait(&ctx, &r, 4);
	ck_assert_int_eq(r.n, 4);
	ck_assert_uint_eq(r.ids[0], 1);
	ck_assert_uint_eq(r.ids[3], 4);
	close(r.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(client_that_never_reads_does_not_stop_others)
{
	struct listen_opts o = {.tcp_idle_ms = 400, .tcp_out_cap = 65536};
	struct tctx ctx;
	struct reader a, b;
	static uint8_t frames[200 * 40];
	size_t len = 0;
	uint64_t end;
	int i;

	ctx_open(&ctx, MODE_BIG, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 4096));
	reader_init(&b, client_socket(&ctx, SOCK_STREAM, 0));
	for (i = 0; i < 200; i++) /* 200 replies of 32 KiB: 6.4 MB */
		len += make_frame(frames + len, (uint16_t)i);
	send_all(a.fd, frames, len);
	run_ms(&ctx, 50);
	ck_assert_int_eq(ctx.reply_errors, 0);
	ck_assert_int_eq(ctx.queries, 200);
	/* its output is over the cap: its further queries are not read */
	send_all(a.fd, frames, 10 * make_frame(frames, 0));
	run_ms(&ctx, 50);
	ck_assert_int_eq(ctx.queries, 200);
	/* b keeps working, past a's idle timeout, while a is stuck */
	end = clock_mono_ms() + 1000;
	for (i = 0; clock_mono_ms() < end; i++) {
		check_tcp_works(&ctx, &b, (uint16_t)(1000 + i));
		run_ms(&ctx, 100);
	}
	/* a was closed for not reading; b is still open */
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 1);
	ck_assert_uint_eq(ctx.st.tcp_clients_open, 1);
	check_tcp_works(&ctx, &b, 7);
	close(a.fd);
	close(b.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(zero_length_frame_closes_only_that_connection)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader a, b;
	static const uint8_t zero[2] = {0, 0};

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	reader_init(&b, client_socket(&ctx, SOCK_STREAM, 0));
	check_tcp_works(&ctx, &a, 1);
	check_tcp_works(&ctx, &b, 2);
	send_all(a.fd, zero, sizeof(zero));
	reader_wait_eof(&ctx, &a);
	ck_assert(a.is_eof);
	check_tcp_works(&ctx, &b, 3);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 1);
	close(a.fd);
	close(b.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(clients_over_limit_are_refused)
{
	struct listen_opts o = {.tcp_max_clients = 2};
	struct tctx ctx;
	struct reader a, b, c;

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	reader_init(&b, client_socket(&ctx, SOCK_STREAM, 0));
	check_tcp_works(&ctx, &a, 1);
	check_tcp_works(&ctx, &b, 2);
	reader_init(&c, client_socket(&ctx, SOCK_STREAM, 0));
	reader_wait_eof(&ctx, &c);
	ck_assert(c.is_eof);
	ck_assert_int_eq(c.n, 0);
	ck_assert_uint_eq(ctx.st.tcp_clients_refused, 1);
	check_tcp_works(&ctx, &a, 3);
	check_tcp_works(&ctx, &b, 4);
	/* a slot frees when a client leaves */
	close(a.fd);
	run_ms(&ctx, 20);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 1);
	reader_init(&c, client_socket(&ctx, SOCK_STREAM, 0));
	check_tcp_works(&ctx, &c, 5);
	close(b.fd);
	close(c.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(idle_connection_is_closed)
{
	struct listen_opts o = {.tcp_idle_ms = 200};
	struct tctx ctx;
	struct reader a;
	uint64_t start;

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	check_tcp_works(&ctx, &a, 1);
	start = clock_mono_ms();
	reader_wait_eof(&ctx, &a);
	ck_assert(a.is_eof);
	ck_assert_uint_ge(clock_mono_ms() - start, 150);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 0);
	close(a.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(half_closed_client_still_gets_its_answers)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader a;
	uint8_t frames[200];
	size_t len;

	ctx_open(&ctx, MODE_DELAYED, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	len = make_frame(frames, 10);
	len += make_frame(frames + len, 50);
	send_all(a.fd, frames, len);
	shutdown(a.fd, SHUT_WR);
	reader_wait(&ctx, &a, 2);
	ck_assert_int_eq(a.n, 2);
	reader_wait_eof(&ctx, &a); /* then the server closes */
	ck_assert(a.is_eof);
	close(a.fd);
	ctx_close(&ctx);
}
END_TEST

START_TEST(reply_after_close_is_discarded_safely)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	uint8_t frame[64];
	uint64_t end;
	int fd;

	ctx_open(&ctx, MODE_DELAYED, &o);
	fd = client_socket(&ctx, SOCK_STREAM, 0);
	send_all(fd, frame, make_frame(frame, 20)); /* answered in 80 ms */
	send_all(fd, frame, make_frame(frame, 90)); /* and in 10 ms */
	end = clock_mono_ms() + WAIT_MS;
	while (ctx.queries < 2 && clock_mono_ms() < end)
		run_ms(&ctx, 2);
	ck_assert_int_eq(ctx.queries, 2);
	close(fd);
	run_ms(&ctx, 40); /* the server sees the close; one reply fails */
	/* the listener goes away with a request outstanding */
	listen_close(ctx.l);
	end = clock_mono_ms() + WAIT_MS;
	while (ctx.pending > 0 && clock_mono_ms() < end)
		run_ms(&ctx, 5);
	ck_assert_int_eq(ctx.pending, 0);
	ck_assert_int_ge(ctx.reply_errors, 1);
	ev_loop_destroy(ctx.loop);
}
END_TEST

START_TEST(stats_print_in_name_value_lines)
{
	struct stats s;
	char buf[2048], small[16];
	size_t n;

	stats_init(&s);
	s.queries[STATS_UDP] = 3;
	s.queries[STATS_TCP] = 2;
	s.cache_hits = 4;
	stats_count_rcode(&s, PKT_RCODE_NOERROR);
	stats_count_rcode(&s, PKT_RCODE_BADVERS);
	stats_count_rcode(&s, 12);
	n = stats_print(&s, buf, sizeof(buf));
	ck_assert_uint_lt(n, sizeof(buf));
	ck_assert_ptr_nonnull(strstr(buf, "num.queries=5\n"));
	ck_assert_ptr_nonnull(strstr(buf, "num.queries.udp=3\n"));
	ck_assert_ptr_nonnull(strstr(buf, "num.cachehits=4\n"));
	ck_assert_ptr_nonnull(strstr(buf, "num.answer.rcode.NOERROR=1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "num.answer.rcode.BADVERS=1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "num.answer.rcode.RCODE12=1\n"));
	ck_assert_ptr_nonnull(strstr(buf, "tcp.clients.open=0\n"));
	ck_assert_uint_eq(stats_print(&s, small, sizeof(small)), n);
	ck_assert_uint_eq(strlen(small), sizeof(small) - 1);
}
END_TEST

START_TEST(accept_pauses_on_emfile_and_retries)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	struct reader a;
	struct rlimit old, low;
	int fds[64], n = 0, top, i;

	ctx_open(&ctx, MODE_NOW, &o);
	reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	/* leave the process no descriptor to accept with */
	ck_assert_int_eq(getrlimit(RLIMIT_NOFILE, &old), 0);
	top = dup(0);
	ck_assert_int_ge(top, 0);
	close(top);
	low = old;
	low.rlim_cur = (rlim_t)top + 8;
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n < 64 && (fds[n] = dup(0)) >= 0)
		n++;
	ck_assert_int_eq(errno, EMFILE);
	run_ms(&ctx, 50);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 0);
	for (i = 0; i < n; i++)
		close(fds[i]);
	ck_assert_int_eq(setrlimit(RLIMIT_NOFILE, &old), 0);
	if (UNDER_VALGRIND()) {
		/* valgrind enforces the limit itself, closing what the
		 * kernel accepted: that client is gone, a new one must work */
		close(a.fd);
		reader_init(&a, client_socket(&ctx, SOCK_STREAM, 0));
	}
	/* the retry timer accepts it now */
	check_tcp_works(&ctx, &a, 9);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 1);
	close(a.fd);
	ctx_close(&ctx);
}
END_TEST

/* One UDP query to addr (IPv4 or IPv6); returns the reply's ID or -1. */
static int
udp_ask(struct tctx *ctx, const struct sockaddr_storage *addr, uint16_t id)
{
	socklen_t alen = addr->ss_family == AF_INET
	                     ? sizeof(struct sockaddr_in)
	                     : sizeof(struct sockaddr_in6);
	uint8_t q[64], resp[1500];
	uint64_t end;
	ssize_t n = -1;
	int fd = socket(addr->ss_family, SOCK_DGRAM, 0);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(sendto(fd, q, make_query(q, id), 0,
	                        (const struct sockaddr *)addr, alen),
	                 (ssize_t)make_query(q, id));
	for (end = clock_mono_ms() + WAIT_MS; n < 0 && clock_mono_ms() < end;) {
		run_ms(ctx, 2);
		n = recv(fd, resp, sizeof(resp), MSG_DONTWAIT);
	}
	close(fd);
	return n < 12 ? -1 : resp[0] << 8 | resp[1];
}

START_TEST(ipv4_and_ipv6_addresses_served_together)
{
	struct sockaddr_storage addrs[2], v4, v6, to;
	struct listen_opts o = {0};
	struct tctx ctx = {0};
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&to;
	socklen_t len;
	int probe = socket(AF_INET6, SOCK_DGRAM, 0);

	if (probe < 0)
		return; /* no IPv6 in this kernel: nothing to test */
	close(probe);
	ctx.loop = ev_loop_new(EVFLAG_AUTO);
	ck_assert_int_eq(listen_addr_parse("127.0.0.1", 0, &addrs[0]), 0);
	ck_assert_int_eq(listen_addr_parse("::", 0, &addrs[1]), 0);
	ck_assert_int_eq(listen_addr_parse("fe80::1", 53, &to), 0);
	ck_assert_int_eq(listen_addr_parse("not an address", 53, &to), -EINVAL);
	o.addrs = addrs;
	o.n_addrs = 2;
	ck_assert_int_eq(listen_open(&ctx.l, ctx.loop, &o, on_query, &ctx), 0);
	ck_assert_int_eq(listen_bound_addr(ctx.l, 0, &v4, &len), 0);
	ck_assert_int_eq(listen_bound_addr(ctx.l, 1, &v6, &len), 0);
	ck_assert_int_eq(listen_bound_addr(ctx.l, 2, &to, &len), -ENOENT);
	ck_assert_int_eq(v6.ss_family, AF_INET6);
	ck_assert_int_eq(udp_ask(&ctx, &v4, 41), 41);
	/* and the IPv6 wildcard answers over ::1 */
	memcpy(&to, &v6, sizeof(to));
	sin6->sin6_addr = in6addr_loopback;
	ck_assert_int_eq(udp_ask(&ctx, &to, 61), 61);
	listen_close(ctx.l);
	ev_loop_destroy(ctx.loop);
}
END_TEST

START_TEST(client_gone_before_replies_raises_no_sigpipe)
{
	struct listen_opts o = {0};
	struct tctx ctx;
	uint8_t frames[200];
	uint64_t end;
	size_t len;
	int fd;

	ctx_open(&ctx, MODE_DELAYED, &o);
	fd = client_socket(&ctx, SOCK_STREAM, 0);
	len = make_frame(frames, 90); /* answered after 10, 30, 60 ms */
	len += make_frame(frames + len, 70);
	len += make_frame(frames + len, 40);
	send_all(fd, frames, len);
	close(fd); /* the first reply meets a reset, the next a dead pipe */
	end = clock_mono_ms() + WAIT_MS;
	while (ctx.queries < 3 && clock_mono_ms() < end)
		run_ms(&ctx, 2);
	while (ctx.pending > 0 && clock_mono_ms() < end)
		run_ms(&ctx, 5);
	ck_assert_int_eq(ctx.queries, 3);
	ck_assert_int_eq(ctx.pending, 0);
	ck_assert_uint_eq(listen_tcp_clients(ctx.l), 0);
	ctx_close(&ctx);
}
END_TEST

Suite *
listen_suite(void)
{
	Suite *s = suite_create("listen");
	TCase *tc = tcase_create("listen");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, udp_query_is_answered);
	tcase_add_test(tc, udp_burst_is_answered_in_batches);
	tcase_add_test(tc,
	               udp_reply_from_wildcard_bind_comes_from_query_address);
	tcase_add_test(tc, tcp_pipelined_queries_all_answered_out_of_order);
	tcase_add_test(tc, tcp_query_sent_one_byte_at_a_time);
	tcase_add_test(tc, tcp_several_messages_in_one_write);
	tcase_add_test(tc, client_that_never_reads_does_not_stop_others);
	tcase_add_test(tc, zero_length_frame_closes_only_that_connection);
	tcase_add_test(tc, clients_over_limit_are_refused);
	tcase_add_test(tc, idle_connection_is_closed);
	tcase_add_test(tc, half_closed_client_still_gets_its_answers);
	tcase_add_test(tc, reply_after_close_is_discarded_safely);
	tcase_add_test(tc, client_gone_before_replies_raises_no_sigpipe);
	tcase_add_test(tc, accept_pauses_on_emfile_and_retries);
	tcase_add_test(tc, ipv4_and_ipv6_addresses_served_together);
	tcase_add_test(tc, stats_print_in_name_value_lines);
	suite_add_tcase(s, tc);
	return s;
}
