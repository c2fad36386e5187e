/*
 * test_lines.c -- the line reader on real streams: skipped lines and
 * their numbers, line endings, NUL bytes, read errors, long lines and the
 * "FILE:LINE: problem" text.
 */
#include "config.h"
#include "util/lines.h"

#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

Suite *lines_suite(void);

/* A reader over size bytes of text, which may hold NUL bytes. */
struct reader {
	FILE *fp;
	struct lines r;
	char err[256];
};

static void
reader_open(struct reader *t, const char *text, size_t size, char comment)
{
	t->fp = fmemopen((void *)text, size, "r");
	ck_assert_ptr_nonnull(t->fp);
	lines_init(&t->r, t->fp, "in.txt", comment);
	t->err[0] = '\0';
}

static void
reader_close(struct reader *t)
{
	lines_clear(&t->r);
	fclose(t->fp);
}

/* The next line must be want, numbered line. */
static void
expect_line(struct reader *t, int line, const char *want)
{
	char *got = NULL;

	ck_assert_int_eq(lines_next(&t->r, &got, t->err, sizeof(t->err)), 1);
	ck_assert_str_eq(got, want);
	ck_assert_int_eq(t->r.line, line);
}

static void
expect_end(struct reader *t, int last_line)
{
	char *got = NULL;

	ck_assert_int_eq(lines_next(&t->r, &got, t->err, sizeof(t->err)), 0);
	ck_assert_int_eq(t->r.line, last_line);
	ck_assert_str_eq(t->err, "");
}

static int vfail(char *err, size_t errlen, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static int
vfail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = lines_vfail(err, errlen, "cairn.conf", 12, fmt, ap);
	va_end(ap);
	return rc;
}

START_TEST(blank_and_comment_lines_are_skipped_but_counted)
{
	static const char text[] = "a: 1\n"
	                           "\n"
	                           "   \t\n"
	                           "# a comment\n"
	                           "  # an indented comment\n"
	                           "b: 2 # not a whole-line comment\n";
	struct reader t;

	reader_open(&t, text, sizeof(text) - 1, '#');
	expect_line(&t, 1, "a: 1");
	expect_line(&t, 6, "b: 2 # not a whole-line comment");
	expect_end(&t, 6);
	reader_close(&t);
}
END_TEST

START_TEST(endings_and_trailing_blanks_go_leading_blanks_stay)
{
	static const char text[] = "  owner A 192.0.2.1 \t\r\n"
	                           "\tA 192.0.2.2\r\n"
	                           "last line without newline";
	struct reader t;

	reader_open(&t, text, sizeof(text) - 1, ';');
	expect_line(&t, 1, "  owner A 192.0.2.1");
	expect_line(&t, 2, "\tA 192.0.2.2");
	expect_line(&t, 3, "last line without newline");
	expect_end(&t, 3);
	reader_close(&t);
}
END_TEST

START_TEST(without_comment_character_only_blank_lines_are_skipped)
{
	static const char text[] = "# kept\n\n; kept\n";
	struct reader t;

	reader_open(&t, text, sizeof(text) - 1, '\0');
	expect_line(&t, 1, "# kept");
	expect_line(&t, 3, "; kept");
	expect_end(&t, 3);
	reader_close(&t);
}
END_TEST

START_TEST(nul_byte_is_an_error_at_its_line)
{
	static const char text[] = "one\ntwo\nth\0ree\nfour\n";
	struct reader t;
	char *got = NULL;

	reader_open(&t, text, sizeof(text) - 1, '#');
	expect_line(&t, 1, "one");
	expect_line(&t, 2, "two");
	ck_assert_int_eq(lines_next(&t.r, &got, t.err, sizeof(t.err)), -EINVAL);
	ck_assert_str_eq(t.err, "in.txt:3: NUL byte in line");
	reader_close(&t);
}
END_TEST

START_TEST(read_error_names_file_and_cause)
{
	struct lines r;
	char err[256] = "", *got = NULL;
	FILE *fp = fopen("/dev/null", "w"); /* reading it fails: EBADF */

	ck_assert_ptr_nonnull(fp);
	lines_init(&r, fp, "/dev/null", '#');
	ck_assert_int_eq(lines_next(&r, &got, err, sizeof(err)), -EBADF);
	ck_assert_int_eq(r.line, 0);
	ck_assert_str_eq(err, "/dev/null:0: read error: Bad file descriptor");
	lines_clear(&r);
	fclose(fp);
}
END_TEST

START_TEST(long_line_is_returned_whole)
{
	static char text[20001], want[20000];
	struct reader t;

	memset(want, 'x', sizeof(want) - 1);
	snprintf(text, sizeof(text), "%s\n", want);
	reader_open(&t, text, sizeof(text) - 1, '#');
	expect_line(&t, 1, want);
	expect_end(&t, 1);
	reader_close(&t);
}
END_TEST

START_TEST(fail_text_names_file_and_line_and_fits_the_buffer)
{
	char err[64], small[16];

	ck_assert_int_eq(vfail(err, sizeof(err), "bad value \"%s\"", "x"),
	                 -EINVAL);
	ck_assert_str_eq(err, "cairn.conf:12: bad value \"x\"");
	ck_assert_int_eq(vfail(small, sizeof(small), "a long %s", "problem"),
	                 -EINVAL);
	ck_assert_str_eq(small, "cairn.conf:12: ");
	strcpy(small, "untouched");
	ck_assert_int_eq(vfail(small, 0, "ignored"), -EINVAL);
	ck_assert_str_eq(small, "untouched");
}
END_TEST

/* What each_line() saw: "LINE:TEXT;" per call, and the line to stop at. */
struct seen {
	char text[128];
	int stop_at;
};

static int
each_line(void *arg, int line, char *text)
{
	struct seen *s = arg;
	size_t n = strlen(s->text);

	snprintf(s->text + n, sizeof(s->text) - n, "%d:%s;", line, text);
	return line == s->stop_at ? -ERANGE : 0;
}

START_TEST(each_calls_back_per_line_and_stops_on_a_negative_return)
{
	static const char text[] = "# c\na\n\n  b\nc\n\n";
	struct seen s = {.text = "", .stop_at = 0};
	char err[64] = "";
	int last = -1;
	FILE *fp = fmemopen((void *)text, sizeof(text) - 1, "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(lines_each(fp, "in.txt", '#', each_line, &s, &last,
	                            err, sizeof(err)),
	                 0);
	ck_assert_str_eq(s.text, "2:a;4:  b;5:c;");
	ck_assert_int_eq(last, 6);
	ck_assert_str_eq(err, "");
	rewind(fp);
	s.text[0] = '\0';
	s.stop_at = 4;
	ck_assert_int_eq(lines_each(fp, "in.txt", '#', each_line, &s, &last,
	                            err, sizeof(err)),
	                 -ERANGE);
	ck_assert_str_eq(s.text, "2:a;4:  b;");
	ck_assert_int_eq(last, 4);
	fclose(fp);
}
END_TEST

static const char nul_text[] = "a\nb\0c\n";

START_TEST(each_passes_on_the_readers_error)
{
	struct seen s = {.text = "", .stop_at = 0};
	char err[64] = "";
	int last = -1;
	FILE *fp = fmemopen((void *)nul_text, sizeof(nul_text) - 1, "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(lines_each(fp, "in.txt", '#', each_line, &s, &last,
	                            err, sizeof(err)),
	                 -EINVAL);
	ck_assert_str_eq(s.text, "1:a;");
	ck_assert_int_eq(last, 2);
	ck_assert_ptr_nonnull(strstr(err, "in.txt:2: "));
	fclose(fp);
}
END_TEST

Suite *
lines_suite(void)
{
	Suite *s = suite_create("lines");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, blank_and_comment_lines_are_skipped_but_counted);
	tcase_add_test(tc, endings_and_trailing_blanks_go_leading_blanks_stay);
	tcase_add_test(tc,
	               without_comment_character_only_blank_lines_are_skipped);
	tcase_add_test(tc, nul_byte_is_an_error_at_its_line);
	tcase_add_test(tc, read_error_names_file_and_cause);
	tcase_add_test(tc, long_line_is_returned_whole);
	tcase_add_test(tc, fail_text_names_file_and_line_and_fits_the_buffer);
	tcase_add_test(tc,
	               each_calls_back_per_line_and_stops_on_a_negative_return);
	tcase_add_test(tc, each_passes_on_the_readers_error);
	suite_add_tcase(s, tc);
	return s;
}
