/*
 * test_clock.c -- the injectable wall clock and the monotonic clock.
 */
#include "config.h"
#include "util/clock.h"

#include <check.h>

Suite *clock_suite(void);

START_TEST(manual_clock_moves_only_when_set)
{
	struct clock_manual m;

	clock_manual_init(&m, 1000);
	ck_assert_int_eq(clock_now(&m.src), 1000);
	ck_assert_int_eq(clock_now(&m.src), 1000);
	clock_manual_set(&m, 5000);
	ck_assert_int_eq(clock_now(&m.src), 5000);
	clock_manual_set(&m, 10); /* backward jumps are allowed */
	ck_assert_int_eq(clock_now(&m.src), 10);
}
END_TEST

START_TEST(system_clock_follows_time)
{
	struct clock_src c;
	time_t before = time(NULL);
	time_t now;

	clock_init_system(&c);
	now = clock_now(&c);
	ck_assert_int_ge(now, before);
	ck_assert_int_le(now, time(NULL));
	ck_assert_int_ge(clock_now(NULL), before);
}
END_TEST

START_TEST(monotonic_clock_never_goes_back)
{
	uint64_t a = clock_mono_ms();
	uint64_t b = clock_mono_ms();

	ck_assert_uint_ge(b, a);
}
END_TEST

Suite *
clock_suite(void)
{
	Suite *s = suite_create("clock");
	TCase *tc = tcase_create("clock");

	tcase_add_test(tc, manual_clock_moves_only_when_set);
	tcase_add_test(tc, system_clock_follows_time);
	tcase_add_test(tc, monotonic_clock_never_goes_back);
	suite_add_tcase(s, tc);
	return s;
}
