/*
 * query.c -- the per-question resolution state machine (see query.h).
 */
#include "config.h"
#include "resolver/query.h"
#include "resolver/query_int.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <ev.h>

#include "cache/cache.h"
#include "hints/hints.h"
#include "resolver/servsel.h"
#include "resolver/upstream.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

/* Walks over the in-flight table at teardown; one suffices once no new
 * query can start, the others are a bound, not a need. */
#define FREE_PASSES 4u

static void query_run(struct query *q);
static void query_finish(struct query *q);

static const char *
query_state_str(enum query_state s)
{
	switch (s) {
	case QS_CACHE: return "CACHE";
	case QS_DELEG: return "DELEG";
	case QS_PICK: return "PICK";
	case QS_SENT: return "SENT";
	case QS_RESPONSE: return "RESPONSE";
	case QS_WAIT_SUB: return "WAIT_SUB";
	case QS_DONE: return "DONE";
	}
	return "?";
}

void
log_q(const struct query *q, int level, const char *fmt, ...)
{
	char name[LDNS_MAX_DOMAINLEN + 1];
	char msg[512];
	char *s;
	va_list ap;

	if (!log_enabled(level))
		return;
	s = ldns_rdf2str(q->sname ? q->sname : q->qname);
	snprintf(name, sizeof(name), "%s", s ? s : "?");
	free(s);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_verb(level, "q %p %s/%u d%d: %s", (const void *)q, name,
	         (unsigned)q->qtype, q->depth, msg);
}

void
resolver_opts_init(struct resolver_opts *o)
{
	memset(o, 0, sizeof(*o));
	iter_opts_init(&o->iter);
	deleg_opts_init(&o->deleg);
	iter_budget_limits_init(&o->budget);
	o->resolve_timeout_ms = 5000;
	o->upstream_timeout_ms = 1500;
	o->upstream_timeout_min_ms = 50;
	o->use_edns = true;
	o->is_serve_stale = true;
	o->client_timeout_ms = 1800;
}

/* --- small helpers -------------------------------------------------------- */

uint64_t
query_now_ms(void)
{
	return clock_mono_ms();
}

time_t
query_now_s(void)
{
	return clock_now(NULL);
}

/* Appends deep copies of src's records to *dst (created if NULL). */
int
query_append_clones(ldns_rr_list **dst, const ldns_rr_list *src)
{
	size_t i;

	if (src == NULL || ldns_rr_list_rr_count(src) == 0)
		return 0;
	if (*dst == NULL && (*dst = ldns_rr_list_new()) == NULL)
		return -ENOMEM;
	for (i = 0; i < ldns_rr_list_rr_count(src); i++) {
		ldns_rr *rr = ldns_rr_clone(ldns_rr_list_rr(src, i));

		if (rr == NULL || !ldns_rr_list_push_rr(*dst, rr)) {
			ldns_rr_free(rr);
			return -ENOMEM;
		}
	}
	return 0;
}

void
query_set_name(ldns_rdf **dst, const ldns_rdf *src)
{
	ldns_rdf_deep_free(*dst);
	*dst = src ? ldns_rdf_clone(src) : NULL;
}

enum step
query_fail(struct query *q, int ede_code, const char *ede_text)
{
	q->rcode = LDNS_RCODE_SERVFAIL;
	q->ede_code = ede_code;
	q->ede_text = ede_text;
	q->state = QS_DONE;
	q->r->stats.servfail++;
	log_q(q, VERB_QUERY, "SERVFAIL: %s", ede_text ? ede_text : "");
	return STEP_NEXT;
}

enum step
query_fail_budget(struct query *q)
{
	q->r->stats.budget_exhausted++;
	return query_fail(q, iter_budget_ede(&q->budget),
	                  iter_budget_ede_text(&q->budget));
}

/* --- sub-queries ---------------------------------------------------------- */

static bool
is_ancestor_question(const struct query *q, const ldns_rdf *name, uint16_t type)
{
	for (; q != NULL; q = q->parent)
		if (q->qtype == type && ldns_dname_compare(q->qname, name) == 0)
			return true;
	return false;
}

static struct query *query_new(struct resolver *r, const ldns_rdf *qname,
                               uint16_t qtype, uint16_t qclass, bool is_do);
static void query_attach(struct query *q, struct query_waiter *w);
static void query_kick(struct query *q);
static void sub_done_cb(void *arg, const struct query_result *res);

/*
 * Starts (or joins) the sub-query (name, type) for q; ns_name NULL means
 * priming. Returns 0, or -1 if it cannot be started (loop, depth budget,
 * memory).
 */
static int
sub_start(struct query *q, const ldns_rdf *name, uint16_t type,
          const ldns_rdf *ns_name)
{
	struct resolver *r = q->r;
	struct sub_link *link;
	struct query *sub;

	if (is_ancestor_question(q, name, type))
		return -1; /* would wait on itself */
	if ((link = calloc(1, sizeof(*link))) == NULL)
		return -1;
	link->parent = q;
	link->ns_name = ns_name ? ldns_rdf_clone(ns_name) : NULL;
	link->w.cb = sub_done_cb;
	link->w.arg = link;
	sub = query_inflight_find(r, name, type, q->qclass, false);
	if (sub == NULL) {
		if ((sub = query_new(r, name, type, q->qclass, false)) == NULL)
			goto fail;
		if (!iter_budget_child(&q->budget, &sub->budget)) {
			query_finish(sub); /* nobody attached: just frees */
			goto fail;
		}
		sub->parent = q;
		sub->depth = q->depth + 1;
		sub->is_prime = ns_name == NULL;
		query_kick(sub);
		r->stats.subqueries++;
	}
	query_attach(sub, &link->w);
	link->next = q->subs;
	q->subs = link;
	q->n_subs++;
	return 0;
fail:
	ldns_rdf_deep_free(link->ns_name);
	free(link);
	return -1;
}

static void
sub_unlink(struct query *q, struct sub_link *link)
{
	struct sub_link **pp;

	for (pp = &q->subs; *pp != NULL; pp = &(*pp)->next)
		if (*pp == link) {
			*pp = link->next;
			q->n_subs--;
			break;
		}
	ldns_rdf_deep_free(link->ns_name);
	free(link);
}

/* The address records of a finished NS lookup's answer. */
static ldns_rr_list *
answer_addresses(const ldns_rr_list *answer)
{
	ldns_rr_list *out = ldns_rr_list_new();
	size_t i;

	if (out == NULL || answer == NULL)
		return out;
	for (i = 0; i < ldns_rr_list_rr_count(answer); i++) {
		ldns_rr *rr = ldns_rr_list_rr(answer, i);
		ldns_rr_type t = ldns_rr_get_type(rr);

		if (t == LDNS_RR_TYPE_A || t == LDNS_RR_TYPE_AAAA)
			ldns_rr_list_push_rr(out, rr); /* borrowed */
	}
	return out;
}

static void
sub_done_cb(void *arg, const struct query_result *res)
{
	struct sub_link *link = arg;
	struct query *q = link->parent;

	if (link->ns_name != NULL && q->dp != NULL) {
		ldns_rr_list *addrs = answer_addresses(res->answer);

		if (res->rcode == LDNS_RCODE_NOERROR && addrs != NULL &&
		    ldns_rr_list_rr_count(addrs) > 0)
			deleg_ns_resolved(q->dp, link->ns_name, addrs,
			                  &q->r->opts.deleg);
		else
			deleg_ns_failed(q->dp, link->ns_name);
		ldns_rr_list_free(addrs); /* shallow: records are borrowed */
	}
	sub_unlink(q, link);
	if (q->state != QS_WAIT_SUB)
		return;
	/* Priming done (or failed): look for the delegation again; an NS
	 * address arrived: pick again. */
	q->state = q->dp == NULL ? QS_DELEG : QS_PICK;
	query_run(q);
}

/* A new delegation: every address may be tried again. */
static void
tried_reset(struct query *q)
{
	servsel_tried_init(&q->tried);
	q->rounds = 1;
	q->has_timeout = false;
}

/* Every address was tried: start another round if a try timed out. */
static bool
next_round(struct query *q)
{
	if (!q->has_timeout || q->rounds >= QUERY_MAX_ROUNDS ||
	    deleg_addr_count(q->dp) == 0)
		return false;
	servsel_tried_init(&q->tried);
	q->rounds++;
	q->has_timeout = false;
	log_q(q, VERB_ALGO, "round %u over the servers", q->rounds);
	return true;
}

/* RFC 8109: learn the root NS set from a hints server first. STEP_WAIT
 * if priming started, else STEP_NEXT (go on with the hints). */
static enum step
start_priming(struct query *q)
{
	ldns_rdf *root;
	int rc;

	q->is_prime_waited = true;
	if ((root = ldns_dname_new_frm_str(".")) == NULL)
		return STEP_NEXT;
	rc = sub_start(q, root, LDNS_RR_TYPE_NS, NULL);
	ldns_rdf_deep_free(root);
	if (rc != 0)
		return STEP_NEXT;
	q->r->stats.primes++;
	q->state = QS_WAIT_SUB;
	return STEP_WAIT;
}

/* The servers to ask: a forward zone wins over anything the cache knows
 * (the operator's choice), then the cache, then the hints. */
static enum step
step_deleg(struct query *q)
{
	deleg_free(q->dp);
	q->dp = NULL;
	q->is_forward = false;
	if (!q->is_prime && (q->dp = query_forward_deleg(q)) != NULL)
		q->is_forward = true;
	if (q->dp == NULL && !q->is_prime)
		q->dp = query_cache_deleg(q);
	if (q->dp == NULL && !q->is_prime && !q->is_prime_waited &&
	    start_priming(q) == STEP_WAIT)
		return STEP_WAIT;
	if (q->dp == NULL)
		q->dp = query_hints_deleg(q);
	if (q->dp == NULL)
		return query_fail(q, EDE_NO_REACHABLE_AUTHORITY,
		                  "no root hints");
	if (!q->is_forward)
		query_cache_fill_deleg(q);
	tried_reset(q);
	query_set_name(&q->qmin_prev, NULL);
	q->state = QS_PICK;
	return STEP_NEXT;
}

/* The name and type to send to q->dp: minimised or in full. */
static int
choose_question(struct query *q)
{
	ldns_rdf *name = NULL;
	ldns_rr_type type = q->qtype;
	bool is_min = false;
	struct iter_opts io = q->r->opts.iter;

	if (q->is_qmin_off || q->is_forward) /* a forwarder needs it all */
		io.is_qname_minimise = false;
	if (iter_qmin_next(q->sname, q->qtype, q->dp->zone, q->qmin_prev, &io,
	                   &name, &type, &is_min) < 0)
		return -ENOMEM;
	ldns_rdf_deep_free(q->sent_name);
	q->sent_name = name;
	q->sent_type = type;
	q->is_sent_minimised = is_min;
	return 0;
}

static void
log_sent(const struct query *q, const char *verb)
{
	char addr[64], *n;

	if (!log_enabled(VERB_QUERY))
		return;
	n = ldns_rdf2str(q->sent_name);
	upstream_addr_str(&q->cur.ss, addr, sizeof(addr));
	log_q(q, VERB_QUERY, "%s %s %s/%u%s%s", verb, addr, n ? n : "?",
	      (unsigned)q->sent_type, q->is_sent_edns ? "" : " no-edns",
	      q->is_sent_minimised ? " (minimised)" : "");
	free(n);
}

/* Asks ch the question choose_question() picked, or waits for the same
 * question already in flight (query_share.c): no budget spent then. */
static enum step
send_to(struct query *q, const struct servsel_choice *ch)
{
	struct resolver *r = q->r;
	struct query_share *e;
	unsigned flags = 0;
	uint32_t timeout_ms;

	if (choose_question(q) < 0)
		return query_fail(q, EDE_OTHER, "out of memory");
	q->state = QS_SENT;
	/* part of the shared question's key: a resend without EDNS after
	 * FORMERR must not wait for an EDNS exchange */
	q->is_sent_edns = r->opts.use_edns && ch->use_edns;
	if ((e = query_share_find(r, q, ch)) != NULL) {
		query_share_join(e, q);
		r->stats.upstream_shared++;
		log_sent(q, "wait for");
		return STEP_WAIT;
	}
	if (!iter_budget_spend(&q->budget, BUDGET_UPSTREAM))
		return query_fail_budget(q);
	if (q->is_sent_edns)
		flags |= UPSTREAM_F_EDNS | (q->is_do ? UPSTREAM_F_DO : 0);
	if (ch->prefer_tcp)
		flags |= UPSTREAM_F_TCP;
	if (q->is_forward) /* a recursive server: RD=1 */
		flags |= UPSTREAM_F_RD;
	timeout_ms = MIN(MAX(ch->timeout_ms, r->opts.upstream_timeout_min_ms),
	                 r->opts.upstream_timeout_ms);
	if (query_share_send(q, ch, flags, timeout_ms) < 0)
		return query_fail(q, EDE_OTHER, "out of memory");
	r->stats.upstream_sent++;
	if (q->is_forward)
		r->stats.forwarded++;
	log_sent(q, "ask");
	return STEP_WAIT;
}

/* Starts address lookups of glueless NS names; how many are running. */
static size_t
start_glueless(struct query *q)
{
	const struct deleg_opts *o = &q->r->opts.deleg;
	uint16_t type = o->do_ip4 ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
	const ldns_rdf *name;

	while (q->n_subs < GLUELESS_PARALLEL &&
	       (name = deleg_next_glueless(q->dp, o)) != NULL) {
		if (!iter_budget_spend(&q->budget, BUDGET_NS_NAMES) ||
		    sub_start(q, name, type, name) < 0) {
			deleg_ns_failed(q->dp, name);
			if (q->budget.is_exhausted)
				break;
		}
	}
	return q->n_subs;
}

static enum step
step_pick(struct query *q)
{
	struct servsel_choice ch;
	uint16_t rnd = upstream_rng_u16(upstream_rng(q->r->up));

	if (servsel_pick(q->r->servsel, q->dp, &q->tried, query_now_ms(), rnd,
	                 &ch) == 0)
		return send_to(q, &ch);
	if (start_glueless(q) > 0) {
		q->state = QS_WAIT_SUB;
		return STEP_WAIT;
	}
	if (!q->budget.is_exhausted && next_round(q) &&
	    servsel_pick(q->r->servsel, q->dp, &q->tried, query_now_ms(), rnd,
	                 &ch) == 0)
		return send_to(q, &ch);
	if (q->budget.is_exhausted)
		return query_fail_budget(q);
	return query_fail(q, EDE_NO_REACHABLE_AUTHORITY,
	                  "no reachable authority");
}

/* Takes the answer part of res into the query's result. */
static void
take_answer(struct query *q, const struct iter_result *res, int rcode)
{
	query_append_clones(&q->chain, res->chain);
	q->rcode = rcode;
	if (res->soa != NULL && (q->authority = ldns_rr_list_new()) != NULL) {
		ldns_rr *soa = ldns_rr_clone(res->soa);

		if (soa != NULL)
			ldns_rr_list_push_rr(q->authority, soa);
	}
	q->state = QS_DONE;
}

static enum step
on_referral(struct query *q, const struct iter_result *res)
{
	struct deleg *d;

	if (!iter_budget_spend(&q->budget, BUDGET_REFERRALS))
		return query_fail_budget(q);
	d = deleg_from_rrs(res->deleg_zone, res->deleg_ns, res->deleg_glue,
	                   &q->r->opts.deleg);
	if (d == NULL) {
		q->state = QS_PICK; /* unusable referral: try another server */
		return STEP_NEXT;
	}
	q->r->stats.referrals++;
	deleg_free(q->dp);
	q->dp = d;
	query_cache_fill_deleg(q);
	tried_reset(q);
	query_set_name(&q->qmin_prev, NULL);
	q->state = QS_PICK;
	return STEP_NEXT;
}

static enum step
on_cname(struct query *q, const struct iter_result *res)
{
	size_t i;

	query_append_clones(&q->chain, res->chain);
	for (i = 0; i < MAX(res->n_links, (size_t)1); i++)
		if (!iter_budget_spend(&q->budget, BUDGET_CNAME))
			return query_fail_budget(q);
	query_set_name(&q->sname, res->target);
	query_set_name(&q->qmin_prev, NULL);
	q->is_qmin_off = false;
	q->state = QS_CACHE;
	return STEP_NEXT;
}

static enum step
on_server_failure(struct query *q)
{
	if (!q->is_reply_copy) { /* one report per reply */
		servsel_report_error(q->r->servsel,
		                     (const struct sockaddr *)&q->cur.ss,
		                     q->cur.len, query_now_ms());
		q->r->stats.lame++;
	}
	q->state = QS_PICK;
	return STEP_NEXT;
}

static enum step
act_on(struct query *q, const struct iter_result *res)
{
	struct servsel_choice again = q->cur;

	switch (res->kind) {
	case ITER_ANSWER:
		take_answer(q, res, LDNS_RCODE_NOERROR);
		return STEP_NEXT;
	case ITER_NXDOMAIN:
		take_answer(q, res, LDNS_RCODE_NXDOMAIN);
		query_cache_negative(q, res->target ? res->target : q->sname, 0,
		                     res->soa);
		return STEP_NEXT;
	case ITER_NODATA:
		take_answer(q, res, LDNS_RCODE_NOERROR);
		query_cache_negative(q, res->target ? res->target : q->sname,
		                     q->qtype, res->soa);
		return STEP_NEXT;
	case ITER_CNAME: return on_cname(q, res);
	case ITER_REFERRAL:
		if (q->is_forward) /* a forwarder answers; never refers */
			break;
		return on_referral(q, res);
	case ITER_FORMERR_EDNS:
		servsel_report_edns_fail(q->r->servsel,
		                         (const struct sockaddr *)&q->cur.ss,
		                         q->cur.len, query_now_ms());
		again.use_edns = false;
		return send_to(q, &again);
	case ITER_MINIMISE_FALLBACK:
		q->is_qmin_off = true;
		return send_to(q, &again);
	case ITER_QMIN_NEXT:
		query_set_name(&q->qmin_prev, q->sent_name);
		return send_to(q, &again);
	case ITER_LAME:
	case ITER_SERVFAIL_RCODE:
	case ITER_BOGUS: break;
	}
	return on_server_failure(q);
}

static enum step
step_response(struct query *q)
{
	struct iter_question asked;
	struct iter_result res;
	enum step st;
	int rc;

	memset(&asked, 0, sizeof(asked));
	asked.qname = q->sent_name;
	asked.qtype = q->sent_type;
	asked.qclass = q->qclass;
	asked.zone = q->dp->zone;
	asked.is_minimised = q->is_sent_minimised;
	asked.has_edns = q->is_sent_edns;
	asked.is_recursive = q->is_forward;
	rc = iter_classify(q->reply, &asked, &q->r->opts.iter, &res);
	ldns_pkt_free(q->reply);
	q->reply = NULL;
	if (rc < 0) {
		iter_result_clear(&res);
		return query_fail(q, EDE_OTHER, "out of memory");
	}
	log_q(q, VERB_ALGO, "reply: %s (%s)", iter_kind_str(res.kind),
	      res.why ? res.why : "");
	/* Waiters of one exchange classify the same reply: the first one
	 * handed it caches its records for all (query_share.c). */
	if (!q->is_reply_copy) {
		q->r->stats.out_of_bailiwick += res.n_out_of_bailiwick;
		query_cache_result(q, &res);
	}
	st = act_on(q, &res);
	iter_result_clear(&res);
	return st;
}

static enum step
step_done(struct query *q)
{
	UNUSED(q);
	return STEP_FINISHED;
}

static void
query_run(struct query *q)
{
	enum step st;

	do {
		log_q(q, VERB_ALGO, "-> %s", query_state_str(q->state));
		switch (q->state) {
		case QS_CACHE: st = query_cache_step(q); break;
		case QS_DELEG: st = step_deleg(q); break;
		case QS_PICK: st = step_pick(q); break;
		case QS_RESPONSE: st = step_response(q); break;
		case QS_DONE: st = step_done(q); break;
		default: st = STEP_WAIT; break; /* QS_SENT, QS_WAIT_SUB */
		}
	} while (st == STEP_NEXT);
	if (st == STEP_FINISHED)
		query_finish(q); /* the one place a query ends */
}

/* --- events --------------------------------------------------------------- */

void
query_on_upstream(struct query *q, struct upstream_result *res)
{
	if (res->status != UPSTREAM_OK) {
		log_q(q, VERB_QUERY, "upstream %s",
		      upstream_status_str(res->status));
		if (res->status == UPSTREAM_TIMEOUT)
			q->has_timeout = true;
		q->state = QS_PICK;
	} else {
		q->reply = res->reply;
		res->reply = NULL; /* ownership moved to the query */
		q->state = QS_RESPONSE;
	}
	query_run(q);
}

static void
query_kick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct query *q = container_of(w, struct query, kick);

	UNUSED(loop);
	UNUSED(revents);
	query_run(q);
}

static void
query_deadline_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct query *q = container_of(w, struct query, deadline);

	UNUSED(loop);
	UNUSED(revents);
	q->r->stats.deadline_expired++;
	query_fail(q, EDE_NO_REACHABLE_AUTHORITY, "resolution timed out");
	query_finish(q);
}

/* Hands res to every waiter, detaching each before its callback. */
static void
notify_waiters(struct query *q, const struct query_result *res)
{
	struct query_waiter *w;

	while ((w = q->waiters) != NULL) {
		q->waiters = w->next;
		w->q = NULL;
		w->next = NULL;
		w->cb(w->arg, res);
	}
}

/* RFC 8767 s4: answers every waiter from stale data if the cache has
 * some; the query itself goes on. False if there is none. */
static bool
serve_stale(struct query *q)
{
	struct query_result res;
	ldns_rr_list *answer, *authority;
	struct query_waiter *w;

	if (q->waiters == NULL ||
	    !query_cache_stale(q, &res, &answer, &authority))
		return false;
	for (w = q->waiters; w != NULL; w = w->next)
		q->r->stats.stale_served++;
	log_q(q, VERB_QUERY, "answered from %s data",
	      res.is_stale ? "stale" : "fresh");
	notify_waiters(q, &res);
	ldns_rr_list_deep_free(answer);
	ldns_rr_list_deep_free(authority);
	return true;
}

static void
query_client_timer_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct query *q = container_of(w, struct query, client_timer);

	UNUSED(loop);
	UNUSED(revents);
	if (serve_stale(q))
		q->has_served_stale = true;
}

/* Arms the client response timer for a client that just attached; one
 * arriving after stale data went out gets it at once. */
static void
client_timer_arm(struct query *q)
{
	const struct resolver_opts *o = &q->r->opts;

	if (!o->is_serve_stale || q->r->cache == NULL ||
	    ev_is_active(&q->client_timer))
		return;
	ev_timer_set(&q->client_timer,
	             q->has_served_stale ? 0. : o->client_timeout_ms / 1000.0,
	             0.);
	ev_timer_start(q->r->loop, &q->client_timer);
}

static void
query_kick(struct query *q)
{
	ev_timer_start(q->r->loop, &q->kick);
	ev_timer_start(q->r->loop, &q->deadline);
}

static struct query *
query_new(struct resolver *r, const ldns_rdf *qname, uint16_t qtype,
          uint16_t qclass, bool is_do)
{
	struct query *q;

	if (r->is_closing)
		return NULL;
	if ((q = calloc(1, sizeof(*q))) == NULL)
		return NULL;
	q->r = r;
	q->qname = ldns_rdf_clone(qname);
	q->sname = ldns_rdf_clone(qname);
	if (q->qname == NULL || q->sname == NULL) {
		ldns_rdf_deep_free(q->qname);
		ldns_rdf_deep_free(q->sname);
		free(q);
		return NULL;
	}
	ldns_dname2canonical(q->qname);
	q->qtype = qtype;
	q->qclass = qclass;
	q->is_do = is_do;
	q->state = QS_CACHE;
	q->ede_code = -1;
	iter_budget_init(&q->budget, &r->opts.budget);
	ev_timer_init(&q->kick, query_kick_cb, 0., 0.);
	ev_timer_init(&q->client_timer, query_client_timer_cb, 0., 0.);
	ev_timer_init(&q->deadline, query_deadline_cb,
	              r->opts.resolve_timeout_ms / 1000.0, 0.);
	query_inflight_add(r, q);
	r->stats.queries_started++;
	return q;
}

static void
query_attach(struct query *q, struct query_waiter *w)
{
	w->q = q;
	w->next = q->waiters;
	q->waiters = w;
}

void
query_waiter_cancel(struct query_waiter *w)
{
	struct query_waiter **pp;

	if (w->q == NULL)
		return;
	for (pp = &w->q->waiters; *pp != NULL; pp = &(*pp)->next)
		if (*pp == w) {
			*pp = w->next;
			break;
		}
	w->q = NULL;
	w->next = NULL;
}

static void
query_free(struct query *q)
{
	ldns_rdf_deep_free(q->qname);
	ldns_rdf_deep_free(q->sname);
	ldns_rdf_deep_free(q->qmin_prev);
	ldns_rdf_deep_free(q->sent_name);
	ldns_rr_list_deep_free(q->chain);
	ldns_rr_list_deep_free(q->authority);
	ldns_pkt_free(q->reply);
	deleg_free(q->dp);
	free(q);
}

/* Stops everything q has running, hands the result to every waiter and
 * frees q. */
static void
query_finish(struct query *q)
{
	struct resolver *r = q->r;
	struct query_result res;

	ev_timer_stop(r->loop, &q->kick);
	ev_timer_stop(r->loop, &q->deadline);
	ev_timer_stop(r->loop, &q->client_timer);
	query_share_leave(q);
	while (q->subs != NULL) {
		query_waiter_cancel(&q->subs->w);
		sub_unlink(q, q->subs);
	}
	query_inflight_remove(r, q);
	if (q->state != QS_DONE)
		q->rcode = LDNS_RCODE_SERVFAIL;
	/* RFC 8767 s4: a failed resolution is answered with stale data */
	if (q->rcode != LDNS_RCODE_SERVFAIL || !serve_stale(q)) {
		memset(&res, 0, sizeof(res));
		res.rcode = q->rcode;
		res.answer = q->chain;
		res.authority = q->authority;
		res.ede_code = q->ede_code;
		res.ede_text = q->ede_text;
		notify_waiters(q, &res);
	}
	query_free(q);
}

/* --- the resolver --------------------------------------------------------- */

struct resolver *
resolver_new(struct ev_loop *loop, struct cache *cache, struct upstream *up,
             struct servsel *servsel, const struct hints *hints,
             const struct resolver_opts *opts)
{
	struct resolver *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return NULL;
	r->loop = loop;
	r->cache = cache;
	r->up = up;
	r->servsel = servsel;
	r->hints = hints;
	r->opts = *opts;
	return r;
}

void
resolver_free(struct resolver *r)
{
	size_t i, pass;

	if (r == NULL)
		return;
	/* A query finished here may wake its parent, which could start a
	 * sub-query in a bucket already walked: query_new() refuses new
	 * queries from now on, and the walk repeats until none is left. */
	r->is_closing = true;
	for (pass = 0; r->n_inflight > 0 && pass < FREE_PASSES; pass++)
		for (i = 0; i < INFLIGHT_BUCKETS; i++)
			while (r->buckets[i] != NULL) {
				struct query *q = r->buckets[i];

				query_fail(q, EDE_OTHER, "shutting down");
				query_finish(q);
			}
	assert(r->n_inflight == 0);
	assert(r->n_shares == 0); /* every exchange lost its waiters */
	free(r);
}

void
resolver_set_opts(struct resolver *r, const struct resolver_opts *o)
{
	r->opts = *o;
}

void
resolver_set_hints(struct resolver *r, const struct hints *hints)
{
	r->hints = hints;
}

const struct resolver_stats *
resolver_get_stats(const struct resolver *r)
{
	return &r->stats;
}

size_t
resolver_inflight(const struct resolver *r)
{
	return r->n_inflight;
}

int
resolver_resolve(struct resolver *r, const ldns_rdf *qname, uint16_t qtype,
                 uint16_t qclass, bool is_do, struct query_waiter *w)
{
	struct query *q = query_inflight_find(r, qname, qtype, qclass, is_do);

	if (q != NULL) {
		r->stats.aggregated++;
	} else {
		if ((q = query_new(r, qname, qtype, qclass, is_do)) == NULL)
			return -ENOMEM;
		query_kick(q);
	}
	query_attach(q, w);
	client_timer_arm(q);
	return 0;
}

bool
resolver_should_prefetch(const struct resolver *r, uint32_t ttl_s,
                         uint32_t orig_ttl_s)
{
	return r->opts.is_prefetch && orig_ttl_s > 0 &&
	       (uint64_t)ttl_s * 10u <= orig_ttl_s;
}

int
resolver_prefetch(struct resolver *r, const ldns_rdf *qname, uint16_t qtype,
                  uint16_t qclass, bool is_do)
{
	struct query *q;

	if (query_inflight_find(r, qname, qtype, qclass, is_do) != NULL)
		return 0;
	if ((q = query_new(r, qname, qtype, qclass, is_do)) == NULL)
		return -ENOMEM;
	q->is_refresh = true;
	r->stats.prefetches++;
	query_kick(q);
	return 0;
}
