/*
 * run.c -- the one Check runner for every unit-test suite.
 *
 * CK_RUN_SUITE=name and CK_RUN_CASE=name (Check's own variables) select a
 * part; CK_FORK=no runs in one process, for valgrind and debuggers.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#define SUITE(name) Suite *name##_suite(void);
#include "tests/unit/suites.h"
#undef SUITE

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

#define SUITE(name) srunner_add_suite(sr, name##_suite());
#include "tests/unit/suites.h"
#undef SUITE

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
