/*
 * answer.h -- the reply fakeauth gives to one query, faults included.
 *
 * Pure: wire in, wire out, no sockets, no clock. fakeauth.c does the I/O,
 * the delays, the drops and everything that concerns TCP connections; this
 * module decides the bytes of one reply: an authoritative answer from a
 * zone file (or a fixed synthetic answer without one), then the packet
 * faults a test asked for (wrong ID, wrong question, out-of-bailiwick
 * records, TC over UDP, malformed packets).
 */
#ifndef CAIRN_TESTS_LAB_FAKEAUTH_ANSWER_H
#define CAIRN_TESTS_LAB_FAKEAUTH_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* How to damage a reply that would otherwise be well formed. */
enum answer_malformed {
	MAL_NONE,
	MAL_SHORT,   /* cut the reply inside the header (7 bytes) */
	MAL_CUT,     /* cut the reply in the middle of its records */
	MAL_COUNTS,  /* header claims 5 more answer records than present */
	MAL_GARBAGE, /* right ID, QR set, then bytes that parse as nothing */
};

/* What every reply is built from. */
struct answer_src {
	ldns_zone *zone;        /* borrowed, may be NULL: synthetic answers */
	const ldns_rdf *origin; /* borrowed: apex of zone, or NULL */
	bool is_always_tc;      /* UDP replies: TC=1, no records */
	bool is_wrong_id;       /* reply ID = query ID ^ 0xffff */
	bool is_wrong_question; /* question name replaced */
	ldns_rdf *poison_name;  /* borrowed, may be NULL: add an A record
	                         * for this name (RFC 5452 s6 test) */
	enum answer_malformed malformed;
};

/*
 * Build the reply to the query in q[0..qlen). is_udp selects the UDP size
 * limit (512, or the query's EDNS size capped at 4096) and the TC faults.
 * Returns 0 and a malloc'ed reply in *out / *outlen (the caller frees it),
 * -EINVAL when the query is not a parsable single-question query (it gets
 * no reply), -ENOMEM.
 */
int answer_build(const struct answer_src *src, const uint8_t *q, size_t qlen,
                 bool is_udp, uint8_t **out, size_t *outlen);

/* Parse "short", "cut", "counts" or "garbage"; -EINVAL otherwise. */
int answer_malformed_parse(const char *s, enum answer_malformed *out);

/* True if the first label of the query's name starts with prefix (used
 * for per-name delays). False on unparsable input. */
bool answer_qname_has_prefix(const uint8_t *q, size_t qlen, const char *prefix);

#endif /* CAIRN_TESTS_LAB_FAKEAUTH_ANSWER_H */
