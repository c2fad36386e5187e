/*
 * test_answer.c -- responses built in wire form: header bits, the
 * question's case, truncation at 512, at the EDNS size and over TCP, the
 * OPT record (DO, EDE, BADVERS, keepalive), RFC 8482 and the ldns path.
 * Every response is parsed back with ldns to prove it is well-formed.
 */
#include "config.h"
#include "resolver/answer.h"

#include <check.h>
#include <errno.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/pkt.h"
#include "util/util.h"

Suite *answer_suite(void);

/* A parsed query with the wire it points into. */
struct tq {
	uint8_t wire[512];
	size_t len;
	struct pkt_query q;
	int verdict;
};

struct tq_args {
	uint16_t type;
	uint16_t edns_udp; /* 0: no EDNS */
	bool is_do;
	bool keepalive;
	uint8_t version;
	bool is_cd;
};

static void
tq_make(struct tq *t, const char *name, const struct tq_args *a)
{
	ldns_pkt *p = NULL;
	uint8_t *wire = NULL;
	size_t len = 0;

	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&p, name, a->type,
	                                            LDNS_RR_CLASS_IN, LDNS_RD),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(p, 0xBEEF);
	ldns_pkt_set_cd(p, a->is_cd);
	if (a->edns_udp != 0) {
		ldns_pkt_set_edns_udp_size(p, a->edns_udp);
		ldns_pkt_set_edns_do(p, a->is_do);
		ldns_pkt_set_edns_version(p, a->version);
		if (a->keepalive)
			ldns_pkt_set_edns_data(
			    p, ldns_rdf_new_frm_data(LDNS_RDF_TYPE_UNKNOWN, 4,
			                             "\0\013\0\0"));
	}
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ck_assert_uint_le(len, sizeof(t->wire));
	memcpy(t->wire, wire, len);
	t->len = len;
	t->verdict = pkt_query_parse(t->wire, t->len, &t->q);
	free(wire);
	ldns_pkt_free(p);
}

static ldns_pkt *
parse_resp(const uint8_t *buf, size_t len)
{
	ldns_pkt *p = NULL;

	ck_assert_uint_gt(len, 0);
	ck_assert_int_eq(ldns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	return p;
}

/* An A record for the question name (owner 0xC00C). */
static void
a_rr(uint8_t rr[16], uint8_t last)
{
	static const uint8_t tmpl[16] = {0xC0, 0x0C, 0, 1, 0,   1, 0, 0,
	                                 0x0E, 0x10, 0, 4, 192, 0, 2, 0};

	memcpy(rr, tmpl, sizeof(tmpl));
	rr[15] = last;
}

/* Fills the answer section with n A records; returns the last rc. */
static int
add_many(struct answer *a, int n)
{
	uint8_t rr[16];
	int i, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		a_rr(rr, (uint8_t)i);
		rc = answer_add_rrs(a, ANSWER_SEC_ANSWER, rr, sizeof(rr));
	}
	return rc;
}

static const struct answer_opts udp_opts = {false, 1232, 10000};
static const struct answer_opts tcp_opts = {true, 1232, 10000};

START_TEST(header_copies_id_rd_cd_and_question_case)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A, .is_cd = true};
	uint8_t buf[512], rr[16];
	struct answer a;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "WwW.ExAmple.COM.", &args);
	ck_assert_int_eq(t.verdict, PKT_OK);
	ck_assert_int_eq(answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts,
	                              LDNS_RCODE_NOERROR),
	                 0);
	a_rr(rr, 7);
	ck_assert_int_eq(answer_add_rrs(&a, ANSWER_SEC_ANSWER, rr, 16), 0);
	len = answer_finish(&a);
	ck_assert_mem_eq(buf + 12, "\003WwW\007ExAmple\003COM", 17);
	p = parse_resp(buf, len);
	ck_assert_uint_eq(ldns_pkt_id(p), 0xBEEF);
	ck_assert(ldns_pkt_qr(p));
	ck_assert(ldns_pkt_ra(p));
	ck_assert(ldns_pkt_rd(p));
	ck_assert(ldns_pkt_cd(p));
	ck_assert(!ldns_pkt_aa(p));
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NOERROR);
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert(!ldns_pkt_edns(p)); /* no EDNS in, none out */
	ck_assert_uint_eq(
	    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
	    LDNS_RR_TYPE_A);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(no_edns_truncates_at_512)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A};
	uint8_t buf[65535];
	struct answer a;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "big.example.", &args);
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	ck_assert_uint_eq(answer_limit(&t.q, &udp_opts), 512);
	ck_assert_int_eq(add_many(&a, 40), -EMSGSIZE);
	/* after truncation nothing more goes in */
	ck_assert_int_eq(add_many(&a, 1), -EMSGSIZE);
	len = answer_finish(&a);
	ck_assert_uint_le(len, 512);
	p = parse_resp(buf, len);
	ck_assert(ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 0);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 1);
	ldns_pkt_free(p);
	/* 30 records (12 + 17 + 30 * 16 = 509) still fit */
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	ck_assert_int_eq(add_many(&a, 30), 0);
	len = answer_finish(&a);
	ck_assert_uint_eq(len, 12 + 17 + 30 * 16);
	p = parse_resp(buf, len);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 30);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(edns_limit_is_min_of_client_and_config)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A, .edns_udp = 4096};
	struct answer_opts small = {false, 900, 0};
	uint8_t buf[65535];
	struct answer a;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "big.example.", &args);
	ck_assert_uint_eq(answer_limit(&t.q, &udp_opts), 1232);
	ck_assert_uint_eq(answer_limit(&t.q, &small), 900);
	args.edns_udp = 700;
	tq_make(&t, "big.example.", &args);
	ck_assert_uint_eq(answer_limit(&t.q, &udp_opts), 700);
	args.edns_udp = 300; /* raised to 512 */
	tq_make(&t, "big.example.", &args);
	ck_assert_uint_eq(answer_limit(&t.q, &udp_opts), 512);
	args.edns_udp = 1000;
	tq_make(&t, "big.example.", &args);
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	ck_assert_int_eq(add_many(&a, 100), -EMSGSIZE);
	len = answer_finish(&a);
	p = parse_resp(buf, len);
	ck_assert(ldns_pkt_tc(p));
	ck_assert(ldns_pkt_edns(p)); /* OPT kept when truncated */
	ck_assert_uint_eq(ldns_pkt_edns_udp_size(p), 1232);
	ldns_pkt_free(p);
	/* 55 records: 12 + 17 + 55 * 16 + 11 = 920, under 1000 */
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	ck_assert_int_eq(add_many(&a, 55), 0);
	len = answer_finish(&a);
	ck_assert_uint_eq(len, 920);
}
END_TEST

START_TEST(tcp_is_limited_only_by_the_length_prefix)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A};
	static uint8_t buf[65535];
	struct answer a;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "big.example.", &args);
	ck_assert_uint_eq(answer_limit(&t.q, &tcp_opts), 65535);
	answer_begin(&a, buf, sizeof(buf), &t.q, &tcp_opts, 0);
	ck_assert_int_eq(add_many(&a, 2000), 0);
	len = answer_finish(&a);
	p = parse_resp(buf, len);
	ck_assert(!ldns_pkt_tc(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 2000);
	ldns_pkt_free(p);
	answer_begin(&a, buf, sizeof(buf), &t.q, &tcp_opts, 0);
	ck_assert_int_eq(add_many(&a, 5000), -EMSGSIZE);
	len = answer_finish(&a);
	ck_assert(buf[2] & 0x02); /* TC */
}
END_TEST

START_TEST(opt_echoes_do_and_advertises_our_size)
{
	struct tq t;
	struct tq_args args = {
	    .type = LDNS_RR_TYPE_A, .edns_udp = 4096, .is_do = true};
	uint8_t buf[4096];
	ldns_pkt *p;
	size_t len;

	tq_make(&t, "example.", &args);
	len = answer_error(buf, sizeof(buf), &t.q, &udp_opts,
	                   LDNS_RCODE_NXDOMAIN, -1, NULL);
	p = parse_resp(buf, len);
	ck_assert(ldns_pkt_edns(p));
	ck_assert(ldns_pkt_edns_do(p));
	ck_assert_uint_eq(ldns_pkt_edns_udp_size(p), 1232);
	ck_assert_uint_eq(ldns_pkt_edns_version(p), 0);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_NXDOMAIN);
	ldns_pkt_free(p);
	args.is_do = false;
	tq_make(&t, "example.", &args);
	len = answer_error(buf, sizeof(buf), &t.q, &udp_opts, 0, -1, NULL);
	p = parse_resp(buf, len);
	ck_assert(!ldns_pkt_edns_do(p));
	ldns_pkt_free(p);
}
END_TEST

START_TEST(servfail_carries_extended_error)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A, .edns_udp = 1232};
	uint8_t buf[1232];
	const uint8_t *opt;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "broken.example.", &args);
	len =
	    answer_error(buf, sizeof(buf), &t.q, &udp_opts, LDNS_RCODE_SERVFAIL,
	                 ANSWER_EDE_NO_REACHABLE_AUTHORITY, "timeout");
	/* the OPT record is last: 11 bytes, then option 15, length 9,
	 * info-code 22, "timeout" */
	opt = buf + len - (11 + 4 + 2 + 7);
	ck_assert_uint_eq(opt[0], 0);
	ck_assert_mem_eq(opt + 11, "\0\017\0\011\0\026timeout", 13);
	p = parse_resp(buf, len);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_SERVFAIL);
	ck_assert_uint_eq(ldns_pkt_arcount(p), 0); /* ldns keeps OPT apart */
	ldns_pkt_free(p);
	/* no EDNS from the client: no EDE */
	args.edns_udp = 0;
	tq_make(&t, "broken.example.", &args);
	len = answer_error(buf, sizeof(buf), &t.q, &udp_opts,
	                   LDNS_RCODE_SERVFAIL, 22, "timeout");
	ck_assert_uint_eq(len, t.len);
}
END_TEST

START_TEST(badvers_uses_extended_rcode)
{
	struct tq t;
	struct tq_args args = {
	    .type = LDNS_RR_TYPE_A, .edns_udp = 1232, .version = 1};
	uint8_t buf[1232];
	const uint8_t *opt;
	size_t len;
	ldns_pkt *p;

	tq_make(&t, "example.", &args);
	ck_assert_int_eq(t.verdict, PKT_BADVERS);
	len = answer_error(buf, sizeof(buf), &t.q, &udp_opts, PKT_RCODE_BADVERS,
	                   -1, NULL);
	ck_assert_uint_eq(buf[3] & 0x0F, 0); /* low bits of 16 */
	opt = buf + len - 11;
	ck_assert_uint_eq(opt[5], 1); /* 16 >> 4 */
	ck_assert_uint_eq(opt[6], 0); /* our version */
	p = parse_resp(buf, len);
	ck_assert_uint_eq(ldns_pkt_edns_extended_rcode(p), 1);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(keepalive_sent_over_tcp_when_asked)
{
	struct tq t;
	struct tq_args args = {
	    .type = LDNS_RR_TYPE_A, .edns_udp = 1232, .keepalive = true};
	uint8_t buf[1232];
	size_t len;

	tq_make(&t, "example.", &args);
	ck_assert_int_eq(t.verdict, PKT_OK);
	ck_assert(t.q.has_keepalive);
	len = answer_error(buf, sizeof(buf), &t.q, &tcp_opts, 0, -1, NULL);
	/* 10000 ms in units of 100 ms */
	ck_assert_mem_eq(buf + len - 6, "\0\013\0\002\0\144", 6);
	ck_assert_uint_eq(buf[len - 6 - 2], 0);
	ck_assert_uint_eq(buf[len - 6 - 1], 6); /* rdlength */
	/* over UDP it is never sent (RFC 7828 s3.2.1) */
	len = answer_error(buf, sizeof(buf), &t.q, &udp_opts, 0, -1, NULL);
	ck_assert_mem_eq(buf + len - 2, "\0\0", 2);
	/* over TCP without the client's option neither */
	args.keepalive = false;
	tq_make(&t, "example.", &args);
	len = answer_error(buf, sizeof(buf), &t.q, &tcp_opts, 0, -1, NULL);
	ck_assert_mem_eq(buf + len - 2, "\0\0", 2);
}
END_TEST

START_TEST(any_gets_rfc8482_hinfo)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_ANY};
	uint8_t buf[512];
	struct answer a;
	ldns_rr *rr;
	ldns_pkt *p;
	char *text;

	tq_make(&t, "Any.Example.", &args);
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	ck_assert_int_eq(answer_add_rfc8482(&a), 0);
	p = parse_resp(buf, answer_finish(&a));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	rr = ldns_rr_list_rr(ldns_pkt_answer(p), 0);
	ck_assert_int_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_HINFO);
	ck_assert_uint_eq(ldns_rr_ttl(rr), 3600);
	text = ldns_rr2str(rr);
	ck_assert_ptr_nonnull(strstr(text, "\"RFC8482\" \"\""));
	ck_assert_ptr_nonnull(strstr(text, "Any.Example."));
	free(text);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(formerr_without_question_has_none)
{
	uint8_t wire[12] = {0xAB, 0xCD, 0x01, 0, 0, 0};
	struct pkt_query q;
	uint8_t buf[512];
	ldns_pkt *p;
	size_t len;

	ck_assert_int_eq(pkt_query_parse(wire, sizeof(wire), &q), PKT_FORMERR);
	len = answer_error(buf, sizeof(buf), &q, &udp_opts, LDNS_RCODE_FORMERR,
	                   -1, NULL);
	ck_assert_uint_eq(len, 12);
	p = parse_resp(buf, len);
	ck_assert_uint_eq(ldns_pkt_id(p), 0xABCD);
	ck_assert_uint_eq(ldns_pkt_qdcount(p), 0);
	ck_assert_int_eq(ldns_pkt_get_rcode(p), LDNS_RCODE_FORMERR);
	ldns_pkt_free(p);
}
END_TEST

START_TEST(malformed_chunks_are_rejected)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A};
	uint8_t buf[512], rr[16];
	struct answer a;

	tq_make(&t, "example.", &args);
	answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0);
	a_rr(rr, 1);
	ck_assert_int_eq(answer_add_rrs(&a, ANSWER_SEC_ANSWER, rr, 15),
	                 -EINVAL);
	rr[1] = 0x20; /* a pointer elsewhere */
	ck_assert_int_eq(answer_add_rrs(&a, ANSWER_SEC_ANSWER, rr, 16),
	                 -EINVAL);
	a_rr(rr, 1);
	ck_assert_int_eq(answer_add_rrs(&a, ANSWER_SEC_AUTHORITY, rr, 16), 0);
	/* sections go in order */
	ck_assert_int_eq(answer_add_rrs(&a, ANSWER_SEC_ANSWER, rr, 16),
	                 -EINVAL);
	ck_assert_uint_eq(a.count[ANSWER_SEC_ANSWER], 0);
}
END_TEST

START_TEST(ldns_answer_gets_client_id_and_case)
{
	struct tq t;
	struct tq_args args = {.type = LDNS_RR_TYPE_A, .edns_udp = 1232};
	ldns_pkt *up = NULL, *p;
	ldns_rr *rr = NULL;
	uint8_t buf[1232];
	int len;

	tq_make(&t, "WWW.example.NET.", &args);
	ck_assert_int_eq(ldns_pkt_query_new_frm_str(&up, "www.example.net.",
	                                            LDNS_RR_TYPE_A,
	                                            LDNS_RR_CLASS_IN, 0),
	                 LDNS_STATUS_OK);
	ldns_pkt_set_id(up, 999);
	ldns_pkt_set_qr(up, true);
	ldns_pkt_set_aa(up, true);
	ck_assert_int_eq(
	    ldns_rr_new_frm_str(&rr, "www.example.net. 300 IN A 192.0.2.1", 0,
	                        NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(up, LDNS_SECTION_ANSWER, rr); /* takes rr */
	rr = NULL;
	ck_assert_int_eq(
	    ldns_rr_new_frm_str(&rr, "example.net. 300 IN NS ns.example.net.",
	                        0, NULL, NULL),
	    LDNS_STATUS_OK);
	ldns_pkt_push_rr(up, LDNS_SECTION_AUTHORITY, rr);
	len = answer_from_ldns(buf, sizeof(buf), &t.q, &udp_opts, up);
	ck_assert_int_gt(len, 0);
	ck_assert_mem_eq(buf + 12, "\003WWW\007example\003NET", 17);
	/* the answer owner compressed to the question */
	ck_assert_uint_eq(buf[12 + 17 + 4], 0xC0);
	ck_assert_uint_eq(buf[12 + 17 + 5], 0x0C);
	p = parse_resp(buf, (size_t)len);
	ck_assert_uint_eq(ldns_pkt_id(p), 0xBEEF);
	ck_assert(!ldns_pkt_aa(p));
	ck_assert_uint_eq(ldns_pkt_ancount(p), 1);
	ck_assert_uint_eq(ldns_pkt_nscount(p), 1);
	ck_assert(ldns_pkt_edns(p));
	ldns_pkt_free(p);
	ldns_pkt_free(up);
}
END_TEST

/* RFC 4035 s3.2.1: RRSIGs go to a client only when it set DO. */
START_TEST(rrsigs_only_for_do_clients)
{
	static const char *const rrs[] = {
	    "www.example.net. 300 IN A 192.0.2.1",
	    "www.example.net. 300 IN RRSIG A 8 3 300 20300101000000 "
	    "20200101000000 12345 example.net. AAECAwQFBgcICQ==",
	};
	ldns_rr_list *list = ldns_rr_list_new();
	size_t i, len;
	int is_do;

	for (i = 0; i < ARRAY_SIZE(rrs); i++) {
		ldns_rr *rr = NULL;

		ck_assert_int_eq(
		    ldns_rr_new_frm_str(&rr, rrs[i], 0, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_rr_list_push_rr(list, rr); /* takes rr */
	}
	for (is_do = 0; is_do <= 1; is_do++) {
		struct tq_args args = {
		    .type = LDNS_RR_TYPE_A, .edns_udp = 1232, .is_do = is_do};
		struct answer a;
		struct tq t;
		uint8_t buf[1232];
		ldns_pkt *p;

		tq_make(&t, "www.example.net.", &args);
		ck_assert_int_eq(
		    answer_begin(&a, buf, sizeof(buf), &t.q, &udp_opts, 0), 0);
		ck_assert_int_eq(
		    answer_add_ldns(&a, ANSWER_SEC_ANSWER, list, t.q.is_do), 0);
		len = answer_finish(&a);
		p = parse_resp(buf, len);
		ck_assert_uint_eq(ldns_pkt_ancount(p), is_do ? 2 : 1);
		ck_assert_uint_eq(
		    ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(p), 0)),
		    LDNS_RR_TYPE_A);
		ldns_pkt_free(p);
	}
	ldns_rr_list_deep_free(list);
}
END_TEST

Suite *
answer_suite(void)
{
	Suite *s = suite_create("answer");
	TCase *tc = tcase_create("answer");

	tcase_add_test(tc, header_copies_id_rd_cd_and_question_case);
	tcase_add_test(tc, no_edns_truncates_at_512);
	tcase_add_test(tc, edns_limit_is_min_of_client_and_config);
	tcase_add_test(tc, tcp_is_limited_only_by_the_length_prefix);
	tcase_add_test(tc, opt_echoes_do_and_advertises_our_size);
	tcase_add_test(tc, servfail_carries_extended_error);
	tcase_add_test(tc, badvers_uses_extended_rcode);
	tcase_add_test(tc, keepalive_sent_over_tcp_when_asked);
	tcase_add_test(tc, any_gets_rfc8482_hinfo);
	tcase_add_test(tc, formerr_without_question_has_none);
	tcase_add_test(tc, malformed_chunks_are_rejected);
	tcase_add_test(tc, ldns_answer_gets_client_id_and_case);
	tcase_add_test(tc, rrsigs_only_for_do_clients);
	suite_add_tcase(s, tc);
	return s;
}
