/*
 * main.c -- cairnd: flags, configuration, the context, signals, startup
 * and teardown.
 *
 * Startup order: flags, config, state directory, detach, pidfile, event
 * loop and signal watchers, services (cache, listeners, resolver: see
 * services_start), privilege drop, loop. Teardown runs the same steps
 * backwards. Signals are ev_signal watchers, so stop and reload run in
 * loop context between events, never inside another callback.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hints/hints.h"
#include "resolver/conf.h"
#include "resolver/ctx.h"
#include "resolver/daemon.h"
#include "resolver/services.h"
#include "util/clock.h"
#include "util/log.h"

#define DEFAULT_CONFIG SYSCONFDIR "/cairn/cairn.conf"

struct options {
	const char *config_path; /* borrowed: argv or DEFAULT_CONFIG */
	bool config_explicit;    /* -c given: the file must exist */
	bool foreground;
	int verbose; /* count of -v */
};

static void
usage(FILE *out)
{
	fprintf(out,
	        "usage: cairnd [-fhvV] [-c file]\n"
	        "  -c file  configuration file (default %s)\n"
	        "  -f       stay in the foreground\n"
	        "  -v       more verbose logging (repeatable)\n"
	        "  -V       print the version and exit\n"
	        "  -h       print this help and exit\n",
	        DEFAULT_CONFIG);
}

/* Returns 0 to go on, or an exit status + 1 to stop with. */
static int
parse_args(int argc, char **argv, struct options *o)
{
	int c;

	o->config_path = DEFAULT_CONFIG;
	while ((c = getopt(argc, argv, "c:fhvV")) != -1) {
		switch (c) {
		case 'c':
			o->config_path = optarg;
			o->config_explicit = true;
			break;
		case 'f': o->foreground = true; break;
		case 'v': o->verbose++; break;
		case 'V': printf("cairnd %s\n", PACKAGE_VERSION); return 1;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return 3;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 3;
	}
	return 0;
}

static void
apply_verbosity(const struct cairn_ctx *ctx)
{
	log_set_verbosity((int)ctx->cfg->verbosity + ctx->extra_verbosity);
}

/*
 * Loads ctx->config_path into a fresh config (caller frees with
 * config_free, even on error). Without -c, a missing default file means
 * built-in defaults.
 */
static int
load_config(struct cairn_ctx *ctx, bool is_explicit, struct config *cfg)
{
	char err[CONFIG_ERR_LEN];
	int rc;

	if ((rc = config_init_defaults(cfg)) < 0) {
		log_err("configuration: out of memory");
		return rc;
	}
	if (!is_explicit && access(ctx->config_path, F_OK) < 0 &&
	    errno == ENOENT) {
		ctx->config_from_file = false;
		return 0;
	}
	ctx->config_from_file = true;
	if ((rc = config_load_file(cfg, ctx->config_path, err, sizeof(err))) <
	    0)
		log_err("%s", err);
	return rc;
}

/* The root hints: the "root-hints:" file, else the built-in copy. */
static int
load_hints(struct cairn_ctx *ctx)
{
	const char *path = ctx->cfg->root_hints;
	char err[HINTS_ERR_LEN];
	int rc;

	if (path[0] == '\0')
		rc = hints_load_builtin(&ctx->hints, err, sizeof(err));
	else
		rc = hints_load_file(path, &ctx->hints, err, sizeof(err));
	if (rc < 0) {
		log_err("root hints: %s", err);
		return rc;
	}
	log_verb(VERB_DETAIL, "root hints: %zu servers from %s",
	         ctx->hints->n_servers, path[0] ? path : "the built-in list");
	return 0;
}

/* --- signals ------------------------------------------------------------- */

static void
main_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	log_info("signal %d: stopping", w->signum);
	ev_break(loop, EVBREAK_ALL);
}

static void
log_change(const char *key, bool needs_restart, void *arg)
{
	(void)arg;
	if (needs_restart)
		log_warn("reload: %s changed: needs a restart, keeping the "
		         "running value",
		         key);
	else
		log_info("reload: %s changed: applied", key);
}

static int
reload(struct cairn_ctx *ctx)
{
	struct config *fresh = calloc(1, sizeof(*fresh));
	size_t n_restart;

	if (fresh == NULL) {
		log_err("reload: out of memory");
		return -ENOMEM;
	}
	log_info("reload: reading %s", ctx->config_path);
	if (load_config(ctx, ctx->config_explicit, fresh) < 0) {
		log_err("reload: keeping the running configuration");
		ctx->counters.reload_errors++;
		config_free(fresh);
		free(fresh);
		return -EINVAL;
	}
	n_restart = config_diff(ctx->cfg, fresh, log_change, NULL);
	config_reload_merge(ctx->cfg, fresh); /* frees fresh's contents */
	free(fresh);
	apply_verbosity(ctx);
	services_reload(ctx);
	ctx->counters.reloads++;
	log_verb(VERB_DETAIL, "reload: done, %zu changed keys need a restart",
	         n_restart);
	return 0;
}

static void
main_reload_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	struct cairn_ctx *ctx = ev_userdata(loop);

	(void)w;
	(void)revents;
	(void)reload(ctx);
}

static void
signals_start(struct cairn_ctx *ctx)
{
	ev_signal_init(&ctx->sig_term, main_stop_cb, SIGTERM);
	ev_signal_init(&ctx->sig_int, main_stop_cb, SIGINT);
	ev_signal_init(&ctx->sig_hup, main_reload_cb, SIGHUP);
	ev_signal_start(ctx->loop, &ctx->sig_term);
	ev_signal_start(ctx->loop, &ctx->sig_int);
	ev_signal_start(ctx->loop, &ctx->sig_hup);
	signal(SIGPIPE, SIG_IGN); /* a closed TCP peer is an error code */
}

static void
signals_stop(struct cairn_ctx *ctx)
{
	ev_signal_stop(ctx->loop, &ctx->sig_term);
	ev_signal_stop(ctx->loop, &ctx->sig_int);
	ev_signal_stop(ctx->loop, &ctx->sig_hup);
}

/* --- startup ------------------------------------------------------------- */

/* Everything between loading the config and running the loop. */
static int
start(struct cairn_ctx *ctx, const struct options *o, int *ready_fd)
{
	const struct config *cfg = ctx->cfg;
	int rc;

	if ((rc = load_hints(ctx)) < 0)
		return rc;
	if ((rc = daemon_make_parent_dir(cfg->cache_file, cfg->username)) < 0)
		return rc;
	if (!o->foreground && (rc = daemon_detach(ready_fd)) < 0)
		return rc;
	log_open("cairnd", cfg->use_syslog || !o->foreground);
	if ((rc = daemon_pidfile_write(cfg->pidfile)) < 0)
		return rc;
	if ((ctx->loop = ev_default_loop(EVFLAG_AUTO)) == NULL) {
		log_err("cannot initialise the event loop (libev)");
		return -ENOMEM;
	}
	ev_set_userdata(ctx->loop, ctx);
	signals_start(ctx);
	if ((rc = services_start(ctx)) < 0)
		return rc;
	return daemon_drop_privileges(cfg->username);
}

static void
stop(struct cairn_ctx *ctx)
{
	services_stop(ctx);
	if (ctx->loop != NULL) {
		signals_stop(ctx);
		ev_loop_destroy(ctx->loop);
		ctx->loop = NULL;
	}
	daemon_pidfile_remove(ctx->cfg->pidfile);
	hints_free(ctx->hints);
	ctx->hints = NULL;
}

int
main(int argc, char **argv)
{
	struct options o = {0};
	struct cairn_ctx ctx = {0};
	struct config cfg;
	int ready_fd = -1, rc;

	if ((rc = parse_args(argc, argv, &o)) != 0)
		return rc - 1;
	log_open("cairnd", false);
	ctx.config_path = o.config_path;
	ctx.config_explicit = o.config_explicit;
	ctx.extra_verbosity = o.verbose;
	ctx.cfg = &cfg;
	ctx.reload = reload;
	ctx.start_ms = clock_mono_ms();
	if (load_config(&ctx, ctx.config_explicit, &cfg) < 0) {
		config_free(&cfg);
		return EXIT_FAILURE;
	}
	apply_verbosity(&ctx);
	if (!ctx.config_from_file)
		log_info("%s not found: running with built-in defaults",
		         ctx.config_path);
	if ((rc = start(&ctx, &o, &ready_fd)) == 0) {
		log_info("cairnd %s started", PACKAGE_VERSION);
		daemon_ready(ready_fd, 1);
		ev_run(ctx.loop, 0);
	} else {
		daemon_ready(ready_fd, 0);
	}
	stop(&ctx);
	log_info("cairnd stopped");
	config_free(&cfg);
	log_close();
	return rc == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
