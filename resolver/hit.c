/*
 * hit.c -- the cache-hit fast path (see hit.h).
 */
#include "config.h"
#include "resolver/hit.h"

#include <errno.h>
#include <string.h>

#include <ldns/ldns.h>

#include "cache/cache.h"
#include "dns/pkt.h"
#include "resolver/answer.h"
#include "util/util.h"

#define RR_FIXED_LEN 10 /* type, class, TTL, rdlength after the owner */

/* The answer being read from the cache into the scratch buffer: the
 * answer section's records, then the SOA of a negative end. */
struct chain {
	struct cache *c;
	const struct pkt_query *pq;
	time_t now;
	unsigned flags;     /* for RRsets: CACHE_WANT_DNSSEC if DO */
	unsigned max_links; /* CNAME links to follow at most */
	uint8_t *buf;       /* borrowed: the scratch buffer */
	size_t cap;
	size_t an_len; /* answer records at buf */
	size_t ns_len; /* authority records at buf + an_len */
	int rcode;
	struct hit_info *info;
};

/* The name looked up now and how its records write their owner. */
struct link_name {
	const uint8_t *name; /* uncompressed, any case */
	size_t len;
	const uint8_t *owner; /* written as is: 0xC00C or the name */
	size_t owner_len;
};

/* Reads the RRset (ln, type) after the answer so far. Glue and other
 * data below answer rank is a miss: the resolver asks the zone. */
static int
read_rrset(struct chain *ch, const struct link_name *ln, uint16_t type,
           struct cache_wire_info *wi)
{
	int rc =
	    cache_rrset_wire(ch->c, ln->name, ln->len, type, ch->pq->qclass,
	                     ch->now, ch->flags, ln->owner, ln->owner_len,
	                     ch->buf + ch->an_len, ch->cap - ch->an_len, wi);

	if (rc == 0 && !cache_rank_is_answer(wi->rank, type))
		return -ENOENT;
	return rc;
}

/* Keeps the RRset just read in the answer section. */
static void
keep_rrset(struct chain *ch, const struct cache_wire_info *wi)
{
	if (ch->info->links == 0) {
		/* the question's own RRset decides about prefetch */
		ch->info->has_rrset = true;
		ch->info->ttl_s = wi->ttl_s;
		ch->info->orig_ttl_s = wi->orig_ttl_s;
	}
	ch->an_len += wi->len;
}

/* The end of the chain at ln: the RRset asked for, else a negative
 * answer, as query_cache.c probes them. 0 found, -ENOENT neither. */
static int
read_end(struct chain *ch, const struct link_name *ln)
{
	struct cache_neg_wire_info ni;
	struct cache_wire_info wi;
	int rc;

	rc = read_rrset(ch, ln, ch->pq->qtype, &wi);
	if (rc == 0) {
		keep_rrset(ch, &wi);
		ch->rcode = LDNS_RCODE_NOERROR;
		return 0;
	}
	if (rc != -ENOENT)
		return rc;
	/* negative answers carry no RRSIGs from the cache, DO or not */
	rc = cache_neg_wire(ch->c, ln->name, ln->len, ch->pq->qtype,
	                    ch->pq->qclass, ch->now, 0, ch->buf + ch->an_len,
	                    ch->cap - ch->an_len, &ni);
	if (rc != 0)
		return rc;
	ch->ns_len = ni.len;
	ch->rcode = ni.kind == CACHE_NEG_NXDOMAIN ? LDNS_RCODE_NXDOMAIN
	                                          : LDNS_RCODE_NOERROR;
	return 0;
}

/* The target of the CNAME record at rr (avail bytes, owner owner_len
 * bytes): its rdata, one uncompressed name. NULL if it is not that. */
static const uint8_t *
cname_target(const uint8_t *rr, size_t avail, size_t owner_len, size_t *len)
{
	const uint8_t *rdata = rr + owner_len + RR_FIXED_LEN;
	size_t rdlen;

	if (avail < owner_len + RR_FIXED_LEN)
		return NULL;
	rdlen = (size_t)rr[owner_len + 8] << 8 | rr[owner_len + 9];
	if (rdlen == 0 || avail - owner_len - RR_FIXED_LEN < rdlen ||
	    pkt_name_len(rdata, rdlen) != rdlen)
		return NULL;
	*len = rdlen;
	return rdata;
}

/* Follows the CNAME RRset at ln: keeps it and moves ln to the target of
 * its first record, which owns the next records (query_cache.c does the
 * same). 0 followed, -ENOENT no usable CNAME. */
static int
follow_cname(struct chain *ch, struct link_name *ln)
{
	const uint8_t *rr = ch->buf + ch->an_len, *target;
	struct cache_wire_info wi;
	size_t tlen;
	int rc;

	if ((rc = read_rrset(ch, ln, LDNS_RR_TYPE_CNAME, &wi)) != 0)
		return rc;
	/* the target stays put in buf: later records go after it */
	if ((target = cname_target(rr, wi.len, ln->owner_len, &tlen)) == NULL)
		return -ENOENT;
	keep_rrset(ch, &wi);
	ln->name = ln->owner = target;
	ln->len = ln->owner_len = tlen;
	return 0;
}

/* Reads the whole answer, or fails with what stopped it. */
static int
read_chain(struct chain *ch)
{
	static const uint8_t qname_ptr[2] = {0xc0, 0x0c};
	struct link_name ln = {ch->pq->qname, ch->pq->qname_len, qname_ptr,
	                       sizeof(qname_ptr)};
	int rc;

	for (;;) {
		if ((rc = read_end(ch, &ln)) != -ENOENT)
			return rc;
		if (ch->pq->qtype == LDNS_RR_TYPE_CNAME ||
		    ch->info->links >= ch->max_links)
			return -ENOENT;
		if ((rc = follow_cname(ch, &ln)) != 0)
			return rc;
		ch->info->links++;
	}
}

int
hit_answer(struct cache *c, const struct pkt_query *pq,
           const struct answer_opts *ao, time_t now, unsigned max_links,
           uint8_t *out, size_t out_cap, uint8_t *scratch, size_t scratch_cap,
           struct hit_info *info)
{
	struct chain ch = {.c = c,
	                   .pq = pq,
	                   .now = now,
	                   .flags = pq->is_do ? CACHE_WANT_DNSSEC : 0,
	                   .max_links = MIN(max_links, HIT_MAX_LINKS),
	                   .buf = scratch,
	                   .cap = scratch_cap,
	                   .info = info};
	struct answer a;
	int rc;

	memset(info, 0, sizeof(*info));
	if (!pq->has_question)
		return -ENOENT;
	if ((rc = read_chain(&ch)) != 0)
		return rc;
	if (answer_begin(&a, out, out_cap, pq, ao, ch.rcode) < 0)
		return -ENOBUFS;
	/* -EMSGSIZE truncates the response (TC=1), as the resolver's does */
	rc = answer_add_rrs(&a, ANSWER_SEC_ANSWER, scratch, ch.an_len);
	if (rc == 0)
		rc = answer_add_rrs(&a, ANSWER_SEC_AUTHORITY,
		                    scratch + ch.an_len, ch.ns_len);
	if (rc == -EINVAL)
		return rc;
	info->rcode = ch.rcode;
	info->len = answer_finish(&a);
	return 0;
}
