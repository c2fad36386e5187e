/*
 * lines.c -- a text file read line by line with line numbers.
 */
#include "config.h"
#include "util/lines.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define BLANKS " \t\r\n"

static int fail(const struct lines *r, char *err, size_t errlen,
                const char *fmt, ...) LOG_PRINTF(4, 5);

static int
fail(const struct lines *r, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = lines_vfail(err, errlen, r->path, r->line, fmt, ap);
	va_end(ap);
	return rc;
}

int
lines_vfail(char *err, size_t errlen, const char *path, int line,
            const char *fmt, va_list ap)
{
	int n;

	if (errlen == 0)
		return -EINVAL;
	n = snprintf(err, errlen, "%s:%d: ", path, line);
	if (n >= 0 && (size_t)n < errlen)
		vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	return -EINVAL;
}

void
lines_init(struct lines *r, FILE *fp, const char *path, char comment)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	r->path = path;
	r->comment = comment;
}

void
lines_clear(struct lines *r)
{
	free(r->buf);
	r->buf = NULL;
	r->cap = 0;
}

/* Why getline() returned -1: 0 at the end of the input, else -errno. */
static int
read_end(struct lines *r, int saved_errno, char *err, size_t errlen)
{
	int rc;

	if (!ferror(r->fp) && feof(r->fp))
		return 0;
	rc = saved_errno ? -saved_errno : -EIO;
	if (rc == -ENOMEM)
		fail(r, err, errlen, "out of memory");
	else
		fail(r, err, errlen, "read error: %s", strerror(-rc));
	return rc;
}

static bool
is_skipped(const struct lines *r, const char *line)
{
	const char *s = line + strspn(line, BLANKS);

	return *s == '\0' || (r->comment != '\0' && *s == r->comment);
}

int
lines_next(struct lines *r, char **out, char *err, size_t errlen)
{
	ssize_t len;

	for (;;) {
		errno = 0;
		if ((len = getline(&r->buf, &r->cap, r->fp)) < 0)
			return read_end(r, errno, err, errlen);
		r->line++;
		if (strlen(r->buf) != (size_t)len)
			return fail(r, err, errlen, "NUL byte in line");
		while (len > 0 && strchr(BLANKS, r->buf[len - 1]) != NULL)
			r->buf[--len] = '\0';
		if (!is_skipped(r, r->buf))
			break;
	}
	*out = r->buf;
	return 1;
}

int
lines_each(FILE *fp, const char *path, char comment, lines_fn fn, void *arg,
           int *last_line, char *err, size_t errlen)
{
	struct lines in;
	char *text;
	int rc;

	lines_init(&in, fp, path, comment);
	while ((rc = lines_next(&in, &text, err, errlen)) > 0)
		if ((rc = fn(arg, in.line, text)) < 0)
			break;
	*last_line = in.line;
	lines_clear(&in);
	return rc;
}
