/*
 * suites.h -- every unit-test suite, one line each: SUITE(name) declares
 * Suite *name_suite(void), defined in tests/unit/test_name.c.
 */
#ifndef SUITE
#define SUITE(name)
#endif

SUITE(clock)
SUITE(pkt)
SUITE(answer)
SUITE(listen)
