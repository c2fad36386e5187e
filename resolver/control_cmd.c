/*
 * control_cmd.c -- the control channel's commands: parsing a command line
 * and writing each command's reply text (see control.h). The socket side
 * is control.c.
 */
#include "config.h"
#include "resolver/control.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "cache/cache.h"
#include "cache/print.h"
#include "resolver/ctx.h"
#include "resolver/query.h"
#include "resolver/services.h"
#include "resolver/servsel.h"
#include "resolver/stats.h"
#include "resolver/tcp_pool.h"
#include "resolver/upstream.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

#define MAX_WORDS 8

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    LOG_PRINTF(3, 4);

static void
set_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* --- parsing ------------------------------------------------------------ */

/* Splits buf in place on blanks. Returns the word count, or -1 if there
 * are more than max. */
static int
split_words(char *buf, char **w, int max)
{
	int n = 0;
	char *p = buf;

	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			return n;
		if (n == max)
			return -1;
		w[n++] = p;
		p += strcspn(p, " \t");
		if (*p != '\0')
			*p++ = '\0';
	}
}

static int
parse_name(const char *s, struct control_cmd *cmd, char *err, size_t errlen)
{
	if (cmd->name != NULL) {
		set_err(err, errlen, "more than one name");
		return -EINVAL;
	}
	if (ldns_str2rdf_dname(&cmd->name, s) != LDNS_STATUS_OK) {
		cmd->name = NULL;
		set_err(err, errlen, "bad name '%s'", s);
		return -EINVAL;
	}
	return 0;
}

/* flush [-s] NAME */
static int
parse_flush(char **w, int n, struct control_cmd *cmd, char *err, size_t errlen)
{
	for (int i = 1; i < n; i++) {
		if (strcmp(w[i], "-s") == 0)
			cmd->is_subtree = true;
		else if (w[i][0] == '-') {
			set_err(err, errlen, "unknown option '%s' for flush",
			        w[i]);
			return -EINVAL;
		} else if (parse_name(w[i], cmd, err, errlen) < 0)
			return -EINVAL;
	}
	if (cmd->name == NULL) {
		set_err(err, errlen, "flush needs a name");
		return -EINVAL;
	}
	return 0;
}

static int
parse_type(const char *s, struct control_cmd *cmd, char *err, size_t errlen)
{
	cmd->type = s == NULL ? 0 : (uint16_t)ldns_get_rr_type_by_name(s);
	if (cmd->type == 0) {
		set_err(err, errlen, "bad type '%s'", s ? s : "");
		return -EINVAL;
	}
	return 0;
}

/* dump [-s] [-n NAME] [-t TYPE] [--expired] */
static int
parse_dump(char **w, int n, struct control_cmd *cmd, char *err, size_t errlen)
{
	for (int i = 1; i < n; i++) {
		const char *next = i + 1 < n ? w[i + 1] : NULL;

		if (strcmp(w[i], "-s") == 0) {
			cmd->is_subtree = true;
		} else if (strcmp(w[i], "--expired") == 0) {
			cmd->include_expired = true;
		} else if (strcmp(w[i], "-n") == 0) {
			if (next == NULL) {
				set_err(err, errlen, "-n needs a name");
				return -EINVAL;
			}
			if (parse_name(next, cmd, err, errlen) < 0)
				return -EINVAL;
			i++;
		} else if (strcmp(w[i], "-t") == 0) {
			if (parse_type(next, cmd, err, errlen) < 0)
				return -EINVAL;
			i++;
		} else {
			set_err(err, errlen, "unknown argument '%s' for dump",
			        w[i]);
			return -EINVAL;
		}
	}
	if (cmd->is_subtree && cmd->name == NULL) {
		set_err(err, errlen, "-s needs -n NAME");
		return -EINVAL;
	}
	return 0;
}

static int
parse_words(char **w, int n, struct control_cmd *cmd, char *err, size_t errlen)
{
	static const struct {
		const char *word;
		enum control_verb verb;
	} plain[] = {{"stats", CONTROL_STATS},
	             {"servers", CONTROL_SERVERS},
	             {"reload", CONTROL_RELOAD}};

	if (n == 0) {
		set_err(err, errlen, "empty command");
		return -EINVAL;
	}
	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++) {
		if (strcmp(w[0], plain[i].word) != 0)
			continue;
		if (n > 1) {
			set_err(err, errlen, "%s takes no arguments", w[0]);
			return -EINVAL;
		}
		cmd->verb = plain[i].verb;
		return 0;
	}
	if (strcmp(w[0], "flush") == 0) {
		cmd->verb = CONTROL_FLUSH;
		return parse_flush(w, n, cmd, err, errlen);
	}
	if (strcmp(w[0], "dump") == 0) {
		cmd->verb = CONTROL_DUMP;
		return parse_dump(w, n, cmd, err, errlen);
	}
	set_err(err, errlen, "unknown command '%s'", w[0]);
	return -EINVAL;
}

int
control_parse(const char *line, struct control_cmd *cmd, char *err,
              size_t errlen)
{
	char buf[CONTROL_LINE_MAX];
	char *w[MAX_WORDS];
	size_t len = strcspn(line, "\r\n");
	int n, rc;

	memset(cmd, 0, sizeof(*cmd));
	if (len >= sizeof(buf)) {
		set_err(err, errlen, "command longer than %d bytes",
		        CONTROL_LINE_MAX - 1);
		return -EINVAL;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	if ((n = split_words(buf, w, MAX_WORDS)) < 0) {
		set_err(err, errlen, "too many arguments");
		return -EINVAL;
	}
	if ((rc = parse_words(w, n, cmd, err, errlen)) < 0)
		control_cmd_clear(cmd);
	return rc;
}

void
control_cmd_clear(struct control_cmd *cmd)
{
	ldns_rdf_deep_free(cmd->name);
	memset(cmd, 0, sizeof(*cmd));
}

/* --- stats ---------------------------------------------------------------- */

static void
put_u64(FILE *fp, const char *name, uint64_t v)
{
	fprintf(fp, "%s=%" PRIu64 "\n", name, v);
}

static void
put_mean(FILE *fp, const char *name, uint64_t total, uint64_t count)
{
	fprintf(fp, "%s=%.2f\n", name,
	        count ? (double)total / (double)count : 0.0);
}

static void
print_resolver_stats(FILE *fp, const struct resolver *r)
{
	const struct resolver_stats *s = resolver_get_stats(r);

	put_u64(fp, "resolver.queries", s->queries_started);
	put_u64(fp, "resolver.aggregated", s->aggregated);
	put_u64(fp, "resolver.inflight", resolver_inflight(r));
	put_u64(fp, "resolver.upstream.sent", s->upstream_sent);
	put_u64(fp, "resolver.upstream.shared", s->upstream_shared);
	put_u64(fp, "resolver.upstream.failed", s->upstream_failed);
	put_u64(fp, "resolver.lame", s->lame);
	put_u64(fp, "resolver.referrals", s->referrals);
	put_u64(fp, "resolver.subqueries", s->subqueries);
	put_u64(fp, "resolver.primes", s->primes);
	put_u64(fp, "resolver.budget_exhausted", s->budget_exhausted);
	put_u64(fp, "resolver.deadline_expired", s->deadline_expired);
	put_u64(fp, "resolver.servfail", s->servfail);
	put_u64(fp, "resolver.out_of_bailiwick", s->out_of_bailiwick);
	put_u64(fp, "resolver.stale_served", s->stale_served);
	put_u64(fp, "resolver.prefetches", s->prefetches);
	put_u64(fp, "resolver.forwarded", s->forwarded);
}

static void
print_upstream_stats(FILE *fp, const struct upstream *u)
{
	const struct upstream_stats *s = upstream_get_stats(u);

	put_u64(fp, "upstream.udp.sent", s->udp_sent);
	put_u64(fp, "upstream.udp.replies", s->udp_replies);
	put_u64(fp, "upstream.udp.truncated", s->udp_truncated);
	put_u64(fp, "upstream.udp.timeouts", s->udp_timeouts);
	put_u64(fp, "upstream.udp.spoofed", s->spoofed);
	put_mean(fp, "upstream.udp.latency_ms.mean", s->udp_rtt_ms_total,
	         s->udp_rtt_count);
	put_u64(fp, "upstream.tcp.sent", s->tcp_sent);
	put_u64(fp, "upstream.tcp.replies", s->tcp_replies);
	put_u64(fp, "upstream.tcp.timeouts", s->tcp_timeouts);
	put_u64(fp, "upstream.tcp.retried", s->tcp_retried);
	put_u64(fp, "upstream.tcp.truncated", s->tcp_truncated);
	put_mean(fp, "upstream.tcp.latency_ms.mean", s->tcp_rtt_ms_total,
	         s->tcp_rtt_count);
	put_u64(fp, "upstream.tcp.conns.opened", s->tcp_conns_opened);
	put_u64(fp, "upstream.tcp.conns.closed", s->tcp_conns_closed);
	put_u64(fp, "upstream.tcp.conns.failed", s->tcp_conn_failed);
	/* Per-connection figures cover closed connections. */
	put_mean(fp, "upstream.tcp.queries_per_conn.mean",
	         s->tcp_conn_queries_total, s->tcp_conns_closed);
	put_u64(fp, "upstream.tcp.queries_per_conn.max",
	        s->tcp_conn_queries_max);
	put_mean(fp, "upstream.tcp.conn_age_ms.mean", s->tcp_conn_age_ms_total,
	         s->tcp_conns_closed);
	put_u64(fp, "upstream.tcp.conn_age_ms.max", s->tcp_conn_age_ms_max);
}

static void
print_cache_stats(FILE *fp, struct cache *c)
{
	struct cache_stats st;

	if (c == NULL || cache_stats(c, &st) != 0) {
		put_u64(fp, "cache.enabled", 0);
		return;
	}
	put_u64(fp, "cache.enabled", 1);
	put_u64(fp, "cache.entries", st.entries);
	fprintf(fp, "cache.map_use_percent=%.1f\n",
	        st.map_bytes
	            ? 100.0 * (double)st.used_bytes / (double)st.map_bytes
	            : 0.0);
	put_u64(fp, "cache.file_bytes", st.file_bytes);
	put_u64(fp, "cache.map_bytes", st.map_bytes);
	put_u64(fp, "cache.puts", st.puts);
	put_u64(fp, "cache.evictions", st.evictions);
	put_u64(fp, "cache.sweeps", st.sweeps);
	put_u64(fp, "cache.batches_lost", st.batches_lost);
	put_u64(fp, "cache.degraded", st.is_degraded);
}

static int
exec_stats(struct cairn_ctx *ctx, FILE *fp)
{
	struct services *svc = ctx->svc;
	uint64_t up_ms = clock_mono_ms() - ctx->start_ms;
	int rc;

	if ((rc = stats_fprint(&svc->stats, fp)) < 0)
		return rc;
	if (svc->resolver != NULL)
		print_resolver_stats(fp, svc->resolver);
	if (svc->upstream != NULL)
		print_upstream_stats(fp, svc->upstream);
	if (svc->servsel != NULL)
		put_u64(fp, "upstream.servers.known",
		        servsel_count(svc->servsel));
	print_cache_stats(fp, svc->cache);
	put_u64(fp, "num.reloads", ctx->counters.reloads);
	put_u64(fp, "num.reload_errors", ctx->counters.reload_errors);
	fprintf(fp, "time.up=%" PRIu64 ".%03u\n", up_ms / 1000,
	        (unsigned)(up_ms % 1000));
	return 0;
}

/* --- servers -------------------------------------------------------------- */

struct servers_walk {
	FILE *fp;
	uint64_t now_ms;
};

static void
addr_text(const struct sockaddr *sa, socklen_t len, char *buf, size_t cap)
{
	struct sockaddr_storage ss;

	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, sa, MIN((size_t)len, sizeof(ss)));
	upstream_addr_str(&ss, buf, cap);
}

static void
print_server(const struct servsel_info *i, void *arg)
{
	const struct servers_walk *sw = arg;
	char addr[INET6_ADDRSTRLEN + 8];
	uint64_t backoff = i->backoff_until_ms > sw->now_ms
	                       ? i->backoff_until_ms - sw->now_ms
	                       : 0;

	addr_text(i->sa, i->len, addr, sizeof(addr));
	fprintf(sw->fp,
	        "server %s srtt_ms=%u rttvar_ms=%u timeout_ms=%u "
	        "timeouts.consecutive=%u backoff_ms=%" PRIu64 " no_edns=%d "
	        "prefer_tcp=%d replies=%" PRIu64 " timeouts=%" PRIu64
	        " errors=%" PRIu64 "\n",
	        addr, i->srtt_ms, i->rttvar_ms, i->timeout_ms, i->timeouts,
	        backoff, i->is_no_edns, i->is_prefer_tcp, i->n_replies,
	        i->n_timeouts, i->n_errors);
}

static void
print_tcp_auth(void *arg, const struct sockaddr_storage *addr,
               uint64_t conns_opened, unsigned conns_open)
{
	FILE *fp = arg;
	char text[INET6_ADDRSTRLEN + 8];

	upstream_addr_str(addr, text, sizeof(text));
	fprintf(fp, "tcp %s conns.opened=%" PRIu64 " conns.open=%u\n", text,
	        conns_opened, conns_open);
}

static int
exec_servers(struct cairn_ctx *ctx, FILE *fp)
{
	struct services *svc = ctx->svc;
	struct servers_walk sw = {fp, clock_mono_ms()};

	if (svc->servsel != NULL)
		servsel_foreach(svc->servsel, sw.now_ms, print_server, &sw);
	if (svc->upstream != NULL)
		tcp_pool_foreach_auth(upstream_tcp_pool(svc->upstream),
		                      print_tcp_auth, fp);
	return 0;
}

/* --- cache: flush and dump ---------------------------------------------- */

static int
exec_flush(struct cairn_ctx *ctx, const struct control_cmd *cmd, FILE *fp,
           char *err, size_t errlen)
{
	struct cache *c = ctx->svc->cache;
	int n;

	if (c == NULL) {
		set_err(err, errlen, "running without a cache");
		return -ENOENT;
	}
	if ((n = cache_flush_name(c, cmd->name, cmd->is_subtree)) < 0) {
		set_err(err, errlen, "flush: %s", cache_strerror(n));
		return n;
	}
	/* Make the removal visible to cairn-dump at once. */
	(void)cache_commit(c);
	fprintf(fp, "removed %d\n", n);
	return 0;
}

static int
dump_entry(const struct cache_entry_view *e, void *arg)
{
	FILE *fp = arg;

	if (cache_print_entry(fp, e) < 0)
		return -EIO;
	/* ftell on a memory stream is its size so far. */
	return ftell(fp) > (long)CONTROL_REPLY_MAX ? -EFBIG : 0;
}

static int
exec_dump(struct cairn_ctx *ctx, const struct control_cmd *cmd, FILE *fp,
          char *err, size_t errlen)
{
	struct cache *c = ctx->svc->cache;
	struct cache_iter_opts io = {0};
	int rc;

	if (c == NULL) {
		set_err(err, errlen, "running without a cache");
		return -ENOENT;
	}
	io.name = cmd->name;
	io.subtree = cmd->is_subtree;
	io.type = cmd->type;
	io.include_stale = cmd->include_expired;
	rc = cache_iter(c, &io, clock_now(NULL), dump_entry, fp);
	if (rc == -EFBIG)
		set_err(err, errlen, "dump cut at %u bytes: narrow it with -n",
		        CONTROL_REPLY_MAX);
	else if (rc < 0)
		set_err(err, errlen, "dump: %s", cache_strerror(rc));
	return rc;
}

/* --- dispatch ------------------------------------------------------------- */

static int
exec_reload(struct cairn_ctx *ctx, char *err, size_t errlen)
{
	if (ctx->reload == NULL || ctx->reload(ctx) < 0) {
		set_err(err, errlen,
		        "reload failed: keeping the running "
		        "configuration (see the log)");
		return -EINVAL;
	}
	return 0;
}

int
control_exec(struct cairn_ctx *ctx, const struct control_cmd *cmd, FILE *fp,
             char *err, size_t errlen)
{
	if (ctx->svc == NULL) {
		set_err(err, errlen, "not running");
		return -ENOENT;
	}
	switch (cmd->verb) {
	case CONTROL_STATS: return exec_stats(ctx, fp);
	case CONTROL_SERVERS: return exec_servers(ctx, fp);
	case CONTROL_RELOAD: return exec_reload(ctx, err, errlen);
	case CONTROL_FLUSH: return exec_flush(ctx, cmd, fp, err, errlen);
	case CONTROL_DUMP: return exec_dump(ctx, cmd, fp, err, errlen);
	}
	set_err(err, errlen, "unknown command");
	return -EINVAL;
}
