/*
 * test_pkt.c -- the fast client query parser: every verdict from crafted
 * wire, EDNS corner cases, the question's case kept.
 */
#include "config.h"
#include "dns/pkt.h"

#include <check.h>
#include <string.h>

#include <ldns/ldns.h>

Suite *pkt_suite(void);

/* A query message under construction. */
struct msg {
	uint8_t w[1024];
	size_t len;
};

static const uint8_t qname_mixed[] = "\003WwW\007ExAmPlE\003cOm";

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void
add(struct msg *m, const void *data, size_t len)
{
	ck_assert_uint_le(m->len + len, sizeof(m->w));
	if (len == 0)
		return;
	memcpy(m->w + m->len, data, len);
	m->len += len;
}

static void
add16(struct msg *m, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	add(m, b, 2);
}

/* Header with RD, one question for name (wire, with root) type/class. */
static void
msg_query(struct msg *m, const uint8_t *name, size_t name_len, uint16_t type)
{
	static const uint8_t hdr[12] = {0x12, 0x34, 0x01, 0, 0, 1};

	m->len = 0;
	add(m, hdr, sizeof(hdr));
	add(m, name, name_len);
	add16(m, type);
	add16(m, LDNS_RR_CLASS_IN);
}

static void
msg_std(struct msg *m)
{
	msg_query(m, qname_mixed, sizeof(qname_mixed), LDNS_RR_TYPE_A);
}

static void
bump(struct msg *m, size_t count_off)
{
	put16(m->w + count_off,
	      (uint16_t)((m->w[count_off] << 8 | m->w[count_off + 1]) + 1));
}

/* Appends an OPT record to the additional section. */
static void
add_opt(struct msg *m, uint16_t udp, uint8_t version, bool is_do,
        const uint8_t *opts, size_t opts_len)
{
	uint8_t fixed[11] = {0};

	put16(fixed + 1, LDNS_RR_TYPE_OPT);
	put16(fixed + 3, udp);
	fixed[6] = version;
	fixed[7] = is_do ? 0x80 : 0;
	put16(fixed + 9, (uint16_t)opts_len);
	add(m, fixed, sizeof(fixed));
	add(m, opts, opts_len);
	bump(m, 10);
}

static int
parse(const struct msg *m, struct pkt_query *q)
{
	return pkt_query_parse(m->w, m->len, q);
}

START_TEST(plain_query_keeps_case_and_lowers_key)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	m.w[3] = 0x10; /* CD */
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert(q.is_rd);
	ck_assert(q.is_cd);
	ck_assert(q.has_question);
	ck_assert_uint_eq(q.qname_len, sizeof(qname_mixed));
	ck_assert(q.qname == m.w + 12); /* points into the wire */
	ck_assert_mem_eq(q.qname, qname_mixed, sizeof(qname_mixed));
	ck_assert_mem_eq(q.qname_lc, "\003www\007example\003com",
	                 sizeof(qname_mixed));
	ck_assert_uint_eq(q.qtype, LDNS_RR_TYPE_A);
	ck_assert_uint_eq(q.qclass, LDNS_RR_CLASS_IN);
	ck_assert(!q.has_edns);
}
END_TEST

START_TEST(ldns_built_query_parses)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;
	struct pkt_query q;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, "Mixed.Example.ORG.",
	                                            LDNS_RR_TYPE_AAAA,
	                                            LDNS_RR_CLASS_IN, LDNS_RD),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_edns_udp_size(p, 4096);
	ldns_pkt_set_edns_do(p, true);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ck_assert_int_eq(pkt_query_parse(wire, len, &q), PKT_OK);
	ck_assert_uint_eq(q.id, 4242);
	ck_assert_uint_eq(q.qtype, LDNS_RR_TYPE_AAAA);
	ck_assert(q.has_edns);
	ck_assert(q.is_do);
	ck_assert_uint_eq(q.udp_size, 4096);
	ck_assert_mem_eq(q.qname, "\005Mixed", 6);
	ck_assert_mem_eq(q.qname_lc, "\005mixed", 6);
	free(wire);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(short_or_response_is_dropped)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	ck_assert_int_eq(pkt_query_parse(m.w, 11, &q), PKT_DROP);
	ck_assert_int_eq(pkt_query_parse(m.w, 0, &q), PKT_DROP);
	m.w[2] |= 0x80; /* QR */
	ck_assert_int_eq(parse(&m, &q), PKT_DROP);
}
END_TEST

START_TEST(other_opcode_is_notimp)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	m.w[2] = (uint8_t)(4 << 3); /* NOTIFY */
	ck_assert_int_eq(parse(&m, &q), PKT_NOTIMP);
	ck_assert_uint_eq(q.id, 0x1234);
	ck_assert_uint_eq(q.opcode, 4);
	ck_assert(q.has_question); /* echoed in the NOTIMP */
	ck_assert_uint_eq(q.qtype, LDNS_RR_TYPE_A);
	/* header alone, no question: still NOTIMP */
	ck_assert_int_eq(pkt_query_parse(m.w, 12, &q), PKT_NOTIMP);
}
END_TEST

START_TEST(question_count_other_than_one_is_formerr)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	put16(m.w + 4, 0);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	ck_assert(!q.has_question);
	put16(m.w + 4, 2);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	ck_assert_int_eq(pkt_query_parse(m.w, 12, &q), PKT_FORMERR);
}
END_TEST

START_TEST(bad_question_names_are_formerr)
{
	static const uint8_t ptr[] = {0xC0, 0x0C};
	static const uint8_t biglabel[] = {64, 'a'};
	uint8_t longname[300];
	struct msg m;
	struct pkt_query q;
	size_t i;

	msg_query(&m, ptr, sizeof(ptr), LDNS_RR_TYPE_A);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	msg_query(&m, biglabel, sizeof(biglabel), LDNS_RR_TYPE_A);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	/* 4 labels of 63 plus root = 257 bytes: over 255 */
	for (i = 0; i < 4; i++) {
		longname[i * 64] = 63;
		memset(longname + i * 64 + 1, 'a', 63);
	}
	longname[256] = 0;
	msg_query(&m, longname, 257, LDNS_RR_TYPE_A);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	/* 3 labels of 63 and one of 61: exactly 255, valid */
	longname[192] = 61;
	longname[254] = 0;
	msg_query(&m, longname, 255, LDNS_RR_TYPE_A);
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
	ck_assert_uint_eq(q.qname_len, 255);
	/* cut inside the name, and before the class */
	msg_std(&m);
	ck_assert_int_eq(pkt_query_parse(m.w, 15, &q), PKT_FORMERR);
	ck_assert_int_eq(pkt_query_parse(m.w, m.len - 1, &q), PKT_FORMERR);
}
END_TEST

START_TEST(truncated_sections_are_formerr)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	put16(m.w + 10, 1); /* one additional record, none present */
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	ck_assert(q.has_question); /* the FORMERR echoes it */
	msg_std(&m);
	put16(m.w + 6, 1); /* an answer record cut in its rdata */
	add16(&m, 0xC00C);
	add16(&m, LDNS_RR_TYPE_A);
	add16(&m, LDNS_RR_CLASS_IN);
	add16(&m, 0);
	add16(&m, 60);
	add16(&m, 4);
	add16(&m, 0x7F00);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	add16(&m, 0x0001); /* now complete: records in a query are skipped */
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
}
END_TEST

START_TEST(trailing_bytes_are_tolerated)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add(&m, "garbage", 7);
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
}
END_TEST

START_TEST(zone_transfers_are_refused)
{
	struct msg m;
	struct pkt_query q;

	msg_query(&m, qname_mixed, sizeof(qname_mixed), LDNS_RR_TYPE_AXFR);
	ck_assert_int_eq(parse(&m, &q), PKT_REFUSED);
	msg_query(&m, qname_mixed, sizeof(qname_mixed), LDNS_RR_TYPE_IXFR);
	ck_assert_int_eq(parse(&m, &q), PKT_REFUSED);
	ck_assert(q.has_question);
	msg_query(&m, qname_mixed, sizeof(qname_mixed), LDNS_RR_TYPE_OPT);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
}
END_TEST

START_TEST(edns_fields_are_read)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add_opt(&m, 1232, 0, true, NULL, 0);
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
	ck_assert(q.has_edns);
	ck_assert(q.is_do);
	ck_assert_uint_eq(q.udp_size, 1232);
	ck_assert(!q.has_keepalive);
	msg_std(&m);
	add_opt(&m, 100, 0, false, NULL, 0); /* RFC 6891 s6.2.3 */
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
	ck_assert_uint_eq(q.udp_size, 512);
	ck_assert(!q.is_do);
}
END_TEST

START_TEST(edns_version_above_zero_is_badvers)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add_opt(&m, 4096, 1, true, NULL, 0);
	ck_assert_int_eq(parse(&m, &q), PKT_BADVERS);
	ck_assert(q.has_edns);
	ck_assert(q.has_question);
	ck_assert(q.is_do);
}
END_TEST

START_TEST(second_opt_is_formerr)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add_opt(&m, 4096, 0, false, NULL, 0);
	add_opt(&m, 4096, 0, false, NULL, 0);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	ck_assert(!q.has_edns);
}
END_TEST

START_TEST(opt_outside_additional_is_formerr)
{
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add_opt(&m, 4096, 0, false, NULL, 0);
	put16(m.w + 10, 0);
	put16(m.w + 8, 1); /* the same OPT, counted as authority */
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
}
END_TEST

START_TEST(opt_with_non_root_owner_is_formerr)
{
	struct msg m;
	struct pkt_query q;
	uint8_t fixed[10] = {0};

	msg_std(&m);
	add16(&m, 0xC00C); /* owner: the question name */
	put16(fixed, LDNS_RR_TYPE_OPT);
	put16(fixed + 2, 4096);
	add(&m, fixed, sizeof(fixed));
	put16(m.w + 10, 1);
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
}
END_TEST

START_TEST(keepalive_option_is_seen_and_unknown_ignored)
{
	static const uint8_t opts[] = {
	    0xFD, 0xE9, 0, 3, 'a', 'b', 'c', /* unknown, ignored */
	    0,    11,   0, 0,                /* edns-tcp-keepalive */
	};
	static const uint8_t bad_ka[] = {0, 11, 0, 2, 0, 100};
	static const uint8_t cut[] = {0, 10, 0, 8, 1, 2};
	struct msg m;
	struct pkt_query q;

	msg_std(&m);
	add_opt(&m, 4096, 0, false, opts, sizeof(opts));
	ck_assert_int_eq(parse(&m, &q), PKT_OK);
	ck_assert(q.has_keepalive);
	msg_std(&m); /* a timeout from a client: RFC 7828 s3.2.1 */
	add_opt(&m, 4096, 0, false, bad_ka, sizeof(bad_ka));
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
	msg_std(&m); /* an option longer than the rdata */
	add_opt(&m, 4096, 0, false, cut, sizeof(cut));
	ck_assert_int_eq(parse(&m, &q), PKT_FORMERR);
}
END_TEST

START_TEST(reply_check_rejects_what_ldns_mishandles)
{
	static const uint8_t tsig[11] = {0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0};
	struct msg m;

	msg_std(&m);
	m.w[2] |= 0x80; /* a response */
	ck_assert(pkt_reply_is_sane(m.w, m.len));
	add_opt(&m, 1232, 0, false, NULL, 0);
	ck_assert(pkt_reply_is_sane(m.w, m.len));
	add_opt(&m, 1232, 0, false, NULL, 0); /* a second OPT */
	ck_assert(!pkt_reply_is_sane(m.w, m.len));

	msg_std(&m);
	add(&m, tsig, sizeof(tsig)); /* a TSIG nobody asked for */
	bump(&m, 10);
	ck_assert(!pkt_reply_is_sane(m.w, m.len));

	msg_std(&m);
	add_opt(&m, 1232, 0, false, NULL, 0);
	put16(m.w + 10, 0);
	put16(m.w + 6, 1); /* the OPT counted as an answer */
	ck_assert(!pkt_reply_is_sane(m.w, m.len));

	msg_std(&m);
	bump(&m, 6); /* an answer the message does not hold */
	ck_assert(!pkt_reply_is_sane(m.w, m.len));
	ck_assert(!pkt_reply_is_sane(m.w, 11));
}
END_TEST

START_TEST(name_len_checks_labels)
{
	ck_assert_uint_eq(pkt_name_len((const uint8_t *)"\0", 1), 1);
	ck_assert_uint_eq(pkt_name_len((const uint8_t *)"\1a\0", 3), 3);
	ck_assert_uint_eq(pkt_name_len((const uint8_t *)"\1a\0", 2), 0);
	ck_assert_uint_eq(pkt_name_len((const uint8_t *)"\300\14", 2), 0);
	ck_assert_str_eq(pkt_verdict_str(PKT_BADVERS), "BADVERS");
}
END_TEST

Suite *
pkt_suite(void)
{
	Suite *s = suite_create("pkt");
	TCase *tc = tcase_create("pkt");

	tcase_add_test(tc, plain_query_keeps_case_and_lowers_key);
	tcase_add_test(tc, ldns_built_query_parses);
	tcase_add_test(tc, short_or_response_is_dropped);
	tcase_add_test(tc, other_opcode_is_notimp);
	tcase_add_test(tc, question_count_other_than_one_is_formerr);
	tcase_add_test(tc, bad_question_names_are_formerr);
	tcase_add_test(tc, truncated_sections_are_formerr);
	tcase_add_test(tc, trailing_bytes_are_tolerated);
	tcase_add_test(tc, zone_transfers_are_refused);
	tcase_add_test(tc, edns_fields_are_read);
	tcase_add_test(tc, edns_version_above_zero_is_badvers);
	tcase_add_test(tc, second_opt_is_formerr);
	tcase_add_test(tc, opt_outside_additional_is_formerr);
	tcase_add_test(tc, opt_with_non_root_owner_is_formerr);
	tcase_add_test(tc, keepalive_option_is_seen_and_unknown_ignored);
	tcase_add_test(tc, name_len_checks_labels);
	tcase_add_test(tc, reply_check_rejects_what_ldns_mishandles);
	suite_add_tcase(s, tc);
	return s;
}
