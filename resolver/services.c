/*
 * services.c -- building, reloading and stopping the running parts of
 * cairnd (see services.h).
 */
#include "config.h"
#include "resolver/services.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include "cache/cache.h"
#include "resolver/conf.h"
#include "resolver/control.h"
#include "resolver/ctx.h"
#include "resolver/listen.h"
#include "resolver/query.h"
#include "resolver/serve.h"
#include "resolver/servsel.h"
#include "resolver/upstream.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

/* How often the cache file is flushed to disk: what a power loss can
 * lose at most (a crash of the process loses nothing committed). */
#define CACHE_SYNC_INTERVAL_S 30.0

static void
cache_opts_from_config(const struct config *cfg, struct cache_opts *o)
{
	cache_opts_init_defaults(o);
	o->path = cfg->cache_file;
	o->max_size_bytes = (size_t)cfg->cache_max_size;
	o->min_ttl_s = cfg->cache_min_ttl_s;
	o->max_ttl_s = cfg->cache_max_ttl_s;
	o->max_neg_ttl_s = cfg->cache_max_negative_ttl_s;
	o->stale_window_s = cfg->serve_expired ? cfg->serve_expired_ttl_s : 0;
}

static void
resolver_opts_from_config(const struct config *cfg, struct resolver_opts *o)
{
	resolver_opts_init(o);
	o->iter.is_strict_glue = cfg->harden_glue;
	o->iter.is_qname_minimise = cfg->qname_minimisation;
	o->deleg.do_ip4 = cfg->do_ip4;
	o->deleg.do_ip6 = cfg->do_ip6;
	o->deleg.allow_localhost = !cfg->do_not_query_localhost;
	o->deleg.max_ns_names = cfg->max_ns_names;
	o->budget.max[BUDGET_UPSTREAM] = cfg->max_queries_per_request;
	o->budget.max[BUDGET_NS_NAMES] = cfg->max_ns_names;
	o->budget.max[BUDGET_REFERRALS] = cfg->max_referrals;
	o->budget.max[BUDGET_DEPTH] = cfg->max_subquery_depth;
	o->budget.max[BUDGET_CNAME] = cfg->max_cname_chain;
	o->resolve_timeout_ms = cfg->resolve_timeout_ms;
	o->upstream_timeout_ms = cfg->upstream_timeout_ms;
	o->upstream_timeout_min_ms = cfg->upstream_timeout_min_ms;
	o->is_serve_stale = cfg->serve_expired;
	o->client_timeout_ms = cfg->serve_expired_client_timeout_ms;
	o->is_prefetch = cfg->prefetch;
	o->forwards = &cfg->forward_zones;
}

static void
servsel_opts_from_config(const struct config *cfg, struct servsel_opts *o)
{
	servsel_opts_init(o);
	o->min_timeout_ms = cfg->upstream_timeout_min_ms;
	o->max_timeout_ms = cfg->upstream_timeout_ms;
	o->prefer_tcp_ms = cfg->upstream_tcp_after_tc_s * 1000u;
}

/* The outgoing-interface address as the v4 or v6 source. */
static int
source_from_config(const struct config *cfg, struct upstream_opts *o)
{
	struct sockaddr_storage ss;

	if (cfg->outgoing_interface[0] == '\0')
		return 0;
	if (listen_addr_parse(cfg->outgoing_interface, 0, &ss) < 0) {
		log_err("outgoing-interface: %s is not an IP address",
		        cfg->outgoing_interface);
		return -EINVAL;
	}
	if (ss.ss_family == AF_INET)
		o->source4 = ss;
	else
		o->source6 = ss;
	return 0;
}

static int
upstream_opts_from_config(const struct config *cfg, struct upstream_opts *o)
{
	upstream_opts_default(o);
	o->edns_bufsize = (uint16_t)cfg->edns_buffer_size;
	o->tcp_idle_ms = cfg->upstream_tcp_idle_timeout_ms;
	o->max_inflight_per_conn = cfg->upstream_tcp_max_inflight;
	o->conns_per_server = cfg->upstream_tcp_connections;
	o->use_0x20 = cfg->use_caps_for_id;
	return source_from_config(cfg, o);
}

/* --- the cache ---------------------------------------------------------- */

static void
commit_cb(struct ev_loop *loop, ev_prepare *w, int revents)
{
	struct services *svc = container_of(w, struct services, commit);

	UNUSED(loop);
	UNUSED(revents);
	if (svc->cache != NULL)
		(void)cache_commit(svc->cache);
}

static void
sync_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct services *svc = container_of(w, struct services, sync);

	UNUSED(loop);
	UNUSED(revents);
	if (svc->cache != NULL)
		(void)cache_sync(svc->cache);
}

static int
open_cache(struct cairn_ctx *ctx, struct services *svc)
{
	struct cache_opts o;
	int rc;

	cache_opts_from_config(ctx->cfg, &o);
	rc = cache_open(&svc->cache, &o, clock_now(NULL));
	if (rc == CACHE_E_LOCKED) {
		log_err("cache %s: %s", o.path, cache_strerror(rc));
		return rc;
	}
	if (rc < 0) {
		/* The cache is an accelerator: resolve without one rather
		 * than not at all. */
		log_warn("cache %s: %s: running without a cache", o.path,
		         cache_strerror(rc));
		svc->cache = NULL;
	}
	ev_prepare_init(&svc->commit, commit_cb);
	ev_prepare_start(ctx->loop, &svc->commit);
	ev_timer_init(&svc->sync, sync_cb, CACHE_SYNC_INTERVAL_S,
	              CACHE_SYNC_INTERVAL_S);
	ev_timer_start(ctx->loop, &svc->sync);
	return 0;
}

/* --- upstream and resolver ------------------------------------------------ */

static void
rtt_cb(void *arg, const struct sockaddr_storage *server,
       enum upstream_transport t, uint32_t rtt_ms, bool is_timeout)
{
	struct services *svc = arg;
	const struct sockaddr *sa = (const struct sockaddr *)server;
	socklen_t len = upstream_addr_len(server);

	if (is_timeout)
		servsel_report_timeout(svc->servsel, sa, len, clock_mono_ms());
	else if (t == UPSTREAM_UDP)
		/* A TCP time includes the handshake and the queue of a shared
		 * connection: it would make the server look slower than it
		 * answers, so only UDP samples feed the RTT estimate. */
		servsel_report_rtt(svc->servsel, sa, len, rtt_ms,
		                   clock_mono_ms());
}

/* RFC 7766 s5: a server that truncated is asked over TCP for a while */
static void
tc_cb(void *arg, const struct sockaddr_storage *server)
{
	struct services *svc = arg;

	servsel_report_truncated(svc->servsel, (const struct sockaddr *)server,
	                         upstream_addr_len(server), clock_mono_ms());
}

static int
open_resolver(struct cairn_ctx *ctx, struct services *svc)
{
	struct upstream_opts uo;
	struct servsel_opts so;
	struct resolver_opts ro;
	int rc;

	if ((rc = upstream_opts_from_config(ctx->cfg, &uo)) < 0)
		return rc;
	servsel_opts_from_config(ctx->cfg, &so);
	resolver_opts_from_config(ctx->cfg, &ro);
	if ((svc->upstream = upstream_new(ctx->loop, &uo)) == NULL ||
	    (svc->servsel = servsel_new(&so)) == NULL ||
	    (svc->resolver = resolver_new(ctx->loop, svc->cache, svc->upstream,
	                                  svc->servsel, ctx->hints, &ro)) ==
	        NULL ||
	    (svc->serve = serve_new(svc->cache, svc->resolver, ctx->cfg,
	                            &svc->stats)) == NULL) {
		log_err("cannot start the resolver: out of memory");
		return -ENOMEM;
	}
	upstream_set_rtt_cb(svc->upstream, rtt_cb, svc);
	upstream_set_tc_cb(svc->upstream, tc_cb, svc);
	return 0;
}

/* --- listeners ------------------------------------------------------------ */

static int
open_listeners(struct cairn_ctx *ctx, struct services *svc)
{
	const struct config *cfg = ctx->cfg;
	struct sockaddr_storage *addrs;
	struct listen_opts lo;
	size_t i;
	int rc;

	if ((addrs = calloc(MAX(cfg->interfaces.n, (size_t)1),
	                    sizeof(*addrs))) == NULL)
		return -ENOMEM;
	for (i = 0; i < cfg->interfaces.n; i++)
		addrs[i] = cfg->interfaces.v[i].ss;
	memset(&lo, 0, sizeof(lo));
	lo.addrs = addrs;
	lo.n_addrs = cfg->interfaces.n;
	lo.tcp_idle_ms = cfg->tcp_idle_timeout_ms;
	lo.tcp_max_clients = cfg->tcp_max_clients;
	lo.max_udp_size = (uint16_t)cfg->max_udp_size;
	lo.stats = &svc->stats;
	rc = listen_open(&svc->listen, ctx->loop, &lo, serve_query, svc->serve);
	free(addrs);
	if (rc < 0)
		log_err("cannot listen: %s", strerror(-rc));
	return rc;
}

/* Like the cache, the control socket is not needed to resolve: without
 * it cairnd still serves (another cairnd may hold the path). */
static void
open_control(struct cairn_ctx *ctx, struct services *svc)
{
	const char *path = ctx->cfg->control_socket;
	int rc = control_open(&svc->control, ctx, path, ctx->cfg->username);

	if (rc < 0)
		log_warn("control socket %s: %s: running without one", path,
		         rc == -EADDRINUSE ? "in use by a running cairnd"
		                           : strerror(-rc));
}

int
services_start(struct cairn_ctx *ctx)
{
	struct services *svc = calloc(1, sizeof(*svc));
	int rc;

	if (svc == NULL)
		return -ENOMEM;
	ctx->svc = svc;
	stats_init(&svc->stats);
	if ((rc = open_cache(ctx, svc)) < 0 ||
	    (rc = open_resolver(ctx, svc)) < 0 ||
	    (rc = open_listeners(ctx, svc)) < 0)
		return rc;
	open_control(ctx, svc);
	return 0;
}

void
services_stop(struct cairn_ctx *ctx)
{
	struct services *svc = ctx->svc;

	if (svc == NULL)
		return;
	control_close(svc->control);
	listen_close(svc->listen);
	serve_free(svc->serve);
	resolver_free(svc->resolver);
	if (svc->upstream != NULL) {
		upstream_drain(svc->upstream);
		upstream_stats_log(svc->upstream);
		upstream_free(svc->upstream);
	}
	servsel_free(svc->servsel);
	if (ctx->loop != NULL) {
		ev_prepare_stop(ctx->loop, &svc->commit);
		ev_timer_stop(ctx->loop, &svc->sync);
	}
	cache_close(svc->cache);
	free(svc);
	ctx->svc = NULL;
}

void
services_reload(struct cairn_ctx *ctx)
{
	struct resolver_opts ro;

	if (ctx->svc == NULL || ctx->svc->resolver == NULL)
		return;
	resolver_opts_from_config(ctx->cfg, &ro);
	resolver_set_opts(ctx->svc->resolver, &ro);
	resolver_set_hints(ctx->svc->resolver, ctx->hints);
	serve_set_config(ctx->svc->serve, ctx->cfg);
}
