/*
 * query_share.c -- upstream questions in flight, shared by the queries
 * that would ask them at the same time (see query_share.h).
 *
 * An exchange, not a query, is the upstream callback's argument: the
 * query that sent the question may finish first (deadline, its clients
 * gone) while others still wait for the answer. The exchange is
 * cancelled only when its last waiter leaves.
 */
#include "config.h"
#include "resolver/query_share.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>

#include "resolver/query_int.h"
#include "resolver/upstream.h"

/* One upstream exchange and the queries waiting for it. */
struct query_share {
	struct query_share *next_in, *prev_in; /* in r->shares[bucket] */
	unsigned bucket;
	bool is_in_table;      /* false once done: nobody joins it any more */
	struct resolver *r;    /* borrowed */
	ldns_rdf *zone, *name; /* owned: the key's names */
	struct query_share_key key; /* names point at the above */
	struct servsel_choice cur;  /* the server asked */
	bool is_sent_edns;
	struct upstream_req *ureq; /* borrowed handle; NULL once done */
	struct query *waiters;     /* borrowed; linked by next_share */
};

static uint32_t
hash_name(uint32_t h, const ldns_rdf *name)
{
	const uint8_t *p = ldns_rdf_data(name);
	size_t i, n = ldns_rdf_size(name);

	/* Length octets are below 64, so folding them is harmless. */
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

uint32_t
query_share_key_hash(const struct query_share_key *k)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	h = hash_name(h, k->name);
	h = hash_name(h, k->zone);
	h = (h ^ k->type) * 16777619u;
	h = (h ^ k->class) * 16777619u;
	h = (h ^ k->flags) * 16777619u;
	return h;
}

bool
query_share_key_equal(const struct query_share_key *a,
                      const struct query_share_key *b)
{
	return a->type == b->type && a->class == b->class &&
	       a->flags == b->flags &&
	       ldns_dname_compare(a->name, b->name) == 0 &&
	       ldns_dname_compare(a->zone, b->zone) == 0;
}

/* The key of the question q is about to send (names borrowed from q). */
static void
key_of(const struct query *q, struct query_share_key *k)
{
	k->zone = q->dp->zone;
	k->name = q->sent_name;
	k->type = q->sent_type;
	k->class = q->qclass;
	k->flags = (q->is_sent_edns ? QUERY_SHARE_F_EDNS : 0u) |
	           (q->is_sent_edns && q->is_do ? QUERY_SHARE_F_DO : 0u) |
	           (q->is_forward ? QUERY_SHARE_F_RD : 0u);
}

/* A resend to the server that just answered (EDNS or minimisation
 * fallback, next minimised name) may join an exchange with that server;
 * otherwise a server q already tried is not worth waiting for again. */
static bool
is_worth_joining(const struct query_share *e, const struct query *q,
                 const struct servsel_choice *ch)
{
	return upstream_addr_equal(&e->cur.ss, &ch->ss) ||
	       !servsel_tried_has(
	           &q->tried, (const struct sockaddr *)&e->cur.ss, e->cur.len);
}

struct query_share *
query_share_find(struct resolver *r, const struct query *q,
                 const struct servsel_choice *ch)
{
	struct query_share_key k;
	struct query_share *e;

	key_of(q, &k);
	e = r->shares[query_share_key_hash(&k) % SHARE_BUCKETS];
	for (; e != NULL; e = e->next_in)
		if (query_share_key_equal(&e->key, &k) &&
		    is_worth_joining(e, q, ch))
			return e;
	return NULL;
}

static void
table_add(struct resolver *r, struct query_share *e)
{
	e->bucket = query_share_key_hash(&e->key) % SHARE_BUCKETS;
	e->prev_in = NULL;
	e->next_in = r->shares[e->bucket];
	if (e->next_in != NULL)
		e->next_in->prev_in = e;
	r->shares[e->bucket] = e;
	e->is_in_table = true;
	r->n_shares++;
}

static void
table_remove(struct resolver *r, struct query_share *e)
{
	if (!e->is_in_table)
		return;
	if (e->prev_in != NULL)
		e->prev_in->next_in = e->next_in;
	else
		r->shares[e->bucket] = e->next_in;
	if (e->next_in != NULL)
		e->next_in->prev_in = e->prev_in;
	e->next_in = e->prev_in = NULL;
	e->is_in_table = false;
	r->n_shares--;
}

static void
share_free(struct query_share *e)
{
	if (e == NULL)
		return;
	assert(!e->is_in_table && e->waiters == NULL);
	ldns_rdf_deep_free(e->zone);
	ldns_rdf_deep_free(e->name);
	free(e);
}

void
query_share_join(struct query_share *e, struct query *q)
{
	q->cur = e->cur;
	q->is_sent_edns = e->is_sent_edns;
	servsel_tried_add(&q->tried, (const struct sockaddr *)&e->cur.ss,
	                  e->cur.len);
	q->share = e;
	q->next_share = e->waiters;
	e->waiters = q;
}

void
query_share_leave(struct query *q)
{
	struct query_share *e = q->share;
	struct query **pp;

	if (e == NULL)
		return;
	for (pp = &e->waiters; *pp != NULL; pp = &(*pp)->next_share)
		if (*pp == q) {
			*pp = q->next_share;
			break;
		}
	q->share = NULL;
	q->next_share = NULL;
	/* While the result is handed out (ureq NULL), share_done_cb owns e
	 * and frees it at the end. */
	if (e->waiters != NULL || e->ureq == NULL)
		return;
	upstream_cancel(e->ureq);
	e->ureq = NULL;
	table_remove(e->r, e);
	share_free(e);
}

/* The failure of the exchange, reported once for all its waiters. */
static void
report_failure(struct query_share *e, const struct upstream_result *res)
{
	struct resolver *r = e->r;

	r->stats.upstream_failed++;
	/* a timeout reaches servsel through upstream.c's RTT report */
	if (res->status != UPSTREAM_TIMEOUT)
		servsel_report_error(r->servsel,
		                     (const struct sockaddr *)&e->cur.ss,
		                     e->cur.len, query_now_ms());
}

/* The result for the next waiter: the reply itself for the last one, a
 * copy for the others. */
static void
result_for(struct query_share *e, struct upstream_result *res,
           struct upstream_result *mine)
{
	*mine = *res;
	mine->reply = NULL;
	if (res->status != UPSTREAM_OK)
		return;
	if (e->waiters == NULL) {
		mine->reply = res->reply;
		res->reply = NULL; /* ownership moved to the waiter */
	} else if ((mine->reply = ldns_pkt_clone(res->reply)) == NULL) {
		mine->status = UPSTREAM_NOMEM;
	}
}

/*
 * Hands the result to every waiter. e leaves the table first, so a
 * waiter that asks again starts a new exchange. A waiter's handling may
 * finish other waiters (they leave e->waiters) or send new questions;
 * each waiter is taken off the list before it is handled.
 */
static void
share_done_cb(void *arg, struct upstream_result *res)
{
	struct query_share *e = arg;
	struct upstream_result mine;
	struct query *q;
	bool is_handed = false; /* some waiter classifies the reply */

	e->ureq = NULL;
	table_remove(e->r, e);
	if (res->status != UPSTREAM_OK)
		report_failure(e, res);
	while ((q = e->waiters) != NULL) {
		e->waiters = q->next_share;
		q->next_share = NULL;
		q->share = NULL;
		result_for(e, res, &mine);
		/* The first waiter that gets the reply reports about the
		 * server and caches the records; one whose copy failed
		 * does not take that turn from the others. */
		q->is_reply_copy = is_handed;
		if (mine.status == UPSTREAM_OK)
			is_handed = true;
		query_on_upstream(q, &mine);
	}
	ldns_pkt_free(res->reply); /* every waiter left before its turn */
	res->reply = NULL;
	share_free(e);
}

int
query_share_send(struct query *q, const struct servsel_choice *ch,
                 unsigned flags, uint32_t timeout_ms)
{
	struct resolver *r = q->r;
	struct query_share *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return -ENOMEM;
	e->r = r;
	e->zone = ldns_rdf_clone(q->dp->zone);
	e->name = ldns_rdf_clone(q->sent_name);
	if (e->zone == NULL || e->name == NULL)
		goto fail;
	key_of(q, &e->key);
	e->key.zone = e->zone;
	e->key.name = e->name;
	e->cur = *ch;
	e->is_sent_edns = q->is_sent_edns;
	e->ureq =
	    upstream_query(r->up, &ch->ss, q->sent_name, q->sent_type,
	                   q->qclass, flags, timeout_ms, share_done_cb, e);
	if (e->ureq == NULL)
		goto fail;
	table_add(r, e);
	query_share_join(e, q);
	return 0;
fail:
	share_free(e);
	return -ENOMEM;
}
