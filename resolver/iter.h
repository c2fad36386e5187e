/*
 * iter.h -- the decisions of iterative resolution: what an authority's
 * reply means, and which name to send next.
 *
 * The query state machine (query.c) sends a question to a server of a
 * zone, gets a reply from upstream.c, and hands it to iter_classify(),
 * which returns one iter_kind and the data that goes with it: the RRsets
 * to cache with their rank, the answer chain, the next name to chase, the
 * new delegation, the SOA of a negative answer. iter_qmin_next() chooses
 * the name and type to send under QNAME minimisation (RFC 9156).
 *
 * This module is pure: it reads ldns packets and names and never touches
 * a socket, a timer, the clock, the cache or the log. Everything it
 * returns is owned by the caller's struct iter_result.
 */
#ifndef CAIRN_RESOLVER_ITER_H
#define CAIRN_RESOLVER_ITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <ldns/ldns.h>

/* Links in a CNAME/DNAME chain followed for one client query. */
#define ITER_MAX_CNAME_LINKS 12

/* What a reply means for the query that sent it. */
enum iter_kind {
	ITER_ANSWER,         /* final RRset found (chain holds links + RRset) */
	ITER_CNAME,          /* chain ends in a name to resolve from the start:
	                      * out of the server's zone, or referred elsewhere */
	ITER_REFERRAL,       /* go down: ask the servers of deleg_zone */
	ITER_NXDOMAIN,       /* name (last in the chain) does not exist */
	ITER_NODATA,         /* name exists, no data of that type */
	ITER_LAME,           /* server not authoritative: next server */
	ITER_SERVFAIL_RCODE, /* SERVFAIL/REFUSED/NOTIMP/...: next server */
	ITER_FORMERR_EDNS,   /* no EDNS understanding: same server, no OPT */
	ITER_MINIMISE_FALLBACK, /* resend the full qname to the same zone */
	ITER_QMIN_NEXT, /* no zone cut at the minimised name: ask the same
	                 * servers one label deeper (iter_qmin_next) */
	ITER_BOGUS      /* malformed or mismatched reply: next server */
};

/*
 * What the query does with each kind:
 *   ANSWER         cache rrsets; answer with chain.
 *   CNAME          cache rrsets; spend n_links CNAME budget; resolve
 *                  target from the cache or its closest delegation; the
 *                  final answer is this chain followed by target's.
 *   REFERRAL       cache rrsets; spend a referral; deleg_from_rrs(
 *                  deleg_zone, deleg_ns, deleg_glue); minimise from there.
 *   NXDOMAIN/NODATA cache rrsets and the negative answer for neg_ttl_s;
 *                  answer with chain and soa.
 *   LAME, SERVFAIL_RCODE, BOGUS  servsel_report_error(); next server.
 *   FORMERR_EDNS   servsel_report_edns_fail(); same server, without OPT.
 *   MINIMISE_FALLBACK  same zone, full qname and qtype (is_minimised
 *                  false), same server first.
 *   QMIN_NEXT      cache rrsets; iter_qmin_next() with prev = the name
 *                  just sent; same servers.
 */

/* Trust of cached data, RFC 2181 s5.4.1; higher is more trusted. The
 * cache must not let data of lower rank replace data of higher rank. */
enum iter_rank {
	ITER_RANK_NONE = 0,
	ITER_RANK_GLUE = 1,           /* additional section, referral glue */
	ITER_RANK_REFERRAL = 2,       /* NS of a referral (parent side) */
	ITER_RANK_ANSWER_NONAUTH = 3, /* answer data without AA */
	ITER_RANK_AUTHORITY_AA = 4,   /* authority section: SOA, NS, NSEC, DS */
	ITER_RANK_ANSWER_AA = 5       /* answer section of an AA reply */
};

struct iter_opts {
	/* Glue must be in the bailiwick of the delegated zone (RFC 2181
	 * s5.4.1); when false, glue in the bailiwick of the zone asked (the
	 * parent) is accepted too. Default true. */
	bool is_strict_glue;
	/* Send minimised names (RFC 9156). Default true. */
	bool is_qname_minimise;
	/* Take NXDOMAIN for a minimised name as final (RFC 8020) rather than
	 * resending the full name. Default false (relaxed). */
	bool is_qmin_strict;
};

/* The question as it was sent, and to whom. All members borrowed. */
struct iter_question {
	const ldns_rdf *qname; /* as sent (minimised or full) */
	ldns_rr_type qtype;    /* as sent */
	ldns_rr_class qclass;
	const ldns_rdf *zone; /* zone of the server asked: its bailiwick */
	bool is_minimised;    /* qname/qtype are a minimised question */
	bool has_edns;        /* the query carried an OPT record */
	/* Asked a forwarder with RD=1: a recursive answer (RA=1, AA=0) is
	 * taken as-is, at the non-authoritative rank, and a referral is
	 * still reported (the query treats it as a failure). */
	bool is_recursive;
};

/* One RRset to cache: records of one (owner, type, class) and the RRSIGs
 * covering it. */
struct iter_rrset {
	ldns_rr_list *rrs;  /* owned, at least one record */
	ldns_rr_list *sigs; /* owned, may be empty */
	enum iter_rank rank;
};

struct iter_result {
	enum iter_kind kind;
	uint8_t rcode;   /* rcode of the reply (for logs) */
	const char *why; /* static text for logs: the reason of the kind */

	struct iter_rrset *rrsets; /* owned array: what to cache */
	size_t n_rrsets;
	size_t cap_rrsets;

	/* ANSWER, CNAME, NXDOMAIN, NODATA: the answer section to return,
	 * in order: CNAME/DNAME links (with a CNAME synthesised from each
	 * DNAME, RFC 6672 s3.1), then the final RRset for ANSWER; RRSIGs
	 * of those. Owned, possibly empty. */
	ldns_rr_list *chain;
	size_t n_links; /* CNAME/DNAME links in chain */
	/* CNAME: the name to resolve next; NXDOMAIN/NODATA: the name the
	 * negative answer is about. Owned, NULL otherwise. */
	ldns_rdf *target;

	/* REFERRAL: the delegated zone, its NS records, and the A/AAAA
	 * glue accepted for NS names (bailiwick rules applied). Owned. */
	ldns_rdf *deleg_zone;
	ldns_rr_list *deleg_ns;
	ldns_rr_list *deleg_glue;

	/* NXDOMAIN/NODATA: the SOA from the authority section (owned, may
	 * be NULL) and the negative TTL min(SOA TTL, MINIMUM), RFC 2308 s5;
	 * 0 without SOA (do not cache the negative answer). */
	ldns_rr *soa;
	uint32_t neg_ttl_s;

	/* Records dropped because their owner is outside the zone asked
	 * (RFC 2181 s5.4.1, cache poisoning), or glue outside the delegated
	 * zone under strict glue. For logs and counters. */
	size_t n_out_of_bailiwick;
	/* In-bailiwick records dropped as unrelated to the question. */
	size_t n_unrelated;
};

/* Default options: strict glue, relaxed minimisation on. */
void iter_opts_init(struct iter_opts *opts);

/* An empty result; iter_classify() calls it itself. */
void iter_result_init(struct iter_result *r);
/* Frees everything r owns and leaves it empty (reusable). */
void iter_result_clear(struct iter_result *r);

/*
 * Classifies reply, the answer of a server of asked->zone to the question
 * asked. out (caller's storage, no prior init needed) receives the kind
 * and its data; release it with iter_result_clear() whatever the return.
 *
 * Returns 0, or -ENOMEM (out is cleared; fail the query). A malformed or
 * hostile reply is a result (ITER_BOGUS, ITER_LAME), never an error.
 */
int iter_classify(const ldns_pkt *reply, const struct iter_question *asked,
                  const struct iter_opts *opts, struct iter_result *out);

/* Name of a kind, for logs. */
const char *iter_kind_str(enum iter_kind kind);

/*
 * QNAME minimisation, RFC 9156 s3 (relaxed). Chooses what to send to the
 * servers of zone when resolving (qname, qtype). prev is the minimised
 * name last sent to the same zone that returned ITER_QMIN_NEXT, or NULL
 * for the first question to this zone.
 *
 * Minimised questions use QTYPE A (RFC 9156 s3 notes A hides the qtype as
 * well as NS does and is handled better by broken authorities than NS).
 * Labels are added one at a time for the first four steps, then in larger
 * steps so that a name needs at most ten questions (s2.3,
 * MINIMISE_ONE_LAB=4, MAX_MINIMISE_COUNT=10).
 *
 * *out_name: a new name (owned by the caller, ldns_rdf_deep_free);
 * *out_type: the type to send; *is_minimised: true unless the full
 * (qname, qtype) is sent. Without minimisation in opts, or when qname is
 * not below zone, the full question is returned.
 *
 * Interpreting a minimised reply (iter_classify does it): a referral moves
 * to the new zone (prev = NULL); NODATA or an answer means no cut at that
 * name (ITER_QMIN_NEXT, call again with prev); NXDOMAIN is resent in full
 * unless is_qmin_strict, because some servers answer NXDOMAIN for empty
 * non-terminals (RFC 8020 would make it final); a CNAME/DNAME, SERVFAIL,
 * REFUSED, FORMERR or NOTIMP makes the query resend the full name.
 *
 * A DS question belongs to the parent side of the cut at qname (RFC 4035
 * s3.1.4.1): the query starts it from a delegation strictly above qname.
 *
 * Returns 0, -EINVAL (NULL names) or -ENOMEM.
 */
int iter_qmin_next(const ldns_rdf *qname, ldns_rr_type qtype,
                   const ldns_rdf *zone, const ldns_rdf *prev,
                   const struct iter_opts *opts, ldns_rdf **out_name,
                   ldns_rr_type *out_type, bool *is_minimised);

/* Name comparisons used across the resolver (case-insensitive), on
 * dns/dname.h's dname_equal() and dname_is_subdomain(). */
bool iter_dname_equal(const ldns_rdf *a, const ldns_rdf *b);
/* name is zone or below it: in the bailiwick of zone. */
bool iter_dname_in_zone(const ldns_rdf *name, const ldns_rdf *zone);
/* name is strictly below zone. */
bool iter_dname_below(const ldns_rdf *name, const ldns_rdf *zone);

#endif /* CAIRN_RESOLVER_ITER_H */
