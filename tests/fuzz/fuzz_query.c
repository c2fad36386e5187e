/*
 * fuzz_query.c -- pkt_query_parse() on arbitrary client messages, then the
 * response building a parsed query leads to: error answers, records from
 * wire chunks (the input itself), RFC 8482, and the ldns slow path.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dns/pkt.h"
#include "resolver/answer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const int verdict_rcode[] = {
    [PKT_OK] = PKT_RCODE_NOERROR,      [PKT_FORMERR] = PKT_RCODE_FORMERR,
    [PKT_NOTIMP] = PKT_RCODE_NOTIMP,   [PKT_REFUSED] = PKT_RCODE_REFUSED,
    [PKT_BADVERS] = PKT_RCODE_BADVERS,
};

static void
build_answers(const struct pkt_query *q, int verdict, const uint8_t *data,
              size_t size)
{
	static uint8_t buf[65535];
	struct answer_opts o = {size % 2 == 0, (uint16_t)(512 + size), 10000};
	struct answer a;
	ldns_pkt *p = NULL;
	size_t len;

	len = answer_error(buf, sizeof(buf), q, &o, verdict_rcode[verdict],
	                   ANSWER_EDE_OTHER, "fuzz");
	if (len < PKT_HDR_LEN || len > answer_limit(q, &o))
		__builtin_trap();
	if (verdict != PKT_OK)
		return;
	if (answer_begin(&a, buf, sizeof(buf), q, &o, 0) == 0) {
		answer_add_rfc8482(&a);
		answer_add_rrs(&a, ANSWER_SEC_AUTHORITY, data, size);
		answer_add_rrs(&a, ANSWER_SEC_ADDITIONAL, data, size);
		if (answer_finish(&a) > answer_limit(q, &o))
			__builtin_trap();
	}
	/* the resolver hands ldns only replies that pass this check */
	if (pkt_reply_is_sane(data, size) &&
	    ldns_wire2pkt(&p, data, size) == LDNS_STATUS_OK) {
		answer_from_ldns(buf, sizeof(buf), q, &o, p);
		ldns_pkt_free(p);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_query q;
	int verdict = pkt_query_parse(data, size, &q);

	if (verdict == PKT_DROP)
		return 0;
	if (q.has_question && (q.qname < data || q.qname_len > size))
		__builtin_trap();
	build_answers(&q, verdict, data, size);
	return 0;
}
