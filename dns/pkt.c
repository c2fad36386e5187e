/*
 * pkt.c -- the fast parser for client queries; see pkt.h.
 */
#include "config.h"
#include "dns/pkt.h"

#include <string.h>

/* Header flag bits in the second and third byte (RFC 1035 s4.1.1). */
#define HDR_QR 0x80
#define HDR_OPCODE_MASK 0x78
#define HDR_OPCODE_SHIFT 3
#define HDR_RD 0x01
#define HDR_CD 0x10 /* RFC 4035 s3.2.2, in the third byte */

/* Fixed part of a resource record after its owner. */
#define RR_FIXED_LEN 10

/* A bounds-checked cursor over the message. */
struct rd {
	const uint8_t *wire;
	size_t len;
	size_t pos;
};

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

size_t
pkt_name_len(const uint8_t *wire, size_t max)
{
	size_t pos = 0;

	while (pos < max) {
		uint8_t lab = wire[pos];

		if (lab == 0)
			return pos + 1 <= PKT_NAME_MAX ? pos + 1 : 0;
		if (lab > 63) /* a pointer or a reserved label type */
			return 0;
		pos += 1 + (size_t)lab;
		if (pos >= PKT_NAME_MAX) /* no room left for the root */
			return 0;
	}
	return 0;
}

/* Skips a possibly compressed name in another section: labels then a root
 * byte or a pointer. The target of a pointer is not followed: nothing
 * here reads the names in those sections. */
static int
skip_name(struct rd *r)
{
	size_t total = 0;

	while (r->pos < r->len) {
		uint8_t lab = r->wire[r->pos];

		if (lab == 0) {
			r->pos++;
			return 0;
		}
		if ((lab & 0xC0) == 0xC0) {
			if (r->pos + 2 > r->len)
				return -1;
			r->pos += 2;
			return 0;
		}
		if (lab > 63)
			return -1;
		total += 1 + (size_t)lab;
		if (total >= PKT_NAME_MAX)
			return -1;
		r->pos += 1 + (size_t)lab;
	}
	return -1;
}

static int
parse_question(struct rd *r, struct pkt_query *out)
{
	size_t nlen, i;

	nlen = pkt_name_len(r->wire + r->pos, r->len - r->pos);
	if (nlen == 0 || r->len - r->pos - nlen < 4)
		return -1;
	out->qname = r->wire + r->pos;
	out->qname_len = nlen;
	/* label length bytes are below 'A', so lowering the whole wire
	 * form changes only the letters */
	for (i = 0; i < nlen; i++) {
		uint8_t c = out->qname[i];

		out->qname_lc[i] = (c >= 'A' && c <= 'Z') ? c + 32 : c;
	}
	r->pos += nlen;
	out->qtype = get16(r->wire + r->pos);
	out->qclass = get16(r->wire + r->pos + 2);
	r->pos += 4;
	out->has_question = true;
	return 0;
}

/* Reads the options of an OPT record's rdata (RFC 6891 s6.1.2). */
static int
parse_options(const uint8_t *p, size_t len, struct pkt_query *out)
{
	size_t pos = 0;

	while (pos < len) {
		uint16_t code, olen;

		if (len - pos < 4)
			return -1;
		code = get16(p + pos);
		olen = get16(p + pos + 2);
		pos += 4;
		if (len - pos < olen)
			return -1;
		if (code == PKT_EDNS_KEEPALIVE) {
			if (olen != 0) /* RFC 7828 s3.2.1 */
				return -1;
			out->has_keepalive = true;
		}
		pos += olen;
	}
	return 0;
}

/* Reads an OPT record whose owner starts at r->pos. */
static int
parse_opt(struct rd *r, struct pkt_query *out)
{
	const uint8_t *p;
	uint16_t rdlen;

	if (out->has_edns) /* RFC 6891 s6.1.1: at most one OPT */
		return -1;
	if (r->wire[r->pos] != 0) /* owner must be the root */
		return -1;
	p = r->wire + r->pos + 1;
	out->udp_size = get16(p + 2);
	if (out->udp_size < 512) /* RFC 6891 s6.2.3 */
		out->udp_size = 512;
	out->edns_version = p[5];
	out->is_do = (p[6] & 0x80) != 0;
	rdlen = get16(p + 8);
	if (parse_options(p + RR_FIXED_LEN, rdlen, out) < 0)
		return -1;
	out->has_edns = true;
	return 0;
}

/* Skips count records; OPT is accepted only when is_additional. */
static int
scan_section(struct rd *r, unsigned int count, bool is_additional,
             struct pkt_query *out)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		size_t owner = r->pos;
		uint16_t type, rdlen;

		if (skip_name(r) < 0 || r->len - r->pos < RR_FIXED_LEN)
			return -1;
		type = get16(r->wire + r->pos);
		rdlen = get16(r->wire + r->pos + 8);
		if (r->len - r->pos - RR_FIXED_LEN < rdlen)
			return -1;
		if (type == PKT_TYPE_OPT) {
			struct rd o = {r->wire, r->len, owner};

			if (!is_additional || r->pos != owner + 1 ||
			    parse_opt(&o, out) < 0)
				return -1;
		}
		r->pos += RR_FIXED_LEN + rdlen;
	}
	return 0;
}

static void
parse_header(const uint8_t *wire, struct pkt_query *out)
{
	out->id = get16(wire);
	out->opcode = (wire[2] & HDR_OPCODE_MASK) >> HDR_OPCODE_SHIFT;
	out->is_rd = (wire[2] & HDR_RD) != 0;
	out->is_cd = (wire[3] & HDR_CD) != 0;
}

int
pkt_query_parse(const uint8_t *wire, size_t len, struct pkt_query *out)
{
	struct rd r = {wire, len, PKT_HDR_LEN};

	memset(out, 0, sizeof(*out));
	if (len < PKT_HDR_LEN || (wire[2] & HDR_QR) != 0)
		return PKT_DROP;
	parse_header(wire, out);
	if (out->opcode != 0) {
		/* echo the question when there is a readable one */
		if (get16(wire + 4) == 1)
			(void)parse_question(&r, out);
		return PKT_NOTIMP;
	}
	if (get16(wire + 4) != 1 || parse_question(&r, out) < 0)
		return PKT_FORMERR;
	if (scan_section(&r, get16(wire + 6), false, out) < 0 ||
	    scan_section(&r, get16(wire + 8), false, out) < 0 ||
	    scan_section(&r, get16(wire + 10), true, out) < 0) {
		out->has_edns = false; /* the FORMERR goes without OPT */
		return PKT_FORMERR;
	}
	if (out->qtype == PKT_TYPE_OPT) /* a meta type, RFC 6891 s6.1.1 */
		return PKT_FORMERR;
	if (out->has_edns && out->edns_version > 0) /* RFC 6891 s6.1.3 */
		return PKT_BADVERS;
	if (out->qtype == PKT_TYPE_AXFR || out->qtype == PKT_TYPE_IXFR)
		return PKT_REFUSED;
	return PKT_OK;
}

/* Skips count records, counting the OPT and TSIG records among them. */
static int
skip_records(struct rd *r, unsigned int count, unsigned int *n_opt,
             unsigned int *n_tsig)
{
	unsigned int i;

	for (i = 0; i < count; i++) {
		uint16_t type, rdlen;

		if (skip_name(r) < 0 || r->len - r->pos < RR_FIXED_LEN)
			return -1;
		type = get16(r->wire + r->pos);
		rdlen = get16(r->wire + r->pos + 8);
		if (r->len - r->pos - RR_FIXED_LEN < rdlen)
			return -1;
		*n_opt += type == PKT_TYPE_OPT;
		*n_tsig += type == PKT_TYPE_TSIG;
		r->pos += RR_FIXED_LEN + rdlen;
	}
	return 0;
}

bool
pkt_reply_is_sane(const uint8_t *wire, size_t len)
{
	struct rd r = {wire, len, PKT_HDR_LEN};
	unsigned int i, n_opt = 0, n_tsig = 0, n_opt_outside = 0;

	if (len < PKT_HDR_LEN)
		return false;
	for (i = 0; i < get16(wire + 4); i++)
		if (skip_name(&r) < 0 || r.len - r.pos < 4)
			return false;
		else
			r.pos += 4;
	if (skip_records(&r, get16(wire + 6), &n_opt_outside, &n_tsig) < 0 ||
	    skip_records(&r, get16(wire + 8), &n_opt_outside, &n_tsig) < 0 ||
	    skip_records(&r, get16(wire + 10), &n_opt, &n_tsig) < 0)
		return false;
	/* RFC 6891 s6.1.1: one OPT at most, in the additional section; cairn
	 * signs nothing, so a TSIG in a reply is never expected. */
	return n_opt <= 1 && n_opt_outside == 0 && n_tsig == 0;
}

const char *
pkt_verdict_str(int verdict)
{
	switch (verdict) {
	case PKT_OK: return "OK";
	case PKT_DROP: return "DROP";
	case PKT_FORMERR: return "FORMERR";
	case PKT_NOTIMP: return "NOTIMP";
	case PKT_REFUSED: return "REFUSED";
	case PKT_BADVERS: return "BADVERS";
	default: return "unknown";
	}
}
