/*
 * test_acl.c -- longest-prefix access control over real sockaddrs.
 */
#include "config.h"
#include "resolver/acl.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

Suite *acl_suite(void);

static enum acl_action
match4(const struct acl *acl, const char *ip)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	ck_assert_int_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);
	return acl_match(acl, (struct sockaddr *)&sin);
}

static enum acl_action
match6(const struct acl *acl, const char *ip)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, ip, &sin6.sin6_addr), 1);
	return acl_match(acl, (struct sockaddr *)&sin6);
}

START_TEST(defaults_allow_private_and_refuse_public)
{
	struct acl acl;

	acl_init(&acl);
	ck_assert_int_eq(acl_add_defaults(&acl), 0);
	ck_assert_int_eq(match4(&acl, "127.0.0.1"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "10.200.3.4"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "172.31.255.255"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "172.32.0.1"), ACL_REFUSE);
	ck_assert_int_eq(match4(&acl, "192.168.1.10"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "169.254.9.9"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "8.8.8.8"), ACL_REFUSE);
	ck_assert_int_eq(match6(&acl, "::1"), ACL_ALLOW);
	ck_assert_int_eq(match6(&acl, "::2"), ACL_REFUSE);
	ck_assert_int_eq(match6(&acl, "fd12:3456::1"), ACL_ALLOW);
	ck_assert_int_eq(match6(&acl, "fe80::1"), ACL_ALLOW);
	ck_assert_int_eq(match6(&acl, "2001:db8::1"), ACL_REFUSE);
	acl_clear(&acl);
}
END_TEST

START_TEST(longest_prefix_wins_regardless_of_order)
{
	struct acl acl;

	acl_init(&acl);
	ck_assert_int_eq(acl_add(&acl, "10.1.2.0/24", ACL_DENY), 0);
	ck_assert_int_eq(acl_add(&acl, "10.0.0.0/8", ACL_ALLOW), 0);
	ck_assert_int_eq(acl_add(&acl, "10.1.2.3", ACL_REFUSE), 0);
	ck_assert_int_eq(match4(&acl, "10.9.9.9"), ACL_ALLOW);
	ck_assert_int_eq(match4(&acl, "10.1.2.4"), ACL_DENY);
	ck_assert_int_eq(match4(&acl, "10.1.2.3"), ACL_REFUSE);
	ck_assert_int_eq(match4(&acl, "11.0.0.1"), ACL_REFUSE);
	acl_clear(&acl);
}
END_TEST

START_TEST(ipv6_prefix_not_on_byte_boundary)
{
	struct acl acl;

	acl_init(&acl);
	ck_assert_int_eq(acl_add(&acl, "2001:db8::/33", ACL_ALLOW), 0);
	ck_assert_int_eq(match6(&acl, "2001:db8:7fff::1"), ACL_ALLOW);
	ck_assert_int_eq(match6(&acl, "2001:db8:8000::1"), ACL_REFUSE);
	ck_assert_int_eq(acl_add(&acl, "::/0", ACL_DENY), 0);
	ck_assert_int_eq(match6(&acl, "2001:db8:8000::1"), ACL_DENY);
	ck_assert_int_eq(match6(&acl, "2001:db8::5"), ACL_ALLOW);
	/* an IPv6 catch-all says nothing about IPv4 */
	ck_assert_int_eq(match4(&acl, "1.2.3.4"), ACL_REFUSE);
	acl_clear(&acl);
}
END_TEST

START_TEST(v4_mapped_v6_matches_ipv4_rules)
{
	struct acl acl;

	acl_init(&acl);
	ck_assert_int_eq(acl_add(&acl, "192.0.2.0/24", ACL_ALLOW), 0);
	ck_assert_int_eq(acl_add(&acl, "192.0.2.66/32", ACL_DENY), 0);
	ck_assert_int_eq(match6(&acl, "::ffff:192.0.2.1"), ACL_ALLOW);
	ck_assert_int_eq(match6(&acl, "::ffff:192.0.2.66"), ACL_DENY);
	ck_assert_int_eq(match6(&acl, "::ffff:198.51.100.1"), ACL_REFUSE);
	acl_clear(&acl);
}
END_TEST

START_TEST(same_netblock_replaces_action)
{
	struct acl acl;

	acl_init(&acl);
	ck_assert_int_eq(acl_add_defaults(&acl), 0);
	/* host bits are ignored: 127.1.2.3/8 is 127.0.0.0/8 */
	ck_assert_int_eq(acl_add(&acl, "127.1.2.3/8", ACL_DENY), 0);
	ck_assert_int_eq(match4(&acl, "127.0.0.1"), ACL_DENY);
	ck_assert_uint_eq(acl.n_rules, 8);
	acl_clear(&acl);
}
END_TEST

START_TEST(malformed_netblocks_are_rejected)
{
	static const char *const bad[] = {
	    "",
	    "/8",
	    "10.0.0.0/",
	    "10.0.0.0/33",
	    "::/129",
	    "10.0.0/8",
	    "10.0.0.0/8x",
	    "10.0.0.0/-1",
	    "example.com",
	    "10.0.0.0 /8",
	};
	struct acl acl;
	size_t i;

	acl_init(&acl);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(acl_add(&acl, bad[i], ACL_ALLOW) == -EINVAL,
		              "accepted \"%s\"", bad[i]);
	ck_assert_uint_eq(acl.n_rules, 0);
	acl_clear(&acl);
}
END_TEST

START_TEST(actions_parse_and_print)
{
	enum acl_action a;

	ck_assert_int_eq(acl_action_parse("allow", &a), 0);
	ck_assert_int_eq(a, ACL_ALLOW);
	ck_assert_int_eq(acl_action_parse("deny", &a), 0);
	ck_assert_int_eq(a, ACL_DENY);
	ck_assert_int_eq(acl_action_parse("refuse", &a), 0);
	ck_assert_int_eq(a, ACL_REFUSE);
	ck_assert_int_eq(acl_action_parse("Allow", &a), -EINVAL);
	ck_assert_str_eq(acl_action_str(ACL_DENY), "deny");
}
END_TEST

START_TEST(unknown_family_is_refused)
{
	struct acl acl;
	struct sockaddr sa;

	acl_init(&acl);
	ck_assert_int_eq(acl_add(&acl, "0.0.0.0/0", ACL_ALLOW), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_family = AF_UNIX;
	ck_assert_int_eq(acl_match(&acl, &sa), ACL_REFUSE);
	ck_assert_int_eq(acl_match(&acl, NULL), ACL_REFUSE);
	acl_clear(&acl);
}
END_TEST

Suite *
acl_suite(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("acl");

	tcase_add_test(tc, defaults_allow_private_and_refuse_public);
	tcase_add_test(tc, longest_prefix_wins_regardless_of_order);
	tcase_add_test(tc, ipv6_prefix_not_on_byte_boundary);
	tcase_add_test(tc, v4_mapped_v6_matches_ipv4_rules);
	tcase_add_test(tc, same_netblock_replaces_action);
	tcase_add_test(tc, malformed_netblocks_are_rejected);
	tcase_add_test(tc, actions_parse_and_print);
	tcase_add_test(tc, unknown_family_is_refused);
	suite_add_tcase(s, tc);
	return s;
}
