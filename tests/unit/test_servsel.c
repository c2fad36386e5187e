/*
 * test_servsel.c -- RTT-based server choice, backoff, probing, EDNS and
 * TCP marks, table bound.
 */
#include "config.h"
#include "resolver/servsel.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "resolver/deleg.h"

Suite *servsel_suite(void);

/* A delegation with one NS name per address 192.0.2.<i+1>. */
static struct deleg *
make_deleg(size_t n)
{
	ldns_rdf *zone = ldns_dname_new_frm_str("example.");
	struct deleg *d = deleg_new(zone);
	struct deleg_opts o;
	size_t i;

	deleg_opts_init(&o);
	for (i = 0; i < n; i++) {
		char buf[128];
		ldns_rr *rr = NULL;

		snprintf(buf, sizeof(buf), "ns%zu.example.", i);
		ldns_rdf *name = ldns_dname_new_frm_str(buf);
		ck_assert_int_eq(deleg_add_ns(d, name), 0);
		ldns_rdf_deep_free(name);
		snprintf(buf, sizeof(buf), "ns%zu.example. 60 IN A 192.0.2.%zu",
		         i, i + 1);
		ck_assert_int_eq(ldns_rr_new_frm_str(&rr, buf, 60, NULL, NULL),
		                 LDNS_STATUS_OK);
		ck_assert_int_eq(deleg_add_addr_rr(d, rr, &o), 0);
		ldns_rr_free(rr);
	}
	ldns_rdf_deep_free(zone);
	return d;
}

static const struct sockaddr *
addr_of(const struct deleg *d, size_t i)
{
	return (const struct sockaddr *)&d->ns[i].addrs[0].ss;
}

static socklen_t
len_of(const struct deleg *d, size_t i)
{
	return d->ns[i].addrs[0].len;
}

/* The last octet of the chosen IPv4 address. */
static unsigned
picked(const struct servsel *t, const struct deleg *d,
       const struct servsel_tried *tried, uint64_t now, uint32_t rnd)
{
	struct servsel_choice c;

	ck_assert_int_eq(servsel_pick(t, d, tried, now, rnd, &c), 0);
	return ntohl(((const struct sockaddr_in *)(const void *)&c.ss)
	                 ->sin_addr.s_addr) &
	       0xff;
}

static struct servsel *
table(void)
{
	struct servsel_opts o;

	servsel_opts_init(&o);
	o.probe_permille = 0;
	return servsel_new(&o);
}

START_TEST(prefers_lowest_rtt_and_tries_the_rest_in_order)
{
	struct servsel *t = table();
	struct deleg *d = make_deleg(3);
	struct servsel_tried tried;
	struct servsel_choice c;
	uint32_t r;

	ck_assert_int_eq(
	    servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 80, 0), 0);
	servsel_report_rtt(t, addr_of(d, 1), len_of(d, 1), 10, 0);
	servsel_report_rtt(t, addr_of(d, 2), len_of(d, 2), 40, 0);
	servsel_tried_init(&tried);
	for (r = 0; r < 50; r++)
		ck_assert_uint_eq(picked(t, d, &tried, 1, r * 7919u), 2);
	servsel_tried_add(&tried, addr_of(d, 1), len_of(d, 1));
	ck_assert_uint_eq(picked(t, d, &tried, 1, 0), 3);
	servsel_tried_add(&tried, addr_of(d, 2), len_of(d, 2));
	ck_assert_uint_eq(picked(t, d, &tried, 1, 0), 1);
	servsel_tried_add(&tried, addr_of(d, 0), len_of(d, 0));
	ck_assert_int_eq(servsel_pick(t, d, &tried, 1, 0, &c), -ENOENT);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(untried_server_is_optimistic_but_not_best)
{
	struct servsel *t = table();
	struct deleg *d = make_deleg(3);
	struct servsel_tried tried;

	servsel_tried_init(&tried);
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 20, 0);
	servsel_report_rtt(t, addr_of(d, 1), len_of(d, 1), 900, 0);
	/* 20 ms known beats unknown; unknown (250) beats 900 ms known */
	ck_assert_uint_eq(picked(t, d, &tried, 1, 0), 1);
	servsel_tried_add(&tried, addr_of(d, 0), len_of(d, 0));
	ck_assert_uint_eq(picked(t, d, &tried, 1, 0), 3);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(timeout_follows_rfc6298_within_bounds)
{
	struct servsel_opts o;
	struct servsel *t;
	struct deleg *d = make_deleg(2);

	servsel_opts_init(&o);
	o.min_timeout_ms = 100;
	o.max_timeout_ms = 2000;
	t = servsel_new(&o);
	/* unknown: 3 * 250 */
	ck_assert_uint_eq(servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0)),
	                  750);
	/* first sample R: SRTT = R, RTTVAR = R/2, RTO = R + 4 * R/2 */
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 100, 0);
	ck_assert_uint_eq(servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0)),
	                  300);
	/* SRTT 7/8*100+1/8*20 = 90, RTTVAR 3/4*50+1/4*80 = 57 */
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 20, 0);
	ck_assert_uint_eq(servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0)),
	                  90 + 4 * 57);
	/* a fast stable server hits the floor */
	servsel_report_rtt(t, addr_of(d, 1), len_of(d, 1), 2, 0);
	ck_assert_uint_eq(servsel_timeout_ms(t, addr_of(d, 1), len_of(d, 1)),
	                  100);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(timeouts_back_off_exponentially_up_to_a_ceiling_and_recover)
{
	struct servsel_opts o;
	struct servsel *t;
	struct deleg *d = make_deleg(2);
	struct servsel_tried tried;
	struct servsel_choice c;
	uint32_t prev = 0, cur;
	int i;

	servsel_opts_init(&o);
	o.probe_permille = 0;
	o.backoff_max_ms = 10000;
	t = servsel_new(&o);
	servsel_tried_init(&tried);
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 10, 0);
	servsel_report_rtt(t, addr_of(d, 1), len_of(d, 1), 200, 0);
	for (i = 0; i < 10; i++) {
		servsel_report_timeout(t, addr_of(d, 0), len_of(d, 0), 1000);
		cur = servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0));
		ck_assert_uint_ge(cur, prev);
		ck_assert_uint_le(cur, o.max_timeout_ms);
		prev = cur;
	}
	ck_assert_uint_eq(prev, o.max_timeout_ms);
	/* backed off: the slower server is asked */
	ck_assert_uint_eq(picked(t, d, &tried, 1001, 0), 2);
	/* but never dead: the last one left is still asked */
	servsel_tried_add(&tried, addr_of(d, 1), len_of(d, 1));
	ck_assert_int_eq(servsel_pick(t, d, &tried, 1001, 0, &c), 0);
	ck_assert_uint_eq(c.timeout_ms, o.max_timeout_ms);
	servsel_tried_init(&tried);
	/* the backoff is capped: after the ceiling it competes again, with
	 * its doubled timeout as the cost */
	ck_assert_uint_eq(picked(t, d, &tried, 1000 + 10001, 0), 2);
	/* a reply ends the backoff */
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 12, 11002);
	ck_assert_uint_eq(picked(t, d, &tried, 11003, 0), 1);
	ck_assert_uint_lt(servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0)),
	                  o.max_timeout_ms);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(probes_pick_another_server_sometimes)
{
	struct servsel_opts o;
	struct servsel *t;
	struct deleg *d = make_deleg(3);
	struct servsel_tried tried;
	struct servsel_choice c;
	uint32_t r;
	int probes = 0, non_best = 0;

	servsel_opts_init(&o);
	o.probe_permille = 100;
	t = servsel_new(&o);
	servsel_tried_init(&tried);
	servsel_report_rtt(t, addr_of(d, 0), len_of(d, 0), 10, 0);
	servsel_report_rtt(t, addr_of(d, 1), len_of(d, 1), 50, 0);
	servsel_report_rtt(t, addr_of(d, 2), len_of(d, 2), 60, 0);
	for (r = 0; r < 10000; r++) {
		ck_assert_int_eq(
		    servsel_pick(t, d, &tried, 1, r * 2654435761u, &c), 0);
		probes += c.is_probe;
		non_best +=
		    ((const struct sockaddr_in *)(const void *)&c.ss)
		        ->sin_addr.s_addr !=
		    ((const struct sockaddr_in *)(const void *)addr_of(d, 0))
		        ->sin_addr.s_addr;
	}
	ck_assert_int_eq(probes, non_best);
	/* 10% of picks probe, two thirds of those land on another server */
	ck_assert_int_gt(probes, 300);
	ck_assert_int_lt(probes, 1200);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(edns_failure_and_truncation_are_remembered_for_a_while)
{
	struct servsel_opts o;
	struct servsel *t;
	struct deleg *d = make_deleg(1);
	struct servsel_tried tried;
	struct servsel_choice c;

	servsel_opts_init(&o);
	t = servsel_new(&o);
	servsel_tried_init(&tried);
	ck_assert_int_eq(servsel_pick(t, d, &tried, 0, 0, &c), 0);
	ck_assert(c.use_edns);
	ck_assert(!c.prefer_tcp);
	servsel_report_edns_fail(t, addr_of(d, 0), len_of(d, 0), 1000);
	servsel_report_truncated(t, addr_of(d, 0), len_of(d, 0), 1000);
	ck_assert_int_eq(servsel_pick(t, d, &tried, 2000, 0, &c), 0);
	ck_assert(!c.use_edns);
	ck_assert(c.prefer_tcp);
	ck_assert_int_eq(
	    servsel_pick(t, d, &tried, 1000 + o.prefer_tcp_ms, 0, &c), 0);
	ck_assert(!c.prefer_tcp);
	ck_assert_int_eq(servsel_pick(t, d, &tried, 1000 + o.no_edns_ms, 0, &c),
	                 0);
	ck_assert(c.use_edns);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

struct seen {
	int n;
	uint64_t errors;
	uint64_t timeouts;
};

static void
count_cb(const struct servsel_info *info, void *arg)
{
	struct seen *s = arg;

	s->n++;
	s->errors += info->n_errors;
	s->timeouts += info->n_timeouts;
}

START_TEST(table_is_bounded_and_evicts_least_recently_used)
{
	struct servsel_opts o;
	struct servsel *t;
	struct deleg *d = make_deleg(10);
	struct seen s = {0, 0, 0};
	size_t i;

	servsel_opts_init(&o);
	o.max_entries = 4;
	t = servsel_new(&o);
	for (i = 0; i < 10; i++)
		servsel_report_rtt(t, addr_of(d, i), len_of(d, i),
		                   (uint32_t)(10 + i), 0);
	servsel_report_error(t, addr_of(d, 9), len_of(d, 9), 0);
	servsel_report_timeout(t, addr_of(d, 8), len_of(d, 8), 0);
	ck_assert_uint_eq(servsel_count(t), 4);
	/* the first ones were evicted: unknown again */
	ck_assert_uint_eq(servsel_timeout_ms(t, addr_of(d, 0), len_of(d, 0)),
	                  750);
	servsel_foreach(t, 0, count_cb, &s);
	ck_assert_int_eq(s.n, 4);
	ck_assert_uint_eq(s.errors, 1);
	ck_assert_uint_eq(s.timeouts, 1);
	ck_assert_int_eq(servsel_report_rtt(t, NULL, 0, 1, 0), -EINVAL);
	servsel_free(t);
	deleg_free(d);
}
END_TEST

START_TEST(tried_set_matches_address_and_port)
{
	struct servsel_tried tried;
	struct sockaddr_in a;

	servsel_tried_init(&tried);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons(53);
	a.sin_addr.s_addr = htonl(0xc0000201);
	servsel_tried_add(&tried, (struct sockaddr *)&a, sizeof(a));
	servsel_tried_add(&tried, (struct sockaddr *)&a, sizeof(a));
	ck_assert_uint_eq(tried.n, 1);
	ck_assert(servsel_tried_has(&tried, (struct sockaddr *)&a, sizeof(a)));
	a.sin_port = htons(54);
	ck_assert(!servsel_tried_has(&tried, (struct sockaddr *)&a, sizeof(a)));
}
END_TEST

Suite *
servsel_suite(void)
{
	Suite *s = suite_create("servsel");
	TCase *tc = tcase_create("servsel");

	tcase_add_test(tc, prefers_lowest_rtt_and_tries_the_rest_in_order);
	tcase_add_test(tc, untried_server_is_optimistic_but_not_best);
	tcase_add_test(tc, timeout_follows_rfc6298_within_bounds);
	tcase_add_test(
	    tc, timeouts_back_off_exponentially_up_to_a_ceiling_and_recover);
	tcase_add_test(tc, probes_pick_another_server_sometimes);
	tcase_add_test(tc,
	               edns_failure_and_truncation_are_remembered_for_a_while);
	tcase_add_test(tc, table_is_bounded_and_evicts_least_recently_used);
	tcase_add_test(tc, tried_set_matches_address_and_port);
	suite_add_tcase(s, tc);
	return s;
}
