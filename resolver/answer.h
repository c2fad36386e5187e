/*
 * answer.h -- responses to clients, built in wire form.
 *
 * After pkt_query_parse() (dns/pkt.h) accepted or rejected a client
 * message, the resolver builds the response here into a buffer of its own:
 * the header with the client's ID and RD/CD bits, the question exactly as
 * the client sent it (case kept, RFC 4343 s4.1), records appended from
 * wire chunks the cache hands out, and an OPT record when the client used
 * EDNS (RFC 6891) carrying cairn's buffer size, the DO bit, an Extended
 * DNS Error (RFC 8914) and edns-tcp-keepalive (RFC 7828). No heap
 * allocation happens per record; only answer_from_ldns(), the slow path,
 * converts an ldns packet and allocates one scratch buffer.
 *
 * Size limit (RFC 1035 s4.2.1, RFC 6891 s6.2.5, RFC 7766 s8): 512 bytes
 * without EDNS, min(client's size, configured max) with EDNS but never
 * below 512, 65535 over TCP. When an answer or authority chunk does not
 * fit, the response is truncated: TC=1, answer, authority and additional
 * sections emptied, question and OPT kept (RFC 2181 s9). An additional
 * chunk that does not fit is left out without TC (RFC 2181 s9).
 *
 * This module does not decide what to answer; it neither reads the cache
 * nor touches sockets.
 */
#ifndef CAIRN_RESOLVER_ANSWER_H
#define CAIRN_RESOLVER_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

struct pkt_query;

#define ANSWER_EDE_TEXT_MAX 128 /* longer EXTRA-TEXT is cut */
#define ANSWER_ANY_TTL 3600     /* RFC 8482 s4.2 suggests about an hour */

/* RFC 8914 s5.2 info-codes used by cairn. */
#define ANSWER_EDE_OTHER 0
#define ANSWER_EDE_STALE_ANSWER 3
#define ANSWER_EDE_PROHIBITED 18
#define ANSWER_EDE_NO_REACHABLE_AUTHORITY 22
#define ANSWER_EDE_NETWORK_ERROR 23
#define ANSWER_EDE_NOT_SUPPORTED 21

enum answer_section {
	ANSWER_SEC_ANSWER = 0,
	ANSWER_SEC_AUTHORITY = 1,
	ANSWER_SEC_ADDITIONAL = 2
};

/* How the response travels, filled by the caller per request. */
struct answer_opts {
	bool is_tcp;
	uint16_t max_udp_size; /* configured max-udp-size; also the size
	                          cairn advertises in OPT. 0: 1232 */
	uint32_t tcp_idle_ms;  /* sent in edns-tcp-keepalive over TCP when
	                          the client asked (RFC 7828 s3.3.2) */
};

/* A response under construction in the caller's buffer. */
struct answer {
	uint8_t *buf;                /* borrowed: the caller's buffer */
	size_t cap;                  /* usable bytes: min(buffer, limit) */
	size_t len;                  /* bytes written so far */
	size_t question_end;         /* offset after the question */
	const struct pkt_query *q;   /* borrowed: valid until finish */
	const struct answer_opts *o; /* borrowed: valid until finish */
	uint16_t count[3];           /* per enum answer_section */
	int rcode;                   /* may be extended (> 15) */
	bool is_truncated;
	bool has_opt; /* an OPT record is appended at finish */
	int ede_code; /* -1: none */
	char ede_text[ANSWER_EDE_TEXT_MAX + 1];
};

/* The size a response to q may have (see above). */
size_t answer_limit(const struct pkt_query *q, const struct answer_opts *o);

/*
 * Starts a response to q with rcode into buf (cap bytes, at least
 * PKT_HDR_LEN + the question + room for OPT, else -ENOBUFS). The
 * question is echoed if q->has_question. q, o and buf are borrowed until
 * answer_finish(). Returns 0 or -ENOBUFS.
 */
int answer_begin(struct answer *a, uint8_t *buf, size_t cap,
                 const struct pkt_query *q, const struct answer_opts *o,
                 int rcode);

/* Sets the response code, possibly extended (BADVERS). */
void answer_set_rcode(struct answer *a, int rcode);

/*
 * Adds an Extended DNS Error (RFC 8914) to the OPT record, text may be
 * NULL. Ignored when the client sent no EDNS. Call it before adding
 * records: its size is reserved from then on.
 */
void answer_set_ede(struct answer *a, uint16_t info_code, const char *text);

/*
 * Appends the complete resource records in wire[0..len) to section.
 * Owners are a pointer to the question (0xC00C) or an uncompressed name;
 * rdata must hold no compression pointers. Returns 0; -EINVAL if the
 * chunk is not well-formed records (nothing added); -EMSGSIZE if it does
 * not fit (answer and authority: the response is now truncated and
 * later additions are ignored; additional: the chunk is left out).
 */
int answer_add_rrs(struct answer *a, enum answer_section section,
                   const uint8_t *wire, size_t len);

/*
 * RFC 8482 s4.2: appends the synthesized HINFO "RFC8482" "" for a qtype
 * ANY query, owner the question name, TTL ANSWER_ANY_TTL.
 */
int answer_add_rfc8482(struct answer *a);

/*
 * Writes the header counts and the OPT record. Returns the response
 * length; the buffer holds the response. a must not be used afterwards.
 */
size_t answer_finish(struct answer *a);

/*
 * A complete error response to q: rcode (FORMERR, NOTIMP, REFUSED,
 * SERVFAIL, BADVERS...) with an optional EDE (ede_code < 0: none).
 * Returns the length written into buf, or 0 if buf is too small.
 */
size_t answer_error(uint8_t *buf, size_t cap, const struct pkt_query *q,
                    const struct answer_opts *o, int rcode, int ede_code,
                    const char *ede_text);

/*
 * The slow path: the response to q from the resolved packet p (borrowed,
 * not modified): p's rcode and its answer, authority and
 * additional records (p's own OPT excepted) with the client's ID and
 * question. Owners equal to the question name become 0xC00C.
 * Returns the length written into buf, 0 if buf is too small, or
 * -ENOMEM. An over-size answer is truncated as above.
 */
int answer_from_ldns(uint8_t *buf, size_t cap, const struct pkt_query *q,
                     const struct answer_opts *o, const ldns_pkt *p);

/*
 * Appends the records of list (borrowed) to section as answer_add_rrs()
 * does, owners equal to the question name compressed to 0xC00C; RRSIGs
 * only if with_rrsigs (the client set DO), OPT records never. Returns 0,
 * -EMSGSIZE (the answer is now truncated) or -ENOMEM.
 */
int answer_add_ldns(struct answer *a, enum answer_section section,
                    const ldns_rr_list *list, bool with_rrsigs);

#endif /* CAIRN_RESOLVER_ANSWER_H */
