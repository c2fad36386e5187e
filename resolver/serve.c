/*
 * serve.c -- from a client's query to its response (see serve.h).
 */
#include "config.h"
#include "resolver/serve.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ldns/ldns.h>

#include "cache/cache.h"
#include "dns/pkt.h"
#include "resolver/acl.h"
#include "resolver/answer.h"
#include "resolver/conf.h"
#include "resolver/hit.h"
#include "resolver/listen.h"
#include "resolver/query.h"
#include "resolver/stats.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

#define RESPONSE_MAX 65535u
/* Room for the RRs the fast path reads from the cache (a CNAME chain
 * and its end): a TCP answer can be as large as a message. */
#define RRSET_WIRE_MAX 65535u
/* TTL of locally synthesised special-use answers (RFC 6761). */
#define LOCAL_TTL_S 3600u

/* A client waiting for resolution. */
struct client {
	struct serve *s;        /* borrowed */
	struct listen_req *req; /* owned until answered */
	struct pkt_query pq;    /* qname points into req->wire */
	struct query_waiter w;
	struct client *next, *prev; /* in s->clients */
};

struct serve {
	struct cache *cache;       /* borrowed, may be NULL */
	struct resolver *resolver; /* borrowed */
	const struct config *cfg;  /* borrowed */
	struct stats *stats;       /* borrowed */
	struct client *clients;    /* owned: waiting for resolution */
	size_t n_clients;
	uint8_t out[RESPONSE_MAX];   /* the response being built */
	uint8_t rrs[RRSET_WIRE_MAX]; /* fast path: records from the cache */
};

struct serve *
serve_new(struct cache *cache, struct resolver *resolver,
          const struct config *cfg, struct stats *stats)
{
	struct serve *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->cache = cache;
	s->resolver = resolver;
	s->cfg = cfg;
	s->stats = stats;
	return s;
}

void
serve_set_config(struct serve *s, const struct config *cfg)
{
	s->cfg = cfg;
}

size_t
serve_waiting(const struct serve *s)
{
	return s->n_clients;
}

static void
answer_opts_of(const struct listen_req *req, struct answer_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->is_tcp = req->transport == LISTEN_TCP;
	o->max_udp_size = req->max_udp_size;
	o->tcp_idle_ms = req->tcp_idle_ms;
}

/* Sends the response in s->out and counts it; frees req. */
static void
send_response(struct serve *s, struct listen_req *req, size_t len, int rcode)
{
	if (len == 0) {
		s->stats->dropped++;
		listen_drop(req);
		return;
	}
	stats_count_rcode(s->stats, rcode);
	(void)listen_reply(req, s->out, len);
}

static void
send_error(struct serve *s, struct listen_req *req, const struct pkt_query *pq,
           int rcode, int ede_code, const char *ede_text)
{
	struct answer_opts ao;
	size_t len;

	answer_opts_of(req, &ao);
	len = answer_error(s->out, sizeof(s->out), pq, &ao, rcode, ede_code,
	                   ede_text);
	send_response(s, req, len, rcode);
}

/* --- local answers ----------------------------------------------------------
 */

/* The qname in lower-case presentation form, for name policies. */
static void
qname_text(const struct pkt_query *pq, char *buf, size_t cap)
{
	ldns_rdf *rdf =
	    ldns_dname_new_frm_data((uint16_t)pq->qname_len, pq->qname_lc);
	char *t = rdf ? ldns_rdf2str(rdf) : NULL;

	snprintf(buf, cap, "%s", t ? t : "");
	free(t);
	ldns_rdf_deep_free(rdf);
}

/* Is the lower-case wire name zone or below it? Compares whole labels
 * only, without allocating: this runs for every query. */
static bool
wire_name_under(const uint8_t *name, size_t len, const uint8_t *zone,
                size_t zlen)
{
	size_t off = 0;

	while (off < len) {
		if (len - off == zlen && memcmp(name + off, zone, zlen) == 0)
			return true;
		if (name[off] == 0)
			break;
		off += (size_t)name[off] + 1;
	}
	return false;
}

/* The special-use zone (RFC 6761) that the query name falls in and that
 * is answered locally, or NULL. */
static const char *
special_use_zone(const struct config *cfg, const struct pkt_query *pq)
{
	static const struct {
		const char *text;
		const uint8_t *wire;
		size_t len;
	} zones[] = {
	    {"localhost.", (const uint8_t *)"\x09localhost", 11},
	    {"test.", (const uint8_t *)"\x04test", 6},
	    {"invalid.", (const uint8_t *)"\x07invalid", 9},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(zones); i++)
		if (wire_name_under(pq->qname_lc, pq->qname_len, zones[i].wire,
		                    zones[i].len) &&
		    !config_resolves_special_use(cfg, zones[i].text))
			return zones[i].text;
	return NULL;
}

/* RFC 6761 s6.3: localhost names are the loopback address; s6.2, s6.4:
 * test. and invalid. names do not exist. */
static void
answer_special_use(struct serve *s, struct listen_req *req,
                   const struct pkt_query *pq, const char *zone)
{
	struct answer_opts ao;
	struct answer a;
	ldns_rr *rr = NULL;
	ldns_rr_list *list;
	int rcode = strcmp(zone, "localhost.") == 0 ? LDNS_RCODE_NOERROR
	                                            : LDNS_RCODE_NXDOMAIN;
	char text[LDNS_MAX_DOMAINLEN + 64];
	char name[LDNS_MAX_DOMAINLEN + 1];

	answer_opts_of(req, &ao);
	if (answer_begin(&a, s->out, sizeof(s->out), pq, &ao, rcode) < 0) {
		send_response(s, req, 0, rcode);
		return;
	}
	qname_text(pq, name, sizeof(name));
	text[0] = '\0';
	if (rcode == LDNS_RCODE_NOERROR && pq->qtype == LDNS_RR_TYPE_A)
		snprintf(text, sizeof(text), "%s %u IN A 127.0.0.1", name,
		         LOCAL_TTL_S);
	else if (rcode == LDNS_RCODE_NOERROR && pq->qtype == LDNS_RR_TYPE_AAAA)
		snprintf(text, sizeof(text), "%s %u IN AAAA ::1", name,
		         LOCAL_TTL_S);
	if (text[0] != '\0' &&
	    ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL) == LDNS_STATUS_OK &&
	    (list = ldns_rr_list_new()) != NULL) {
		ldns_rr_list_push_rr(list, rr);
		(void)answer_add_ldns(&a, ANSWER_SEC_ANSWER, list, false);
		ldns_rr_list_deep_free(list);
		rr = NULL;
	}
	ldns_rr_free(rr);
	send_response(s, req, answer_finish(&a), rcode);
}

static void
answer_any(struct serve *s, struct listen_req *req, const struct pkt_query *pq)
{
	struct answer_opts ao;
	struct answer a;

	answer_opts_of(req, &ao);
	if (answer_begin(&a, s->out, sizeof(s->out), pq, &ao,
	                 LDNS_RCODE_NOERROR) < 0) {
		send_response(s, req, 0, LDNS_RCODE_NOERROR);
		return;
	}
	(void)answer_add_rfc8482(&a);
	send_response(s, req, answer_finish(&a), LDNS_RCODE_NOERROR);
}

/* --- the cache fast path ----------------------------------------------------
 */

/* A hit in the last 10% of its TTL refreshes the entry in the
 * background (prefetch) so a popular name never expires for clients. */
static void
maybe_prefetch(struct serve *s, const struct pkt_query *pq,
               const struct hit_info *info)
{
	ldns_rdf *qname;

	if (!info->has_rrset || !resolver_should_prefetch(
	                            s->resolver, info->ttl_s, info->orig_ttl_s))
		return;
	qname = ldns_dname_new_frm_data((uint16_t)pq->qname_len, pq->qname_lc);
	if (qname != NULL)
		(void)resolver_prefetch(s->resolver, qname, pq->qtype,
		                        pq->qclass, pq->is_do);
	ldns_rdf_deep_free(qname);
}

/* Answers from the cache alone (hit.h): true if sent. */
static bool
answer_from_cache(struct serve *s, struct listen_req *req,
                  const struct pkt_query *pq)
{
	struct answer_opts ao;
	struct hit_info info;

	if (s->cache == NULL)
		return false;
	answer_opts_of(req, &ao);
	/* the resolver's CNAME bound holds for chains from the cache too */
	if (hit_answer(s->cache, pq, &ao, clock_now(NULL),
	               s->cfg->max_cname_chain, s->out, sizeof(s->out), s->rrs,
	               sizeof(s->rrs), &info) != 0)
		return false;
	s->stats->cache_hits++;
	send_response(s, req, info.len, info.rcode);
	maybe_prefetch(s, pq, &info);
	return true;
}

/* --- resolution -------------------------------------------------------------
 */

static void
client_unlink(struct serve *s, struct client *c)
{
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		s->clients = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	s->n_clients--;
}

static void
answer_result(struct serve *s, struct client *c, const struct query_result *r)
{
	struct answer_opts ao;
	struct answer a;

	answer_opts_of(c->req, &ao);
	if (answer_begin(&a, s->out, sizeof(s->out), &c->pq, &ao, r->rcode) <
	    0) {
		send_response(s, c->req, 0, r->rcode);
		return;
	}
	if (r->ede_code >= 0)
		answer_set_ede(&a, (uint16_t)r->ede_code, r->ede_text);
	if (answer_add_ldns(&a, ANSWER_SEC_ANSWER, r->answer, c->pq.is_do) !=
	    -EMSGSIZE)
		(void)answer_add_ldns(&a, ANSWER_SEC_AUTHORITY, r->authority,
		                      c->pq.is_do);
	send_response(s, c->req, answer_finish(&a), r->rcode);
}

static void
client_done_cb(void *arg, const struct query_result *r)
{
	struct client *c = arg;
	struct serve *s = c->s;

	client_unlink(s, c);
	/* Stale data (RFC 8767) was already looked for by the query: a
	 * SERVFAIL here means the cache had none. */
	answer_result(s, c, r);
	free(c);
}

static void
resolve_for_client(struct serve *s, struct listen_req *req,
                   const struct pkt_query *pq)
{
	struct client *c = calloc(1, sizeof(*c));
	ldns_rdf *qname = NULL;

	if (c == NULL || (qname = ldns_dname_new_frm_data(
	                      (uint16_t)pq->qname_len, pq->qname_lc)) == NULL)
		goto fail;
	c->s = s;
	c->req = req;
	c->pq = *pq;
	c->w.cb = client_done_cb;
	c->w.arg = c;
	if (resolver_resolve(s->resolver, qname, pq->qtype, pq->qclass,
	                     pq->is_do, &c->w) < 0)
		goto fail;
	ldns_rdf_deep_free(qname);
	c->next = s->clients;
	if (c->next != NULL)
		c->next->prev = c;
	s->clients = c;
	s->n_clients++;
	return;
fail:
	ldns_rdf_deep_free(qname);
	free(c);
	send_error(s, req, pq, LDNS_RCODE_SERVFAIL, ANSWER_EDE_OTHER,
	           "out of memory");
}

/* --- the entry point --------------------------------------------------------
 */

/* Answers what the parser rejected; false if pq is a query to serve. */
static bool
handle_verdict(struct serve *s, struct listen_req *req,
               const struct pkt_query *pq, int verdict)
{
	switch (verdict) {
	case PKT_OK: return false;
	case PKT_DROP:
		s->stats->dropped++;
		listen_drop(req);
		return true;
	case PKT_FORMERR:
		s->stats->malformed++;
		send_error(s, req, pq, LDNS_RCODE_FORMERR, -1, NULL);
		return true;
	case PKT_NOTIMP:
		send_error(s, req, pq, LDNS_RCODE_NOTIMPL, -1, NULL);
		return true;
	case PKT_REFUSED:
		send_error(s, req, pq, LDNS_RCODE_REFUSED, -1, NULL);
		return true;
	case PKT_BADVERS:
		send_error(s, req, pq, PKT_RCODE_BADVERS, -1, NULL);
		return true;
	}
	s->stats->dropped++;
	listen_drop(req);
	return true;
}

/* Access control: false if the client was refused or dropped. */
static bool
check_acl(struct serve *s, struct listen_req *req, const struct pkt_query *pq)
{
	switch (
	    acl_match(&s->cfg->acl, (const struct sockaddr *)&req->client)) {
	case ACL_ALLOW: return true;
	case ACL_DENY:
		s->stats->dropped++;
		listen_drop(req);
		return false;
	case ACL_REFUSE: break;
	}
	send_error(s, req, pq, LDNS_RCODE_REFUSED, ANSWER_EDE_PROHIBITED, NULL);
	return false;
}

void
serve_query(struct listen_req *req, void *arg)
{
	struct serve *s = arg;
	struct pkt_query pq;
	const char *zone;

	if (handle_verdict(s, req, &pq,
	                   pkt_query_parse(req->wire, req->len, &pq)))
		return;
	if (!check_acl(s, req, &pq))
		return;
	if (pq.qclass != LDNS_RR_CLASS_IN) {
		send_error(s, req, &pq, LDNS_RCODE_REFUSED,
		           ANSWER_EDE_NOT_SUPPORTED, "class not served");
		return;
	}
	if (pq.qtype == PKT_TYPE_ANY) {
		answer_any(s, req, &pq);
		return;
	}
	if ((zone = special_use_zone(s->cfg, &pq)) != NULL) {
		answer_special_use(s, req, &pq, zone);
		return;
	}
	if (answer_from_cache(s, req, &pq))
		return;
	s->stats->cache_misses++;
	if (!pq.is_rd) {
		/* RD=0: the cache only, never upstream work for a client
		 * that did not ask for recursion. */
		send_error(s, req, &pq, LDNS_RCODE_REFUSED,
		           ANSWER_EDE_PROHIBITED, "not in cache");
		return;
	}
	resolve_for_client(s, req, &pq);
}

void
serve_free(struct serve *s)
{
	if (s == NULL)
		return;
	while (s->clients != NULL) {
		struct client *c = s->clients;

		query_waiter_cancel(&c->w);
		client_unlink(s, c);
		send_error(s, c->req, &c->pq, LDNS_RCODE_SERVFAIL,
		           ANSWER_EDE_OTHER, "shutting down");
		free(c);
	}
	free(s);
}
