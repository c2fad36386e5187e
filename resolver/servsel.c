/*
 * servsel.c -- per-address RTT table and server choice. See servsel.h.
 *
 * The table is a chained hash map on (family, port, address) with a
 * doubly linked list in use order; reports move an entry to the front
 * and, when the table is full, the entry at the back is reused.
 */
#include "config.h"
#include "resolver/servsel.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/deleg.h"
#include "util/util.h"

/* Added to the score of a backed-off server: after every other one. */
#define BACKOFF_PENALTY_MS ((uint64_t)1 << 32)
/* Consecutive timeouts beyond this no longer double anything. */
#define MAX_DOUBLINGS 16
/* First backoff after a timeout; doubles per consecutive timeout. */
#define BACKOFF_BASE_MS 1000u

struct addr_key {
	uint8_t family;
	uint16_t port; /* network order, as in the sockaddr */
	uint8_t addr[16];
};

struct entry {
	struct entry *hnext; /* hash chain */
	struct entry *prev;  /* use order: prev is more recent */
	struct entry *next;
	struct addr_key key;
	struct sockaddr_storage ss;
	socklen_t len;
	bool has_rtt;
	uint32_t srtt_ms;
	uint32_t rttvar_ms;
	uint32_t timeouts; /* consecutive, reset by a reply */
	uint64_t backoff_until_ms;
	uint64_t no_edns_until_ms;
	uint64_t prefer_tcp_until_ms;
	uint64_t n_replies;
	uint64_t n_timeouts;
	uint64_t n_errors;
};

struct servsel {
	struct servsel_opts opts;
	struct entry **buckets; /* owned */
	size_t n_buckets;       /* power of two */
	size_t n_entries;
	struct entry *head; /* most recently used */
	struct entry *tail; /* least recently used: evicted first */
};

void
servsel_opts_init(struct servsel_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->min_timeout_ms = 50;
	o->max_timeout_ms = 3000;
	o->unknown_rtt_ms = 250;
	o->backoff_max_ms = 120000;
	o->probe_permille = 20;
	o->no_edns_ms = 15 * 60 * 1000;
	o->prefer_tcp_ms = 5 * 60 * 1000;
	o->max_entries = 10000;
}

struct servsel *
servsel_new(const struct servsel_opts *o)
{
	struct servsel *t = calloc(1, sizeof(*t));
	size_t n = 16;

	if (t == NULL)
		return NULL;
	t->opts = *o;
	if (t->opts.max_entries == 0)
		t->opts.max_entries = 1;
	if (t->opts.max_timeout_ms < t->opts.min_timeout_ms)
		t->opts.max_timeout_ms = t->opts.min_timeout_ms;
	while (n < t->opts.max_entries && n < ((size_t)1 << 24))
		n <<= 1;
	if ((t->buckets = calloc(n, sizeof(*t->buckets))) == NULL) {
		free(t);
		return NULL;
	}
	t->n_buckets = n;
	return t;
}

void
servsel_free(struct servsel *t)
{
	struct entry *e, *next;

	if (t == NULL)
		return;
	for (e = t->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	free(t->buckets);
	free(t);
}

/* ---- keys and the hash map ---- */

static bool
make_key(const struct sockaddr *sa, socklen_t len, struct addr_key *k)
{
	memset(k, 0, sizeof(*k));
	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const void *)sa;

		k->family = AF_INET;
		k->port = in->sin_port;
		memcpy(k->addr, &in->sin_addr, 4);
		return true;
	}
	if (sa->sa_family == AF_INET6 && len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		k->family = AF_INET6;
		k->port = in6->sin6_port;
		memcpy(k->addr, &in6->sin6_addr, 16);
		return true;
	}
	return false;
}

static size_t
key_hash(const struct addr_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u; /* FNV-1a */
	size_t i;

	for (i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static struct entry **
bucket_of(const struct servsel *t, const struct addr_key *k)
{
	return &t->buckets[key_hash(k) & (t->n_buckets - 1)];
}

static struct entry *
lookup(const struct servsel *t, const struct sockaddr *sa, socklen_t len)
{
	struct addr_key k;
	struct entry *e;

	if (!make_key(sa, len, &k))
		return NULL;
	for (e = *bucket_of(t, &k); e != NULL; e = e->hnext)
		if (memcmp(&e->key, &k, sizeof(k)) == 0)
			return e;
	return NULL;
}

static void
lru_unlink(struct servsel *t, struct entry *e)
{
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		t->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		t->tail = e->prev;
	e->prev = e->next = NULL;
}

static void
lru_push_front(struct servsel *t, struct entry *e)
{
	e->prev = NULL;
	e->next = t->head;
	if (t->head != NULL)
		t->head->prev = e;
	t->head = e;
	if (t->tail == NULL)
		t->tail = e;
}

static void
hash_unlink(struct servsel *t, struct entry *e)
{
	struct entry **pp = bucket_of(t, &e->key);

	while (*pp != NULL && *pp != e)
		pp = &(*pp)->hnext;
	if (*pp == e)
		*pp = e->hnext;
	e->hnext = NULL;
}

/* The least recently used entry, taken out of the table for reuse. */
static struct entry *
evict(struct servsel *t)
{
	struct entry *e = t->tail;

	lru_unlink(t, e);
	hash_unlink(t, e);
	t->n_entries--;
	memset(e, 0, sizeof(*e));
	return e;
}

/* The entry for sa, created if absent, moved to the front. */
static struct entry *
touch(struct servsel *t, const struct sockaddr *sa, socklen_t len)
{
	struct entry *e = lookup(t, sa, len);
	struct entry **b;
	struct addr_key k;

	if (e != NULL) {
		lru_unlink(t, e);
		lru_push_front(t, e);
		return e;
	}
	if (len > sizeof(e->ss) || !make_key(sa, len, &k))
		return NULL;
	if (t->n_entries >= t->opts.max_entries)
		e = evict(t);
	else if ((e = calloc(1, sizeof(*e))) == NULL)
		return NULL;
	e->key = k;
	memcpy(&e->ss, sa, len);
	e->len = len;
	b = bucket_of(t, &e->key);
	e->hnext = *b;
	*b = e;
	lru_push_front(t, e);
	t->n_entries++;
	return e;
}

/* Why touch() failed. */
static int
touch_error(const struct sockaddr *sa, socklen_t len)
{
	struct addr_key k;

	return make_key(sa, len, &k) ? -ENOMEM : -EINVAL;
}

size_t
servsel_count(const struct servsel *t)
{
	return t->n_entries;
}

/* ---- the tried set ---- */

void
servsel_tried_init(struct servsel_tried *tried)
{
	memset(tried, 0, sizeof(*tried));
}

bool
servsel_tried_has(const struct servsel_tried *tried, const struct sockaddr *sa,
                  socklen_t len)
{
	struct addr_key k, x;
	size_t i;

	if (!make_key(sa, len, &k))
		return false;
	for (i = 0; i < tried->n && i < SERVSEL_TRIED_MAX; i++) {
		const struct sockaddr *s = (const void *)&tried->addrs[i];

		if (make_key(s, sizeof(tried->addrs[i]), &x) &&
		    memcmp(&k, &x, sizeof(k)) == 0)
			return true;
	}
	return false;
}

void
servsel_tried_add(struct servsel_tried *tried, const struct sockaddr *sa,
                  socklen_t len)
{
	if (tried->n >= SERVSEL_TRIED_MAX || len > sizeof(tried->addrs[0]) ||
	    servsel_tried_has(tried, sa, len))
		return;
	memset(&tried->addrs[tried->n], 0, sizeof(tried->addrs[0]));
	memcpy(&tried->addrs[tried->n], sa, len);
	tried->n++;
}

/* ---- timeouts and scores ---- */

static uint32_t
clamp_timeout(const struct servsel *t, uint64_t ms)
{
	if (ms < t->opts.min_timeout_ms)
		return t->opts.min_timeout_ms;
	if (ms > t->opts.max_timeout_ms)
		return t->opts.max_timeout_ms;
	return (uint32_t)ms;
}

static uint32_t
entry_timeout(const struct servsel *t, const struct entry *e)
{
	uint64_t rto;

	if (e == NULL || !e->has_rtt)
		rto = 3 * (uint64_t)t->opts.unknown_rtt_ms;
	else /* RFC 6298 s2.3, G taken as 1 ms */
		rto = e->srtt_ms + MAX(1, 4 * (uint64_t)e->rttvar_ms);
	if (e != NULL) /* RFC 6298 s5.5: back off the timer */
		rto <<= MIN(e->timeouts, MAX_DOUBLINGS);
	return clamp_timeout(t, rto);
}

uint32_t
servsel_timeout_ms(const struct servsel *t, const struct sockaddr *sa,
                   socklen_t len)
{
	return entry_timeout(t, lookup(t, sa, len));
}

static bool
is_backed_off(const struct entry *e, uint64_t now_ms)
{
	return e != NULL && now_ms < e->backoff_until_ms;
}

/* Expected cost of asking e: its SRTT, the optimistic guess for an
 * unknown server, its (backed-off) timeout after timeouts. */
static uint64_t
score(const struct servsel *t, const struct entry *e, uint64_t now_ms)
{
	uint64_t s;

	if (e == NULL)
		return t->opts.unknown_rtt_ms;
	if (e->timeouts > 0)
		s = entry_timeout(t, e);
	else
		s = e->has_rtt ? e->srtt_ms : t->opts.unknown_rtt_ms;
	if (is_backed_off(e, now_ms))
		s += BACKOFF_PENALTY_MS;
	return s;
}

/* ---- picking ---- */

struct cand {
	const struct deleg_addr *addr;
	size_t ns_index;
	uint64_t score;
};

/* The addresses of d not in tried, with their scores, at most cap. */
static size_t
collect(const struct servsel *t, const struct deleg *d,
        const struct servsel_tried *tried, uint64_t now_ms, struct cand *out,
        size_t cap)
{
	size_t i, j, n = 0;

	for (i = 0; i < d->n_ns; i++) {
		const struct deleg_ns *ns = &d->ns[i];

		for (j = 0; j < ns->n_addrs && n < cap; j++) {
			const struct deleg_addr *a = &ns->addrs[j];
			const struct sockaddr *sa = (const void *)&a->ss;

			if (servsel_tried_has(tried, sa, a->len))
				continue;
			out[n].addr = a;
			out[n].ns_index = i;
			out[n].score = score(t, lookup(t, sa, a->len), now_ms);
			n++;
		}
	}
	return n;
}

/* The k-th (mod count) candidate with score best, or, with probe set, the
 * k-th (mod count) candidate not backed off. */
static const struct cand *
choose(const struct cand *c, size_t n, uint64_t best, bool probe, uint32_t k)
{
	size_t i, count = 0, want;

	for (i = 0; i < n; i++)
		if (probe ? c[i].score < BACKOFF_PENALTY_MS
		          : c[i].score == best)
			count++;
	if (count == 0)
		return NULL;
	want = k % count;
	for (i = 0; i < n; i++) {
		if (!(probe ? c[i].score < BACKOFF_PENALTY_MS
		            : c[i].score == best))
			continue;
		if (want-- == 0)
			return &c[i];
	}
	return NULL;
}

static void
fill_choice(const struct servsel *t, const struct cand *c, uint64_t now_ms,
            struct servsel_choice *out)
{
	const struct sockaddr *sa = (const void *)&c->addr->ss;
	const struct entry *e = lookup(t, sa, c->addr->len);

	memset(out, 0, sizeof(*out));
	memcpy(&out->ss, &c->addr->ss, sizeof(out->ss));
	out->len = c->addr->len;
	out->ns_index = c->ns_index;
	out->timeout_ms = entry_timeout(t, e);
	out->use_edns = e == NULL || now_ms >= e->no_edns_until_ms;
	out->prefer_tcp = e != NULL && now_ms < e->prefer_tcp_until_ms;
}

int
servsel_pick(const struct servsel *t, const struct deleg *d,
             const struct servsel_tried *tried, uint64_t now_ms, uint32_t rand,
             struct servsel_choice *out)
{
	struct cand c[SERVSEL_TRIED_MAX * 2];
	const struct cand *best, *pick;
	uint64_t best_score = UINT64_MAX;
	size_t i, n;
	bool probe;

	n = collect(t, d, tried, now_ms, c, ARRAY_SIZE(c));
	if (n == 0)
		return -ENOENT;
	for (i = 0; i < n; i++)
		best_score = MIN(best_score, c[i].score);
	best = choose(c, n, best_score, false, rand >> 16);
	probe = n > 1 && rand % 1000 < t->opts.probe_permille;
	pick = probe ? choose(c, n, 0, true, (rand / 1000) & 0xffff) : NULL;
	if (pick == NULL)
		pick = best;
	fill_choice(t, pick, now_ms, out);
	out->is_probe = pick->score != best_score;
	return 0;
}

/* ---- reports ---- */

int
servsel_report_rtt(struct servsel *t, const struct sockaddr *sa, socklen_t len,
                   uint32_t rtt_ms, uint64_t now_ms)
{
	struct entry *e = touch(t, sa, len);
	uint32_t delta;

	(void)now_ms;
	if (e == NULL)
		return touch_error(sa, len);
	rtt_ms = MIN(rtt_ms, t->opts.max_timeout_ms * 2u);
	if (!e->has_rtt) { /* RFC 6298 s2.2 */
		e->srtt_ms = rtt_ms;
		e->rttvar_ms = rtt_ms / 2;
		e->has_rtt = true;
	} else { /* RFC 6298 s2.3, alpha 1/8, beta 1/4 */
		delta = e->srtt_ms > rtt_ms ? e->srtt_ms - rtt_ms
		                            : rtt_ms - e->srtt_ms;
		e->rttvar_ms = (3 * e->rttvar_ms + delta) / 4;
		e->srtt_ms = (7 * e->srtt_ms + rtt_ms) / 8;
	}
	e->timeouts = 0;
	e->backoff_until_ms = 0;
	e->n_replies++;
	return 0;
}

int
servsel_report_timeout(struct servsel *t, const struct sockaddr *sa,
                       socklen_t len, uint64_t now_ms)
{
	struct entry *e = touch(t, sa, len);
	uint64_t backoff;

	if (e == NULL)
		return touch_error(sa, len);
	if (e->timeouts < UINT32_MAX)
		e->timeouts++;
	e->n_timeouts++;
	backoff = (uint64_t)BACKOFF_BASE_MS
	          << MIN(e->timeouts - 1, MAX_DOUBLINGS);
	e->backoff_until_ms = now_ms + MIN(backoff, t->opts.backoff_max_ms);
	return 0;
}

int
servsel_report_error(struct servsel *t, const struct sockaddr *sa,
                     socklen_t len, uint64_t now_ms)
{
	struct entry *e = touch(t, sa, len);

	(void)now_ms;
	if (e == NULL)
		return touch_error(sa, len);
	e->n_errors++;
	return 0;
}

int
servsel_report_edns_fail(struct servsel *t, const struct sockaddr *sa,
                         socklen_t len, uint64_t now_ms)
{
	struct entry *e = touch(t, sa, len);

	if (e == NULL)
		return touch_error(sa, len);
	/* RFC 6891 s6.2.2: remember, but re-probe later: servers get fixed */
	e->no_edns_until_ms = now_ms + t->opts.no_edns_ms;
	return 0;
}

int
servsel_report_truncated(struct servsel *t, const struct sockaddr *sa,
                         socklen_t len, uint64_t now_ms)
{
	struct entry *e = touch(t, sa, len);

	if (e == NULL)
		return touch_error(sa, len);
	e->prefer_tcp_until_ms = now_ms + t->opts.prefer_tcp_ms;
	return 0;
}

void
servsel_foreach(const struct servsel *t, uint64_t now_ms, servsel_visit_fn *fn,
                void *arg)
{
	const struct entry *e;
	struct servsel_info info;

	for (e = t->head; e != NULL; e = e->next) {
		memset(&info, 0, sizeof(info));
		info.sa = (const struct sockaddr *)&e->ss;
		info.len = e->len;
		info.srtt_ms = e->has_rtt ? e->srtt_ms : 0;
		info.rttvar_ms = e->has_rtt ? e->rttvar_ms : 0;
		info.timeout_ms = entry_timeout(t, e);
		info.timeouts = e->timeouts;
		info.backoff_until_ms =
		    is_backed_off(e, now_ms) ? e->backoff_until_ms : 0;
		info.is_no_edns = now_ms < e->no_edns_until_ms;
		info.is_prefer_tcp = now_ms < e->prefer_tcp_until_ms;
		info.n_replies = e->n_replies;
		info.n_timeouts = e->n_timeouts;
		info.n_errors = e->n_errors;
		fn(&info, arg);
	}
}
