/*
 * query_share.h -- the key of an upstream question in flight.
 *
 * Queries resolving different names under one cold zone ask its servers
 * the same minimised question (RFC 9156) at once: www.a.example. and
 * www.b.example. both ask the example. servers for a.example., b.example.
 * after asking the root and the TLD the same "example." question. The
 * query layer (query_share.c) lets them share one exchange: a query about
 * to send a question identical to one in flight waits for that exchange
 * instead, and every waiter classifies the reply against its own state.
 *
 * Identical means: the same zone cut asked (the delegation's zone), the
 * same sent name (case-insensitive: 0x20 is the transport's business),
 * type and class, and the same flags that change the reply (EDNS, DO
 * with it, and RD when forwarding): a resend without EDNS after FORMERR
 * never waits for an exchange with EDNS. Not the server: concurrent queries
 * choose servers differently, and a waiter takes the leader's choice. This
 * header holds the pure part, the key; the table and the exchanges are private
 * to the query state machine (query_int.h).
 */
#ifndef CAIRN_RESOLVER_QUERY_SHARE_H
#define CAIRN_RESOLVER_QUERY_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Flags of a key: what the query asks of the server beyond the question. */
enum query_share_flag {
	QUERY_SHARE_F_DO = 1 << 0,  /* DNSSEC records wanted (RFC 3225) */
	QUERY_SHARE_F_RD = 1 << 1,  /* recursion desired: a forwarder */
	QUERY_SHARE_F_EDNS = 1 << 2 /* sent with EDNS (RFC 6891) */
};

/* An upstream question. Names are borrowed from whoever builds the key. */
struct query_share_key {
	const ldns_rdf *zone; /* the zone cut asked */
	const ldns_rdf *name; /* the name sent */
	uint16_t type, class;
	unsigned flags; /* enum query_share_flag */
};

/* A hash of k, equal for keys that query_share_key_equal() says are
 * equal (names folded to lower case). */
uint32_t query_share_key_hash(const struct query_share_key *k);

/* True if a and b ask the same question of the same zone: names compared
 * case-insensitively, type, class and flags exactly. */
bool query_share_key_equal(const struct query_share_key *a,
                           const struct query_share_key *b);

#endif /* CAIRN_RESOLVER_QUERY_SHARE_H */
