/*
 * services.h -- the running parts of cairnd and how they are wired.
 *
 * main.c loads the configuration and runs the loop; services_start()
 * builds everything that serves and resolves, from the configuration, in
 * dependency order: the cache, the counters, the upstream transport and
 * server selection, the resolver, the client front end, the listeners,
 * the control socket.
 * services_stop() takes them down in reverse. This is the one place that
 * maps configuration keys onto each module's own options struct, so no
 * module below reads struct config except serve.c (ACL, special-use).
 */
#ifndef CAIRN_RESOLVER_SERVICES_H
#define CAIRN_RESOLVER_SERVICES_H

#include <ev.h>

#include "resolver/stats.h"

struct cache;
struct cairn_ctx;
struct control;
struct listen;
struct resolver;
struct serve;
struct servsel;
struct upstream;

struct services {
	struct cache *cache;       /* owned, NULL: running without a cache */
	struct upstream *upstream; /* owned */
	struct servsel *servsel;   /* owned */
	struct resolver *resolver; /* owned */
	struct serve *serve;       /* owned */
	struct listen *listen;     /* owned */
	struct control *control;   /* owned, NULL: no control socket */
	struct stats stats;
	ev_prepare commit; /* commits batched cache writes once per loop turn */
	ev_timer sync;     /* flushes the cache file to disk now and then */
};

/* Builds ctx->svc from ctx->cfg and ctx->hints. Returns 0, or a negative
 * errno after logging which part failed (ctx->svc is then partly built:
 * services_stop() cleans up). */
int services_start(struct cairn_ctx *ctx);

/* Stops listening, fails the queries in flight, closes the cache (which
 * commits and syncs). Safe after a partial start and when called twice. */
void services_stop(struct cairn_ctx *ctx);

/* Applies a reloaded configuration to the running parts (timeouts,
 * limits, resolver options); what needs a restart is left as it is. */
void services_reload(struct cairn_ctx *ctx);

#endif /* CAIRN_RESOLVER_SERVICES_H */
