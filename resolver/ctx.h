/*
 * ctx.h -- struct cairn_ctx, the one object main.c builds and passes down.
 *
 * Everything the daemon shares between modules hangs off the context: the
 * event loop, the running configuration, and (as they are added) the cache,
 * the listeners, the upstream pool and the counters. There are no mutable
 * globals: a module gets what it needs from ctx, or better, only the part
 * it needs.
 */
#ifndef CAIRN_RESOLVER_CTX_H
#define CAIRN_RESOLVER_CTX_H

#include <ev.h>
#include <stdbool.h>
#include <stdint.h>

struct config;
struct hints;
struct services;
struct cairn_ctx;

/* Rereads the configuration file and applies it (SIGHUP, control
 * "reload"). Returns 0, or -errno if the file was rejected. */
typedef int cairn_reload_fn(struct cairn_ctx *ctx);

/* Process-wide counters, reported by the control socket and the logs. */
struct cairn_counters {
	uint64_t reloads;       /* SIGHUP reloads applied */
	uint64_t reload_errors; /* SIGHUP reloads rejected */
};

struct cairn_ctx {
	struct ev_loop *loop;    /* owned: made and destroyed by main.c */
	struct config *cfg;      /* owned: replaced in place on reload */
	struct hints *hints;     /* owned: root hints, loaded at startup */
	struct services *svc;    /* owned: cache, resolver, listeners */
	const char *config_path; /* borrowed: argv or built in */
	bool config_explicit;    /* -c given: the file must exist */
	bool config_from_file;   /* false: running on built-in defaults */
	int extra_verbosity;     /* -v flags, added to "verbosity:" */
	struct cairn_counters counters;
	cairn_reload_fn *reload; /* main.c's reload, for the control channel */
	uint64_t start_ms;       /* clock_mono_ms() at startup (uptime) */

	ev_signal sig_term; /* SIGTERM, SIGINT: stop */
	ev_signal sig_int;
	ev_signal sig_hup; /* SIGHUP: reload the config */
};

#endif /* CAIRN_RESOLVER_CTX_H */
