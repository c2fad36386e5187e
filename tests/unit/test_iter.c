/*
 * test_iter.c -- reply classification, QNAME minimisation and budgets,
 * on real ldns packets that go through the wire format and back.
 */
#include "config.h"
#include "resolver/iter.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/budget.h"
#include "resolver/deleg.h"

Suite *iter_suite(void);

/* ---- packet building ---- */

struct reply_spec {
	const char *qname;
	ldns_rr_type qtype;
	ldns_pkt_rcode rcode;
	bool aa;
	bool has_opt;
	bool ra;
	const char *an[8];
	const char *ns[8];
	const char *ar[8];
};

static void
push_rrs(ldns_pkt *p, ldns_pkt_section sec, const char *const *rrs)
{
	size_t i;

	for (i = 0; i < 8 && rrs[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		ck_assert_msg(ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL,
		                                  NULL) == LDNS_STATUS_OK,
		              "bad rr %s", rrs[i]);
		ck_assert(ldns_pkt_push_rr(p, sec, rr));
	}
}

/* The reply as a server would send it: built, put on the wire, parsed. */
static ldns_pkt *
make_reply(const struct reply_spec *s)
{
	ldns_pkt *p = ldns_pkt_new(), *parsed = NULL;
	ldns_rr *q = ldns_rr_new();
	uint8_t *wire = NULL;
	size_t len = 0;

	ldns_rr_set_owner(q, ldns_dname_new_frm_str(s->qname));
	ldns_rr_set_type(q, s->qtype);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q);
	ldns_pkt_set_id(p, 4242);
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, s->aa);
	ldns_pkt_set_ra(p, s->ra);
	ldns_pkt_set_rcode(p, (uint8_t)s->rcode);
	push_rrs(p, LDNS_SECTION_ANSWER, s->an);
	push_rrs(p, LDNS_SECTION_AUTHORITY, s->ns);
	push_rrs(p, LDNS_SECTION_ADDITIONAL, s->ar);
	if (s->has_opt)
		ldns_pkt_set_edns_udp_size(p, 1232);
	ck_assert_int_eq(ldns_pkt2wire(&wire, p, &len), LDNS_STATUS_OK);
	ck_assert_int_eq(ldns_wire2pkt(&parsed, wire, len), LDNS_STATUS_OK);
	LDNS_FREE(wire);
	ldns_pkt_free(p);
	return parsed;
}

/* A question asked of a zone's servers, names owned by the test. */
struct asked {
	ldns_rdf *qname;
	ldns_rdf *zone;
	struct iter_question q;
};

static void
ask(struct asked *a, const char *qname, ldns_rr_type qtype, const char *zone)
{
	a->qname = ldns_dname_new_frm_str(qname);
	a->zone = ldns_dname_new_frm_str(zone);
	memset(&a->q, 0, sizeof(a->q));
	a->q.qname = a->qname;
	a->q.qtype = qtype;
	a->q.qclass = LDNS_RR_CLASS_IN;
	a->q.zone = a->zone;
	a->q.has_edns = true;
}

static void
asked_clear(struct asked *a)
{
	ldns_rdf_deep_free(a->qname);
	ldns_rdf_deep_free(a->zone);
}

/* Classifies the reply of spec to the question of a (default options
 * unless opts). */
static enum iter_kind
classify(const struct reply_spec *spec, const struct asked *a,
         const struct iter_opts *opts, struct iter_result *r)
{
	struct iter_opts def;
	ldns_pkt *p = make_reply(spec);

	iter_opts_init(&def);
	ck_assert_int_eq(iter_classify(p, &a->q, opts ? opts : &def, r), 0);
	ldns_pkt_free(p);
	return r->kind;
}

static bool
name_is(const ldns_rdf *d, const char *s)
{
	ldns_rdf *want = ldns_dname_new_frm_str(s);
	bool eq = iter_dname_equal(d, want);

	ldns_rdf_deep_free(want);
	return eq;
}

/* The cached RRset (owner, type) or NULL. */
static const struct iter_rrset *
cached(const struct iter_result *r, const char *owner, ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < r->n_rrsets; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(r->rrsets[i].rrs, 0);

		if (ldns_rr_get_type(rr) == type &&
		    name_is(ldns_rr_owner(rr), owner))
			return &r->rrsets[i];
	}
	return NULL;
}

/* True if any record anywhere in the result is owned by (or points to)
 * a name at or below s. */
static bool
mentions(const struct iter_result *r, const char *s)
{
	ldns_rdf *zone = ldns_dname_new_frm_str(s);
	bool found = false;
	size_t i, j;

	for (i = 0; i < r->n_rrsets && !found; i++)
		for (j = 0; j < ldns_rr_list_rr_count(r->rrsets[i].rrs); j++)
			if (iter_dname_in_zone(ldns_rr_owner(ldns_rr_list_rr(
			                           r->rrsets[i].rrs, j)),
			                       zone))
				found = true;
	for (j = 0; j < ldns_rr_list_rr_count(r->chain); j++)
		if (iter_dname_in_zone(
		        ldns_rr_owner(ldns_rr_list_rr(r->chain, j)), zone))
			found = true;
	for (j = 0; j < ldns_rr_list_rr_count(r->deleg_glue); j++)
		if (iter_dname_in_zone(
		        ldns_rr_owner(ldns_rr_list_rr(r->deleg_glue, j)), zone))
			found = true;
	ldns_rdf_deep_free(zone);
	return found;
}

/* ---- answers and chains ---- */

START_TEST(answer_with_aa_is_cached_at_answer_rank)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN A 192.0.2.1",
	           "www.example.com. 300 IN A 192.0.2.2",
	           "www.example.com. 300 IN RRSIG A 8 3 300 20300101000000 "
	           "20200101000000 1234 example.com. AAAA"},
	    .ns = {"example.com. 3600 IN NS ns1.example.com."},
	    .ar = {"ns1.example.com. 3600 IN A 192.0.2.53"}};
	struct asked a;
	struct iter_result r;
	const struct iter_rrset *set;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 0);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 3);
	set = cached(&r, "www.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(set);
	ck_assert_uint_eq(ldns_rr_list_rr_count(set->rrs), 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(set->sigs), 1);
	ck_assert_int_eq(set->rank, ITER_RANK_ANSWER_AA);
	set = cached(&r, "example.com.", LDNS_RR_TYPE_NS);
	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(set->rank, ITER_RANK_AUTHORITY_AA);
	set = cached(&r, "ns1.example.com.", LDNS_RR_TYPE_A);
	ck_assert_ptr_nonnull(set);
	ck_assert_int_eq(set->rank, ITER_RANK_GLUE);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* www.example.com -> a.example.com -> b.example.net -> c.example.org:
 * each zone's server gives the part of the chain it is authoritative
 * for, and the query restarts from the target each time. */
START_TEST(cname_chain_of_three_zones_is_followed_zone_by_zone)
{
	struct reply_spec s1 = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN CNAME a.example.com.",
	           "a.example.com. 300 IN CNAME b.example.net.",
	           "b.example.net. 300 IN A 203.0.113.66"}};
	struct reply_spec s2 = {
	    .qname = "b.example.net.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"b.example.net. 300 IN CNAME c.example.org."}};
	struct reply_spec s3 = {.qname = "c.example.org.",
	                        .qtype = LDNS_RR_TYPE_A,
	                        .rcode = LDNS_RCODE_NOERROR,
	                        .aa = true,
	                        .has_opt = false,
	                        .an = {"c.example.org. 300 IN A 192.0.2.7"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s1, &a, NULL, &r), ITER_CNAME);
	ck_assert(name_is(r.target, "b.example.net."));
	ck_assert_uint_eq(r.n_links, 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 2);
	/* the example.com server cannot speak for example.net */
	ck_assert_uint_eq(r.n_out_of_bailiwick, 1);
	ck_assert(!mentions(&r, "example.net."));
	ck_assert_ptr_nonnull(cached(&r, "a.example.com.", LDNS_RR_TYPE_CNAME));
	iter_result_clear(&r);
	asked_clear(&a);

	ask(&a, "b.example.net.", LDNS_RR_TYPE_A, "example.net.");
	ck_assert_int_eq(classify(&s2, &a, NULL, &r), ITER_CNAME);
	ck_assert(name_is(r.target, "c.example.org."));
	ck_assert_uint_eq(r.n_links, 1);
	iter_result_clear(&r);
	asked_clear(&a);

	ask(&a, "c.example.org.", LDNS_RR_TYPE_A, "example.org.");
	ck_assert_int_eq(classify(&s3, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 0);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 1);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(cname_chain_inside_zone_is_one_answer)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_AAAA,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = /* out of order on purpose: the walk follows names */
	    {"b.example.com. 300 IN AAAA 2001:db8::1",
	     "www.example.com. 300 IN CNAME a.example.com.",
	     "a.example.com. 300 IN CNAME b.example.com.",
	     "other.example.com. 300 IN A 192.0.2.99"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_AAAA, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 3);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(r.chain, 0)),
	                 LDNS_RR_TYPE_CNAME);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(r.chain, 2)),
	                 LDNS_RR_TYPE_AAAA);
	/* unrelated answer data is neither returned nor cached */
	ck_assert(!mentions(&r, "other.example.com."));
	ck_assert_uint_eq(r.n_unrelated, 1);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(cname_loop_in_one_reply_terminates)
{
	struct reply_spec s = {
	    .qname = "a.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"a.example.com. 300 IN CNAME b.example.com.",
	           "b.example.com. 300 IN CNAME a.example.com."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "a.example.com.", LDNS_RR_TYPE_A, "example.com.");
	/* the loop ends within the reply; the query's CNAME budget ends it
	 * across replies */
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_CNAME);
	ck_assert_uint_le(r.n_links, 3);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 2);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(qtype_cname_returns_the_cname_itself)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_CNAME,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN CNAME a.example.net."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_CNAME, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 0);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(dname_is_followed_with_our_own_synthesised_cname)
{
	struct reply_spec s = {
	    .qname = "www.old.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"old.example.com. 300 IN DNAME new.example.com.",
	           /* a forged synthesised CNAME is not believed */
	           "www.old.example.com. 300 IN CNAME evil.example.com.",
	           "evil.example.com. 300 IN A 192.0.2.66",
	           "www.new.example.com. 300 IN A 192.0.2.8"}};
	struct asked a;
	struct iter_result r;
	const ldns_rr *cname;

	ask(&a, "www.old.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 1);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 3);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(r.chain, 0)),
	                 LDNS_RR_TYPE_DNAME);
	cname = ldns_rr_list_rr(r.chain, 1);
	ck_assert_int_eq(ldns_rr_get_type(cname), LDNS_RR_TYPE_CNAME);
	ck_assert(name_is(ldns_rr_owner(cname), "www.old.example.com."));
	ck_assert(name_is(ldns_rr_rdf(cname, 0), "www.new.example.com."));
	ck_assert(name_is(ldns_rr_owner(ldns_rr_list_rr(r.chain, 2)),
	                  "www.new.example.com."));
	ck_assert(!mentions(&r, "evil.example.com."));
	ck_assert_ptr_nonnull(
	    cached(&r, "old.example.com.", LDNS_RR_TYPE_DNAME));
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(dname_to_another_zone_gives_the_target_to_chase)
{
	struct reply_spec s = {
	    .qname = "a.b.old.example.com.",
	    .qtype = LDNS_RR_TYPE_TXT,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"old.example.com. 300 IN DNAME example.net."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "a.b.old.example.com.", LDNS_RR_TYPE_TXT, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_CNAME);
	ck_assert(name_is(r.target, "a.b.example.net."));
	ck_assert_uint_eq(r.n_links, 1);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(cname_into_delegated_child_caches_referral_and_chases)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN CNAME www.sub.example.com."},
	    .ns = {"sub.example.com. 3600 IN NS ns.sub.example.com."},
	    .ar = {"ns.sub.example.com. 3600 IN A 192.0.2.9"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_CNAME);
	ck_assert(name_is(r.target, "www.sub.example.com."));
	ck_assert_int_eq(cached(&r, "sub.example.com.", LDNS_RR_TYPE_NS)->rank,
	                 ITER_RANK_REFERRAL);
	ck_assert_int_eq(
	    cached(&r, "ns.sub.example.com.", LDNS_RR_TYPE_A)->rank,
	    ITER_RANK_GLUE);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- referrals ---- */

START_TEST(referral_keeps_only_glue_in_the_delegated_zone)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns =
	        {"example.com. 172800 IN NS ns1.example.com.",
	         "example.com. 172800 IN NS ns.other.net.",
	         "example.com. 172800 IN NS ns2.sibling.com.",
	         "example.com. 86400 IN DS 12345 8 2 "
	         "49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC49FD46E6C4B45C55D4AC"
	         "1234",
	         "CK0POJMG874LJREF7EFN8430QVIT8BSM.com. 86400 IN NSEC3 1 1 0 - "
	         "CK0Q1GIN43N1ARRC9OSM6QPQR81H5M9A NS SOA RRSIG DNSKEY "
	         "NSEC3PARAM",
	         "other.com. 3600 IN TXT \"not part of a referral\""},
	    .ar = {"ns1.example.com. 172800 IN A 192.0.2.1",
	           "ns1.example.com. 172800 IN AAAA 2001:db8::1",
	           "ns.other.net. 172800 IN A 192.0.2.2",
	           "ns2.sibling.com. 172800 IN A 192.0.2.3",
	           "unrelated.com. 172800 IN A 192.0.2.4"}};
	struct asked a;
	struct iter_opts lax;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_REFERRAL);
	ck_assert(name_is(r.deleg_zone, "example.com."));
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_ns), 3);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 2);
	ck_assert(!mentions(&r, "other.net."));
	ck_assert(!mentions(&r, "sibling.com."));
	ck_assert(!mentions(&r, "unrelated.com."));
	/* ns.other.net is outside com.; ns2.sibling.com outside
	 * example.com. (strict glue) */
	ck_assert_uint_eq(r.n_out_of_bailiwick, 2);
	ck_assert_int_eq(cached(&r, "example.com.", LDNS_RR_TYPE_NS)->rank,
	                 ITER_RANK_REFERRAL);
	ck_assert_int_eq(cached(&r, "example.com.", LDNS_RR_TYPE_DS)->rank,
	                 ITER_RANK_AUTHORITY_AA);
	ck_assert_ptr_nonnull(cached(
	    &r, "CK0POJMG874LJREF7EFN8430QVIT8BSM.com.", LDNS_RR_TYPE_NSEC3));
	ck_assert_ptr_null(cached(&r, "other.com.", LDNS_RR_TYPE_TXT));
	ck_assert_int_eq(cached(&r, "ns1.example.com.", LDNS_RR_TYPE_A)->rank,
	                 ITER_RANK_GLUE);
	iter_result_clear(&r);

	/* without strict glue the parent's (com.) bailiwick is enough */
	iter_opts_init(&lax);
	lax.is_strict_glue = false;
	ck_assert_int_eq(classify(&s, &a, &lax, &r), ITER_REFERRAL);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 3);
	ck_assert(mentions(&r, "ns2.sibling.com."));
	ck_assert(!mentions(&r, "other.net."));
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(glueless_referral_has_ns_names_only)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"example.com. 172800 IN NS ns.provider.net.",
	           "example.com. 172800 IN NS ns2.provider.net."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_REFERRAL);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_ns), 2);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 0);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(referral_from_root_with_aaaa_only_glue)
{
	struct reply_spec s = {
	    .qname = "www.example.org.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"org. 172800 IN NS a0.org-servers.org."},
	    .ar = {"a0.org-servers.org. 172800 IN AAAA 2001:db8:53::1"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.org.", LDNS_RR_TYPE_A, ".");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_REFERRAL);
	ck_assert(name_is(r.deleg_zone, "org."));
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 1);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(r.deleg_glue, 0)),
	                 LDNS_RR_TYPE_AAAA);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- negative answers ---- */

START_TEST(nxdomain_carries_soa_and_negative_ttl_is_soa_minimum)
{
	struct reply_spec s = {
	    .qname = "nope.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NXDOMAIN,
	    .aa = true,
	    .has_opt = false,
	    .ns = {
	        "example.com. 3600 IN SOA ns1.example.com. host.example.com. "
	        "1 7200 3600 1209600 300"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "nope.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_NXDOMAIN);
	ck_assert_ptr_nonnull(r.soa);
	ck_assert_uint_eq(r.neg_ttl_s, 300);
	ck_assert(name_is(r.target, "nope.example.com."));
	ck_assert_ptr_nonnull(cached(&r, "example.com.", LDNS_RR_TYPE_SOA));
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(nodata_negative_ttl_is_soa_ttl_when_lower)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_MX,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .ns = {"example.com. 60 IN SOA ns1.example.com. host.example.com. "
	           "1 7200 3600 1209600 300"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_MX, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_NODATA);
	ck_assert_uint_eq(r.neg_ttl_s, 60);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(nxdomain_at_end_of_cname_chain_is_about_the_target)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NXDOMAIN,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN CNAME gone.example.com."},
	    .ns = {
	        "example.com. 3600 IN SOA ns1.example.com. host.example.com. "
	        "1 7200 3600 1209600 120"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_NXDOMAIN);
	ck_assert(name_is(r.target, "gone.example.com."));
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.chain), 1);
	ck_assert_uint_eq(r.neg_ttl_s, 120);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- lame servers and poisoning ---- */

START_TEST(upward_referral_is_lame)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"com. 172800 IN NS a.gtld-servers.net.",
	           ". 518400 IN NS a.root-servers.net."},
	    .ar = {"a.root-servers.net. 518400 IN A 198.41.0.4"}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_LAME);
	ck_assert_uint_eq(r.n_rrsets, 0);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(referral_to_sibling_or_same_zone_is_lame)
{
	struct reply_spec sib = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"other.com. 172800 IN NS ns.other.com."},
	    .ar = {"ns.other.com. 172800 IN A 192.0.2.5"}};
	struct reply_spec same = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"example.com. 172800 IN NS ns.example.com."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "com.");
	ck_assert_int_eq(classify(&sib, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	asked_clear(&a);
	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&same, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(answer_or_nxdomain_without_aa_is_lame)
{
	struct reply_spec ans = {.qname = "www.example.com.",
	                         .qtype = LDNS_RR_TYPE_A,
	                         .rcode = LDNS_RCODE_NOERROR,
	                         .aa = false,
	                         .has_opt = false,
	                         .an = {"www.example.com. 300 IN A 192.0.2.1"}};
	struct reply_spec nx = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NXDOMAIN,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"example.com. 60 IN SOA ns1.example.com. host.example.com. "
	           "1 7200 3600 1209600 300"}};
	struct reply_spec empty = {.qname = "www.example.com.",
	                           .qtype = LDNS_RR_TYPE_A,
	                           .rcode = LDNS_RCODE_NOERROR,
	                           .aa = false,
	                           .has_opt = false};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&ans, &a, NULL, &r), ITER_LAME);
	ck_assert_uint_eq(r.n_rrsets, 0);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&nx, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&empty, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(forwarder_answers_with_ra_are_taken_at_nonauth_rank)
{
	struct reply_spec ans = {.qname = "www.example.com.",
	                         .qtype = LDNS_RR_TYPE_A,
	                         .rcode = LDNS_RCODE_NOERROR,
	                         .ra = true,
	                         .an = {"www.example.com. 300 IN A 192.0.2.1"}};
	struct reply_spec nx = {
	    .qname = "nx.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NXDOMAIN,
	    .ra = true,
	    .ns = {"example.com. 60 IN SOA ns1.example.com. host.example.com. "
	           "1 7200 3600 1209600 300"}};
	struct reply_spec nodata = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_MX,
	    .rcode = LDNS_RCODE_NOERROR,
	    .ra = true,
	    .ns = {"example.com. 60 IN SOA ns1.example.com. host.example.com. "
	           "1 7200 3600 1209600 300"}};
	struct asked a, b, c;
	struct iter_result r;
	const struct iter_rrset *s;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, ".");
	a.q.is_recursive = true;
	ck_assert_int_eq(classify(&ans, &a, NULL, &r), ITER_ANSWER);
	ck_assert_ptr_nonnull(
	    s = cached(&r, "www.example.com.", LDNS_RR_TYPE_A));
	ck_assert_int_eq(s->rank, ITER_RANK_ANSWER_NONAUTH);
	iter_result_clear(&r);
	/* the same reply to an iterative question is a lame server's */
	a.q.is_recursive = false;
	ck_assert_int_eq(classify(&ans, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	/* a forwarder that does not recurse (RA=0) is no use either */
	a.q.is_recursive = true;
	ans.ra = false;
	ck_assert_int_eq(classify(&ans, &a, NULL, &r), ITER_LAME);
	iter_result_clear(&r);
	ask(&b, "nx.example.com.", LDNS_RR_TYPE_A, "example.com.");
	b.q.is_recursive = true;
	ck_assert_int_eq(classify(&nx, &b, NULL, &r), ITER_NXDOMAIN);
	ck_assert_ptr_nonnull(r.soa);
	iter_result_clear(&r);
	ask(&c, "www.example.com.", LDNS_RR_TYPE_MX, "example.com.");
	c.q.is_recursive = true;
	ck_assert_int_eq(classify(&nodata, &c, NULL, &r), ITER_NODATA);
	iter_result_clear(&r);
	asked_clear(&a);
	asked_clear(&b);
	asked_clear(&c);
}
END_TEST

START_TEST(out_of_bailiwick_records_in_every_section_are_dropped)
{
	struct reply_spec s = {
	    .qname = "www.example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"www.example.com. 300 IN A 192.0.2.1",
	           "www.bank.com. 300 IN A 203.0.113.66"},
	    .ns = {"example.com. 3600 IN NS ns1.example.com.",
	           "bank.com. 3600 IN NS ns.evil.net."},
	    .ar = {"ns1.example.com. 3600 IN A 192.0.2.53",
	           "ns.evil.net. 3600 IN A 203.0.113.67",
	           "com. 3600 IN NS ns.evil.net."}};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_ANSWER);
	ck_assert_uint_eq(r.n_out_of_bailiwick, 4);
	ck_assert(!mentions(&r, "bank.com."));
	ck_assert(!mentions(&r, "evil.net."));
	ck_assert_ptr_null(cached(&r, "com.", LDNS_RR_TYPE_NS));
	ck_assert_ptr_nonnull(cached(&r, "ns1.example.com.", LDNS_RR_TYPE_A));
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(mismatched_truncated_or_non_response_is_bogus)
{
	struct reply_spec s = {.qname = "www.example.com.",
	                       .qtype = LDNS_RR_TYPE_A,
	                       .rcode = LDNS_RCODE_NOERROR,
	                       .aa = true,
	                       .has_opt = false,
	                       .an = {"www.example.com. 300 IN A 192.0.2.1"}};
	struct iter_opts o;
	struct asked a;
	struct iter_result r;
	ldns_pkt *p;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_AAAA, "example.com.");
	ck_assert_int_eq(classify(&s, &a, NULL, &r), ITER_BOGUS);
	iter_result_clear(&r);
	asked_clear(&a);

	iter_opts_init(&o);
	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	p = make_reply(&s);
	ldns_pkt_set_tc(p, true);
	ck_assert_int_eq(iter_classify(p, &a.q, &o, &r), 0);
	ck_assert_int_eq(r.kind, ITER_BOGUS);
	iter_result_clear(&r);
	ldns_pkt_set_tc(p, false);
	ldns_pkt_set_qr(p, false);
	ck_assert_int_eq(iter_classify(p, &a.q, &o, &r), 0);
	ck_assert_int_eq(r.kind, ITER_BOGUS);
	iter_result_clear(&r);
	ldns_pkt_free(p);
	ck_assert_int_eq(iter_classify(NULL, &a.q, &o, &r), 0);
	ck_assert_int_eq(r.kind, ITER_BOGUS);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- rcodes and EDNS ---- */

START_TEST(formerr_without_opt_to_edns_query_means_retry_without_edns)
{
	struct reply_spec noopt = {.qname = "www.example.com.",
	                           .qtype = LDNS_RR_TYPE_A,
	                           .rcode = LDNS_RCODE_FORMERR,
	                           .aa = false,
	                           .has_opt = false};
	struct reply_spec opt = {.qname = "www.example.com.",
	                         .qtype = LDNS_RR_TYPE_A,
	                         .rcode = LDNS_RCODE_FORMERR,
	                         .aa = false,
	                         .has_opt = true};
	struct reply_spec notimp = {.qname = "www.example.com.",
	                            .qtype = LDNS_RR_TYPE_A,
	                            .rcode = LDNS_RCODE_NOTIMPL,
	                            .aa = false,
	                            .has_opt = false};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&noopt, &a, NULL, &r), ITER_FORMERR_EDNS);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&notimp, &a, NULL, &r), ITER_FORMERR_EDNS);
	iter_result_clear(&r);
	/* it understood EDNS: the FORMERR is about something else */
	ck_assert_int_eq(classify(&opt, &a, NULL, &r), ITER_SERVFAIL_RCODE);
	iter_result_clear(&r);
	/* no EDNS was sent: nothing to drop */
	a.q.has_edns = false;
	ck_assert_int_eq(classify(&noopt, &a, NULL, &r), ITER_SERVFAIL_RCODE);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

START_TEST(servfail_and_refused_move_to_next_server)
{
	struct reply_spec sf = {.qname = "www.example.com.",
	                        .qtype = LDNS_RR_TYPE_A,
	                        .rcode = LDNS_RCODE_SERVFAIL,
	                        .aa = false,
	                        .has_opt = true};
	struct reply_spec ref = {.qname = "www.example.com.",
	                         .qtype = LDNS_RR_TYPE_A,
	                         .rcode = LDNS_RCODE_REFUSED,
	                         .aa = false,
	                         .has_opt = true};
	struct asked a;
	struct iter_result r;

	ask(&a, "www.example.com.", LDNS_RR_TYPE_A, "example.com.");
	ck_assert_int_eq(classify(&sf, &a, NULL, &r), ITER_SERVFAIL_RCODE);
	ck_assert_int_eq(r.rcode, LDNS_RCODE_SERVFAIL);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&ref, &a, NULL, &r), ITER_SERVFAIL_RCODE);
	ck_assert_int_eq(r.rcode, LDNS_RCODE_REFUSED);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- QNAME minimisation ---- */

static void
assert_next(const char *qname, const char *zone, const char *prev,
            const struct iter_opts *o, const char *want, bool want_min)
{
	ldns_rdf *q = ldns_dname_new_frm_str(qname);
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_rdf *p = prev ? ldns_dname_new_frm_str(prev) : NULL;
	ldns_rdf *out = NULL;
	ldns_rr_type t = 0;
	bool is_min = !want_min;

	ck_assert_int_eq(
	    iter_qmin_next(q, LDNS_RR_TYPE_MX, z, p, o, &out, &t, &is_min), 0);
	ck_assert_msg(name_is(out, want), "%s in %s after %s: want %s", qname,
	              zone, prev ? prev : "-", want);
	ck_assert(is_min == want_min);
	ck_assert_int_eq(t, want_min ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_MX);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(z);
	ldns_rdf_deep_free(p);
	ldns_rdf_deep_free(out);
}

START_TEST(minimisation_walks_one_label_at_a_time)
{
	struct iter_opts o;

	iter_opts_init(&o);
	assert_next("www.example.com.", ".", NULL, &o, "com.", true);
	assert_next("www.example.com.", "com.", NULL, &o, "example.com.", true);
	assert_next("www.example.com.", "example.com.", NULL, &o,
	            "www.example.com.", false);
	/* no cut at a.example.com: go one deeper with the same servers */
	assert_next("x.a.example.com.", "example.com.", "a.example.com.", &o,
	            "x.a.example.com.", false);
	assert_next("www.example.com.", "www.example.com.", NULL, &o,
	            "www.example.com.", false);
	o.is_qname_minimise = false;
	assert_next("www.example.com.", ".", NULL, &o, "www.example.com.",
	            false);
}
END_TEST

START_TEST(minimisation_of_long_names_takes_at_most_ten_questions)
{
	const char *qname = "1.2.3.4.5.6.7.8.9.10.11.12.13.14.15.16.17.18.19."
	                    "20.21.22.23.24.25.26.27.28.29.30.example.";
	ldns_rdf *q = ldns_dname_new_frm_str(qname);
	ldns_rdf *zone = ldns_dname_new_frm_str("example.");
	ldns_rdf *prev = NULL, *out = NULL;
	struct iter_opts o;
	ldns_rr_type t;
	bool is_min = true;
	int n = 0;
	uint8_t last = ldns_dname_label_count(zone);

	iter_opts_init(&o);
	while (is_min) {
		ck_assert_int_eq(iter_qmin_next(q, LDNS_RR_TYPE_A, zone, prev,
		                                &o, &out, &t, &is_min),
		                 0);
		n++;
		ck_assert_uint_gt(ldns_dname_label_count(out), last);
		if (n <= 4) /* RFC 9156 s2.3: MINIMISE_ONE_LAB */
			ck_assert_uint_eq(ldns_dname_label_count(out),
			                  last + 1);
		last = ldns_dname_label_count(out);
		ldns_rdf_deep_free(prev);
		prev = out;
		ck_assert_int_le(n, 10);
	}
	ck_assert(iter_dname_equal(prev, q));
	ldns_rdf_deep_free(prev);
	ldns_rdf_deep_free(q);
	ldns_rdf_deep_free(zone);
}
END_TEST

START_TEST(minimised_replies_are_interpreted_for_the_walk)
{
	struct reply_spec nodata = {
	    .qname = "example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .ns = {
	        "com. 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. "
	        "1 1800 900 604800 86400"}};
	struct reply_spec nx = {
	    .qname = "example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NXDOMAIN,
	    .aa = true,
	    .has_opt = false,
	    .ns = {
	        "com. 900 IN SOA a.gtld-servers.net. nstld.verisign-grs.com. "
	        "1 1800 900 604800 86400"}};
	struct reply_spec refused = {.qname = "example.com.",
	                             .qtype = LDNS_RR_TYPE_A,
	                             .rcode = LDNS_RCODE_REFUSED,
	                             .aa = false,
	                             .has_opt = true};
	struct reply_spec referral = {
	    .qname = "example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = false,
	    .has_opt = false,
	    .ns = {"example.com. 3600 IN NS ns1.example.com."},
	    .ar = {"ns1.example.com. 3600 IN A 192.0.2.1"}};
	struct reply_spec cname = {
	    .qname = "example.com.",
	    .qtype = LDNS_RR_TYPE_A,
	    .rcode = LDNS_RCODE_NOERROR,
	    .aa = true,
	    .has_opt = false,
	    .an = {"example.com. 300 IN CNAME example.net."}};
	struct iter_opts strict;
	struct asked a;
	struct iter_result r;

	ask(&a, "example.com.", LDNS_RR_TYPE_A, "com.");
	a.q.is_minimised = true;
	ck_assert_int_eq(classify(&nodata, &a, NULL, &r), ITER_QMIN_NEXT);
	iter_result_clear(&r);
	/* relaxed: an empty non-terminal may be answered NXDOMAIN by broken
	 * servers: resend the full name */
	ck_assert_int_eq(classify(&nx, &a, NULL, &r), ITER_MINIMISE_FALLBACK);
	iter_result_clear(&r);
	iter_opts_init(&strict);
	strict.is_qmin_strict = true;
	ck_assert_int_eq(classify(&nx, &a, &strict, &r), ITER_NXDOMAIN);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&refused, &a, NULL, &r),
	                 ITER_MINIMISE_FALLBACK);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&referral, &a, NULL, &r), ITER_REFERRAL);
	iter_result_clear(&r);
	ck_assert_int_eq(classify(&cname, &a, NULL, &r),
	                 ITER_MINIMISE_FALLBACK);
	iter_result_clear(&r);
	asked_clear(&a);
}
END_TEST

/* ---- budgets ---- */

START_TEST(budgets_run_out_with_an_ede_code)
{
	struct iter_budget_limits lim;
	struct iter_budget b, child, grandchild;
	int i;

	iter_budget_limits_init(&lim);
	lim.max[BUDGET_UPSTREAM] = 3;
	lim.max[BUDGET_DEPTH] = 1;
	iter_budget_init(&b, &lim);
	for (i = 0; i < 12; i++)
		ck_assert(iter_budget_spend(&b, BUDGET_CNAME));
	ck_assert(!iter_budget_spend(&b, BUDGET_CNAME));
	ck_assert(b.is_exhausted);
	ck_assert_int_eq(b.exhausted, BUDGET_CNAME);
	ck_assert_uint_eq(iter_budget_ede(&b), EDE_OTHER);
	ck_assert_str_eq(iter_budget_ede_text(&b), "CNAME chain too long");

	iter_budget_init(&b, &lim);
	ck_assert(iter_budget_spend(&b, BUDGET_UPSTREAM));
	/* a sub-query spends from the same allowance */
	ck_assert(iter_budget_child(&b, &child));
	ck_assert(!iter_budget_child(&child, &grandchild));
	ck_assert(iter_budget_spend(&child, BUDGET_UPSTREAM));
	ck_assert(iter_budget_spend(&child, BUDGET_UPSTREAM));
	ck_assert(!iter_budget_spend(&child, BUDGET_UPSTREAM));
	iter_budget_merge(&b, &child);
	ck_assert_uint_eq(b.used[BUDGET_UPSTREAM], 3);
	ck_assert(!iter_budget_spend(&b, BUDGET_UPSTREAM));
	ck_assert(b.is_exhausted);
	ck_assert_uint_eq(iter_budget_ede(&b), EDE_NO_REACHABLE_AUTHORITY);
}
END_TEST

START_TEST(parallel_sub_queries_all_pay)
{
	struct iter_budget_limits lim;
	struct iter_budget b, c1, c2;

	iter_budget_limits_init(&lim);
	lim.max[BUDGET_NS_NAMES] = 4;
	iter_budget_init(&b, &lim);
	ck_assert(iter_budget_child(&b, &c1));
	ck_assert(iter_budget_child(&b, &c2));
	ck_assert(iter_budget_spend(&c1, BUDGET_NS_NAMES));
	ck_assert(iter_budget_spend(&c1, BUDGET_NS_NAMES));
	ck_assert(iter_budget_spend(&c2, BUDGET_NS_NAMES));
	ck_assert(iter_budget_spend(&c2, BUDGET_NS_NAMES));
	iter_budget_merge(&b, &c1);
	iter_budget_merge(&b, &c2);
	ck_assert(!iter_budget_spend(&b, BUDGET_NS_NAMES));
	ck_assert_str_eq(iter_budget_ede_text(&b),
	                 "too many nameserver names to resolve");
}
END_TEST

/* ---- replies of a real authority (NSD), from the fuzz seed corpus ---- */

static ldns_pkt *
load_reply(const char *name)
{
	const char *top = getenv("top_srcdir");
	char path[4096];
	uint8_t buf[65535];
	ldns_pkt *p = NULL;
	FILE *fp;
	size_t len;

	snprintf(path, sizeof(path), "%s/tests/fuzz/corpus/iter/%s",
	         top ? top : ".", name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	len = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	ck_assert_int_eq(ldns_wire2pkt(&p, buf, len), LDNS_STATUS_OK);
	return p;
}

/* Classifies corpus reply file as an answer of a zone's server. */
static enum iter_kind
classify_file(const char *file, const char *zone, bool is_minimised,
              struct iter_result *r)
{
	ldns_pkt *p = load_reply(file);
	const ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	struct iter_question iq;
	struct iter_opts o;
	ldns_rdf *z = ldns_dname_new_frm_str(zone);

	iter_opts_init(&o);
	memset(&iq, 0, sizeof(iq));
	iq.qname = ldns_rr_owner(q);
	iq.qtype = ldns_rr_get_type(q);
	iq.qclass = ldns_rr_get_class(q);
	iq.zone = z;
	iq.is_minimised = is_minimised;
	iq.has_edns = true;
	ck_assert_int_eq(iter_classify(p, &iq, &o, r), 0);
	ldns_rdf_deep_free(z);
	ldns_pkt_free(p);
	return r->kind;
}

/* The delegation a referral result builds: glue used, the one glueless
 * name left to look up. */
static void
assert_referral_deleg(const struct iter_result *r, const char *glueless)
{
	struct deleg_opts o;
	struct deleg *d;

	deleg_opts_init(&o);
	d = deleg_from_rrs(r->deleg_zone, r->deleg_ns, r->deleg_glue, &o);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(deleg_addr_count(d), 1);
	ck_assert(name_is(deleg_next_glueless(d, &o), glueless));
	ck_assert_ptr_null(deleg_next_glueless(d, &o));
	deleg_free(d);
}

START_TEST(real_authority_replies_are_classified)
{
	struct iter_result r;

	ck_assert_int_eq(classify_file("answer-a", "example.com.", false, &r),
	                 ITER_ANSWER);
	iter_result_clear(&r);
	ck_assert_int_eq(
	    classify_file("cname-chain", "example.com.", false, &r),
	    ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 2);
	iter_result_clear(&r);
	ck_assert_int_eq(classify_file("cname-out", "example.com.", false, &r),
	                 ITER_CNAME);
	ck_assert(name_is(r.target, "target.example.net."));
	iter_result_clear(&r);
	ck_assert_int_eq(classify_file("dname", "example.com.", false, &r),
	                 ITER_ANSWER);
	ck_assert_uint_eq(r.n_links, 1);
	iter_result_clear(&r);
	ck_assert_int_eq(
	    classify_file("referral-glue", "example.com.", false, &r),
	    ITER_REFERRAL);
	ck_assert(name_is(r.deleg_zone, "sub.example.com."));
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 1);
	assert_referral_deleg(&r, "ns.provider.net.");
	iter_result_clear(&r);
	ck_assert_int_eq(
	    classify_file("referral-aaaa-glue", "example.com.", false, &r),
	    ITER_REFERRAL);
	ck_assert_int_eq(ldns_rr_get_type(ldns_rr_list_rr(r.deleg_glue, 0)),
	                 LDNS_RR_TYPE_AAAA);
	iter_result_clear(&r);
	ck_assert_int_eq(
	    classify_file("referral-glueless", "example.com.", false, &r),
	    ITER_REFERRAL);
	ck_assert_uint_eq(ldns_rr_list_rr_count(r.deleg_glue), 0);
	iter_result_clear(&r);
	ck_assert_int_eq(
	    classify_file("cname-into-sub", "example.com.", false, &r),
	    ITER_CNAME);
	ck_assert(name_is(r.target, "www.sub.example.com."));
	iter_result_clear(&r);
	ck_assert_int_eq(classify_file("nxdomain", "example.com.", false, &r),
	                 ITER_NXDOMAIN);
	ck_assert_uint_eq(r.neg_ttl_s, 300);
	iter_result_clear(&r);
	ck_assert_int_eq(classify_file("nodata", "example.com.", false, &r),
	                 ITER_NODATA);
	iter_result_clear(&r);
	/* an empty non-terminal: no cut, go deeper */
	ck_assert_int_eq(classify_file("ent-nodata", "example.com.", true, &r),
	                 ITER_QMIN_NEXT);
	iter_result_clear(&r);
	ck_assert_int_eq(classify_file("refused", "example.org.", false, &r),
	                 ITER_SERVFAIL_RCODE);
	iter_result_clear(&r);
	/* a server of sub.example.com asked about www.example.com: a caller
	 * error, never data */
	ck_assert_int_eq(
	    classify_file("answer-a", "sub.example.com.", false, &r),
	    ITER_BOGUS);
	iter_result_clear(&r);
}
END_TEST

Suite *
iter_suite(void)
{
	Suite *s = suite_create("iter");
	TCase *tc = tcase_create("classify");
	TCase *tq = tcase_create("qmin");
	TCase *tb = tcase_create("budget");

	tcase_add_test(tc, answer_with_aa_is_cached_at_answer_rank);
	tcase_add_test(tc, forwarder_answers_with_ra_are_taken_at_nonauth_rank);
	tcase_add_test(tc, cname_chain_of_three_zones_is_followed_zone_by_zone);
	tcase_add_test(tc, cname_chain_inside_zone_is_one_answer);
	tcase_add_test(tc, cname_loop_in_one_reply_terminates);
	tcase_add_test(tc, qtype_cname_returns_the_cname_itself);
	tcase_add_test(tc, dname_is_followed_with_our_own_synthesised_cname);
	tcase_add_test(tc, dname_to_another_zone_gives_the_target_to_chase);
	tcase_add_test(tc,
	               cname_into_delegated_child_caches_referral_and_chases);
	tcase_add_test(tc, referral_keeps_only_glue_in_the_delegated_zone);
	tcase_add_test(tc, glueless_referral_has_ns_names_only);
	tcase_add_test(tc, referral_from_root_with_aaaa_only_glue);
	tcase_add_test(tc,
	               nxdomain_carries_soa_and_negative_ttl_is_soa_minimum);
	tcase_add_test(tc, nodata_negative_ttl_is_soa_ttl_when_lower);
	tcase_add_test(tc, nxdomain_at_end_of_cname_chain_is_about_the_target);
	tcase_add_test(tc, upward_referral_is_lame);
	tcase_add_test(tc, referral_to_sibling_or_same_zone_is_lame);
	tcase_add_test(tc, answer_or_nxdomain_without_aa_is_lame);
	tcase_add_test(tc,
	               out_of_bailiwick_records_in_every_section_are_dropped);
	tcase_add_test(tc, mismatched_truncated_or_non_response_is_bogus);
	tcase_add_test(
	    tc, formerr_without_opt_to_edns_query_means_retry_without_edns);
	tcase_add_test(tc, servfail_and_refused_move_to_next_server);
	tcase_add_test(tc, real_authority_replies_are_classified);
	tcase_add_test(tq, minimisation_walks_one_label_at_a_time);
	tcase_add_test(tq,
	               minimisation_of_long_names_takes_at_most_ten_questions);
	tcase_add_test(tq, minimised_replies_are_interpreted_for_the_walk);
	tcase_add_test(tb, budgets_run_out_with_an_ede_code);
	tcase_add_test(tb, parallel_sub_queries_all_pay);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, tq);
	suite_add_tcase(s, tb);
	return s;
}
