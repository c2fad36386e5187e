/*
 * fuzz_iter.c -- classifies arbitrary reply bytes, parsed by ldns, as the
 * answer to the question they carry, asked of each zone above that name,
 * minimised or not, with strict and relaxed glue; builds the delegation of
 * a referral and walks QNAME minimisation. Nothing may crash or leak.
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

#include "resolver/deleg.h"
#include "dns/pkt.h"
#include "resolver/iter.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
use_referral(const struct iter_result *r)
{
	struct deleg_opts o;
	struct deleg *d;

	deleg_opts_init(&o);
	o.allow_localhost = true;
	d = deleg_from_rrs(r->deleg_zone, r->deleg_ns, r->deleg_glue, &o);
	if (d == NULL)
		return;
	while (deleg_next_glueless(d, &o) != NULL)
		;
	deleg_free(d);
}

static void
classify_as(const ldns_pkt *p, struct iter_question *q, const ldns_rdf *zone)
{
	struct iter_opts o;
	struct iter_result r;
	int variant;

	iter_opts_init(&o);
	q->zone = zone;
	for (variant = 0; variant < 4; variant++) {
		q->is_minimised = variant & 1;
		o.is_strict_glue = (variant & 2) == 0;
		o.is_qmin_strict = variant == 3;
		if (iter_classify(p, q, &o, &r) == 0 && r.kind == ITER_REFERRAL)
			use_referral(&r);
		iter_result_clear(&r);
	}
}

static void
walk_qmin(const ldns_rdf *qname, ldns_rr_type qtype)
{
	struct iter_opts o;
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	ldns_rdf *prev = NULL, *next = NULL;
	ldns_rr_type t;
	bool is_min = true;
	int steps = 0;

	iter_opts_init(&o);
	while (root != NULL && is_min && steps++ < 300) {
		if (iter_qmin_next(qname, qtype, root, prev, &o, &next, &t,
		                   &is_min) != 0)
			break;
		ldns_rdf_deep_free(prev);
		prev = next;
	}
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(root);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ldns_pkt *p = NULL;
	struct iter_question q = {0};
	const ldns_rr *question;
	size_t labels, i;

	/* upstream.c hands ldns only replies that pass this check */
	if (!pkt_reply_is_sane(data, size) ||
	    ldns_wire2pkt(&p, data, size) != LDNS_STATUS_OK)
		return 0;
	if (ldns_rr_list_rr_count(ldns_pkt_question(p)) == 0)
		goto out;
	question = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	q.qname = ldns_rr_owner(question);
	q.qtype = ldns_rr_get_type(question);
	q.qclass = ldns_rr_get_class(question);
	q.has_edns = true;
	if (q.qname == NULL ||
	    ldns_rdf_get_type(q.qname) != LDNS_RDF_TYPE_DNAME)
		goto out;
	/* every zone from the root down to the name itself */
	labels = ldns_dname_label_count(q.qname);
	for (i = 0; i <= labels; i++) {
		ldns_rdf *zone = ldns_dname_clone_from(q.qname, (uint16_t)i);

		if (zone == NULL)
			continue;
		classify_as(p, &q, zone);
		ldns_rdf_deep_free(zone);
	}
	walk_qmin(q.qname, q.qtype);
out:
	ldns_pkt_free(p);
	return 0;
}
