/*
 * test_tcp_pool.c -- the TCP pool's bookkeeping, without sockets: the
 * address map, ID uniqueness, queueing beyond the in-flight cap, reply
 * matching, the retry-once rule and the idle deadline.
 */
#include "config.h"
#include "resolver/tcp_pool.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "resolver/upstream.h"

Suite *tcp_pool_suite(void);

struct fixture {
	struct ev_loop *loop;
	struct upstream_stats stats;
	struct upstream_rng rng;
	struct tcp_pool *pool;
	struct sockaddr_storage addr;
};

static void
addr_v4(struct sockaddr_storage *ss, const char *ip, unsigned port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin->sin_addr), 1);
}

static void
fixture_open(struct fixture *f, unsigned max_inflight, unsigned conns)
{
	struct tcp_pool_opts o;

	memset(f, 0, sizeof(*f));
	f->loop = ev_loop_new(EVFLAG_AUTO);
	upstream_rng_seed(&f->rng, 42);
	tcp_pool_opts_default(&o);
	o.max_inflight = max_inflight;
	o.conns_per_server = conns;
	o.idle_ms = 10000;
	f->pool = tcp_pool_new(f->loop, &o, &f->stats, &f->rng);
	ck_assert_ptr_nonnull(f->pool);
	addr_v4(&f->addr, "127.0.0.1", 5353);
}

static void
fixture_close(struct fixture *f)
{
	tcp_pool_free(f->pool);
	ev_loop_destroy(f->loop);
}

static void
never_called(void *arg, int rc, const uint8_t *reply, size_t len,
             uint32_t rtt_ms)
{
	(void)arg;
	(void)rc;
	(void)reply;
	(void)len;
	(void)rtt_ms;
	ck_abort_msg("bookkeeping must not call back");
}

/* A real query for name/A in wire format (caller frees). */
static uint8_t *
query_wire(const char *name, size_t *len)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, LDNS_RR_TYPE_A,
	                                            LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

/* The reply a server would send to the query wire (caller frees). */
static uint8_t *
reply_wire(const uint8_t *q, size_t qlen, size_t *len)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;

	ck_assert_int_eq(ldns_wire2pkt(&p, q, qlen), LDNS_STATUS_OK);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, len), LDNS_STATUS_OK);
	ldns_pkt_free(p);
	return wire;
}

static struct tcp_query *
new_query(struct fixture *f, const char *name)
{
	size_t len;
	uint8_t *w = query_wire(name, &len);
	struct tcp_query *q = tcp_query_new(f->pool, w, len, never_called, f);

	free(w);
	ck_assert_ptr_nonnull(q);
	return q;
}

/* The reply to q (asked for name) with q's current ID. */
static uint8_t *
reply_for(const struct tcp_query *q, const char *name, size_t *len)
{
	size_t qlen;
	uint8_t *w = query_wire(name, &qlen);
	uint8_t *r = reply_wire(w, qlen, len);
	uint16_t id = tcp_query_id(q);

	free(w);
	r[0] = (uint8_t)(id >> 8);
	r[1] = (uint8_t)id;
	return r;
}

static void
free_list(struct tcp_query *q)
{
	struct tcp_query *next;

	for (; q != NULL; q = next) {
		next = tcp_query_next(q);
		tcp_query_free(q);
	}
}

static struct tcp_conn *
one_conn(struct fixture *f)
{
	struct tcp_auth *a = tcp_pool_auth_get(f->pool, &f->addr, true);
	struct tcp_conn *c;

	ck_assert_ptr_nonnull(a);
	c = tcp_auth_conn_add(a, 1000);
	ck_assert_ptr_nonnull(c);
	return c;
}

START_TEST(address_map_keys_on_address_and_port)
{
	struct fixture f;
	struct sockaddr_storage other;
	struct tcp_auth *a, *b;

	fixture_open(&f, 100, 1);
	ck_assert_ptr_null(tcp_pool_auth_get(f.pool, &f.addr, false));
	a = tcp_pool_auth_get(f.pool, &f.addr, true);
	ck_assert_ptr_eq(tcp_pool_auth_get(f.pool, &f.addr, false), a);
	addr_v4(&other, "127.0.0.1", 5354);
	b = tcp_pool_auth_get(f.pool, &other, true);
	ck_assert_ptr_ne(a, b);
	addr_v4(&other, "127.0.0.2", 5353);
	ck_assert_ptr_ne(tcp_pool_auth_get(f.pool, &other, true), a);
	fixture_close(&f);
}
END_TEST

START_TEST(ids_are_unique_among_inflight_queries)
{
	struct fixture f;
	struct tcp_conn *c;
	struct tcp_query *qs[2000];
	static uint8_t seen[65536];
	int i;

	fixture_open(&f, 2000, 1);
	c = one_conn(&f);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 2000; i++) {
		qs[i] = new_query(&f, "www.example.");
		ck_assert_int_eq(tcp_conn_admit(c, qs[i], 1000), 0);
		ck_assert_msg(!seen[tcp_query_id(qs[i])], "duplicate id");
		seen[tcp_query_id(qs[i])] = 1;
	}
	ck_assert_uint_eq(tcp_conn_inflight(c), 2000);
	for (i = 0; i < 2000; i++) {
		tcp_query_detach(qs[i]);
		tcp_query_free(qs[i]);
	}
	fixture_close(&f);
}
END_TEST

START_TEST(queries_beyond_the_inflight_cap_wait_for_a_slot)
{
	struct fixture f;
	struct tcp_auth *a;
	struct tcp_conn *c;
	struct tcp_query *q[4], *got;
	uint8_t *rep;
	size_t rlen;
	bool dial;
	int i;

	fixture_open(&f, 3, 1);
	a = tcp_pool_auth_get(f.pool, &f.addr, true);
	ck_assert_ptr_null(tcp_auth_pick(a, &dial));
	ck_assert(dial); /* first need: dial */
	c = tcp_auth_conn_add(a, 1000);
	for (i = 0; i < 3; i++) {
		q[i] = new_query(&f, "a.example.");
		ck_assert_ptr_eq(tcp_auth_pick(a, &dial), c);
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 1000), 0);
	}
	q[3] = new_query(&f, "b.example.");
	ck_assert_int_eq(tcp_conn_admit(c, q[3], 1000), -EAGAIN);
	ck_assert_ptr_null(tcp_auth_pick(a, &dial));
	ck_assert(!dial); /* one connection per server: wait */
	tcp_auth_enqueue(a, q[3]);
	ck_assert_uint_eq(tcp_auth_queued(a), 1);

	/* an answer frees a slot for the waiting query */
	rep = reply_for(q[1], "a.example.", &rlen);
	got = tcp_conn_match(c, rep, rlen, 1500);
	free(rep);
	ck_assert_ptr_eq(got, q[1]);
	ck_assert_uint_eq(tcp_conn_inflight(c), 2);
	tcp_query_free(got);
	ck_assert_ptr_eq(tcp_auth_pick(a, &dial), c);
	got = tcp_auth_dequeue(a);
	ck_assert_ptr_eq(got, q[3]);
	ck_assert_int_eq(tcp_conn_admit(c, got, 1500), 0);
	ck_assert_uint_eq(tcp_auth_queued(a), 0);
	ck_assert_uint_eq(tcp_conn_inflight(c), 3);
	free_list(tcp_conn_take_all(c));
	fixture_close(&f);
}
END_TEST

START_TEST(second_connection_dialled_only_when_allowed_and_full)
{
	struct fixture f;
	struct tcp_auth *a;
	struct tcp_conn *c1, *c2;
	struct tcp_query *q1 = NULL, *q2 = NULL;
	bool dial;

	fixture_open(&f, 1, 2);
	a = tcp_pool_auth_get(f.pool, &f.addr, true);
	c1 = tcp_auth_conn_add(a, 1000);
	q1 = new_query(&f, "a.example.");
	ck_assert_int_eq(tcp_conn_admit(c1, q1, 1000), 0);
	ck_assert_ptr_null(tcp_auth_pick(a, &dial));
	ck_assert(dial);
	c2 = tcp_auth_conn_add(a, 1000);
	q2 = new_query(&f, "b.example.");
	ck_assert_ptr_eq(tcp_auth_pick(a, &dial), c2);
	ck_assert_int_eq(tcp_conn_admit(c2, q2, 1000), 0);
	ck_assert_ptr_null(tcp_auth_pick(a, &dial));
	ck_assert(!dial);
	ck_assert_uint_eq(tcp_auth_conns(a), 2);
	ck_assert_uint_eq(f.stats.tcp_conns_opened, 2);
	free_list(tcp_conn_take_all(c1));
	free_list(tcp_conn_take_all(c2));
	fixture_close(&f);
}
END_TEST

START_TEST(reply_matched_by_id_and_question_in_any_order)
{
	struct fixture f;
	struct tcp_conn *c;
	struct tcp_query *q[3];
	const char *names[3] = {"a.example.", "b.example.", "c.example."};
	uint8_t *rep;
	size_t rlen;
	int i;

	fixture_open(&f, 100, 1);
	c = one_conn(&f);
	for (i = 0; i < 3; i++) {
		q[i] = new_query(&f, names[i]);
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 1000), 0);
	}
	/* right ID, wrong question: ignored */
	rep = reply_for(q[0], "b.example.", &rlen);
	ck_assert_ptr_null(tcp_conn_match(c, rep, rlen, 1100));
	free(rep);
	/* right question, an ID not in flight: ignored */
	rep = reply_for(q[0], "a.example.", &rlen);
	rep[0] ^= 0x55;
	if (tcp_query_id(q[1]) == (uint16_t)(rep[0] << 8 | rep[1]) ||
	    tcp_query_id(q[2]) == (uint16_t)(rep[0] << 8 | rep[1]))
		rep[1] ^= 0x01;
	ck_assert_ptr_null(tcp_conn_match(c, rep, rlen, 1100));
	free(rep);
	/* a truncated header: ignored */
	rep = reply_for(q[0], "a.example.", &rlen);
	ck_assert_ptr_null(tcp_conn_match(c, rep, 11, 1100));
	free(rep);
	for (i = 2; i >= 0; i--) {
		/* question name case does not matter on TCP */
		rep = reply_for(q[i], i == 1 ? "B.EXAMPLE." : names[i], &rlen);
		ck_assert_ptr_eq(tcp_conn_match(c, rep, rlen, 1200), q[i]);
		free(rep);
		tcp_query_free(q[i]);
	}
	ck_assert_uint_eq(tcp_conn_inflight(c), 0);
	fixture_close(&f);
}
END_TEST

START_TEST(close_without_answers_retries_once_then_fails)
{
	struct fixture f;
	struct tcp_auth *a;
	struct tcp_conn *c;
	struct tcp_query *q[2], *fail;
	int i;

	fixture_open(&f, 100, 1);
	c = one_conn(&f);
	a = tcp_pool_auth_get(f.pool, &f.addr, false);
	for (i = 0; i < 2; i++) {
		q[i] = new_query(&f, "a.example.");
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 1000), 0);
		ck_assert(!tcp_query_is_retried(q[i]));
	}
	/* first close: both go back to the queue, in order */
	ck_assert_ptr_null(tcp_conn_requeue(c));
	ck_assert_uint_eq(tcp_conn_inflight(c), 0);
	ck_assert_uint_eq(tcp_auth_queued(a), 2);
	ck_assert_uint_eq(f.stats.tcp_retried, 2);
	ck_assert_ptr_eq(tcp_auth_dequeue(a), q[0]);
	ck_assert_ptr_eq(tcp_auth_dequeue(a), q[1]);
	ck_assert(tcp_query_is_retried(q[0]));
	for (i = 0; i < 2; i++)
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 2000), 0);
	/* second fruitless close: both must fail */
	fail = tcp_conn_requeue(c);
	ck_assert_ptr_eq(fail, q[0]);
	ck_assert_ptr_eq(tcp_query_next(fail), q[1]);
	ck_assert_ptr_null(tcp_query_next(q[1]));
	ck_assert_uint_eq(tcp_auth_queued(a), 0);
	ck_assert_uint_eq(f.stats.tcp_retried, 2);
	free_list(fail);
	fixture_close(&f);
}
END_TEST

START_TEST(close_after_answers_keeps_the_retry)
{
	struct fixture f;
	struct tcp_auth *a;
	struct tcp_conn *c;
	struct tcp_query *q[3];
	uint8_t *rep;
	size_t rlen;
	int round, i;

	fixture_open(&f, 100, 1);
	c = one_conn(&f);
	a = tcp_pool_auth_get(f.pool, &f.addr, false);
	for (i = 0; i < 3; i++) {
		q[i] = new_query(&f, "a.example.");
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 1000), 0);
	}
	/* a server that answers one per connection then closes: the rest
	 * keep being resent, as each connection made progress */
	for (round = 0; round < 3; round++) {
		rep = reply_for(q[round], "a.example.", &rlen);
		ck_assert_ptr_eq(tcp_conn_match(c, rep, rlen, 1100), q[round]);
		free(rep);
		tcp_query_free(q[round]);
		ck_assert_ptr_null(tcp_conn_requeue(c));
		ck_assert_uint_eq(tcp_auth_queued(a), 2u - (unsigned)round);
		for (i = round + 1; i < 3; i++) {
			ck_assert(!tcp_query_is_retried(q[i]));
			ck_assert_ptr_eq(tcp_auth_dequeue(a), q[i]);
			ck_assert_int_eq(tcp_conn_admit(c, q[i], 1200), 0);
		}
	}
	ck_assert_uint_eq(f.stats.tcp_retried, 3);
	fixture_close(&f);
}
END_TEST

START_TEST(timeout_without_answers_stalls_the_connection)
{
	struct fixture f;
	struct tcp_auth *a;
	struct tcp_conn *c;
	struct tcp_query *q[2];
	bool dial;
	int i;

	fixture_open(&f, 100, 1);
	c = one_conn(&f);
	a = tcp_pool_auth_get(f.pool, &f.addr, false);
	for (i = 0; i < 2; i++) {
		q[i] = new_query(&f, "a.example.");
		ck_assert_int_eq(tcp_conn_admit(c, q[i], 1000), 0);
	}
	tcp_conn_on_timeout(c, q[0]);
	tcp_query_free(q[0]);
	/* stalled: takes no new queries, closes once empty */
	ck_assert_ptr_null(tcp_auth_pick(a, &dial));
	ck_assert(!tcp_conn_should_close(c));
	tcp_conn_on_timeout(c, q[1]);
	tcp_query_free(q[1]);
	ck_assert(tcp_conn_should_close(c));
	fixture_close(&f);
}
END_TEST

START_TEST(idle_deadline_follows_last_activity)
{
	struct fixture f;
	struct tcp_conn *c;
	struct tcp_query *q;
	uint8_t *rep;
	size_t rlen;

	fixture_open(&f, 100, 1);
	c = one_conn(&f); /* opened at 1000 */
	ck_assert_uint_eq(tcp_conn_idle_deadline(c), 1000 + 10000);
	tcp_conn_touch(c, 4000);
	ck_assert_uint_eq(tcp_conn_idle_deadline(c), 4000 + 10000);
	q = new_query(&f, "a.example.");
	ck_assert_int_eq(tcp_conn_admit(c, q, 5000), 0);
	/* queued bytes and a query in flight: not idle */
	ck_assert_uint_eq(tcp_conn_idle_deadline(c), UINT64_MAX);
	rep = reply_for(q, "a.example.", &rlen);
	ck_assert_ptr_eq(tcp_conn_match(c, rep, rlen, 7000), q);
	free(rep);
	tcp_query_free(q);
	/* the frame is still unwritten in the queue */
	ck_assert_uint_eq(tcp_conn_idle_deadline(c), UINT64_MAX);
	fixture_close(&f);
}
END_TEST

Suite *
tcp_pool_suite(void)
{
	Suite *s = suite_create("tcp_pool");
	TCase *tc = tcase_create("bookkeeping");

	tcase_add_test(tc, address_map_keys_on_address_and_port);
	tcase_add_test(tc, ids_are_unique_among_inflight_queries);
	tcase_add_test(tc, queries_beyond_the_inflight_cap_wait_for_a_slot);
	tcase_add_test(tc,
	               second_connection_dialled_only_when_allowed_and_full);
	tcase_add_test(tc, reply_matched_by_id_and_question_in_any_order);
	tcase_add_test(tc, close_without_answers_retries_once_then_fails);
	tcase_add_test(tc, close_after_answers_keeps_the_retry);
	tcase_add_test(tc, timeout_without_answers_stalls_the_connection);
	tcase_add_test(tc, idle_deadline_follows_last_activity);
	suite_add_tcase(s, tc);
	return s;
}
