/*
 * deleg.c -- the closest enclosing delegation of a name.
 *
 * The zone index holds one record per cached NS RRset owner. Keys sort
 * ancestors before their descendants (labels reversed), so walking that
 * index backwards from the query name meets every ancestor that owns an
 * NS RRset; a non-ancestor met on the way names the common ancestor to
 * jump to. One cursor, at most a few seeks per label of the query name,
 * whatever the record types cached at each level.
 */
#include "config.h"
#include "cache/cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache_int.h"
#include "cache/entry.h"
#include "cache/key.h"
#include "dns/dname.h"

/* Tries the NS RRset of zone nk[0..len): fills d if usable. */
static int
try_zone(struct cache *c, MDB_txn *txn, const uint8_t *nk, size_t len,
         time_t now, unsigned flags, struct cache_deleg *d)
{
	uint8_t key[KEY_MAX], wire[DNAME_MAX_WIRE];
	enum entry_state st;
	ldns_rr_list *sigs;
	struct entry e;
	size_t klen =
	    key_from_namekey(nk, len, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN, key);
	int wlen, rc;

	if (cache_lookup(c, txn, key, klen, now, flags, &e, &st) != 0 ||
	    e.kind != ENTRY_RRSET)
		return -ENOENT;
	if ((wlen = dname_from_key(nk, len, wire, sizeof(wire))) < 0)
		return -ENOENT;
	if ((d->zone = ldns_dname_new_frm_data((uint16_t)wlen, wire)) == NULL)
		return -ENOMEM;
	rc = cache_entry_lists(&e, d->zone, LDNS_RR_TYPE_NS, LDNS_RR_CLASS_IN,
	                       entry_ttl_left(&e, now, c->opts.stale_window_s),
	                       false, &d->ns, &sigs);
	d->is_stale = st != ENTRY_FRESH;
	return rc;
}

/* Appends the cached A or AAAA RRset of an NS name to addrs. */
static void
add_addrs(struct cache *c, MDB_txn *txn, const ldns_rdf *ns, uint16_t type,
          time_t now, unsigned flags, ldns_rr_list *addrs)
{
	uint8_t key[KEY_MAX];
	enum entry_state st;
	ldns_rr_list *l, *sigs;
	struct entry e;
	int klen = key_from_wire(ldns_rdf_data(ns), ldns_rdf_size(ns), type,
	                         LDNS_RR_CLASS_IN, key);

	if (klen < 0 ||
	    cache_lookup(c, txn, key, (size_t)klen, now, flags, &e, &st) != 0 ||
	    e.kind != ENTRY_RRSET)
		return;
	if (cache_entry_lists(&e, ns, type, LDNS_RR_CLASS_IN,
	                      entry_ttl_left(&e, now, c->opts.stale_window_s),
	                      false, &l, &sigs) != 0)
		return;
	ldns_rr_list_push_rr_list(addrs, l); /* moves the RRs */
	ldns_rr_list_free(l);
}

static int
fill_servers(struct cache *c, MDB_txn *txn, time_t now, unsigned flags,
             struct cache_deleg *d)
{
	size_t n = ldns_rr_list_rr_count(d->ns);

	if ((d->servers = calloc(n, sizeof(*d->servers))) == NULL)
		return -ENOMEM;
	d->ns_count = n;
	for (size_t i = 0; i < n; i++) {
		const ldns_rdf *nsd = ldns_rr_rdf(ldns_rr_list_rr(d->ns, i), 0);
		struct cache_deleg_ns *s = &d->servers[i];

		if (nsd == NULL || (s->name = ldns_rdf_clone(nsd)) == NULL ||
		    (s->addrs = ldns_rr_list_new()) == NULL)
			return -ENOMEM;
		add_addrs(c, txn, s->name, LDNS_RR_TYPE_A, now, flags,
		          s->addrs);
		add_addrs(c, txn, s->name, LDNS_RR_TYPE_AAAA, now, flags,
		          s->addrs);
	}
	return 0;
}

/* The deepest zone at or above nk[0..len) with a usable NS RRset. */
static int
walk_zones(struct cache *c, MDB_txn *txn, MDB_cursor *cur, const uint8_t *nk,
           size_t len, time_t now, unsigned flags, struct cache_deleg *d)
{
	uint8_t zk[KEY_MAX];
	MDB_val k, v;
	int rc, guard = 4 * DNAME_MAX_LABELS;

	while (guard-- > 0) {
		size_t zlen = key_zone(nk, len, LDNS_RR_CLASS_IN, zk), found;
		uint16_t class;

		k.mv_size = zlen;
		k.mv_data = zk;
		rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
		if (rc == 0 && k.mv_size == zlen &&
		    !memcmp(k.mv_data, zk, zlen))
			found = len; /* the candidate itself is a zone */
		else {
			rc = mdb_cursor_get(cur, &k, &v,
			                    rc == 0 ? MDB_PREV : MDB_LAST);
			if (rc != 0 || k.mv_size < 3)
				return -ENOENT;
			found = k.mv_size - 3;
			class = entry_get_u16((uint8_t *)k.mv_data + found);
			if (!dname_key_is_below(nk, len, k.mv_data, found) ||
			    class != LDNS_RR_CLASS_IN ||
			    ((uint8_t *)k.mv_data)[found] != 0) {
				/* not an ancestor: jump to the common one */
				size_t com =
				    dname_key_common(nk, len, k.mv_data, found);

				if (com == len) {
					if (len == 0)
						return -ENOENT;
					com = dname_key_parent(nk, len);
				}
				len = com;
				continue;
			}
		}
		rc = try_zone(c, txn, nk, found, now, flags, d);
		if (rc != -ENOENT)
			return rc;
		if (found == 0)
			return -ENOENT;
		len = dname_key_parent(nk, found);
	}
	return -ENOENT;
}

int
cache_deleg_get(struct cache *c, const ldns_rdf *qname, time_t now,
                unsigned flags, struct cache_deleg **out)
{
	uint8_t nk[DNAME_MAX_KEY];
	struct cache_deleg *d;
	MDB_cursor *cur;
	MDB_txn *txn;
	int nk_len, rc;

	*out = NULL;
	if (qname == NULL || ldns_rdf_get_type(qname) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	nk_len = dname_to_key(ldns_rdf_data(qname), ldns_rdf_size(qname), nk,
	                      sizeof(nk));
	if (nk_len < 0)
		return nk_len;
	if ((d = calloc(1, sizeof(*d))) == NULL)
		return -ENOMEM;
	if ((rc = cache_txn_read(c, &txn)) != 0)
		goto out;
	if ((rc = mdb_cursor_open(txn, c->db_zone, &cur)) != 0) {
		rc = cache_lmdb_err(rc);
		goto txn_end;
	}
	rc = walk_zones(c, txn, cur, nk, (size_t)nk_len, now, flags, d);
	mdb_cursor_close(cur);
	if (rc == 0)
		rc = fill_servers(c, txn, now, flags, d);
txn_end:
	cache_txn_end(c, txn);
out:
	if (rc != 0)
		cache_deleg_free(d);
	else
		*out = d;
	return rc;
}

void
cache_deleg_free(struct cache_deleg *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->ns_count; i++) {
		ldns_rdf_deep_free(d->servers[i].name);
		ldns_rr_list_deep_free(d->servers[i].addrs);
	}
	free(d->servers);
	ldns_rr_list_deep_free(d->ns);
	ldns_rdf_deep_free(d->zone);
	free(d);
}
