/*
 * pkt.h -- the fast parser for client queries.
 *
 * listen.c hands every datagram or TCP message from a client to
 * pkt_query_parse() before anything else: it reads the header and the
 * question straight from the wire, then scans the remaining sections for
 * the OPT record (RFC 6891), without allocating. The verdict tells the
 * caller whether to answer normally, answer with an error or drop the
 * message. The resolver builds its response with answer.h from the same
 * struct pkt_query. This module never touches a socket, the cache or ldns.
 *
 * Decisions, where the RFCs leave room:
 *  - A compression pointer in the question is FORMERR: the question is the
 *    first name of a query, so no earlier name exists to point to (RFC 1035
 *    s4.1.4 only allows pointers to prior occurrences).
 *  - Bytes after the last counted record are tolerated and ignored: the
 *    counts define the message (RFC 1035 s4.1.1), and RFC 1122 s1.2.2 asks
 *    to be liberal in what is accepted.
 *  - AXFR and IXFR are REFUSED: a recursive resolver holds no zones to
 *    transfer. Other opcodes than QUERY are NOTIMP (RFC 1035 s4.1.1).
 *  - Records in the answer and authority sections are skipped (they may
 *    carry anything); an OPT record there is FORMERR (RFC 6891 s6.1.1).
 *  - The OPT owner must be the single root byte 0x00; a pointer, even one
 *    to a root label, is FORMERR.
 *  - A keepalive option with data from a client is FORMERR (RFC 7828
 *    s3.2.1). Unknown options are ignored (RFC 6891 s6.1.2).
 */
#ifndef CAIRN_DNS_PKT_H
#define CAIRN_DNS_PKT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKT_HDR_LEN 12
#define PKT_NAME_MAX 255

/* RFC 1035 s4.1.1 and the IANA DNS parameters registry. */
#define PKT_RCODE_NOERROR 0
#define PKT_RCODE_FORMERR 1
#define PKT_RCODE_SERVFAIL 2
#define PKT_RCODE_NXDOMAIN 3
#define PKT_RCODE_NOTIMP 4
#define PKT_RCODE_REFUSED 5
#define PKT_RCODE_BADVERS 16 /* extended: needs OPT, RFC 6891 s6.1.3 */

#define PKT_TYPE_OPT 41
#define PKT_TYPE_TSIG 250
#define PKT_TYPE_IXFR 251
#define PKT_TYPE_AXFR 252
#define PKT_TYPE_ANY 255
#define PKT_EDNS_KEEPALIVE 11 /* RFC 7828 */
#define PKT_EDNS_EDE 15       /* RFC 8914 */

/* What to do with a message from a client. */
enum pkt_verdict {
	PKT_OK = 0,  /* a query to resolve */
	PKT_DROP,    /* no header, or a response (QR=1): send nothing */
	PKT_FORMERR, /* answer FORMERR; question echoed if has_question */
	PKT_NOTIMP,  /* opcode other than QUERY: answer NOTIMP */
	PKT_REFUSED, /* AXFR or IXFR: answer REFUSED */
	PKT_BADVERS  /* EDNS version > 0: answer BADVERS with OPT */
};

struct pkt_query {
	uint16_t id;
	uint8_t opcode;
	bool is_rd; /* recursion desired, copied to the response */
	bool is_cd; /* checking disabled, copied to the response */

	/* The question, valid when has_question. */
	bool has_question;
	const uint8_t *qname; /* borrowed: points into the parsed wire,
	                         case kept as sent */
	size_t qname_len;     /* wire length, including the root byte */
	uint8_t qname_lc[PKT_NAME_MAX]; /* the same name in lower case,
	                                   for keys and comparisons */
	uint16_t qtype;
	uint16_t qclass;

	/* EDNS (RFC 6891), valid when has_edns. */
	bool has_edns;
	uint8_t edns_version;
	uint16_t udp_size;  /* the client's size, raised to 512 (s6.2.3) */
	bool is_do;         /* DNSSEC OK (RFC 3225) */
	bool has_keepalive; /* edns-tcp-keepalive sent (RFC 7828) */
};

/*
 * Parses a client message of len bytes at wire into out.
 * Returns an enum pkt_verdict. out is always initialised; its qname
 * points into wire, so wire must outlive the use of out. The header fields
 * are valid unless the verdict is PKT_DROP; the question when
 * has_question; EDNS fields when has_edns (also set for PKT_BADVERS).
 */
int pkt_query_parse(const uint8_t *wire, size_t len, struct pkt_query *out);

/* The verdict's name, for logs ("OK", "DROP", ...). */
const char *pkt_verdict_str(int verdict);

/*
 * Checks a wire-format name of at most max bytes at wire, without
 * compression: labels of at most 63 bytes, at most 255 bytes in all.
 * Returns its length including the root byte, or 0 if it is invalid.
 */
size_t pkt_name_len(const uint8_t *wire, size_t max);

/*
 * Checks the record structure of a message received from an authority
 * before it is handed to ldns: every section walks to its end, at most
 * one OPT record and only in the additional section, no TSIG. ldns 1.8
 * loses memory on replies with several OPT or TSIG records, so such
 * replies must be rejected here as malformed, never parsed.
 */
bool pkt_reply_is_sane(const uint8_t *wire, size_t len);

#endif /* CAIRN_DNS_PKT_H */
