/*
 * answer.c -- responses to clients in wire form; see answer.h.
 */
#include "config.h"
#include "resolver/answer.h"

#include <errno.h>
#include <string.h>

#include "dns/pkt.h"
#include "util/util.h"

#define DEFAULT_MAX_UDP 1232 /* DNS flag day 2020 */
#define OPT_FIXED_LEN 11     /* root owner, type, class, TTL, rdlength */
#define OPTION_HDR_LEN 4
#define RR_FIXED_LEN 10
#define QNAME_PTR 0xC00C /* the question name at offset 12 */

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint16_t
max_udp(const struct answer_opts *o)
{
	return o->max_udp_size != 0 ? o->max_udp_size : DEFAULT_MAX_UDP;
}

size_t
answer_limit(const struct pkt_query *q, const struct answer_opts *o)
{
	if (o->is_tcp)
		return 65535; /* the two-byte length prefix, RFC 1035 s4.2.2 */
	if (!q->has_edns)
		return 512; /* RFC 1035 s4.2.1 */
	return MAX(512, MIN(q->udp_size, max_udp(o)));
}

static bool
has_keepalive(const struct answer *a)
{
	/* RFC 7828 s3.3.2: sent only over TCP, only if the client asked */
	return a->o->is_tcp && a->q->has_keepalive;
}

/* Bytes the OPT record will take at finish. */
static size_t
opt_size(const struct answer *a)
{
	size_t n = OPT_FIXED_LEN;

	if (!a->has_opt)
		return 0;
	if (a->ede_code >= 0)
		n += OPTION_HDR_LEN + 2 + strlen(a->ede_text);
	if (has_keepalive(a))
		n += OPTION_HDR_LEN + 2;
	return n;
}

int
answer_begin(struct answer *a, uint8_t *buf, size_t cap,
             const struct pkt_query *q, const struct answer_opts *o, int rcode)
{
	size_t qlen = q->has_question ? q->qname_len + 4 : 0;

	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->q = q;
	a->o = o;
	a->cap = MIN(cap, answer_limit(q, o));
	a->rcode = rcode;
	a->has_opt = q->has_edns;
	a->ede_code = -1;
	if (PKT_HDR_LEN + qlen + opt_size(a) > a->cap)
		return -ENOBUFS;
	memset(buf, 0, PKT_HDR_LEN);
	if (qlen != 0) {
		memcpy(buf + PKT_HDR_LEN, q->qname, q->qname_len);
		put16(buf + PKT_HDR_LEN + q->qname_len, q->qtype);
		put16(buf + PKT_HDR_LEN + q->qname_len + 2, q->qclass);
	}
	a->len = a->question_end = PKT_HDR_LEN + qlen;
	return 0;
}

void
answer_set_rcode(struct answer *a, int rcode)
{
	a->rcode = rcode;
}

void
answer_set_ede(struct answer *a, uint16_t info_code, const char *text)
{
	int old_code = a->ede_code;
	char old_text[sizeof(a->ede_text)];

	if (!a->has_opt) /* RFC 8914 s2: EDE travels only in OPT */
		return;
	memcpy(old_text, a->ede_text, sizeof(old_text));
	a->ede_code = info_code;
	a->ede_text[0] = '\0';
	if (text != NULL) {
		strncpy(a->ede_text, text, ANSWER_EDE_TEXT_MAX);
		a->ede_text[ANSWER_EDE_TEXT_MAX] = '\0';
	}
	if (a->len + opt_size(a) > a->cap) { /* records came first */
		a->ede_code = old_code;
		memcpy(a->ede_text, old_text, sizeof(old_text));
	}
}

/* Checks that wire[0..len) is whole records as answer.h describes them;
 * returns how many, or -1. */
static int
count_rrs(const struct answer *a, const uint8_t *wire, size_t len)
{
	size_t pos = 0;
	int n = 0;

	while (pos < len) {
		size_t owner;

		if (len - pos >= 2 && get16(wire + pos) == QNAME_PTR) {
			if (!a->q->has_question)
				return -1;
			owner = 2;
		} else if ((owner = pkt_name_len(wire + pos, len - pos)) == 0)
			return -1;
		pos += owner;
		if (len - pos < RR_FIXED_LEN)
			return -1;
		if (len - pos - RR_FIXED_LEN < get16(wire + pos + 8))
			return -1;
		pos += RR_FIXED_LEN + get16(wire + pos + 8);
		if (++n > 65535)
			return -1;
	}
	return n;
}

static void
truncate_answer(struct answer *a)
{
	a->is_truncated = true;
	a->len = a->question_end;
	memset(a->count, 0, sizeof(a->count));
}

/* The section records were last added to; earlier ones are closed. */
static int
last_section(const struct answer *a)
{
	if (a->count[ANSWER_SEC_ADDITIONAL] != 0)
		return ANSWER_SEC_ADDITIONAL;
	if (a->count[ANSWER_SEC_AUTHORITY] != 0)
		return ANSWER_SEC_AUTHORITY;
	return ANSWER_SEC_ANSWER;
}

int
answer_add_rrs(struct answer *a, enum answer_section section,
               const uint8_t *wire, size_t len)
{
	int n;

	if (a->is_truncated)
		return -EMSGSIZE;
	if (len == 0)
		return 0;
	if ((int)section < last_section(a) || section > ANSWER_SEC_ADDITIONAL)
		return -EINVAL; /* sections are written in order */
	if ((n = count_rrs(a, wire, len)) < 0 ||
	    a->count[section] + (unsigned int)n > 65535)
		return -EINVAL;
	if (len > a->cap || a->len + len + opt_size(a) > a->cap) {
		if (section != ANSWER_SEC_ADDITIONAL)
			truncate_answer(a);
		return -EMSGSIZE;
	}
	memcpy(a->buf + a->len, wire, len);
	a->len += len;
	a->count[section] += (uint16_t)n;
	return 0;
}

int
answer_add_rfc8482(struct answer *a)
{
	/* HINFO CPU "RFC8482", OS "" (RFC 8482 s4.2) */
	static const uint8_t rdata[] = {7,   'R', 'F', 'C', '8',
	                                '4', '8', '2', 0};
	uint8_t rr[2 + RR_FIXED_LEN + sizeof(rdata)];

	put16(rr, QNAME_PTR);
	put16(rr + 2, LDNS_RR_TYPE_HINFO);
	put16(rr + 4, a->q->qclass);
	put16(rr + 6, ANSWER_ANY_TTL >> 16);
	put16(rr + 8, ANSWER_ANY_TTL & 0xFFFF);
	put16(rr + 10, sizeof(rdata));
	memcpy(rr + 12, rdata, sizeof(rdata));
	return answer_add_rrs(a, ANSWER_SEC_ANSWER, rr, sizeof(rr));
}

static void
write_header(struct answer *a, uint16_t arcount)
{
	uint8_t *h = a->buf;

	put16(h, a->q->id);
	h[2] = 0x80 |
	       (uint8_t)(a->q->opcode << 3); /* QR, opcode copied; never AA */
	if (a->is_truncated)
		h[2] |= 0x02;
	if (a->q->is_rd)
		h[2] |= 0x01;
	h[3] = 0x80 | (uint8_t)(a->rcode & 0x0F); /* RA */
	if (a->q->is_cd)
		h[3] |= 0x10;
	put16(h + 4, a->q->has_question ? 1 : 0);
	put16(h + 6, a->count[ANSWER_SEC_ANSWER]);
	put16(h + 8, a->count[ANSWER_SEC_AUTHORITY]);
	put16(h + 10, arcount);
}

/* Appends the OPT record (RFC 6891 s6.1.2); room was reserved. */
static void
write_opt(struct answer *a)
{
	uint8_t *p = a->buf + a->len;
	size_t rdlen = opt_size(a) - OPT_FIXED_LEN;
	uint8_t *o;

	p[0] = 0; /* root owner */
	put16(p + 1, PKT_TYPE_OPT);
	put16(p + 3, max_udp(a->o));
	p[5] = (uint8_t)((a->rcode >> 4) & 0xFF); /* extended rcode */
	p[6] = 0;                                 /* version 0 */
	p[7] = a->q->is_do ? 0x80 : 0;            /* DO, RFC 3225 s3 */
	p[8] = 0;
	put16(p + 9, (uint16_t)rdlen);
	o = p + OPT_FIXED_LEN;
	if (a->ede_code >= 0) {
		size_t tlen = strlen(a->ede_text);

		put16(o, PKT_EDNS_EDE);
		put16(o + 2, (uint16_t)(2 + tlen));
		put16(o + 4, (uint16_t)a->ede_code);
		memcpy(o + 6, a->ede_text, tlen); /* no NUL, RFC 8914 s2 */
		o += 6 + tlen;
	}
	if (has_keepalive(a)) {
		/* the timeout in units of 100 ms, RFC 7828 s3.1 */
		uint32_t units = a->o->tcp_idle_ms / 100;

		put16(o, PKT_EDNS_KEEPALIVE);
		put16(o + 2, 2);
		put16(o + 4, (uint16_t)MIN(units, 65535u));
	}
	a->len += OPT_FIXED_LEN + rdlen;
}

size_t
answer_finish(struct answer *a)
{
	uint16_t arcount = a->count[ANSWER_SEC_ADDITIONAL];

	if (a->has_opt) {
		write_opt(a);
		arcount++;
	}
	write_header(a, arcount);
	return a->len;
}

size_t
answer_error(uint8_t *buf, size_t cap, const struct pkt_query *q,
             const struct answer_opts *o, int rcode, int ede_code,
             const char *ede_text)
{
	struct answer a;

	if (answer_begin(&a, buf, cap, q, o, rcode) < 0)
		return 0;
	if (ede_code >= 0)
		answer_set_ede(&a, (uint16_t)ede_code, ede_text);
	return answer_finish(&a);
}

/* True if the owner at wire is the question name, in any case. */
static bool
owner_is_qname(const struct pkt_query *q, const uint8_t *wire, size_t len)
{
	size_t i;

	if (!q->has_question || len < q->qname_len)
		return false;
	for (i = 0; i < q->qname_len; i++) {
		uint8_t c = wire[i];

		if (c >= 'A' && c <= 'Z')
			c += 32;
		if (c != q->qname_lc[i])
			return false;
	}
	return true;
}

/* Appends one ldns record through the scratch buffer b. */
static int
add_ldns_rr(struct answer *a, enum answer_section section, ldns_buffer *b,
            const ldns_rr *rr)
{
	const uint8_t *w;
	size_t len;

	ldns_buffer_clear(b);
	if (ldns_rr2buffer_wire(b, rr, LDNS_SECTION_ANSWER) != LDNS_STATUS_OK)
		return -ENOMEM;
	w = ldns_buffer_begin(b);
	len = ldns_buffer_position(b);
	if (owner_is_qname(a->q, w, len) && a->q->qname_len >= 2) {
		uint8_t *p = ldns_buffer_at(b, a->q->qname_len - 2);

		put16(p, QNAME_PTR);
		w = p;
		len -= a->q->qname_len - 2;
	}
	return answer_add_rrs(a, section, w, len);
}

static int
add_ldns_list(struct answer *a, enum answer_section section, ldns_buffer *b,
              const ldns_rr_list *list)
{
	size_t i;
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i); /* lent */

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT)
			continue; /* ours is written by answer_finish */
		rc = add_ldns_rr(a, section, b, rr);
		if (rc == -EMSGSIZE && section == ANSWER_SEC_ADDITIONAL)
			continue;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int
answer_from_ldns(uint8_t *buf, size_t cap, const struct pkt_query *q,
                 const struct answer_opts *o, const ldns_pkt *p)
{
	struct answer a;
	ldns_buffer *b;
	int rc;

	if (answer_begin(&a, buf, cap, q, o, ldns_pkt_get_rcode(p)) < 0)
		return 0;
	if ((b = ldns_buffer_new(512)) == NULL)
		return -ENOMEM;
	rc = add_ldns_list(&a, ANSWER_SEC_ANSWER, b, ldns_pkt_answer(p));
	if (rc == 0)
		rc = add_ldns_list(&a, ANSWER_SEC_AUTHORITY, b,
		                   ldns_pkt_authority(p));
	if (rc == 0)
		rc = add_ldns_list(&a, ANSWER_SEC_ADDITIONAL, b,
		                   ldns_pkt_additional(p));
	ldns_buffer_free(b);
	if (rc < 0 && rc != -EMSGSIZE)
		return rc;
	return (int)answer_finish(&a);
}

int
answer_add_ldns(struct answer *a, enum answer_section section,
                const ldns_rr_list *list, bool with_rrsigs)
{
	ldns_buffer *b;
	size_t i;
	int rc = 0;

	if (list == NULL)
		return 0;
	if ((b = ldns_buffer_new(512)) == NULL)
		return -ENOMEM;
	for (i = 0; i < ldns_rr_list_rr_count(list) && rc == 0; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i); /* lent */
		ldns_rr_type t = ldns_rr_get_type(rr);

		if (t == LDNS_RR_TYPE_OPT ||
		    (t == LDNS_RR_TYPE_RRSIG && !with_rrsigs))
			continue;
		rc = add_ldns_rr(a, section, b, rr);
	}
	ldns_buffer_free(b);
	return rc;
}
