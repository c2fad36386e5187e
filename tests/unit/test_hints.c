/*
 * test_hints.c -- root hints: the compiled-in named.root and files, valid
 * and malformed, parsed by ldns.
 */
#include "config.h"
#include "hints/hints.h"

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/unit/tfile.h"

Suite *hints_suite(void);

struct hints_file {
	struct tfile file;
	char err[HINTS_ERR_LEN];
};

/* Writes text to a fresh file and loads it. */
static int
load_text(struct hints_file *f, const char *text, struct hints **out)
{
	int rc;

	tfile_write(&f->file, "named.root", text);
	rc = hints_load_file(f->file.path, out, f->err, sizeof(f->err));
	tfile_remove(&f->file);
	return rc;
}

static void
expect_error(const char *text, int line, const char *words)
{
	struct hints_file f;
	struct hints *h = NULL;

	ck_assert_int_eq(load_text(&f, text, &h), -EINVAL);
	ck_assert_ptr_null(h);
	tfile_assert_error(f.err, f.file.path, line, words);
}

START_TEST(builtin_hints_hold_thirteen_servers)
{
	struct hints *h = NULL;
	char err[HINTS_ERR_LEN];
	char *name;
	size_t i;

	ck_assert_msg(hints_load_builtin(&h, err, sizeof(err)) == 0, "%s", err);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_NS), 13);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_A), 13);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_AAAA), 13);
	ck_assert_uint_eq(h->n_servers, 13);
	for (i = 0; i < h->n_servers; i++) {
		char expect[32];

		snprintf(expect, sizeof(expect), "%c.root-servers.net.",
		         (int)('a' + i));
		name = ldns_rdf2str(h->servers[i].name);
		ck_assert_msg(strcasecmp(name, expect) == 0, "%s", name);
		free(name);
		ck_assert_uint_eq(ldns_rr_list_rr_count(h->servers[i].addrs),
		                  2);
	}
	/* spot-check one address: a.root-servers.net */
	name = ldns_rdf2str(
	    ldns_rr_a_address(ldns_rr_list_rr(h->servers[0].addrs, 0)));
	ck_assert_str_eq(name, "198.41.0.4");
	free(name);
	hints_free(h);
}
END_TEST

START_TEST(valid_file_is_grouped_by_server)
{
	struct hints_file f;
	struct hints *h = NULL;
	char *s;

	ck_assert_msg(load_text(&f,
	                        "; lab root hints\n"
	                        "$TTL 86400\n"
	                        "ns2.lab. A 127.0.0.3\n"
	                        ".         NS ns1.lab.\n"
	                        ".   3600  NS ns2.lab.\n"
	                        "\n"
	                        "ns1.lab. 3600 IN A 127.0.0.2 ; the first\n"
	                        "ns1.lab. AAAA ::1\n",
	                        &h) == 0,
	              "%s", f.err);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_NS), 2);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_A), 2);
	ck_assert_uint_eq(hints_count(h, LDNS_RR_TYPE_AAAA), 1);
	s = ldns_rdf2str(h->servers[0].name);
	ck_assert_str_eq(s, "ns1.lab.");
	free(s);
	ck_assert_uint_eq(ldns_rr_list_rr_count(h->servers[0].addrs), 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(h->servers[1].addrs), 1);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(h->ns, 0)), 86400);
	ck_assert_uint_eq(ldns_rr_ttl(ldns_rr_list_rr(h->ns, 1)), 3600);
	hints_free(h);
}
END_TEST

START_TEST(bad_record_names_its_line)
{
	expect_error(". NS a.lab.\n"
	             "a.lab. A 127.0.0.2\n"
	             "\n"
	             "; comment\n"
	             "a.lab. A 127.0.0.300\n",
	             5, "");
	expect_error(". NS a.lab.\na.lab. A 127.0.0.2\nthis is not a record\n",
	             3, "");
	expect_error(". NS a.lab.\na.lab. A 127.0.0.2\nlab. MX 10 a.lab.\n", 3,
	             "unexpected MX record");
	expect_error(". NS a.lab.\nlab. NS a.lab.\na.lab. A 127.0.0.2\n", 2,
	             "NS record not owned by the root");
	expect_error(". NS a.lab.\n. CH NS a.lab.\na.lab. A 127.0.0.2\n", 2,
	             "class is not IN");
	expect_error("$INCLUDE other\n", 1, "unsupported directive");
	expect_error("$TTL soon\n", 1, "bad $TTL");
}
END_TEST

START_TEST(ns_without_address_is_an_error)
{
	expect_error(". NS a.lab.\n"
	             ". NS b.lab.\n"
	             "a.lab. A 127.0.0.2\n",
	             2, "NS b.lab. has no A or AAAA record");
	expect_error(". NS a.lab.\n"
	             "a.lab. A 127.0.0.2\n"
	             "c.lab. A 127.0.0.4\n",
	             3, "address for c.lab., which is not a root name server");
	expect_error(". NS a.lab.\n. NS a.lab.\na.lab. A 127.0.0.2\n", 2,
	             "duplicate NS");
}
END_TEST

START_TEST(file_without_ns_is_an_error)
{
	expect_error("", 0, "no NS record");
	expect_error("; only a comment\n\n", 2, "no NS record");
	expect_error("a.lab. A 127.0.0.2\n", 1, "no NS record");
}
END_TEST

START_TEST(missing_file_is_an_error)
{
	struct hints *h = NULL;
	char err[HINTS_ERR_LEN];

	ck_assert_int_eq(
	    hints_load_file("/nonexistent/named.root", &h, err, sizeof(err)),
	    -ENOENT);
	ck_assert_ptr_null(h);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/named.root:0: "));
	hints_free(NULL);
}
END_TEST

Suite *
hints_suite(void)
{
	Suite *s = suite_create("hints");
	TCase *tc = tcase_create("hints");

	tcase_add_test(tc, builtin_hints_hold_thirteen_servers);
	tcase_add_test(tc, valid_file_is_grouped_by_server);
	tcase_add_test(tc, bad_record_names_its_line);
	tcase_add_test(tc, ns_without_address_is_an_error);
	tcase_add_test(tc, file_without_ns_is_an_error);
	tcase_add_test(tc, missing_file_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}
