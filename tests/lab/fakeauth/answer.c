/*
 * answer.c -- build fakeauth's reply to one query (see answer.h).
 */
#include "config.h"

#include "tests/lab/fakeauth/answer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define UDP_PLAIN_MAX 512 /* RFC 1035 s4.2.1 */
#define UDP_EDNS_CAP 4096 /* never build more than this over UDP */
#define EDNS_ADVERTISED 1232

int
answer_malformed_parse(const char *s, enum answer_malformed *out)
{
	static const struct {
		const char *name;
		enum answer_malformed mal;
	} names[] = {{"short", MAL_SHORT},
	             {"cut", MAL_CUT},
	             {"counts", MAL_COUNTS},
	             {"garbage", MAL_GARBAGE}};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i].name) == 0) {
			*out = names[i].mal;
			return 0;
		}
	}
	return -EINVAL;
}

/* A query we answer: parsable, QR=0, opcode QUERY, one question. */
static ldns_pkt *
parse_query(const uint8_t *q, size_t qlen)
{
	ldns_pkt *p = NULL;

	if (ldns_wire2pkt(&p, q, qlen) != LDNS_STATUS_OK)
		return NULL;
	if (ldns_pkt_qr(p) || ldns_pkt_get_opcode(p) != LDNS_PACKET_QUERY ||
	    ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1) {
		ldns_pkt_free(p);
		return NULL;
	}
	return p;
}

bool
answer_qname_has_prefix(const uint8_t *q, size_t qlen, const char *prefix)
{
	ldns_pkt *p = parse_query(q, qlen);
	const uint8_t *d;
	size_t n = strlen(prefix);
	bool has;

	if (p == NULL)
		return false;
	d = ldns_rdf_data(
	    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
	has = d[0] >= n && strncasecmp((const char *)d + 1, prefix, n) == 0;
	ldns_pkt_free(p);
	return has;
}

static bool
in_zone(const ldns_rdf *name, const ldns_rdf *origin)
{
	return ldns_dname_compare(name, origin) == 0 ||
	       ldns_dname_is_subdomain(name, origin);
}

/* Push a copy of rr into section s of r; ldns_pkt_push_rr takes the copy. */
static int
push_copy(ldns_pkt *r, ldns_pkt_section s, const ldns_rr *rr)
{
	ldns_rr *c = ldns_rr_clone(rr);

	if (c == NULL)
		return -ENOMEM;
	if (!ldns_pkt_push_rr(r, s, c)) {
		ldns_rr_free(c);
		return -ENOMEM;
	}
	return 0;
}

static int
push_str(ldns_pkt *r, ldns_pkt_section s, const char *text)
{
	ldns_rr *rr = NULL;

	if (ldns_rr_new_frm_str(&rr, text, 3600, NULL, NULL) != LDNS_STATUS_OK)
		return -ENOMEM;
	if (!ldns_pkt_push_rr(r, s, rr)) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	return 0;
}

/* No zone: every A and AAAA question gets one fixed record. */
static int
answer_synthetic(ldns_pkt *r, const ldns_rr *qrr)
{
	char *owner = ldns_rdf2str(ldns_rr_owner(qrr));
	char text[600];
	int rc = 0;

	if (owner == NULL)
		return -ENOMEM;
	if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_A)
		snprintf(text, sizeof(text), "%s 300 IN A 192.0.2.1", owner);
	else if (ldns_rr_get_type(qrr) == LDNS_RR_TYPE_AAAA)
		snprintf(text, sizeof(text), "%s 300 IN AAAA 2001:db8::1",
		         owner);
	else
		text[0] = '\0';
	if (text[0] != '\0')
		rc = push_str(r, LDNS_SECTION_ANSWER, text);
	free(owner);
	return rc;
}

struct match {
	bool is_name_seen; /* the name or a name below it exists (RFC 8020) */
	const ldns_rr *cname;
	size_t n_answers;
};

static int
match_rr(ldns_pkt *r, const ldns_rr *qrr, const ldns_rr *rr, struct match *m)
{
	const ldns_rdf *qname = ldns_rr_owner(qrr);
	ldns_rr_type qtype = ldns_rr_get_type(qrr);
	ldns_rr_type t = ldns_rr_get_type(rr);

	if (ldns_dname_is_subdomain(ldns_rr_owner(rr), qname))
		m->is_name_seen = true;
	if (ldns_dname_compare(ldns_rr_owner(rr), qname) != 0)
		return 0;
	m->is_name_seen = true;
	if (t == qtype || qtype == LDNS_RR_TYPE_ANY) {
		m->n_answers++;
		return push_copy(r, LDNS_SECTION_ANSWER, rr);
	}
	if (t == LDNS_RR_TYPE_CNAME)
		m->cname = rr;
	return 0;
}

/* Authoritative answer from the zone: records, CNAME (not followed),
 * NODATA or NXDOMAIN with the SOA (RFC 2308 s2), REFUSED out of zone. */
static int
answer_from_zone(const struct answer_src *src, ldns_pkt *r, const ldns_rr *qrr)
{
	const ldns_rr_list *rrs = ldns_zone_rrs(src->zone);
	const ldns_rr *soa = ldns_zone_soa(src->zone);
	struct match m = {false, NULL, 0};
	size_t i;
	int rc;

	if (!in_zone(ldns_rr_owner(qrr), src->origin)) {
		ldns_pkt_set_rcode(r, LDNS_RCODE_REFUSED);
		return 0;
	}
	ldns_pkt_set_aa(r, true);
	if (soa != NULL && (rc = match_rr(r, qrr, soa, &m)) < 0)
		return rc;
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		if ((rc = match_rr(r, qrr, ldns_rr_list_rr(rrs, i), &m)) < 0)
			return rc;
	}
	if (m.n_answers > 0)
		return 0;
	if (m.cname != NULL)
		return push_copy(r, LDNS_SECTION_ANSWER, m.cname);
	if (!m.is_name_seen)
		ldns_pkt_set_rcode(r, LDNS_RCODE_NXDOMAIN);
	return soa != NULL ? push_copy(r, LDNS_SECTION_AUTHORITY, soa) : 0;
}

static int
set_wrong_question(ldns_rr *qrr)
{
	ldns_rdf *wrong = ldns_dname_new_frm_str("wrong-question.invalid.");

	if (wrong == NULL)
		return -ENOMEM;
	ldns_rdf_deep_free(ldns_rr_owner(qrr));
	ldns_rr_set_owner(qrr, wrong);
	return 0;
}

static int
add_poison(const struct answer_src *src, ldns_pkt *r)
{
	char *name = ldns_rdf2str(src->poison_name);
	char text[600];
	int rc;

	if (name == NULL)
		return -ENOMEM;
	snprintf(text, sizeof(text), "%s 86400 IN A 192.0.2.66", name);
	rc = push_str(r, LDNS_SECTION_ANSWER, text);
	if (rc == 0) {
		snprintf(text, sizeof(text),
		         "%s 86400 IN NS ns.poison.invalid.", name);
		rc = push_str(r, LDNS_SECTION_AUTHORITY, text);
	}
	free(name);
	return rc;
}

static void
strip_records(ldns_pkt *r)
{
	ldns_rr_list_deep_free(ldns_pkt_answer(r));
	ldns_rr_list_deep_free(ldns_pkt_authority(r));
	ldns_rr_list_deep_free(ldns_pkt_additional(r));
	ldns_pkt_set_answer(r, ldns_rr_list_new());
	ldns_pkt_set_authority(r, ldns_rr_list_new());
	ldns_pkt_set_additional(r, ldns_rr_list_new());
	ldns_pkt_set_ancount(r, 0);
	ldns_pkt_set_nscount(r, 0);
	ldns_pkt_set_arcount(r, 0);
}

static size_t
udp_limit(const ldns_pkt *q)
{
	size_t sz = ldns_pkt_edns_udp_size(q);

	if (!ldns_pkt_edns(q) || sz < UDP_PLAIN_MAX)
		return UDP_PLAIN_MAX;
	return sz > UDP_EDNS_CAP ? UDP_EDNS_CAP : sz;
}

/* Header, question (maybe falsified) and EDNS of the reply. */
static ldns_pkt *
reply_new(const struct answer_src *src, const ldns_pkt *q)
{
	ldns_pkt *r = ldns_pkt_new();
	ldns_rr *qrr;

	if (r == NULL)
		return NULL;
	qrr = ldns_rr_clone(ldns_rr_list_rr(ldns_pkt_question(q), 0));
	if (qrr == NULL ||
	    (src->is_wrong_question && set_wrong_question(qrr))) {
		ldns_rr_free(qrr);
		ldns_pkt_free(r);
		return NULL;
	}
	ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, qrr);
	ldns_pkt_set_id(r, ldns_pkt_id(q) ^ (src->is_wrong_id ? 0xffff : 0));
	ldns_pkt_set_qr(r, true);
	ldns_pkt_set_rd(r, ldns_pkt_rd(q));
	ldns_pkt_set_opcode(r, LDNS_PACKET_QUERY);
	if (ldns_pkt_edns(q))
		ldns_pkt_set_edns_udp_size(r, EDNS_ADVERTISED);
	return r;
}

static int
fill(const struct answer_src *src, ldns_pkt *r, const ldns_pkt *q, bool is_udp)
{
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	int rc;

	if (is_udp && src->is_always_tc) {
		ldns_pkt_set_tc(r, true);
		ldns_pkt_set_aa(r, true);
		return 0;
	}
	rc = src->zone != NULL ? answer_from_zone(src, r, qrr)
	                       : answer_synthetic(r, qrr);
	if (rc == 0 && src->poison_name != NULL)
		rc = add_poison(src, r);
	return rc;
}

static int
to_wire(ldns_pkt *r, size_t limit, uint8_t **out, size_t *outlen)
{
	if (ldns_pkt2wire(out, r, outlen) != LDNS_STATUS_OK)
		return -ENOMEM;
	if (*outlen <= limit)
		return 0;
	/* RFC 2181 s9: does not fit, so TC=1 and no partial RRsets. */
	free(*out);
	*out = NULL;
	strip_records(r);
	ldns_pkt_set_tc(r, true);
	return ldns_pkt2wire(out, r, outlen) == LDNS_STATUS_OK ? 0 : -ENOMEM;
}

static void
damage(enum answer_malformed mal, uint8_t *w, size_t *len)
{
	size_t i;

	switch (mal) {
	case MAL_NONE: break;
	case MAL_SHORT: *len = *len < 7 ? *len : 7; break;
	case MAL_CUT:
		if (*len > 12 + 8)
			*len = 12 + (*len - 12) / 2;
		break;
	case MAL_COUNTS: w[7] = (uint8_t)(w[7] + 5); break;
	case MAL_GARBAGE:
		/* keep ID and flags; question count 1, then a name whose
		 * label length points past the end */
		w[4] = 0, w[5] = 1;
		for (i = 12; i < *len; i++)
			w[i] = 0xc0 | (uint8_t)i;
		break;
	}
}

int
answer_build(const struct answer_src *src, const uint8_t *q, size_t qlen,
             bool is_udp, uint8_t **out, size_t *outlen)
{
	ldns_pkt *query = parse_query(q, qlen);
	ldns_pkt *r = NULL;
	int rc = -ENOMEM;

	*out = NULL;
	if (query == NULL)
		return -EINVAL;
	if ((r = reply_new(src, query)) == NULL)
		goto out;
	if ((rc = fill(src, r, query, is_udp)) < 0)
		goto out;
	rc = to_wire(r, is_udp ? udp_limit(query) : 65535, out, outlen);
	if (rc == 0)
		damage(src->malformed, *out, outlen);
out:
	ldns_pkt_free(r);
	ldns_pkt_free(query);
	return rc;
}
