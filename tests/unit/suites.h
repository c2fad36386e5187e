/*
 * suites.h -- every unit-test suite, one line each: SUITE(name) declares
 * Suite *name_suite(void), defined in tests/unit/test_name.c.
 */
#ifndef SUITE
#define SUITE(name)
#endif

SUITE(clock)
SUITE(lines)
SUITE(acl)
SUITE(conf)
SUITE(hints)
SUITE(dname)
SUITE(cache)
SUITE(iter)
SUITE(deleg)
SUITE(servsel)
SUITE(query_share)
SUITE(frame)
SUITE(tcp_pool)
SUITE(upstream)
SUITE(pkt)
SUITE(answer)
SUITE(hit)
SUITE(listen)
SUITE(control)
