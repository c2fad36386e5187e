/*
 * query_inflight.c -- the table of questions in flight, by which identical
 * questions share one query (aggregation; see query_int.h).
 */
#include "config.h"
#include "resolver/query_int.h"

#include <ldns/ldns.h>

static unsigned
key_hash(const ldns_rdf *name, uint16_t type, uint16_t class, bool is_do)
{
	const uint8_t *p = ldns_rdf_data(name);
	size_t i, n = ldns_rdf_size(name);
	uint32_t h = 2166136261u; /* FNV-1a */

	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	h = (h ^ type) * 16777619u;
	h = (h ^ class) * 16777619u;
	h = (h ^ (is_do ? 1u : 0u)) * 16777619u;
	return h % INFLIGHT_BUCKETS;
}

static bool
key_equal(const struct query *q, const ldns_rdf *name, uint16_t type,
          uint16_t class, bool is_do)
{
	return q->qtype == type && q->qclass == class && q->is_do == is_do &&
	       ldns_dname_compare(q->qname, name) == 0;
}

struct query *
query_inflight_find(struct resolver *r, const ldns_rdf *name, uint16_t type,
                    uint16_t class, bool is_do)
{
	struct query *q = r->buckets[key_hash(name, type, class, is_do)];

	for (; q != NULL; q = q->next_in)
		if (key_equal(q, name, type, class, is_do))
			return q;
	return NULL;
}

void
query_inflight_add(struct resolver *r, struct query *q)
{
	q->bucket = key_hash(q->qname, q->qtype, q->qclass, q->is_do);
	q->prev_in = NULL;
	q->next_in = r->buckets[q->bucket];
	if (q->next_in != NULL)
		q->next_in->prev_in = q;
	r->buckets[q->bucket] = q;
	r->n_inflight++;
}

void
query_inflight_remove(struct resolver *r, struct query *q)
{
	if (q->prev_in != NULL)
		q->prev_in->next_in = q->next_in;
	else if (r->buckets[q->bucket] == q)
		r->buckets[q->bucket] = q->next_in;
	else
		return; /* not in the table */
	if (q->next_in != NULL)
		q->next_in->prev_in = q->prev_in;
	q->next_in = q->prev_in = NULL;
	r->n_inflight--;
}
