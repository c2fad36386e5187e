/*
 * control.h -- the control channel: a local UNIX stream socket on which
 * cairn-control asks a running cairnd for its counters, its server table,
 * a reload, a cache flush or a cache dump.
 *
 * Protocol (docs/cairn-control.8): the client sends one command line of
 * at most CONTROL_LINE_MAX bytes ending in "\n"; the server runs it and
 * writes the reply text, then a last line "ok" or "error: <reason>", and
 * closes. One command per connection.
 *
 * services.c opens the socket at startup (before the privilege drop) and
 * closes it first at exit. The channel reads the running parts through
 * ctx->svc and changes nothing itself except through cache_flush_name()
 * and ctx->reload. It runs each command to completion inside the loop:
 * a dump of a large cache holds up resolution while it is built.
 * control_parse() is pure and unit-tested on its own.
 */
#ifndef CAIRN_RESOLVER_CONTROL_H
#define CAIRN_RESOLVER_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <ldns/ldns.h>

struct cairn_ctx;
struct control;

#define CONTROL_LINE_MAX 512          /* command line, "\n" included */
#define CONTROL_MAX_CONNS 8           /* concurrent control connections */
#define CONTROL_IDLE_MS 10000         /* per connection, reset on progress */
#define CONTROL_REPLY_MAX (64u << 20) /* a dump is cut beyond this */

enum control_verb {
	CONTROL_STATS,
	CONTROL_SERVERS,
	CONTROL_RELOAD,
	CONTROL_FLUSH,
	CONTROL_DUMP
};

/* A parsed command. */
struct control_cmd {
	enum control_verb verb;
	ldns_rdf *name;       /* owned, NULL: none (flush always has one) */
	bool is_subtree;      /* -s: the name and everything below it */
	uint16_t type;        /* dump -t: 0 for every type */
	bool include_expired; /* dump --expired */
};

/*
 * Parses one command line (without or with its "\n" or "\r\n"): words
 * separated by blanks. Accepts "stats", "servers", "reload",
 * "flush [-s] NAME" and "dump [-s] [-n NAME] [-t TYPE] [--expired]".
 * Returns 0 and fills *cmd (release with control_cmd_clear()), or -EINVAL
 * with the reason in err (e.g. "unknown command 'x'"; errlen bytes,
 * always terminated) and nothing to release.
 */
int control_parse(const char *line, struct control_cmd *cmd, char *err,
                  size_t errlen);

/* Frees what control_parse() allocated; cmd may be zeroed. */
void control_cmd_clear(struct control_cmd *cmd);

/*
 * Runs cmd against the running daemon ctx and writes the reply text to
 * fp, without the final status line. Returns 0, or -errno with the reason
 * in err (errlen bytes) for the "error:" line.
 */
int control_exec(struct cairn_ctx *ctx, const struct control_cmd *cmd, FILE *fp,
                 char *err, size_t errlen);

/*
 * Opens the control socket at path on ctx->loop: creates its parent
 * directory, removes a stale socket file (a live one held by another
 * cairnd is an error), binds with mode 0660 and gives it to username
 * (unless ""). path "" means no control socket (*out = NULL, 0). ctx is
 * borrowed and must outlive the channel. Returns 0 and *out (owned:
 * control_close()), or -errno for the caller to log (-EADDRINUSE: a live
 * cairnd answers on path; -EEXIST: path is not a socket).
 */
int control_open(struct control **out, struct cairn_ctx *ctx, const char *path,
                 const char *username);

/* Drops every connection, closes and removes the socket; NULL: no-op. */
void control_close(struct control *c);

#endif /* CAIRN_RESOLVER_CONTROL_H */
