/*
 * iter.c -- walking the cache in key order (cairn-dump, the control
 * channel) and flushing names.
 *
 * Reads in short transactions of ITER_BATCH entries and resumes after
 * the last key seen, so a slow consumer never pins old pages of a file
 * the daemon keeps writing (lmdb.h caveats on long-lived readers).
 */
#include "config.h"
#include "cache/cache.h"

#include <errno.h>
#include <string.h>

#include "cache/cache_int.h"
#include "cache/entry.h"
#include "cache/key.h"
#include "dns/dname.h"

#define ITER_BATCH 1000

struct iter_state {
	uint8_t nk[DNAME_MAX_KEY]; /* the name filter's key */
	size_t nk_len;
	bool has_name;
	uint8_t last[KEY_MAX]; /* resume point */
	size_t last_len;
	bool started;
};

/* Is key inside the name filter? -1: past its range (stop). */
static int
in_range(const struct iter_state *is, const struct cache_iter_opts *io,
         const uint8_t *key, size_t nk_len)
{
	if (!is->has_name)
		return 1;
	if (!dname_key_is_below(key, nk_len, is->nk, is->nk_len))
		return -1;
	if (!io->subtree && nk_len != is->nk_len)
		return -1; /* the name's own records come first */
	return 1;
}

/* Builds the view of one entry and calls fn. */
static int
visit(struct cache *c, const struct cache_iter_opts *io, const MDB_val *k,
      const MDB_val *v, time_t now, cache_iter_fn *fn, void *arg)
{
	uint8_t wire[DNAME_MAX_WIRE];
	struct cache_entry_view ev = {0};
	ldns_rr_list *rrs = NULL, *sigs = NULL;
	ldns_rr *soa = NULL;
	ldns_rdf *owner;
	struct entry e;
	enum entry_state st;
	size_t nk_len;
	int wl, rc = 0;

	if (key_split(k->mv_data, k->mv_size, &nk_len, &ev.type, &ev.class) ||
	    entry_decode(v->mv_data, v->mv_size, &e) != 0)
		return 0; /* damaged entry: skipped */
	if (io->type != 0 && ev.type != io->type)
		return 0;
	st = entry_state_at(&e, now, c->opts.stale_window_s);
	if (st != ENTRY_FRESH && !io->include_stale)
		return 0;
	if ((wl = dname_from_key(k->mv_data, nk_len, wire, sizeof(wire))) < 0)
		return 0;
	if ((owner = ldns_dname_new_frm_data((uint16_t)wl, wire)) == NULL)
		return -ENOMEM;
	ev.owner = owner;
	ev.rank = (enum cache_rank)e.rank;
	ev.expire_at = e.expire_at;
	ev.orig_ttl_s = e.ttl;
	ev.is_stale = st != ENTRY_FRESH;
	ev.ttl_s = st == ENTRY_FRESH ? (uint32_t)(e.expire_at - now) : 0;
	if (e.kind == ENTRY_RRSET) {
		rc = cache_entry_lists(&e, owner, ev.type, ev.class, ev.ttl_s,
		                       true, &rrs, &sigs);
	} else {
		ev.neg = e.kind == ENTRY_NXDOMAIN ? CACHE_NEG_NXDOMAIN
		                                  : CACHE_NEG_NODATA;
		soa = cache_rr_from_parts(e.soa_owner, e.soa_owner_len,
		                          LDNS_RR_TYPE_SOA, ev.class, ev.ttl_s,
		                          e.soa_rdata, e.soa_rdlen);
		rc = soa == NULL ? -ENOMEM : 0;
	}
	ev.rrs = rrs;
	ev.rrsigs = sigs;
	ev.soa = soa;
	if (rc == 0)
		rc = fn(&ev, arg);
	ldns_rr_list_deep_free(rrs);
	ldns_rr_list_deep_free(sigs);
	ldns_rr_free(soa);
	ldns_rdf_deep_free(owner);
	return rc;
}

/* Positions the cursor for the next batch; MDB_NOTFOUND at the end. */
static int
seek(struct iter_state *is, MDB_cursor *cur, MDB_val *k, MDB_val *v)
{
	int rc;

	if (!is->started) {
		if (!is->has_name)
			return mdb_cursor_get(cur, k, v, MDB_FIRST);
		k->mv_size = is->nk_len;
		k->mv_data = is->nk;
		return mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	}
	k->mv_size = is->last_len;
	k->mv_data = is->last;
	rc = mdb_cursor_get(cur, k, v, MDB_SET_RANGE);
	if (rc == 0 && k->mv_size == is->last_len &&
	    memcmp(k->mv_data, is->last, is->last_len) == 0)
		rc = mdb_cursor_get(cur, k, v, MDB_NEXT);
	return rc;
}

/* One short transaction; returns 1 to go on, 0 at the end, or fn's /
 * an error value. */
static int
iter_batch(struct cache *c, struct iter_state *is,
           const struct cache_iter_opts *io, time_t now, cache_iter_fn *fn,
           void *arg)
{
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int rc, n = 0, go = 1;

	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, c->db_main, &cur)) != 0) {
		cache_txn_end(c, txn);
		return cache_lmdb_err(rc);
	}
	for (rc = seek(is, cur, &k, &v); rc == 0 && go == 1 && n < ITER_BATCH;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT), n++) {
		size_t nk_len;
		uint16_t t, cl;

		if (k.mv_size > KEY_MAX)
			continue;
		memcpy(is->last, k.mv_data, k.mv_size);
		is->last_len = k.mv_size;
		is->started = true;
		if (key_split(k.mv_data, k.mv_size, &nk_len, &t, &cl) != 0)
			continue;
		if (in_range(is, io, k.mv_data, nk_len) < 0) {
			go = 0;
			break;
		}
		if ((rc = visit(c, io, &k, &v, now, fn, arg)) != 0) {
			go = rc;
			break;
		}
	}
	if (rc == MDB_NOTFOUND)
		go = 0;
	mdb_cursor_close(cur);
	cache_txn_end(c, txn);
	return go;
}

int
cache_iter(struct cache *c, const struct cache_iter_opts *io, time_t now,
           cache_iter_fn *fn, void *arg)
{
	struct iter_state is = {.has_name = io->name != NULL};
	int rc;

	if (is.has_name) {
		if (ldns_rdf_get_type(io->name) != LDNS_RDF_TYPE_DNAME)
			return -EINVAL;
		rc =
		    dname_to_key(ldns_rdf_data(io->name),
		                 ldns_rdf_size(io->name), is.nk, sizeof(is.nk));
		if (rc < 0)
			return rc;
		is.nk_len = (size_t)rc;
	}
	while ((rc = iter_batch(c, &is, io, now, fn, arg)) == 1)
		;
	return rc;
}

int
cache_flush_name(struct cache *c, const ldns_rdf *name, bool subtree)
{
	uint8_t nk[DNAME_MAX_KEY], kb[KEY_MAX];
	MDB_cursor *cur;
	MDB_txn *txn;
	MDB_val k, v;
	int nk_len, rc, removed = 0;

	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	nk_len = dname_to_key(ldns_rdf_data(name), ldns_rdf_size(name), nk,
	                      sizeof(nk));
	if (nk_len < 0)
		return nk_len;
	if ((rc = cache_txn_write(c, &txn)) != 0)
		return rc;
	if ((rc = mdb_cursor_open(txn, c->db_main, &cur)) != 0)
		return cache_lmdb_err(rc);
	k.mv_size = (size_t)nk_len;
	k.mv_data = nk;
	for (rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE); rc == 0;
	     rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE)) {
		size_t len;
		uint16_t t, cl;

		if (k.mv_size > KEY_MAX ||
		    key_split(k.mv_data, k.mv_size, &len, &t, &cl) != 0 ||
		    !dname_key_is_below(k.mv_data, len, nk, (size_t)nk_len) ||
		    (!subtree && len != (size_t)nk_len))
			break;
		memcpy(kb, k.mv_data, k.mv_size);
		k.mv_data = kb;
		if (cache_del_entry(c, txn, &k) != 0)
			break;
		removed++;
	}
	mdb_cursor_close(cur);
	rc = cache_commit(c);
	return rc != 0 ? rc : removed;
}
