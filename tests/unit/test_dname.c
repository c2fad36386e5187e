/*
 * test_dname.c -- wire names: keys, case, subdomains, validation.
 */
#include "config.h"
#include "dns/dname.h"

#include <check.h>
#include <errno.h>
#include <string.h>

Suite *dname_suite(void);

static const uint8_t WWW[] = "\3www\7Example\3COM"; /* + final 0 */
static const uint8_t EXAMPLE[] = "\7example\3com";

START_TEST(key_reverses_labels_and_lowers_case)
{
	uint8_t key[DNAME_MAX_KEY], wire[DNAME_MAX_WIRE];
	int n = dname_to_key(WWW, sizeof(WWW), key, sizeof(key));

	ck_assert_int_eq(n, 16);
	ck_assert_mem_eq(key, "\3com\7example\3www", 16);
	n = dname_from_key(key, 16, wire, sizeof(wire));
	ck_assert_int_eq(n, 17);
	ck_assert_mem_eq(wire, "\3www\7example\3com\0", 17);
	ck_assert_int_eq(dname_to_key((const uint8_t *)"", 1, key, 4), 0);
}
END_TEST

START_TEST(ancestor_key_is_label_prefix)
{
	uint8_t a[DNAME_MAX_KEY], b[DNAME_MAX_KEY], c[DNAME_MAX_KEY];
	int la = dname_to_key(WWW, sizeof(WWW), a, sizeof(a));
	int lb = dname_to_key(EXAMPLE, sizeof(EXAMPLE), b, sizeof(b));
	int lc = dname_to_key((const uint8_t *)"\4comx", 7, c, sizeof(c));

	ck_assert(dname_key_is_below(a, (size_t)la, b, (size_t)lb));
	ck_assert(!dname_key_is_below(b, (size_t)lb, a, (size_t)la));
	ck_assert(dname_key_is_below(a, (size_t)la, a, 0));
	ck_assert(!dname_key_is_below(c, (size_t)lc, b, 4));
	ck_assert_uint_eq(dname_key_common(a, (size_t)la, b, (size_t)lb),
	                  (size_t)lb);
	ck_assert_uint_eq(dname_key_parent(a, (size_t)la), (size_t)lb);
	ck_assert_uint_eq(dname_key_common(a, (size_t)la, c, (size_t)lc), 0);
}
END_TEST

START_TEST(invalid_names_are_rejected)
{
	uint8_t key[DNAME_MAX_KEY], big[300];

	ck_assert_int_eq(dname_wire_len((const uint8_t *)"\3ww", 3), -EINVAL);
	ck_assert_int_eq(dname_wire_len((const uint8_t *)"\xc0\x0c", 2),
	                 -EINVAL);
	memset(big, 0, sizeof(big));
	for (size_t i = 0; i + 64 < sizeof(big); i += 64)
		big[i] = 63;
	ck_assert_int_eq(dname_wire_len(big, sizeof(big)), -EINVAL);
	ck_assert_int_eq(dname_to_key(big, sizeof(big), key, sizeof(key)),
	                 -EINVAL);
	ck_assert_int_eq(dname_from_key((const uint8_t *)"\5ab", 3, big, 10),
	                 -EINVAL);
}
END_TEST

START_TEST(subdomain_ignores_case)
{
	ck_assert(dname_is_subdomain(WWW, EXAMPLE));
	ck_assert(dname_is_subdomain(EXAMPLE, EXAMPLE));
	ck_assert(!dname_is_subdomain(EXAMPLE, WWW));
	ck_assert(dname_is_subdomain(EXAMPLE, (const uint8_t *)""));
	ck_assert(!dname_is_subdomain((const uint8_t *)"\3net",
	                              (const uint8_t *)"\3com"));
	ck_assert(
	    dname_equal((const uint8_t *)"\3COM", (const uint8_t *)"\3com"));
	ck_assert_int_eq(dname_label_count(WWW), 3);
}
END_TEST

Suite *
dname_suite(void)
{
	Suite *s = suite_create("dname");
	TCase *tc = tcase_create("dname");

	tcase_add_test(tc, key_reverses_labels_and_lowers_case);
	tcase_add_test(tc, ancestor_key_is_label_prefix);
	tcase_add_test(tc, invalid_names_are_rejected);
	tcase_add_test(tc, subdomain_ignores_case);
	suite_add_tcase(s, tc);
	return s;
}
