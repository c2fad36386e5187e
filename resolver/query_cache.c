/*
 * query_cache.c -- what the query state machine reads from and writes to
 * the cache, and where its delegations come from: cache, root hints or a
 * forward zone (see query_int.h).
 */
#include "config.h"
#include "resolver/query_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "hints/hints.h"
#include "resolver/conf.h"
#include "util/log.h"
#include "util/util.h"

static enum cache_rank
cache_rank_of(enum iter_rank rank)
{
	switch (rank) {
	case ITER_RANK_GLUE: return RANK_ADDITIONAL;
	case ITER_RANK_REFERRAL: return RANK_GLUE;
	case ITER_RANK_ANSWER_NONAUTH: return RANK_NONAUTH_ANSWER;
	case ITER_RANK_AUTHORITY_AA: return RANK_AUTH_AUTHORITY;
	case ITER_RANK_ANSWER_AA: return RANK_AUTH_ANSWER;
	case ITER_RANK_NONE: break;
	}
	return 0;
}

void
query_cache_result(struct query *q, const struct iter_result *res)
{
	struct cache *c = q->r->cache;
	time_t now = query_now_s();
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < res->n_rrsets; i++) {
		const struct iter_rrset *s = &res->rrsets[i];
		enum cache_rank rank = cache_rank_of(s->rank);

		if (rank == 0)
			continue;
		if (cache_rrset_put(c, s->rrs, s->sigs, rank, now) < 0)
			log_q(q, VERB_DETAIL, "cache put failed");
	}
}

void
query_cache_negative(struct query *q, const ldns_rdf *name, uint16_t type,
                     const ldns_rr *soa)
{
	if (q->r->cache == NULL || soa == NULL || name == NULL)
		return;
	(void)cache_neg_put(q->r->cache, name, type, q->qclass, soa,
	                    query_now_s());
}
/* --- the states ----------------------------------------------------------- */

/* cache_rrset_get() for answering: an RRset below answer rank (glue,
 * additional data, a referral's NS set) is a miss, RFC 2181 s5.4.1. */
static int
get_answer_rrset(struct cache *c, const ldns_rdf *name, uint16_t type,
                 uint16_t class, time_t now, unsigned flags,
                 struct cache_rrset *out)
{
	int rc = cache_rrset_get(c, name, type, class, now, flags, out);

	if (rc == 0 && !cache_rank_is_answer(out->rank, type)) {
		cache_rrset_clear(out);
		return -ENOENT;
	}
	return rc;
}

/* One cache probe for sname: 1 answered (state set), 0 go on. */
static int
cache_probe_answer(struct query *q, struct cache *c, time_t now)
{
	struct cache_rrset rs;
	unsigned flags = q->is_do ? CACHE_WANT_DNSSEC : 0;

	if (get_answer_rrset(c, q->sname, q->qtype, q->qclass, now, flags,
	                     &rs) != 0)
		return 0;
	query_append_clones(&q->chain, rs.rrs);
	query_append_clones(&q->chain, rs.rrsigs);
	cache_rrset_clear(&rs);
	q->rcode = LDNS_RCODE_NOERROR;
	q->state = QS_DONE;
	return 1;
}

static int
cache_probe_negative(struct query *q, struct cache *c, time_t now)
{
	struct cache_neg neg;

	if (cache_neg_get(c, q->sname, q->qtype, q->qclass, now, 0, &neg) != 0)
		return 0;
	q->rcode = neg.kind == CACHE_NEG_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
	                                          : LDNS_RCODE_NOERROR;
	if (neg.soa != NULL && (q->authority = ldns_rr_list_new()) != NULL) {
		ldns_rr_list_push_rr(q->authority, neg.soa);
		neg.soa = NULL; /* moved */
	}
	cache_neg_clear(&neg);
	q->state = QS_DONE;
	return 1;
}

/* A cached CNAME at sname: 1 followed (sname moved on), 0 none. */
static int
cache_probe_cname(struct query *q, struct cache *c, time_t now)
{
	struct cache_rrset rs;
	const ldns_rdf *target;

	if (q->qtype == LDNS_RR_TYPE_CNAME ||
	    get_answer_rrset(c, q->sname, LDNS_RR_TYPE_CNAME, q->qclass, now,
	                     q->is_do ? CACHE_WANT_DNSSEC : 0, &rs) != 0)
		return 0;
	target = ldns_rr_rdf(ldns_rr_list_rr(rs.rrs, 0), 0);
	query_append_clones(&q->chain, rs.rrs);
	query_append_clones(&q->chain, rs.rrsigs);
	query_set_name(&q->sname, target);
	cache_rrset_clear(&rs);
	return 1;
}

enum step
query_cache_step(struct query *q)
{
	struct cache *c = q->r->cache;
	time_t now = query_now_s();

	if (c == NULL || q->is_refresh) {
		/* a prefetch must not be answered by the entry it refreshes */
		q->is_refresh = false;
		q->state = QS_DELEG;
		return STEP_NEXT;
	}
	for (;;) {
		if (cache_probe_answer(q, c, now) ||
		    cache_probe_negative(q, c, now))
			return STEP_NEXT;
		if (!cache_probe_cname(q, c, now))
			break;
		if (!iter_budget_spend(&q->budget, BUDGET_CNAME))
			return query_fail_budget(q);
	}
	q->state = QS_DELEG;
	return STEP_NEXT;
}

/* Adds cached addresses for NS names the delegation has none for, so a
 * glueless name already known costs no sub-query. */
void
query_cache_fill_deleg(struct query *q)
{
	struct cache *c = q->r->cache;
	time_t now = query_now_s();
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < q->dp->n_ns; i++) {
		struct deleg_ns *ns = &q->dp->ns[i];
		static const uint16_t types[] = {LDNS_RR_TYPE_A,
		                                 LDNS_RR_TYPE_AAAA};
		size_t t, k;

		if (ns->state != DELEG_NS_UNRESOLVED)
			continue;
		for (t = 0; t < ARRAY_SIZE(types); t++) {
			struct cache_rrset rs;

			if (cache_rrset_get(c, ns->name, types[t], q->qclass,
			                    now, 0, &rs) != 0)
				continue;
			for (k = 0; k < ldns_rr_list_rr_count(rs.rrs); k++)
				deleg_add_addr_rr(q->dp,
				                  ldns_rr_list_rr(rs.rrs, k),
				                  &q->r->opts.deleg);
			cache_rrset_clear(&rs);
		}
	}
}

struct deleg *
query_cache_deleg(struct query *q)
{
	struct cache_deleg *cd = NULL;
	struct deleg *d = NULL;
	ldns_rr_list *addrs;
	size_t i, k;

	if (q->r->cache == NULL ||
	    cache_deleg_get(q->r->cache, q->sname, query_now_s(), 0, &cd) != 0)
		return NULL;
	/* The priming query itself must ask the hints, not a cached root
	 * NS set that may lack addresses. */
	if ((addrs = ldns_rr_list_new()) != NULL) {
		for (i = 0; i < cd->ns_count; i++)
			for (k = 0;
			     k < ldns_rr_list_rr_count(cd->servers[i].addrs);
			     k++)
				ldns_rr_list_push_rr(
				    addrs,
				    ldns_rr_list_rr(cd->servers[i].addrs, k));
		d = deleg_from_rrs(cd->zone, cd->ns, addrs, &q->r->opts.deleg);
		ldns_rr_list_free(addrs); /* shallow: borrowed records */
	}
	cache_deleg_free(cd);
	return d;
}

struct deleg *
query_hints_deleg(const struct query *q)
{
	const struct hints *h = q->r->hints;
	ldns_rdf *root = ldns_dname_new_frm_str(".");
	ldns_rr_list *addrs;
	struct deleg *d = NULL;
	size_t i, k;

	if (root == NULL || h == NULL || (addrs = ldns_rr_list_new()) == NULL)
		goto out;
	for (i = 0; i < h->n_servers; i++)
		for (k = 0; k < ldns_rr_list_rr_count(h->servers[i].addrs); k++)
			ldns_rr_list_push_rr(
			    addrs, ldns_rr_list_rr(h->servers[i].addrs, k));
	d = deleg_from_rrs(root, h->ns, addrs, &q->r->opts.deleg);
	ldns_rr_list_free(addrs);
out:
	ldns_rdf_deep_free(root);
	return d;
}

/* The forward zone at or above name with the most labels, or NULL. */
static const struct config_forward_zone *
forward_match(const struct config_forward_list *fl, const ldns_rdf *name)
{
	const struct config_forward_zone *best = NULL;
	size_t i, best_labels = 0;

	for (i = 0; fl != NULL && i < fl->n; i++) {
		ldns_rdf *z = ldns_dname_new_frm_str(fl->v[i].name);
		size_t n;

		if (z == NULL)
			continue;
		n = ldns_dname_label_count(z);
		if (iter_dname_in_zone(name, z) &&
		    (best == NULL || n > best_labels)) {
			best = &fl->v[i];
			best_labels = n;
		}
		ldns_rdf_deep_free(z);
	}
	return best;
}

struct deleg *
query_forward_deleg(const struct query *q)
{
	const struct config_forward_zone *fz =
	    forward_match(q->r->opts.forwards, q->sname);
	ldns_rdf *zone;
	struct deleg *d = NULL;
	size_t i;

	if (fz == NULL || (zone = ldns_dname_new_frm_str(fz->name)) == NULL)
		return NULL;
	/* One pseudo server named after the zone holds the forwarders:
	 * servsel then picks among them by RTT like any authority set. */
	if ((d = deleg_new(zone)) != NULL && deleg_add_ns(d, zone) == 0)
		for (i = 0; i < fz->addrs.n; i++)
			(void)deleg_add_addr(
			    d, zone,
			    (const struct sockaddr *)&fz->addrs.v[i].ss,
			    fz->addrs.v[i].len);
	ldns_rdf_deep_free(zone);
	return d;
}

/* Stale answer for the question itself (not a CNAME chain): RRset. */
static bool
stale_rrset(const struct query *q, struct query_result *res,
            ldns_rr_list **answer)
{
	unsigned flags = CACHE_ALLOW_STALE | (q->is_do ? CACHE_WANT_DNSSEC : 0);
	struct cache_rrset rs;

	if (get_answer_rrset(q->r->cache, q->qname, q->qtype, q->qclass,
	                     query_now_s(), flags, &rs) != 0)
		return false;
	/* TTLs are CACHE_STALE_TTL_S (RFC 8767 s4: 30 s) when stale */
	if (query_append_clones(answer, rs.rrs) < 0 ||
	    query_append_clones(answer, rs.rrsigs) < 0) {
		cache_rrset_clear(&rs);
		return false;
	}
	res->is_stale = rs.is_stale;
	cache_rrset_clear(&rs);
	res->rcode = LDNS_RCODE_NOERROR;
	res->answer = *answer;
	return true;
}

static bool
stale_negative(const struct query *q, struct query_result *res,
               ldns_rr_list **authority)
{
	struct cache_neg neg;

	if (cache_neg_get(q->r->cache, q->qname, q->qtype, q->qclass,
	                  query_now_s(), CACHE_ALLOW_STALE, &neg) != 0)
		return false;
	if (neg.soa != NULL && (*authority = ldns_rr_list_new()) != NULL) {
		ldns_rr_list_push_rr(*authority, neg.soa);
		neg.soa = NULL; /* moved */
	}
	res->rcode = neg.kind == CACHE_NEG_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
	                                            : LDNS_RCODE_NOERROR;
	res->authority = *authority;
	res->is_stale = neg.is_stale;
	cache_neg_clear(&neg);
	return true;
}

bool
query_cache_stale(const struct query *q, struct query_result *res,
                  ldns_rr_list **answer, ldns_rr_list **authority)
{
	memset(res, 0, sizeof(*res));
	*answer = *authority = NULL;
	if (q->r->cache == NULL || !q->r->opts.is_serve_stale)
		return false;
	if (!stale_rrset(q, res, answer) && !stale_negative(q, res, authority))
		return false;
	res->ede_code = -1;
	if (res->is_stale) { /* RFC 8914 s4.4: EDE 3 "Stale Answer" */
		res->ede_code = 3;
		res->ede_text = "stale answer";
	}
	return true;
}
