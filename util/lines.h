/*
 * lines.h -- a text file read line by line, for parsers that report
 * errors as "FILE:LINE: problem".
 *
 * The configuration parser (resolver/conf.c) and the root hints parser
 * (hints/hints.c) both read their input through this reader: it skips
 * blank lines and whole-line comments, rejects NUL bytes, counts lines and
 * turns read errors into a message naming the file and line. What a line
 * means is left to the caller. It does not open or close files and does
 * not log.
 */
#ifndef CAIRN_UTIL_LINES_H
#define CAIRN_UTIL_LINES_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include "util/log.h"

struct lines {
	FILE *fp;         /* borrowed: open for reading */
	const char *path; /* borrowed: names the input in messages */
	char comment;     /* first non-blank character of a comment line */
	int line;         /* of the line last read; 0 before the first */
	char *buf;        /* owned: the line last read */
	size_t cap;
};

/*
 * Prepares r (caller's storage) to read fp, which stays the caller's to
 * close. A line whose first non-blank character is comment is skipped;
 * '\0' skips blank lines only. Cannot fail; lines_clear() r when done.
 */
void lines_init(struct lines *r, FILE *fp, const char *path, char comment);

/* Frees what r owns; r may then be initialised again. */
void lines_clear(struct lines *r);

/*
 * Reads the next line that is neither blank nor a comment; r->line is its
 * number. Returns 1 with *out set to the line without its line ending and
 * trailing blanks, leading blanks kept (in a zone file they mean "same
 * owner"); *out is owned by r and valid until the next call. Returns 0 at
 * the end of the input (r->line is then the number of the last line);
 * -EINVAL if the line holds a NUL byte; -ENOMEM; -errno (-EIO if unknown)
 * if reading fails. On error err (errlen bytes, if errlen > 0) holds
 * "PATH:LINE: problem".
 */
int lines_next(struct lines *r, char **out, char *err, size_t errlen);

/* What lines_each() calls for each line: line is its number, text as
 * lines_next() gives it. A negative return stops the reading. */
typedef int (*lines_fn)(void *arg, int line, char *text);

/*
 * Reads fp to its end, calling fn(arg, line, text) for each line that is
 * neither blank nor a comment (as lines_init() and lines_next() define
 * them). Returns 0, the first negative value fn returned, or
 * lines_next()'s error (then err holds "PATH:LINE: problem"). *last_line
 * is the number of the last line read, for a message about the whole
 * input ("no servers") or about where fn stopped.
 */
int lines_each(FILE *fp, const char *path, char comment, lines_fn fn, void *arg,
               int *last_line, char *err, size_t errlen);

/*
 * Writes "PATH:LINE: " and the formatted problem into err (errlen bytes,
 * truncated to fit; nothing if errlen is 0). Returns -EINVAL, so that a
 * parser can return it as its error.
 */
int lines_vfail(char *err, size_t errlen, const char *path, int line,
                const char *fmt, va_list ap) LOG_PRINTF(5, 0);

#endif /* CAIRN_UTIL_LINES_H */
