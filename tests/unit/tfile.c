/*
 * tfile.c -- temp files and "PATH:LINE: problem" checks for the parser
 * suites.
 */
#include "config.h"
#include "tests/unit/tfile.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
tfile_write(struct tfile *f, const char *name, const char *text)
{
	FILE *fp;

	strcpy(f->dir, "/tmp/cairn-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(f->dir));
	ck_assert_int_lt(
	    snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name),
	    (int)sizeof(f->path));
	ck_assert_ptr_nonnull(fp = fopen(f->path, "w"));
	ck_assert_int_ge(fputs(text, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
}

void
tfile_remove(const struct tfile *f)
{
	unlink(f->path);
	rmdir(f->dir);
}

void
tfile_assert_error(const char *err, const char *path, int line,
                   const char *words)
{
	char where[192];

	snprintf(where, sizeof(where), "%s:%d: ", path, line);
	ck_assert_msg(strncmp(err, where, strlen(where)) == 0,
	              "\"%s\" does not start with \"%s\"", err, where);
	ck_assert_msg(strstr(err, words) != NULL,
	              "\"%s\" does not mention \"%s\"", err, words);
}
