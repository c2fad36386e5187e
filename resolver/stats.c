/*
 * stats.c -- the daemon's counters; see stats.h.
 */
#include "config.h"
#include "resolver/stats.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

#include "util/log.h"

/* Names as Unbound prints them; NULL: printed by number when non-zero. */
static const char *const rcode_names[STATS_RCODE_MAX] = {
    "NOERROR",  "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMPL", "REFUSED",
    "YXDOMAIN", "YXRRSET", "NXRRSET",  "NOTAUTH",  "NOTZONE", NULL,
    NULL,       NULL,      NULL,       NULL,       "BADVERS",
};

void
stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

void
stats_count_rcode(struct stats *s, int rcode)
{
	if (rcode < 0)
		return;
	s->rcode[rcode < STATS_RCODE_MAX ? rcode : STATS_RCODE_MAX - 1]++;
}

/* An snprintf that keeps appending to buf and totals the length. */
struct out {
	char *buf;
	size_t cap;
	size_t len;
};

static void out_printf(struct out *o, const char *fmt, ...) LOG_PRINTF(2, 3);

static void
out_printf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *p = o->len < o->cap ? o->buf + o->len : NULL;
	size_t room = o->len < o->cap ? o->cap - o->len : 0;

	va_start(ap, fmt);
	n = vsnprintf(p, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

static void
out_counter(struct out *o, const char *name, uint64_t v)
{
	out_printf(o, "%s=%" PRIu64 "\n", name, v);
}

size_t
stats_print(const struct stats *s, char *buf, size_t cap)
{
	struct out o = {buf, cap, 0};
	int i;

	if (cap > 0)
		buf[0] = '\0';
	out_counter(&o, "num.queries", s->queries[0] + s->queries[1]);
	out_counter(&o, "num.queries.udp", s->queries[STATS_UDP]);
	out_counter(&o, "num.queries.tcp", s->queries[STATS_TCP]);
	out_counter(&o, "num.cachehits", s->cache_hits);
	out_counter(&o, "num.cachemiss", s->cache_misses);
	out_counter(&o, "num.queries.dropped", s->dropped);
	out_counter(&o, "num.queries.malformed", s->malformed);
	for (i = 0; i < STATS_RCODE_MAX; i++) {
		if (rcode_names[i] != NULL)
			out_printf(&o, "num.answer.rcode.%s=%" PRIu64 "\n",
			           rcode_names[i], s->rcode[i]);
		else if (s->rcode[i] != 0)
			out_printf(&o, "num.answer.rcode.RCODE%d=%" PRIu64 "\n",
			           i, s->rcode[i]);
	}
	out_counter(&o, "tcp.clients.open", s->tcp_clients_open);
	out_counter(&o, "tcp.clients.accepted", s->tcp_clients_accepted);
	out_counter(&o, "tcp.clients.refused", s->tcp_clients_refused);
	return o.len;
}

int
stats_fprint(const struct stats *s, FILE *fp)
{
	char buf[2048];
	size_t n = stats_print(s, buf, sizeof(buf));

	if (n >= sizeof(buf)) /* cannot happen with the names above */
		return -EIO;
	if (fwrite(buf, 1, n, fp) != n)
		return -EIO;
	return 0;
}
