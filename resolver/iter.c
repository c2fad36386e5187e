/*
 * iter.c -- classification of authority replies and QNAME minimisation.
 * See iter.h. Pure: no I/O, no clock, no log.
 */
#include "config.h"
#include "resolver/iter.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dname.h"
#include "util/util.h"

/* RFC 9156 s2.3 */
#define MINIMISE_ONE_LAB 4
#define MAX_MINIMISE_COUNT 10

/* The reply's sections after the bailiwick filter. The lists are shallow:
 * they borrow the reply's records (free with ldns_rr_list_free). */
struct sections {
	ldns_rr_list *an;
	ldns_rr_list *ns;
	ldns_rr_list *ar;
};

void
iter_opts_init(struct iter_opts *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->is_strict_glue = true;
	opts->is_qname_minimise = true;
	opts->is_qmin_strict = false;
}

void
iter_result_init(struct iter_result *r)
{
	memset(r, 0, sizeof(*r));
	r->kind = ITER_BOGUS;
	r->why = "";
}

void
iter_result_clear(struct iter_result *r)
{
	size_t i;

	for (i = 0; i < r->n_rrsets; i++) {
		ldns_rr_list_deep_free(r->rrsets[i].rrs);
		ldns_rr_list_deep_free(r->rrsets[i].sigs);
	}
	free(r->rrsets);
	ldns_rr_list_deep_free(r->chain);
	ldns_rdf_deep_free(r->target);
	ldns_rdf_deep_free(r->deleg_zone);
	ldns_rr_list_deep_free(r->deleg_ns);
	ldns_rr_list_deep_free(r->deleg_glue);
	ldns_rr_free(r->soa);
	iter_result_init(r);
}

const char *
iter_kind_str(enum iter_kind kind)
{
	switch (kind) {
	case ITER_ANSWER: return "answer";
	case ITER_CNAME: return "cname";
	case ITER_REFERRAL: return "referral";
	case ITER_NXDOMAIN: return "nxdomain";
	case ITER_NODATA: return "nodata";
	case ITER_LAME: return "lame";
	case ITER_SERVFAIL_RCODE: return "servfail-rcode";
	case ITER_FORMERR_EDNS: return "formerr-edns";
	case ITER_MINIMISE_FALLBACK: return "minimise-fallback";
	case ITER_QMIN_NEXT: return "qmin-next";
	case ITER_BOGUS: return "bogus";
	}
	return "unknown";
}

bool
iter_dname_equal(const ldns_rdf *a, const ldns_rdf *b)
{
	return a != NULL && b != NULL &&
	       dname_equal(ldns_rdf_data(a), ldns_rdf_data(b));
}

bool
iter_dname_in_zone(const ldns_rdf *name, const ldns_rdf *zone)
{
	return name != NULL && zone != NULL &&
	       dname_is_subdomain(ldns_rdf_data(name), ldns_rdf_data(zone));
}

bool
iter_dname_below(const ldns_rdf *name, const ldns_rdf *zone)
{
	return iter_dname_in_zone(name, zone) && !iter_dname_equal(name, zone);
}

/* The reply speaks for the data: an authority (AA), or the recursive
 * server we forwarded to (RA, RFC 1035 s4.1.1). */
static bool
is_answer_trusted(const ldns_pkt *reply, const struct iter_question *q)
{
	return ldns_pkt_aa(reply) || (q->is_recursive && ldns_pkt_ra(reply));
}

/* ---- result building ---- */

static int
set_kind(struct iter_result *r, enum iter_kind kind, const char *why)
{
	r->kind = kind;
	r->why = why;
	return 0;
}

static ldns_rr_type
rrset_type(const ldns_rr *rr)
{
	const ldns_rdf *covered;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG)
		return ldns_rr_get_type(rr);
	covered = ldns_rr_rrsig_typecovered(rr);
	return covered != NULL ? ldns_rdf2rr_type(covered) : 0;
}

static bool
same_rrset(const ldns_rr *a, const ldns_rr *b)
{
	return rrset_type(a) == rrset_type(b) &&
	       ldns_rr_get_class(a) == ldns_rr_get_class(b) &&
	       iter_dname_equal(ldns_rr_owner(a), ldns_rr_owner(b));
}

static struct iter_rrset *
find_group(struct iter_result *r, const ldns_rr *rr)
{
	size_t i;

	for (i = 0; i < r->n_rrsets; i++) {
		const ldns_rr_list *l = r->rrsets[i].rrs;
		const ldns_rr *first =
		    ldns_rr_list_rr_count(l) > 0
		        ? ldns_rr_list_rr(l, 0)
		        : ldns_rr_list_rr(r->rrsets[i].sigs, 0);

		if (same_rrset(first, rr))
			return &r->rrsets[i];
	}
	return NULL;
}

static struct iter_rrset *
new_group(struct iter_result *r, enum iter_rank rank)
{
	struct iter_rrset *g;

	if (r->n_rrsets == r->cap_rrsets) {
		size_t cap = r->cap_rrsets ? r->cap_rrsets * 2 : 8;
		struct iter_rrset *n = realloc(r->rrsets, cap * sizeof(*n));

		if (n == NULL)
			return NULL;
		r->rrsets = n;
		r->cap_rrsets = cap;
	}
	g = &r->rrsets[r->n_rrsets];
	g->rrs = ldns_rr_list_new();
	g->sigs = ldns_rr_list_new();
	g->rank = rank;
	if (g->rrs == NULL || g->sigs == NULL) {
		ldns_rr_list_free(g->rrs);
		ldns_rr_list_free(g->sigs);
		return NULL;
	}
	r->n_rrsets++;
	return g;
}

/* True if list holds a record equal to rr (duplicates in a reply are
 * legal on the wire but one RRset has no duplicates, RFC 2181 s5). */
static bool
list_has_rr(const ldns_rr_list *list, const ldns_rr *rr)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++)
		if (ldns_rr_compare(ldns_rr_list_rr(list, i), rr) == 0)
			return true;
	return false;
}

/* Adds a copy of rr to the RRset to cache it belongs to; the RRset keeps
 * the highest rank it was seen with. */
static int
cache_rr(struct iter_result *r, const ldns_rr *rr, enum iter_rank rank)
{
	struct iter_rrset *g = find_group(r, rr);
	ldns_rr_list *dst;
	ldns_rr *copy;

	if (g == NULL && (g = new_group(r, rank)) == NULL)
		return -ENOMEM;
	if (rank > g->rank)
		g->rank = rank;
	dst = ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG ? g->sigs : g->rrs;
	if (list_has_rr(dst, rr))
		return 0;
	if ((copy = ldns_rr_clone(rr)) == NULL)
		return -ENOMEM;
	if (!ldns_rr_list_push_rr(dst, copy)) { /* takes copy on success */
		ldns_rr_free(copy);
		return -ENOMEM;
	}
	return 0;
}

/* RRSIGs alone are not an RRset: drop groups without records. */
static void
drop_sig_only_groups(struct iter_result *r)
{
	size_t i = 0;

	while (i < r->n_rrsets) {
		if (ldns_rr_list_rr_count(r->rrsets[i].rrs) > 0) {
			i++;
			continue;
		}
		ldns_rr_list_deep_free(r->rrsets[i].rrs);
		ldns_rr_list_deep_free(r->rrsets[i].sigs);
		r->rrsets[i] = r->rrsets[--r->n_rrsets];
	}
}

static int
push_clone(ldns_rr_list *list, const ldns_rr *rr)
{
	ldns_rr *copy;

	if (list_has_rr(list, rr))
		return 0;
	if ((copy = ldns_rr_clone(rr)) == NULL)
		return -ENOMEM;
	if (!ldns_rr_list_push_rr(list, copy)) {
		ldns_rr_free(copy);
		return -ENOMEM;
	}
	return 0;
}

/* ---- reply checks and the bailiwick filter ---- */

static bool
question_matches(const ldns_pkt *reply, const struct iter_question *q)
{
	const ldns_rr_list *qs = ldns_pkt_question(reply);
	const ldns_rr *qrr;

	if (qs == NULL || ldns_rr_list_rr_count(qs) != 1)
		return false;
	qrr = ldns_rr_list_rr(qs, 0);
	return ldns_rr_get_type(qrr) == q->qtype &&
	       ldns_rr_get_class(qrr) == q->qclass &&
	       iter_dname_equal(ldns_rr_owner(qrr), q->qname);
}

static bool
is_meta_type(ldns_rr_type t)
{
	/* RFC 6895 s3.1: meta and query types are not cached data */
	return t == LDNS_RR_TYPE_OPT || t == LDNS_RR_TYPE_TSIG ||
	       t == LDNS_RR_TYPE_TKEY || t == LDNS_RR_TYPE_ANY ||
	       t == LDNS_RR_TYPE_AXFR || t == LDNS_RR_TYPE_IXFR ||
	       t == LDNS_RR_TYPE_MAILA || t == LDNS_RR_TYPE_MAILB;
}

/* Copies into dst (shallow) the records of src that a server of zone may
 * speak for; counts the others. */
static int
filter_section(const ldns_rr_list *src, const struct iter_question *q,
               ldns_rr_list *dst, struct iter_result *r)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *rr = ldns_rr_list_rr(src, i);

		if (ldns_rr_owner(rr) == NULL ||
		    ldns_rr_get_class(rr) != q->qclass ||
		    is_meta_type(ldns_rr_get_type(rr))) {
			r->n_unrelated++;
			continue;
		}
		/* RFC 2181 s5.4.1: a server speaks only for its zone */
		if (!iter_dname_in_zone(ldns_rr_owner(rr), q->zone)) {
			r->n_out_of_bailiwick++;
			continue;
		}
		if (!ldns_rr_list_push_rr(dst, rr))
			return -ENOMEM;
	}
	return 0;
}

static void
sections_free(struct sections *s)
{
	ldns_rr_list_free(s->an);
	ldns_rr_list_free(s->ns);
	ldns_rr_list_free(s->ar);
}

static int
sections_filter(const ldns_pkt *reply, const struct iter_question *q,
                struct sections *s, struct iter_result *r)
{
	s->an = ldns_rr_list_new();
	s->ns = ldns_rr_list_new();
	s->ar = ldns_rr_list_new();
	if (s->an == NULL || s->ns == NULL || s->ar == NULL)
		return -ENOMEM;
	if (filter_section(ldns_pkt_answer(reply), q, s->an, r) < 0 ||
	    filter_section(ldns_pkt_authority(reply), q, s->ns, r) < 0 ||
	    filter_section(ldns_pkt_additional(reply), q, s->ar, r) < 0)
		return -ENOMEM;
	return 0;
}

/* ---- the answer chain ---- */

static const ldns_rr *
find_rr(const ldns_rr_list *list, const ldns_rdf *owner, ldns_rr_type type)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(list, i);

		if (ldns_rr_get_type(rr) == type &&
		    iter_dname_equal(ldns_rr_owner(rr), owner))
			return rr;
	}
	return NULL;
}

static bool
has_final_data(const ldns_rr_list *an, const ldns_rdf *name, ldns_rr_type qtype)
{
	size_t i;

	if (qtype != LDNS_RR_TYPE_ANY)
		return find_rr(an, name, qtype) != NULL;
	for (i = 0; i < ldns_rr_list_rr_count(an); i++)
		if (iter_dname_equal(ldns_rr_owner(ldns_rr_list_rr(an, i)),
		                     name))
			return true;
	return false;
}

/* A DNAME whose owner is strictly above name (RFC 6672 s2.2). */
static const ldns_rr *
find_dname_above(const ldns_rr_list *an, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
		    ldns_rr_rd_count(rr) == 1 &&
		    iter_dname_below(name, ldns_rr_owner(rr)))
			return rr;
	}
	return NULL;
}

/* name with its suffix owner replaced by target (RFC 6672 s2.2); NULL if
 * the result is too long (the server should have said YXDOMAIN). */
static ldns_rdf *
dname_substitute(const ldns_rdf *name, const ldns_rdf *owner,
                 const ldns_rdf *target)
{
	const uint8_t *wire = ldns_rdf_data(name);
	size_t keep =
	    ldns_dname_label_count(name) - ldns_dname_label_count(owner);
	size_t off = 0, tlen = ldns_rdf_size(target);
	uint8_t buf[LDNS_MAX_DOMAINLEN + 1];

	while (keep-- > 0 && off < ldns_rdf_size(name))
		off += (size_t)wire[off] + 1;
	if (off + tlen > LDNS_MAX_DOMAINLEN || off > ldns_rdf_size(name))
		return NULL;
	memcpy(buf, wire, off);
	memcpy(buf + off, ldns_rdf_data(target), tlen);
	return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, off + tlen, buf);
}

/* The CNAME a DNAME implies for name (RFC 6672 s3.1), TTL of the DNAME. */
static ldns_rr *
synth_cname(const ldns_rr *dname, const ldns_rdf *name, ldns_rdf *target)
{
	ldns_rr *rr = ldns_rr_new();
	ldns_rdf *owner = ldns_rdf_clone(name);
	ldns_rdf *rd = ldns_rdf_clone(target);

	if (rr == NULL || owner == NULL || rd == NULL) {
		ldns_rr_free(rr);
		ldns_rdf_deep_free(owner);
		ldns_rdf_deep_free(rd);
		return NULL;
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, LDNS_RR_TYPE_CNAME);
	ldns_rr_set_class(rr, ldns_rr_get_class(dname));
	ldns_rr_set_ttl(rr, ldns_rr_ttl(dname));
	if (!ldns_rr_push_rdf(rr, rd)) {
		ldns_rdf_deep_free(rd);
		ldns_rr_free(rr);
		return NULL;
	}
	return rr;
}

/* Adds every record of an with the owner and rrset type of like to the
 * chain (the whole RRset and its RRSIGs) and to the cache. */
static int
chain_add_rrset(struct iter_result *r, const ldns_rr_list *an,
                const ldns_rr *like)
{
	size_t i;
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (!same_rrset(rr, like))
			continue;
		if ((rc = push_clone(r->chain, rr)) < 0 ||
		    (rc = cache_rr(r, rr, ITER_RANK_ANSWER_AA)) < 0)
			return rc;
	}
	return 0;
}

/* The answer for ANY at name: every RRset owned by name. */
static int
chain_add_any(struct iter_result *r, const ldns_rr_list *an,
              const ldns_rdf *name)
{
	size_t i;
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		if (!iter_dname_equal(ldns_rr_owner(rr), name))
			continue;
		if ((rc = chain_add_rrset(r, an, rr)) < 0)
			return rc;
	}
	return 0;
}

/* Follows a DNAME above *cur: adds it and the CNAME it implies to the
 * chain and moves *cur to the substituted name. */
static int
follow_dname(struct iter_result *r, const ldns_rr_list *an,
             const ldns_rr *dname, ldns_rdf **cur)
{
	ldns_rdf *next =
	    dname_substitute(*cur, ldns_rr_owner(dname), ldns_rr_rdf(dname, 0));
	ldns_rr *cname;
	int rc;

	if (next == NULL)
		return -EINVAL;
	if ((rc = chain_add_rrset(r, an, dname)) < 0)
		goto out;
	/* The server's own synthesised CNAME is not trusted; ours is used
	 * (the server's is legal to ignore, RFC 6672 s3.4). */
	if ((cname = synth_cname(dname, *cur, next)) == NULL) {
		rc = -ENOMEM;
		goto out;
	}
	if (!ldns_rr_list_push_rr(r->chain, cname)) {
		ldns_rr_free(cname);
		rc = -ENOMEM;
		goto out;
	}
	ldns_rdf_deep_free(*cur);
	*cur = next;
	next = NULL;
out:
	ldns_rdf_deep_free(next);
	return rc;
}

/* Follows the CNAME rr at *cur: adds it to the chain, moves *cur to its
 * target. */
static int
follow_cname(struct iter_result *r, const ldns_rr_list *an, const ldns_rr *rr,
             ldns_rdf **cur)
{
	ldns_rdf *next;
	int rc;

	if (ldns_rr_rd_count(rr) != 1 ||
	    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	if ((next = ldns_rdf_clone(ldns_rr_rdf(rr, 0))) == NULL)
		return -ENOMEM;
	if ((rc = chain_add_rrset(r, an, rr)) < 0) {
		ldns_rdf_deep_free(next);
		return rc;
	}
	ldns_rdf_deep_free(*cur);
	*cur = next;
	return 0;
}

/*
 * Walks the answer section from the qname through CNAMEs and DNAMEs
 * (in-bailiwick records only: the filter removed the others). Leaves the
 * last name in *cur and sets *is_final when its RRset was found, or
 * *is_loop when the links go round in circles.
 * Returns 0, -ENOMEM, or -EINVAL for a DNAME substitution that overflows
 * or a CNAME without a name.
 */
static int
walk_chain(struct iter_result *r, const ldns_rr_list *an,
           const struct iter_question *q, ldns_rdf **cur, bool *is_final,
           bool *is_loop)
{
	size_t steps, max = ldns_rr_list_rr_count(an) + 1;
	const ldns_rr *rr;
	int rc;

	*is_final = false;
	/* each link uses up at least one record, so this bounds loops */
	for (steps = 0; steps < max; steps++) {
		if (has_final_data(an, *cur, q->qtype)) {
			*is_final = true;
			if (q->qtype == LDNS_RR_TYPE_ANY)
				return chain_add_any(r, an, *cur);
			return chain_add_rrset(r, an,
			                       find_rr(an, *cur, q->qtype));
		}
		/* RFC 6672 s3.4: a DNAME above the name decides; a CNAME the
		 * server put next to it is replaced by our own */
		if ((rr = find_dname_above(an, *cur)) != NULL) {
			if ((rc = follow_dname(r, an, rr, cur)) < 0)
				return rc;
		} else if ((rr = find_rr(an, *cur, LDNS_RR_TYPE_CNAME)) !=
		           NULL) {
			if ((rc = follow_cname(r, an, rr, cur)) < 0)
				return rc;
		} else {
			return 0;
		}
		r->n_links++;
	}
	*is_loop = true; /* more links than records: names repeat */
	return 0;
}

/* RRSIGs in the answer section covering RRsets of the chain. */
static int
chain_add_sigs(struct iter_result *r, const ldns_rr_list *an)
{
	size_t i, j, n = ldns_rr_list_rr_count(r->chain);
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *sig = ldns_rr_list_rr(an, i);

		if (ldns_rr_get_type(sig) != LDNS_RR_TYPE_RRSIG)
			continue;
		for (j = 0; j < n; j++) {
			if (!same_rrset(sig, ldns_rr_list_rr(r->chain, j)))
				continue;
			if ((rc = push_clone(r->chain, sig)) < 0 ||
			    (rc = cache_rr(r, sig, ITER_RANK_ANSWER_AA)) < 0)
				return rc;
			break;
		}
	}
	return 0;
}

/* Answer records that are not part of the chain (RFC 2181 s5.4.1:
 * unrelated data in a reply is not cached). */
static void
count_unrelated_answers(struct iter_result *r, const ldns_rr_list *an)
{
	size_t i, j;

	for (i = 0; i < ldns_rr_list_rr_count(an); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(an, i);

		for (j = 0; j < ldns_rr_list_rr_count(r->chain); j++)
			if (same_rrset(rr, ldns_rr_list_rr(r->chain, j)))
				break;
		if (j == ldns_rr_list_rr_count(r->chain))
			r->n_unrelated++;
	}
}

/* ---- authority section: negative answers and referrals ---- */

/* The SOA of the zone that holds name (RFC 2308 s3). */
static const ldns_rr *
find_soa(const ldns_rr_list *ns, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    ldns_rr_rd_count(rr) == 7 &&
		    iter_dname_in_zone(name, ldns_rr_owner(rr)))
			return rr;
	}
	return NULL;
}

/* The owner of the first NS record in the raw authority section: what
 * a referral points to, before any bailiwick filtering, so that upward
 * and sideways referrals are seen as lame. */
static const ldns_rdf *
raw_ns_owner(const ldns_pkt *reply)
{
	const ldns_rr_list *ns = ldns_pkt_authority(reply);
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS)
			return ldns_rr_owner(rr);
	}
	return NULL;
}

/* NSEC/NSEC3 (and their RRSIGs): proofs whose owner need not be an
 * ancestor of the name (RFC 4035 s3.1.3, RFC 5155 s7.2). */
static bool
is_denial(const ldns_rr *rr)
{
	ldns_rr_type t = rrset_type(rr);

	return t == LDNS_RR_TYPE_NSEC || t == LDNS_RR_TYPE_NSEC3;
}

static int
cache_authority(struct iter_result *r, const ldns_rr_list *ns,
                const ldns_rdf *name)
{
	size_t i;
	int rc;

	/* SOA, NS of the zone, NSEC/NSEC3 and their RRSIGs: authoritative
	 * data of the zone asked, kept only if it is about an ancestor of
	 * the name or is denial-of-existence data */
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (!is_denial(rr) &&
		    !iter_dname_in_zone(name, ldns_rr_owner(rr))) {
			r->n_unrelated++;
			continue;
		}
		if ((rc = cache_rr(r, rr, ITER_RANK_AUTHORITY_AA)) < 0)
			return rc;
	}
	return 0;
}

static uint32_t
negative_ttl(const ldns_rr *soa)
{
	uint32_t minimum = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
	uint32_t ttl = ldns_rr_ttl(soa);

	return ttl < minimum ? ttl : minimum; /* RFC 2308 s5 */
}

static int
set_negative(struct iter_result *r, const struct sections *s,
             enum iter_kind kind, ldns_rdf **cur, const char *why)
{
	const ldns_rr *soa = find_soa(s->ns, *cur);
	int rc;

	if ((rc = cache_authority(r, s->ns, *cur)) < 0)
		return rc;
	if (soa != NULL) {
		if ((r->soa = ldns_rr_clone(soa)) == NULL)
			return -ENOMEM;
		r->neg_ttl_s = negative_ttl(soa);
	}
	r->target = *cur;
	*cur = NULL;
	return set_kind(r, kind, why);
}

static bool
is_ns_of(const ldns_rr *ns, const ldns_rdf *zone)
{
	return ldns_rr_get_type(ns) == LDNS_RR_TYPE_NS &&
	       ldns_rr_rd_count(ns) == 1 &&
	       ldns_rdf_get_type(ldns_rr_rdf(ns, 0)) == LDNS_RDF_TYPE_DNAME &&
	       iter_dname_equal(ldns_rr_owner(ns), zone);
}

/* Glue rule, RFC 2181 s5.4.1: the address record must name an NS target
 * and lie in the delegated zone (strict) or in the zone asked (the
 * filter already checked that). */
static bool
is_glue(const ldns_rr *a, const struct iter_result *r)
{
	ldns_rr_type t = rrset_type(a);
	size_t i;

	if (t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA)
		return false;
	for (i = 0; i < ldns_rr_list_rr_count(r->deleg_ns); i++) {
		const ldns_rr *ns = ldns_rr_list_rr(r->deleg_ns, i);

		if (iter_dname_equal(ldns_rr_rdf(ns, 0), ldns_rr_owner(a)))
			return true;
	}
	return false;
}

static int
referral_glue(struct iter_result *r, const struct sections *s,
              const struct iter_opts *opts)
{
	size_t i;
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(s->ar); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(s->ar, i);

		if (!is_glue(rr, r)) {
			r->n_unrelated++;
			continue;
		}
		if (opts->is_strict_glue &&
		    !iter_dname_in_zone(ldns_rr_owner(rr), r->deleg_zone)) {
			r->n_out_of_bailiwick++;
			continue;
		}
		if ((rc = cache_rr(r, rr, ITER_RANK_GLUE)) < 0)
			return rc;
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG &&
		    (rc = push_clone(r->deleg_glue, rr)) < 0)
			return rc;
	}
	return 0;
}

/* A referral to zone (strictly below the zone asked, at or above the
 * name): the NS RRset, DS and denial records for the cache, glue. */
static int
set_referral(struct iter_result *r, const struct sections *s,
             const ldns_rdf *zone, const struct iter_opts *opts)
{
	size_t i;
	int rc;

	if ((r->deleg_zone = ldns_rdf_clone(zone)) == NULL ||
	    (r->deleg_ns = ldns_rr_list_new()) == NULL ||
	    (r->deleg_glue = ldns_rr_list_new()) == NULL)
		return -ENOMEM;
	for (i = 0; i < ldns_rr_list_rr_count(s->ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(s->ns, i);
		enum iter_rank rank = ITER_RANK_AUTHORITY_AA; /* DS, NSEC */

		if (is_ns_of(rr, zone)) {
			rank = ITER_RANK_REFERRAL; /* parent side, s5.4.1 */
			if ((rc = push_clone(r->deleg_ns, rr)) < 0)
				return rc;
		} else if (!is_denial(rr) &&
		           (!iter_dname_equal(ldns_rr_owner(rr), zone) ||
		            rrset_type(rr) == LDNS_RR_TYPE_NS)) {
			r->n_unrelated++;
			continue;
		}
		if ((rc = cache_rr(r, rr, rank)) < 0)
			return rc;
	}
	if (ldns_rr_list_rr_count(r->deleg_ns) == 0)
		return set_kind(r, ITER_BOGUS, "referral without usable NS");
	if ((rc = referral_glue(r, s, opts)) < 0)
		return rc;
	return set_kind(r, ITER_REFERRAL, "referral");
}

/* Additional data of an authoritative answer (addresses of NS or MX
 * targets, in bailiwick): cached at the lowest rank, never returned. */
static int
cache_additional(struct iter_result *r, const struct sections *s)
{
	size_t i;
	int rc;

	for (i = 0; i < ldns_rr_list_rr_count(s->ar); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(s->ar, i);
		ldns_rr_type t = rrset_type(rr);

		if (t != LDNS_RR_TYPE_A && t != LDNS_RR_TYPE_AAAA) {
			r->n_unrelated++;
			continue;
		}
		if ((rc = cache_rr(r, rr, ITER_RANK_GLUE)) < 0)
			return rc;
	}
	return 0;
}

/* ---- classification ---- */

static int
classify_rcode(const ldns_pkt *reply, const struct iter_question *q,
               struct iter_result *r)
{
	switch (ldns_pkt_get_rcode(reply)) {
	case LDNS_RCODE_FORMERR:
	case LDNS_RCODE_NOTIMPL:
		/* RFC 6891 s7: a server that does not know EDNS answers
		 * FORMERR (or NOTIMP) without an OPT record */
		if (q->has_edns && !ldns_pkt_edns(reply))
			return set_kind(r, ITER_FORMERR_EDNS, "no edns");
		break;
	default: break;
	}
	if (q->is_minimised) /* RFC 9156 s3: relaxed fallback */
		return set_kind(r, ITER_MINIMISE_FALLBACK,
		                "error rcode to minimised query");
	return set_kind(r, ITER_SERVFAIL_RCODE, "error rcode");
}

/* After the chain walk: a chain that leaves the zone, or ends in a
 * referral, goes on from its last name. */
static int
classify_no_final(const ldns_pkt *reply, const struct iter_question *q,
                  const struct iter_opts *opts, const struct sections *s,
                  ldns_rdf **cur, struct iter_result *r)
{
	const ldns_rdf *cut = raw_ns_owner(reply);
	bool has_chain = r->n_links > 0;
	bool aa = is_answer_trusted(reply, q);
	int rc;

	if (has_chain && !iter_dname_in_zone(*cur, q->zone))
		goto chase;
	if (ldns_pkt_get_rcode(reply) == LDNS_RCODE_NXDOMAIN) {
		if (!aa)
			return set_kind(r, ITER_LAME, "nxdomain without aa");
		return set_negative(r, s, ITER_NXDOMAIN, cur, "nxdomain");
	}
	/* RFC 1034 s4.3.2: a referral names a cut between the zone asked
	 * and the name; anything else with NS and no SOA is lame */
	if (cut != NULL && find_soa(s->ns, *cur) == NULL &&
	    iter_dname_below(cut, q->zone) && iter_dname_in_zone(*cur, cut)) {
		if ((rc = set_referral(r, s, cut, opts)) < 0 ||
		    r->kind != ITER_REFERRAL || !has_chain)
			return rc;
		goto chase; /* cached the referral; resolve the target */
	}
	if (!aa) /* RFC 8906 s3: non-authoritative: lame delegation */
		return set_kind(r, ITER_LAME,
		                cut != NULL ? "upward or sideways referral"
		                            : "empty reply without aa");
	return set_negative(r, s, ITER_NODATA, cur, "nodata");
chase:
	r->target = *cur;
	*cur = NULL;
	return set_kind(r, ITER_CNAME, "chain continues elsewhere");
}

/* Minimised questions only look for zone cuts (RFC 9156 s3). */
static void
adjust_minimised(struct iter_result *r, const struct iter_opts *opts)
{
	switch (r->kind) {
	case ITER_ANSWER:
	case ITER_NODATA:
	case ITER_CNAME:
		/* an alias must be followed from the full name */
		if (r->n_links > 0)
			set_kind(r, ITER_MINIMISE_FALLBACK,
			         "alias at minimised name");
		else
			set_kind(r, ITER_QMIN_NEXT, "no cut at minimised name");
		break;
	case ITER_NXDOMAIN:
		if (!opts->is_qmin_strict || r->n_links > 0)
			set_kind(r, ITER_MINIMISE_FALLBACK,
			         "nxdomain for minimised name");
		break;
	default: break;
	}
}

static int
classify_noerror(const ldns_pkt *reply, const struct iter_question *q,
                 const struct iter_opts *opts, struct iter_result *r)
{
	struct sections s = {NULL, NULL, NULL};
	ldns_rdf *cur = ldns_rdf_clone(q->qname);
	bool is_final = false, is_loop = false;
	int rc;

	if (cur == NULL || (r->chain = ldns_rr_list_new()) == NULL ||
	    (rc = sections_filter(reply, q, &s, r)) < 0) {
		rc = -ENOMEM;
		goto out;
	}
	if ((rc = walk_chain(r, s.an, q, &cur, &is_final, &is_loop)) < 0) {
		if (rc == -EINVAL)
			rc = set_kind(r, ITER_BOGUS, "bad cname or dname");
		goto out;
	}
	if ((rc = chain_add_sigs(r, s.an)) < 0)
		goto out;
	count_unrelated_answers(r, s.an);
	if ((is_final || r->n_links > 0) && !is_answer_trusted(reply, q)) {
		/* RFC 1034 s4.3.1: an authority answers with AA; this is a
		 * cache or a forwarder: not the server we meant to ask */
		rc = set_kind(r, ITER_LAME, "answer without aa");
		goto out;
	}
	if (is_loop) {
		/* the query's CNAME budget ends the loop, from the cache */
		r->target = cur;
		cur = NULL;
		rc = set_kind(r, ITER_CNAME, "cname loop");
	} else if (is_final) {
		if ((rc = cache_authority(r, s.ns, cur)) < 0 ||
		    (rc = cache_additional(r, &s)) < 0)
			goto out;
		rc = set_kind(r, ITER_ANSWER, "answer");
	} else {
		rc = classify_no_final(reply, q, opts, &s, &cur, r);
	}
out:
	sections_free(&s);
	ldns_rdf_deep_free(cur);
	return rc;
}

/* A forwarder's answer is not an authority's (RFC 2181 s5.4.1): it must
 * not outrank data from the zone's own servers. */
static void
demote_recursive(struct iter_result *r, const ldns_pkt *reply,
                 const struct iter_question *q)
{
	size_t i;

	if (!q->is_recursive || ldns_pkt_aa(reply))
		return;
	for (i = 0; i < r->n_rrsets; i++) {
		enum iter_rank *rank = &r->rrsets[i].rank;

		if (*rank == ITER_RANK_ANSWER_AA)
			*rank = ITER_RANK_ANSWER_NONAUTH;
		else if (*rank == ITER_RANK_AUTHORITY_AA)
			*rank = ITER_RANK_REFERRAL;
	}
}

/* Drops what a non-answer must not carry to the cache. */
static void
keep_only_useful(struct iter_result *r)
{
	size_t i;

	switch (r->kind) {
	case ITER_LAME:
	case ITER_BOGUS:
	case ITER_SERVFAIL_RCODE:
	case ITER_FORMERR_EDNS: break;
	default: drop_sig_only_groups(r); return;
	}
	for (i = 0; i < r->n_rrsets; i++) {
		ldns_rr_list_deep_free(r->rrsets[i].rrs);
		ldns_rr_list_deep_free(r->rrsets[i].sigs);
	}
	r->n_rrsets = 0;
}

int
iter_classify(const ldns_pkt *reply, const struct iter_question *asked,
              const struct iter_opts *opts, struct iter_result *out)
{
	ldns_pkt_rcode rcode;
	int rc;

	iter_result_init(out);
	if (reply == NULL || asked == NULL || opts == NULL ||
	    asked->qname == NULL || asked->zone == NULL)
		return set_kind(out, ITER_BOGUS, "no reply");
	out->rcode = (uint8_t)ldns_pkt_get_rcode(reply);
	if (!ldns_pkt_qr(reply) ||
	    ldns_pkt_get_opcode(reply) != LDNS_PACKET_QUERY)
		return set_kind(out, ITER_BOGUS, "not a query response");
	if (ldns_pkt_tc(reply)) /* upstream.c retries over TCP */
		return set_kind(out, ITER_BOGUS, "truncated");
	if (!question_matches(reply, asked))
		return set_kind(out, ITER_BOGUS, "question mismatch");
	if (!iter_dname_in_zone(asked->qname, asked->zone))
		return set_kind(out, ITER_BOGUS, "question outside zone asked");
	rcode = ldns_pkt_get_rcode(reply);
	if (rcode != LDNS_RCODE_NOERROR && rcode != LDNS_RCODE_NXDOMAIN)
		return classify_rcode(reply, asked, out);
	if ((rc = classify_noerror(reply, asked, opts, out)) < 0) {
		iter_result_clear(out);
		return rc;
	}
	if (asked->is_minimised)
		adjust_minimised(out, opts);
	keep_only_useful(out);
	demote_recursive(out, reply, asked);
	return 0;
}

/* ---- QNAME minimisation ---- */

/* Labels to add below prev: one at a time for the first steps, then
 * spread so the whole name takes at most MAX_MINIMISE_COUNT questions
 * (RFC 9156 s2.3). */
static size_t
labels_to_add(size_t zone_labels, size_t prev_labels, size_t qname_labels)
{
	size_t done = prev_labels - zone_labels;
	size_t left = qname_labels - prev_labels;
	size_t steps_left;

	if (done < MINIMISE_ONE_LAB)
		return 1;
	steps_left = done < MAX_MINIMISE_COUNT ? MAX_MINIMISE_COUNT - done : 1;
	return MAX((size_t)1, (left + steps_left - 1) / steps_left);
}

int
iter_qmin_next(const ldns_rdf *qname, ldns_rr_type qtype, const ldns_rdf *zone,
               const ldns_rdf *prev, const struct iter_opts *opts,
               ldns_rdf **out_name, ldns_rr_type *out_type, bool *is_minimised)
{
	size_t zl, pl, ql, add;
	const ldns_rdf *base = zone;

	if (qname == NULL || zone == NULL || out_name == NULL)
		return -EINVAL;
	if (prev != NULL && iter_dname_below(prev, zone) &&
	    iter_dname_below(qname, prev))
		base = prev;
	zl = ldns_dname_label_count(zone);
	pl = ldns_dname_label_count(base);
	ql = ldns_dname_label_count(qname);
	*out_type = qtype;
	*is_minimised = false;
	if (!opts->is_qname_minimise || !iter_dname_below(qname, base)) {
		*out_name = ldns_rdf_clone(qname);
		return *out_name != NULL ? 0 : -ENOMEM;
	}
	add = labels_to_add(zl, pl, ql);
	if (pl + add >= ql) {
		*out_name = ldns_rdf_clone(qname);
		return *out_name != NULL ? 0 : -ENOMEM;
	}
	/* keep the last pl + add labels of qname */
	*out_name = ldns_dname_clone_from(qname, (uint16_t)(ql - pl - add));
	if (*out_name == NULL)
		return -ENOMEM;
	*out_type = LDNS_RR_TYPE_A;
	*is_minimised = true;
	return 0;
}
