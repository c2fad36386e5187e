/*
 * stats.h -- the daemon's counters.
 *
 * One struct stats lives in the daemon context; listen.c counts queries
 * and TCP clients, the query code counts cache hits and the rcodes it
 * sends. The control channel prints them with stats_print() in Unbound's
 * "name=value" lines (num.queries.udp=12). Plain counters: no locking,
 * the daemon is one thread.
 */
#ifndef CAIRN_RESOLVER_STATS_H
#define CAIRN_RESOLVER_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STATS_RCODE_MAX 24 /* rcodes 0..23; higher ones count as 23 */

enum stats_transport { STATS_UDP = 0, STATS_TCP = 1 };

struct stats {
	uint64_t queries[2];             /* per enum stats_transport */
	uint64_t rcode[STATS_RCODE_MAX]; /* responses sent, per rcode */
	uint64_t cache_hits;
	uint64_t cache_misses;
	uint64_t dropped;          /* no response sent */
	uint64_t malformed;        /* FORMERR or unparsable */
	uint64_t tcp_clients_open; /* a gauge: connections now */
	uint64_t tcp_clients_accepted;
	uint64_t tcp_clients_refused; /* over the limit, or EMFILE */
};

/* Zeroes every counter. */
void stats_init(struct stats *s);

/* Counts one response sent with rcode (extended rcodes allowed). */
void stats_count_rcode(struct stats *s, int rcode);

/*
 * Prints the counters, one "name=value\n" line each, into buf (cap bytes,
 * always NUL-terminated when cap > 0). Returns the length the full text
 * needs, like snprintf: a result >= cap means it was cut.
 */
size_t stats_print(const struct stats *s, char *buf, size_t cap);

/* The same lines to fp. Returns 0 or -EIO. */
int stats_fprint(const struct stats *s, FILE *fp);

#endif /* CAIRN_RESOLVER_STATS_H */
