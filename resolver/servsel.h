/*
 * servsel.h -- server selection: which authority address to ask next,
 * and how long to wait for it.
 *
 * One table per resolver (in memory, bounded, least recently used entries
 * evicted) keeps per address a smoothed RTT and its variance (RFC 6298),
 * a timeout backoff, whether the server needs queries without EDNS and
 * whether it recently truncated (prefer TCP). The query keeps the set of
 * addresses it already tried (struct servsel_tried) and asks
 * servsel_pick() for the next one; upstream results come back through
 * servsel_report_*().
 *
 * Pure: time is the caller's now_ms (monotonic milliseconds), randomness
 * the caller's rand value; no I/O, no clock reads, no globals.
 */
#ifndef CAIRN_RESOLVER_SERVSEL_H
#define CAIRN_RESOLVER_SERVSEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct deleg;
struct servsel;

/* Addresses one query remembers as tried (more are not tried). */
#define SERVSEL_TRIED_MAX 32

struct servsel_opts {
	uint32_t min_timeout_ms; /* floor of the RTO (RFC 6298 s2.4: 1s
	                          * for TCP; DNS servers answer faster) */
	uint32_t max_timeout_ms; /* ceiling of the RTO */
	uint32_t unknown_rtt_ms; /* RTT assumed for an untried server:
	                          * optimistic but worse than a good one */
	uint32_t backoff_max_ms; /* ceiling of the timeout backoff */
	uint32_t probe_permille; /* chance (per 1000 picks) to pick a
	                          * random candidate instead of the best */
	uint32_t no_edns_ms;     /* how long a no-EDNS mark lasts */
	uint32_t prefer_tcp_ms;  /* how long a truncation prefers TCP */
	size_t max_entries;      /* table size bound */
};

/* Defaults: timeouts 50..3000 ms, unknown RTT 250 ms (first RTO 750 ms),
 * backoff up to 120 s, probe 2%, no-EDNS 15 min, TCP 5 min, 10000
 * entries. */
void servsel_opts_init(struct servsel_opts *o);

/* A table with a copy of o. NULL if out of memory. */
struct servsel *servsel_new(const struct servsel_opts *o);
void servsel_free(struct servsel *t);

/* Addresses tried by one query: caller's storage, zero-initialised or
 * servsel_tried_init(). */
struct servsel_tried {
	struct sockaddr_storage addrs[SERVSEL_TRIED_MAX];
	size_t n;
};

void servsel_tried_init(struct servsel_tried *tried);
void servsel_tried_add(struct servsel_tried *tried, const struct sockaddr *sa,
                       socklen_t len);
bool servsel_tried_has(const struct servsel_tried *tried,
                       const struct sockaddr *sa, socklen_t len);

/* What to send to which address. */
struct servsel_choice {
	struct sockaddr_storage ss;
	socklen_t len;
	size_t ns_index;     /* index of the NS name in deleg->ns */
	uint32_t timeout_ms; /* servsel_timeout_ms() of the address */
	bool use_edns;       /* false: the server needs plain DNS */
	bool prefer_tcp;     /* the server truncated recently */
	bool is_probe;       /* picked for exploration, not as the best */
};

/*
 * The next address of d not in tried: the one with the lowest expected
 * RTT (untried ones count unknown_rtt_ms, backed-off ones come last but
 * are never excluded), except that with probability probe_permille/1000
 * (decided from rand) a random candidate not backed off is taken to keep
 * estimates fresh. Ties are broken with rand. Does not add to tried.
 * Returns 0 and fills out, or -ENOENT when every address was tried.
 */
int servsel_pick(const struct servsel *t, const struct deleg *d,
                 const struct servsel_tried *tried, uint64_t now_ms,
                 uint32_t rand, struct servsel_choice *out);

/* A reply arrived after rtt_ms: updates SRTT/RTTVAR (RFC 6298 s2.3) and
 * ends any backoff. 0, -EINVAL (not
 * an IPv4/IPv6 address) or -ENOMEM. */
int servsel_report_rtt(struct servsel *t, const struct sockaddr *sa,
                       socklen_t len, uint32_t rtt_ms, uint64_t now_ms);
/* No reply within the timeout: doubles the RTO (RFC 6298 s5.5) and
 * keeps the server aside for an exponential backoff (capped at
 * backoff_max_ms, so never for ever). 0, -EINVAL (not
 * an IPv4/IPv6 address) or -ENOMEM. */
int servsel_report_timeout(struct servsel *t, const struct sockaddr *sa,
                           socklen_t len, uint64_t now_ms);
/* A reply that was useless (SERVFAIL, REFUSED, lame, bogus): counted for
 * servsel_foreach(); selection is unchanged since the server answers
 * and may serve other zones well. 0, -EINVAL (not
 * an IPv4/IPv6 address) or -ENOMEM. */
int servsel_report_error(struct servsel *t, const struct sockaddr *sa,
                         socklen_t len, uint64_t now_ms);
/* FORMERR/NOTIMP without OPT to an EDNS query (ITER_FORMERR_EDNS): send
 * without EDNS for no_edns_ms. 0, -EINVAL (not
 * an IPv4/IPv6 address) or -ENOMEM. */
int servsel_report_edns_fail(struct servsel *t, const struct sockaddr *sa,
                             socklen_t len, uint64_t now_ms);
/* A UDP reply was truncated: prefer TCP for prefer_tcp_ms. */
int servsel_report_truncated(struct servsel *t, const struct sockaddr *sa,
                             socklen_t len, uint64_t now_ms);

/* The timeout for a query to sa: SRTT + 4 * RTTVAR (RFC 6298 s2.3),
 * doubled per consecutive timeout, within [min, max]_timeout_ms; for an
 * unknown server, 3 * unknown_rtt_ms within the same bounds. */
uint32_t servsel_timeout_ms(const struct servsel *t, const struct sockaddr *sa,
                            socklen_t len);

/* One server as shown by cairn-control servers. */
struct servsel_info {
	const struct sockaddr *sa; /* borrowed: valid during the callback */
	socklen_t len;
	uint32_t srtt_ms;
	uint32_t rttvar_ms;
	uint32_t timeout_ms;
	uint32_t timeouts;         /* consecutive */
	uint64_t backoff_until_ms; /* 0: not backed off */
	bool is_no_edns;
	bool is_prefer_tcp;
	uint64_t n_replies;
	uint64_t n_timeouts;
	uint64_t n_errors;
};

typedef void servsel_visit_fn(const struct servsel_info *info, void *arg);

/* Calls fn for every server, most recently used first. fn must not
 * change t. */
void servsel_foreach(const struct servsel *t, uint64_t now_ms,
                     servsel_visit_fn *fn, void *arg);

/* Servers in the table. */
size_t servsel_count(const struct servsel *t);

#endif /* CAIRN_RESOLVER_SERVSEL_H */
