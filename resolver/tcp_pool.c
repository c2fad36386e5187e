/*
 * tcp_pool.c -- reused, pipelined TCP connections to authorities.
 *
 * The first half is bookkeeping without fds (tested directly); the second
 * half is the thin socket side driven by libev.
 */
#include "config.h"
#include "resolver/tcp_pool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <ev.h>

#include "resolver/frame.h"
#include "resolver/upstream.h"
#include "util/log.h"
#include "util/util.h"

#define AUTH_BUCKETS 256u
/* Above this many known addresses, forget the ones with no connection. */
#define AUTH_SWEEP_AT 4096u
#define DNS_HEADER_LEN 12u
/* Reads per readiness event, so one busy connection cannot starve the
 * loop. */
#define READS_PER_EVENT 16
#define IOV_MAX_USED 16

struct qlist {
	struct tcp_query *head, *tail;
	unsigned n;
};

struct tcp_query {
	struct tcp_query *prev, *next; /* in *list */
	struct qlist *list;            /* borrowed: list holding q, or NULL */
	struct tcp_pool *pool;         /* borrowed */
	struct tcp_conn *conn;         /* borrowed: while in flight */
	uint8_t *wire;                 /* owned: the query, ID rewritten */
	size_t len;
	uint64_t sent_ms;         /* when admitted to a connection */
	uint64_t answers_at_send; /* conn->n_answered then */
	bool is_retried;          /* its one retry is spent */
	int fail_rc;              /* non-zero: failure due from the timer */
	ev_timer timer;           /* deadline, or zero delay for fail_rc */
	tcp_pool_done_fn *cb;
	void *arg;
};

struct tcp_conn {
	struct tcp_conn *prev, *next; /* in auth->conns */
	struct tcp_auth *auth;        /* borrowed: owns c */
	int fd;                       /* owned, -1 before dialling */
	bool is_connected;
	bool is_stalled; /* a query timed out with no answer after it */
	bool is_closing; /* being torn down: takes no new query */
	struct qlist inflight;
	struct frame_reader rd;
	struct frame_writer wr;
	uint64_t opened_ms;
	uint64_t last_active_ms; /* last write, reply or new query */
	uint64_t n_answered;
	ev_io io;
	ev_timer timer; /* connect deadline, then the idle timeout */
};

struct tcp_auth {
	struct tcp_auth *hnext; /* hash chain */
	struct tcp_pool *pool;  /* borrowed */
	struct sockaddr_storage addr;
	struct sockaddr_storage source; /* AF_UNSPEC: any */
	struct tcp_conn *conns;         /* owned list */
	unsigned n_conns;
	struct qlist waiting;
	uint64_t conns_opened;
};

struct tcp_pool {
	struct ev_loop *loop; /* borrowed */
	struct tcp_pool_opts opts;
	struct upstream_stats *stats; /* borrowed */
	struct upstream_rng *rng;     /* borrowed */
	struct tcp_auth *buckets[AUTH_BUCKETS];
	unsigned n_auth;
	struct qlist failing; /* detached queries awaiting fail delivery */
};

void
tcp_pool_opts_default(struct tcp_pool_opts *o)
{
	o->idle_ms = 10000;
	o->connect_timeout_ms = 3000;
	o->max_inflight = 100;
	o->conns_per_server = 1;
	o->max_frame = FRAME_MAX_MSG;
	o->write_cap = 256 * 1024;
}

/* ---- lists ---- */

static void
ql_remove(struct tcp_query *q)
{
	struct qlist *l = q->list;

	if (l == NULL)
		return;
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		l->head = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	else
		l->tail = q->prev;
	l->n--;
	q->prev = q->next = NULL;
	q->list = NULL;
}

static void
ql_push_tail(struct qlist *l, struct tcp_query *q)
{
	assert(q->list == NULL);
	q->list = l;
	q->next = NULL;
	q->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = q;
	else
		l->head = q;
	l->tail = q;
	l->n++;
}

static void
ql_insert_after(struct qlist *l, struct tcp_query *after, struct tcp_query *q)
{
	if (after == NULL) { /* at the head */
		q->list = l;
		q->prev = NULL;
		q->next = l->head;
		if (l->head != NULL)
			l->head->prev = q;
		else
			l->tail = q;
		l->head = q;
		l->n++;
		return;
	}
	q->list = l;
	q->prev = after;
	q->next = after->next;
	if (after->next != NULL)
		after->next->prev = q;
	else
		l->tail = q;
	after->next = q;
	l->n++;
}

/* ---- bookkeeping ---- */

static unsigned
addr_hash(const struct sockaddr_storage *a)
{
	const uint8_t *p = (const uint8_t *)a;
	size_t i, n = upstream_addr_len(a);
	uint32_t h = 2166136261u; /* FNV-1a */

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h % AUTH_BUCKETS;
}

static bool
auth_is_unused(const struct tcp_auth *a)
{
	return a->n_conns == 0 && a->waiting.n == 0;
}

static void
auth_sweep(struct tcp_pool *p)
{
	struct tcp_auth **pp, *a;
	unsigned b;

	for (b = 0; b < AUTH_BUCKETS; b++) {
		for (pp = &p->buckets[b]; (a = *pp) != NULL;) {
			if (!auth_is_unused(a)) {
				pp = &a->hnext;
				continue;
			}
			*pp = a->hnext;
			free(a);
			p->n_auth--;
		}
	}
}

struct tcp_auth *
tcp_pool_auth_get(struct tcp_pool *p, const struct sockaddr_storage *addr,
                  bool create)
{
	unsigned b = addr_hash(addr);
	struct tcp_auth *a;

	for (a = p->buckets[b]; a != NULL; a = a->hnext)
		if (upstream_addr_equal(&a->addr, addr))
			return a;
	if (!create || upstream_addr_len(addr) == 0)
		return NULL;
	if (p->n_auth >= AUTH_SWEEP_AT)
		auth_sweep(p);
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->pool = p;
	a->addr = *addr;
	a->source.ss_family = AF_UNSPEC;
	a->hnext = p->buckets[b];
	p->buckets[b] = a;
	p->n_auth++;
	return a;
}

static void conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);
static void conn_io_cb(struct ev_loop *loop, ev_io *w, int revents);

struct tcp_conn *
tcp_auth_conn_add(struct tcp_auth *a, uint64_t now_ms)
{
	struct tcp_pool *p = a->pool;
	struct tcp_conn *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->auth = a;
	c->fd = -1;
	c->opened_ms = now_ms;
	c->last_active_ms = now_ms;
	frame_reader_init(&c->rd, p->opts.max_frame);
	frame_writer_init(&c->wr, p->opts.write_cap);
	ev_io_init(&c->io, conn_io_cb, -1, EV_WRITE);
	ev_timer_init(&c->timer, conn_timer_cb, 0., 0.);
	c->next = a->conns;
	if (a->conns != NULL)
		a->conns->prev = c;
	a->conns = c;
	a->n_conns++;
	a->conns_opened++;
	p->stats->tcp_conns_opened++;
	return c;
}

struct tcp_conn *
tcp_auth_pick(struct tcp_auth *a, bool *should_dial)
{
	const struct tcp_pool_opts *o = &a->pool->opts;
	struct tcp_conn *c, *best = NULL;

	for (c = a->conns; c != NULL; c = c->next) {
		if (c->is_stalled || c->is_closing ||
		    c->inflight.n >= o->max_inflight)
			continue;
		if (best == NULL || c->inflight.n < best->inflight.n)
			best = c;
	}
	*should_dial = best == NULL && a->n_conns < o->conns_per_server;
	return best;
}

struct tcp_query *
tcp_query_new(struct tcp_pool *p, const uint8_t *wire, size_t len,
              tcp_pool_done_fn *cb, void *arg)
{
	struct tcp_query *q;

	if (len < DNS_HEADER_LEN || len > FRAME_MAX_MSG)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	if ((q->wire = malloc(len)) == NULL) {
		free(q);
		return NULL;
	}
	memcpy(q->wire, wire, len);
	q->len = len;
	q->pool = p;
	q->cb = cb;
	q->arg = arg;
	ev_timer_init(&q->timer, NULL, 0., 0.);
	return q;
}

void
tcp_query_free(struct tcp_query *q)
{
	if (q == NULL)
		return;
	assert(q->list == NULL);
	ev_timer_stop(q->pool->loop, &q->timer);
	free(q->wire);
	free(q);
}

static bool
id_in_use(const struct tcp_conn *c, uint16_t id)
{
	const struct tcp_query *q;

	for (q = c->inflight.head; q != NULL; q = q->next)
		if (tcp_query_id(q) == id)
			return true;
	return false;
}

int
tcp_conn_admit(struct tcp_conn *c, struct tcp_query *q, uint64_t now_ms)
{
	struct tcp_pool *p = c->auth->pool;
	uint16_t id;
	int rc;

	if (c->inflight.n >= p->opts.max_inflight)
		return -EAGAIN;
	/* RFC 7766 s7: IDs are unique among a connection's pending
	 * queries; max_inflight < 65536 keeps this loop finite. */
	do
		id = upstream_rng_u16(p->rng);
	while (id_in_use(c, id));
	q->wire[0] = (uint8_t)(id >> 8);
	q->wire[1] = (uint8_t)id;
	if ((rc = frame_writer_push(&c->wr, q->wire, q->len)) < 0)
		return rc;
	q->conn = c;
	q->sent_ms = now_ms;
	q->answers_at_send = c->n_answered;
	ql_push_tail(&c->inflight, q);
	c->last_active_ms = now_ms;
	return 0;
}

void
tcp_auth_enqueue(struct tcp_auth *a, struct tcp_query *q)
{
	ql_push_tail(&a->waiting, q);
}

struct tcp_query *
tcp_auth_dequeue(struct tcp_auth *a)
{
	struct tcp_query *q = a->waiting.head;

	if (q != NULL)
		ql_remove(q);
	return q;
}

unsigned
tcp_auth_queued(const struct tcp_auth *a)
{
	return a->waiting.n;
}

struct tcp_query *
tcp_conn_match(struct tcp_conn *c, const uint8_t *reply, size_t len,
               uint64_t now_ms)
{
	struct tcp_query *q;

	if (len < DNS_HEADER_LEN)
		return NULL;
	for (q = c->inflight.head; q != NULL; q = q->next) {
		/* TCP needs no 0x20: an off-path attacker cannot inject
		 * into the stream, so the name is compared ignoring case */
		if (upstream_reply_matches(reply, len, q->wire, q->len, false))
			break;
	}
	if (q == NULL)
		return NULL;
	ql_remove(q);
	q->conn = NULL;
	c->n_answered++;
	c->is_stalled = false;
	c->last_active_ms = now_ms;
	return q;
}

void
tcp_query_detach(struct tcp_query *q)
{
	ql_remove(q);
	q->conn = NULL;
}

struct tcp_query *
tcp_conn_requeue(struct tcp_conn *c)
{
	struct tcp_auth *a = c->auth;
	struct tcp_query *q, *after = NULL, *fail = NULL, **fail_tail = &fail;

	while ((q = c->inflight.head) != NULL) {
		/* queries written after the last answer are often already
		 * doomed by the server's close: any answer on c counts */
		bool progressed = c->n_answered > 0;

		tcp_query_detach(q);
		if (!progressed && q->is_retried) {
			*fail_tail = q; /* chain through next */
			fail_tail = &q->next;
			continue;
		}
		/* a close after answers is the server's connection limit
		 * (RFC 7766 s6.2.4, NSD's tcp-query-count); only a close
		 * without any answer spends the retry */
		if (!progressed)
			q->is_retried = true;
		a->pool->stats->tcp_retried++;
		ql_insert_after(&a->waiting, after, q);
		after = q;
	}
	return fail;
}

struct tcp_query *
tcp_conn_take_all(struct tcp_conn *c)
{
	struct tcp_query *q, *list = NULL, **tail = &list;

	while ((q = c->inflight.head) != NULL) {
		tcp_query_detach(q);
		*tail = q;
		tail = &q->next;
	}
	return list;
}

struct tcp_query *
tcp_query_next(const struct tcp_query *q)
{
	return q->next;
}

void
tcp_conn_on_timeout(struct tcp_conn *c, struct tcp_query *q)
{
	if (c->n_answered == q->answers_at_send)
		c->is_stalled = true;
	tcp_query_detach(q);
}

bool
tcp_conn_should_close(const struct tcp_conn *c)
{
	return c->is_stalled && c->inflight.n == 0;
}

uint64_t
tcp_conn_idle_deadline(const struct tcp_conn *c)
{
	if (c->inflight.n > 0 || frame_writer_pending(&c->wr) > 0)
		return UINT64_MAX;
	return c->last_active_ms + c->auth->pool->opts.idle_ms;
}

void
tcp_conn_touch(struct tcp_conn *c, uint64_t now_ms)
{
	c->last_active_ms = now_ms;
}

unsigned
tcp_conn_inflight(const struct tcp_conn *c)
{
	return c->inflight.n;
}

unsigned
tcp_auth_conns(const struct tcp_auth *a)
{
	return a->n_conns;
}

uint16_t
tcp_query_id(const struct tcp_query *q)
{
	return (uint16_t)(q->wire[0] << 8 | q->wire[1]);
}

bool
tcp_query_is_retried(const struct tcp_query *q)
{
	return q->is_retried;
}

/* ---- socket side ---- */

static uint64_t
now_ms(const struct tcp_pool *p)
{
	return (uint64_t)(ev_now(p->loop) * 1000.0);
}

static void query_timer_cb(struct ev_loop *loop, ev_timer *w, int revents);

/* Delivers the result and frees q; q must be detached. */
static void
query_deliver(struct tcp_query *q, int rc, const uint8_t *reply, size_t len)
{
	uint64_t now = now_ms(q->pool);
	uint32_t rtt = q->sent_ms > 0 && now > q->sent_ms
	                   ? (uint32_t)MIN(now - q->sent_ms, UINT32_MAX)
	                   : 0;

	ql_remove(q); /* from the failing list, if there */
	q->cb(q->arg, rc, reply, len, rtt);
	tcp_query_free(q);
}

/* Fails q from the loop, never from the caller's stack. */
static void
query_fail_async(struct tcp_query *q, int rc)
{
	struct tcp_pool *p = q->pool;

	tcp_query_detach(q);
	q->fail_rc = rc;
	ql_push_tail(&p->failing, q);
	ev_timer_stop(p->loop, &q->timer);
	ev_timer_set(&q->timer, 0., 0.);
	ev_timer_start(p->loop, &q->timer);
}

static void
fail_list(struct tcp_query *list, int rc)
{
	struct tcp_query *q, *next;

	for (q = list; q != NULL; q = next) {
		next = q->next;
		q->next = NULL;
		query_fail_async(q, rc);
	}
}

static void
fail_waiting(struct tcp_auth *a, int rc)
{
	struct tcp_query *q;

	while ((q = tcp_auth_dequeue(a)) != NULL)
		query_fail_async(q, rc);
}

static void
conn_log(const struct tcp_conn *c, const char *what)
{
	char buf[64];

	if (!log_enabled(VERB_DETAIL))
		return;
	upstream_addr_str(&c->auth->addr, buf, sizeof(buf));
	log_verb(VERB_DETAIL, "tcp %s: %s, %llu answered", buf, what,
	         (unsigned long long)c->n_answered);
}

/* Stops, closes and frees c; its in-flight list must be empty. */
static void
conn_close(struct tcp_conn *c, const char *why)
{
	struct tcp_auth *a = c->auth;
	struct tcp_pool *p = a->pool;
	struct upstream_stats *st = p->stats;
	uint64_t now = now_ms(p);
	uint64_t age = now > c->opened_ms ? now - c->opened_ms : 0;

	assert(c->inflight.n == 0);
	conn_log(c, why);
	ev_io_stop(p->loop, &c->io);
	ev_timer_stop(p->loop, &c->timer);
	if (c->fd >= 0)
		close(c->fd);
	frame_reader_clear(&c->rd);
	frame_writer_clear(&c->wr);
	st->tcp_conns_closed++;
	st->tcp_conn_queries_total += c->n_answered;
	st->tcp_conn_queries_max = MAX(st->tcp_conn_queries_max, c->n_answered);
	st->tcp_conn_age_ms_total += age;
	st->tcp_conn_age_ms_max = MAX(st->tcp_conn_age_ms_max, age);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		a->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	a->n_conns--;
	free(c);
}

/* Watches for reading, and for writing while bytes are queued. */
static void
conn_update_io(struct tcp_conn *c)
{
	struct ev_loop *loop = c->auth->pool->loop;
	int events = EV_READ;

	if (!c->is_connected)
		events = EV_WRITE; /* RFC 793: writable once connected */
	else if (frame_writer_pending(&c->wr) > 0)
		events |= EV_WRITE;
	if (ev_is_active(&c->io) &&
	    (c->io.events & (EV_READ | EV_WRITE)) == events)
		return;
	ev_io_stop(loop, &c->io);
	ev_io_set(&c->io, c->fd, events);
	ev_io_start(loop, &c->io);
}

static int
conn_dial(struct tcp_conn *c)
{
	const struct tcp_auth *a = c->auth;
	struct tcp_pool *p = a->pool;
	int fd, one = 1;

	fd = socket(a->addr.ss_family,
	            SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	c->fd = fd;
	/* Pipelined queries (RFC 7766 s6.2.1.1) each go out at once: with
	 * Nagle, a query written while an earlier one is unacknowledged
	 * waits for that ACK, which the server may delay. Best effort. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (a->source.ss_family != AF_UNSPEC &&
	    bind(fd, (const struct sockaddr *)&a->source,
	         upstream_addr_len(&a->source)) < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)&a->addr,
	            upstream_addr_len(&a->addr)) < 0 &&
	    errno != EINPROGRESS)
		return errno == ECONNREFUSED ? -ECONNREFUSED : -errno;
	conn_log(c, "dialling");
	conn_update_io(c);
	c->timer.repeat = p->opts.connect_timeout_ms / 1000.0;
	ev_timer_again(p->loop, &c->timer);
	return 0;
}

/* Dialling failed: fail its queries, and the waiting ones if no other
 * connection to the address is left to carry them. */
static void
conn_dial_failed(struct tcp_conn *c, int rc)
{
	struct tcp_auth *a = c->auth;

	a->pool->stats->tcp_conn_failed++;
	fail_list(tcp_conn_take_all(c), rc);
	conn_close(c, rc == -ETIMEDOUT ? "connect timeout" : "connect failed");
	if (a->n_conns == 0)
		fail_waiting(a, rc);
}

/* Moves waiting queries onto connections, dialling where allowed. */
static void
auth_dispatch(struct tcp_auth *a)
{
	struct tcp_pool *p = a->pool;
	struct tcp_conn *c;
	struct tcp_query *q;
	bool dial;
	int rc;

	while (tcp_auth_queued(a) > 0) {
		if ((c = tcp_auth_pick(a, &dial)) == NULL) {
			if (!dial)
				return; /* wait for a free slot */
			if ((c = tcp_auth_conn_add(a, now_ms(p))) == NULL) {
				fail_waiting(a, -ENOMEM);
				return;
			}
			if ((rc = conn_dial(c)) < 0) {
				conn_dial_failed(c, rc);
				return;
			}
		}
		q = tcp_auth_dequeue(a);
		if ((rc = tcp_conn_admit(c, q, now_ms(p))) < 0) {
			query_fail_async(q, rc);
			continue;
		}
		p->stats->tcp_sent++;
		if (c->is_connected) {
			ev_timer_again(p->loop, &c->timer);
			conn_update_io(c);
		}
	}
}

static void conn_on_reply(struct tcp_conn *c, const uint8_t *msg, size_t len);

/*
 * While answers are still owed on c, acknowledges what arrives at once.
 * A server that writes pipelined answers with Nagle's algorithm on (NSD
 * does) holds each answer until the previous one is acknowledged, and
 * Linux delays that acknowledgement by up to 40 ms: without this, a
 * burst of truncated names stalls once per burst. Linux leaves quick-ACK
 * mode by itself and on every write of ours (it expects to piggyback the
 * ACK on a reply), hence after each read and each write. Best effort.
 */
static void
conn_quickack(const struct tcp_conn *c)
{
#ifdef TCP_QUICKACK
	int one = 1;

	if (c->inflight.n > 0)
		(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one,
		                 sizeof(one));
#else
	UNUSED(c);
#endif
}

/*
 * Before giving up on c, takes the replies already received: a server
 * that closes after k answers (RFC 7766 s6.2.4) makes our next write
 * fail with EPIPE while its answers still wait in the socket buffer.
 */
static void
conn_salvage(struct tcp_conn *c)
{
	const uint8_t *msg;
	size_t room, len;
	uint8_t *buf;
	ssize_t n;
	int i, rc = 0;

	c->is_closing = true; /* the callbacks must not pick c */
	for (i = 0; i < READS_PER_EVENT && rc == 0; i++) {
		if ((buf = frame_reader_space(&c->rd, &room)) == NULL)
			return;
		n = recv(c->fd, buf, room, MSG_DONTWAIT);
		if (n <= 0)
			return;
		frame_reader_commit(&c->rd, (size_t)n);
		while ((rc = frame_reader_next(&c->rd, &msg, &len)) == 1)
			conn_on_reply(c, msg, len);
	}
}

/* The server closed c or the socket failed: resend what may be. */
static void
conn_lost(struct tcp_conn *c, int rc)
{
	struct tcp_auth *a = c->auth;
	struct tcp_query *fail;

	conn_salvage(c);
	fail = tcp_conn_requeue(c);
	fail_list(fail, rc);
	conn_close(c, "closed by server");
	auth_dispatch(a);
}

/* A bad frame: the stream cannot be trusted, fail everything on it. */
static void
conn_broken(struct tcp_conn *c, int rc)
{
	struct tcp_auth *a = c->auth;

	fail_list(tcp_conn_take_all(c), rc);
	conn_close(c, rc == -EMSGSIZE ? "frame too large" : "bad frame");
	auth_dispatch(a);
}

static void
conn_on_reply(struct tcp_conn *c, const uint8_t *msg, size_t len)
{
	struct tcp_pool *p = c->auth->pool;
	uint64_t now = now_ms(p);
	struct tcp_query *q = tcp_conn_match(c, msg, len, now);

	if (q == NULL) {
		p->stats->spoofed++;
		return;
	}
	p->stats->tcp_replies++;
	if (now > q->sent_ms)
		p->stats->tcp_rtt_ms_total += now - q->sent_ms;
	p->stats->tcp_rtt_count++;
	query_deliver(q, 0, msg, len);
}

/* Returns 0 to go on reading, 1 when drained, <0 when c was closed. */
static int
conn_read_once(struct tcp_conn *c)
{
	const uint8_t *msg;
	size_t room, len;
	uint8_t *buf = frame_reader_space(&c->rd, &room);
	ssize_t n;
	int rc;

	if (buf == NULL) {
		conn_broken(c, -ENOMEM);
		return -1;
	}
	n = recv(c->fd, buf, room, 0);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 1;
	if (n <= 0) {
		conn_lost(c, n == 0 ? -ECONNRESET : -EIO);
		return -1;
	}
	frame_reader_commit(&c->rd, (size_t)n);
	while ((rc = frame_reader_next(&c->rd, &msg, &len)) == 1)
		conn_on_reply(c, msg, len);
	conn_quickack(c);
	if (rc < 0) {
		conn_broken(c, rc == -EMSGSIZE ? -EMSGSIZE : -EBADMSG);
		return -1;
	}
	return (size_t)n < room ? 1 : 0;
}

/* Returns 0, or <0 when c was closed. */
static int
conn_read(struct tcp_conn *c)
{
	struct tcp_pool *p = c->auth->pool;
	struct tcp_auth *a = c->auth;
	int i, rc = 0;

	for (i = 0; i < READS_PER_EVENT && rc == 0; i++)
		rc = conn_read_once(c);
	if (rc < 0)
		return rc;
	tcp_conn_touch(c, now_ms(p));
	ev_timer_again(p->loop, &c->timer);
	auth_dispatch(a); /* answered queries freed slots */
	return 0;
}

/* Returns 0, or <0 when c was closed. */
static int
conn_write(struct tcp_conn *c)
{
	struct tcp_pool *p = c->auth->pool;
	struct iovec iov[IOV_MAX_USED];
	struct msghdr mh;
	ssize_t n;

	while (frame_writer_pending(&c->wr) > 0) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = frame_writer_iov(&c->wr, iov, ARRAY_SIZE(iov));
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n < 0) {
			conn_lost(c, -EIO);
			return -1;
		}
		frame_writer_advance(&c->wr, (size_t)n);
		tcp_conn_touch(c, now_ms(p));
		ev_timer_again(p->loop, &c->timer);
	}
	conn_quickack(c);
	conn_update_io(c);
	return 0;
}

static void
conn_on_connected(struct tcp_conn *c)
{
	struct tcp_pool *p = c->auth->pool;
	int err = 0;
	socklen_t elen = sizeof(err);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
		err = errno;
	if (err != 0) {
		conn_dial_failed(c, err == ECONNREFUSED ? -ECONNREFUSED : -EIO);
		return;
	}
	c->is_connected = true;
	conn_log(c, "connected");
	/* RFC 7766 s6.2.3: from now on the timer is the idle timeout */
	c->timer.repeat = p->opts.idle_ms / 1000.0;
	tcp_conn_touch(c, now_ms(p));
	ev_timer_again(p->loop, &c->timer);
	conn_write(c);
}

static void
conn_io_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, io);

	UNUSED(loop);
	if (!c->is_connected) {
		if (revents & EV_WRITE)
			conn_on_connected(c);
		return;
	}
	/* Write first: queries queued while c was busy reach the server
	 * before the answers that arrived are handled, so the server works
	 * on them meanwhile. A failing write salvages the answers already
	 * received (conn_lost). */
	if ((revents & EV_WRITE) && conn_write(c) < 0)
		return;
	if (revents & EV_READ)
		conn_read(c);
}

static void
conn_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, timer);

	UNUSED(loop);
	UNUSED(revents);
	if (!c->is_connected) {
		conn_dial_failed(c, -ETIMEDOUT);
		return;
	}
	/* busy connections are guarded by their queries' deadlines; the
	 * repeating timer comes back after another idle period */
	if (tcp_conn_idle_deadline(c) == UINT64_MAX)
		return;
	conn_close(c, "idle");
}

static void
query_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_query *q = container_of(w, struct tcp_query, timer);
	struct tcp_conn *c = q->conn;
	struct tcp_auth *a;

	UNUSED(loop);
	UNUSED(revents);
	if (q->fail_rc != 0) {
		query_deliver(q, q->fail_rc, NULL, 0);
		return;
	}
	q->pool->stats->tcp_timeouts++;
	if (c != NULL) {
		a = c->auth;
		tcp_conn_on_timeout(c, q);
		if (tcp_conn_should_close(c)) {
			conn_close(c, "no answers");
			auth_dispatch(a);
		}
	} else {
		tcp_query_detach(q); /* still waiting for a slot */
	}
	query_deliver(q, -ETIMEDOUT, NULL, 0);
}

struct tcp_pool *
tcp_pool_new(struct ev_loop *loop, const struct tcp_pool_opts *opts,
             struct upstream_stats *stats, struct upstream_rng *rng)
{
	struct tcp_pool *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->loop = loop;
	p->opts = *opts;
	p->opts.max_inflight = MAX(1u, MIN(p->opts.max_inflight, 65535u));
	p->opts.conns_per_server = MAX(1u, p->opts.conns_per_server);
	p->opts.max_frame = MIN(p->opts.max_frame, (size_t)FRAME_MAX_MSG);
	p->stats = stats;
	p->rng = rng;
	return p;
}

/* Drops a's queries without callback and closes its connections. */
static void
auth_clear(struct tcp_auth *a)
{
	struct tcp_query *q, *next;

	while (a->conns != NULL) {
		for (q = tcp_conn_take_all(a->conns); q != NULL; q = next) {
			next = q->next;
			q->next = NULL;
			tcp_query_free(q);
		}
		conn_close(a->conns, "shutdown");
	}
	while ((q = tcp_auth_dequeue(a)) != NULL)
		tcp_query_free(q);
}

void
tcp_pool_close_all(struct tcp_pool *p)
{
	struct tcp_auth *a;
	struct tcp_query *q;
	unsigned b;

	for (b = 0; b < AUTH_BUCKETS; b++)
		for (a = p->buckets[b]; a != NULL; a = a->hnext)
			auth_clear(a);
	while ((q = p->failing.head) != NULL) {
		ql_remove(q);
		tcp_query_free(q);
	}
}

void
tcp_pool_free(struct tcp_pool *p)
{
	struct tcp_auth *a, *next;
	unsigned b;

	if (p == NULL)
		return;
	tcp_pool_close_all(p);
	for (b = 0; b < AUTH_BUCKETS; b++) {
		for (a = p->buckets[b]; a != NULL; a = next) {
			next = a->hnext;
			free(a);
		}
	}
	free(p);
}

struct tcp_query *
tcp_pool_send(struct tcp_pool *p, const struct sockaddr_storage *server,
              const struct sockaddr_storage *source, const uint8_t *wire,
              size_t len, uint32_t timeout_ms, tcp_pool_done_fn *cb, void *arg)
{
	struct tcp_query *q;
	struct tcp_auth *a;

	if ((q = tcp_query_new(p, wire, len, cb, arg)) == NULL)
		return NULL;
	ev_init(&q->timer, query_timer_cb);
	ev_timer_set(&q->timer, timeout_ms / 1000.0, 0.);
	ev_timer_start(p->loop, &q->timer);
	if ((a = tcp_pool_auth_get(p, server, true)) == NULL) {
		query_fail_async(q, -ENOMEM);
		return q;
	}
	if (source != NULL && source->ss_family == server->ss_family) {
		a->source = *source;
		/* the address only: the kernel picks the port */
		if (a->source.ss_family == AF_INET)
			((struct sockaddr_in *)&a->source)->sin_port = 0;
		else
			((struct sockaddr_in6 *)&a->source)->sin6_port = 0;
	}
	tcp_auth_enqueue(a, q);
	auth_dispatch(a);
	return q;
}

void
tcp_pool_cancel(struct tcp_query *q)
{
	if (q == NULL)
		return;
	tcp_query_detach(q);
	tcp_query_free(q);
}

void
tcp_pool_foreach_auth(const struct tcp_pool *p, tcp_pool_auth_fn *fn, void *arg)
{
	const struct tcp_auth *a;
	unsigned b;

	for (b = 0; b < AUTH_BUCKETS; b++)
		for (a = p->buckets[b]; a != NULL; a = a->hnext)
			fn(arg, &a->addr, a->conns_opened, a->n_conns);
}
