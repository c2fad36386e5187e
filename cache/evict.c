/*
 * evict.c -- removing entries: one at a time, by expiry order when the
 * map fills or entries pass the stale window, and by name (flush).
 *
 * The expiry index (expire_at + main key) keeps the entries closest to
 * expiry at its front, so eviction and sweeping read from its start and
 * never scan the whole file.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "cache/cache_int.h"
#include "cache/entry.h"
#include "cache/key.h"

/* The zone index record of a main key if it holds an NS RRset. */
static void
del_zone_record(struct cache *c, MDB_txn *txn, const uint8_t *key, size_t klen)
{
	uint8_t zk[KEY_MAX];
	uint16_t type, class;
	size_t nk_len;
	MDB_val k;

	if (key_split(key, klen, &nk_len, &type, &class) != 0 ||
	    type != LDNS_RR_TYPE_NS)
		return;
	k.mv_size = key_zone(key, nk_len, class, zk);
	k.mv_data = zk;
	mdb_del(txn, c->db_zone, &k, NULL);
}

int
cache_del_entry(struct cache *c, MDB_txn *txn, const MDB_val *key)
{
	uint8_t kbuf[KEY_MAX], ek[KEY_EXP_MAX];
	MDB_val k, d, e;
	struct entry ent;
	int rc;

	if (key->mv_size > KEY_MAX)
		return -EINVAL;
	/* copy: key may point into a page the deletes below rewrite */
	memcpy(kbuf, key->mv_data, key->mv_size);
	k.mv_size = key->mv_size;
	k.mv_data = kbuf;
	if ((rc = mdb_get(txn, c->db_main, &k, &d)) != 0)
		return cache_lmdb_err(rc);
	if (entry_decode(d.mv_data, d.mv_size, &ent) == 0) {
		e.mv_size = key_expiry(ent.expire_at, kbuf, k.mv_size, ek);
		e.mv_data = ek;
		mdb_del(txn, c->db_exp, &e, NULL);
	}
	del_zone_record(c, txn, kbuf, k.mv_size);
	return cache_lmdb_err(mdb_del(txn, c->db_main, &k, NULL));
}

/* Deletes the main entry an expiry record points to, if the entry still
 * has that expiry (a replaced entry has a newer index record). */
static void
evict_main(struct cache *c, MDB_txn *txn, const uint8_t *ek, size_t eklen)
{
	struct entry ent;
	MDB_val k = {eklen - 8, (void *)(ek + 8)}, d;

	if (mdb_get(txn, c->db_main, &k, &d) != 0)
		return;
	if (entry_decode(d.mv_data, d.mv_size, &ent) == 0 &&
	    (uint64_t)ent.expire_at != entry_get_u64(ek))
		return;
	del_zone_record(c, txn, ek + 8, eklen - 8);
	mdb_del(txn, c->db_main, &k, NULL);
}

int
cache_evict(struct cache *c, MDB_txn *txn, int64_t now, unsigned max,
            bool force, unsigned *removed)
{
	uint8_t ek[KEY_EXP_MAX];
	MDB_cursor *cur;
	MDB_val k, d;
	size_t eklen;
	uint64_t exp;
	int rc;

	*removed = 0;
	if ((rc = mdb_cursor_open(txn, c->db_exp, &cur)) != 0)
		return cache_lmdb_err(rc);
	while (*removed < max) {
		if ((rc = mdb_cursor_get(cur, &k, &d, MDB_FIRST)) != 0)
			break;
		if (k.mv_size < 8 + 5 || k.mv_size > KEY_EXP_MAX) {
			mdb_cursor_del(cur, 0); /* not ours: drop it */
			continue;
		}
		/* index keys come from disk: an absurd time is garbage */
		exp = entry_get_u64(k.mv_data);
		if (!force && exp <= (uint64_t)ENTRY_MAX_TIME &&
		    (int64_t)exp > now - (int64_t)c->opts.stale_window_s)
			break;
		eklen = k.mv_size;
		memcpy(ek, k.mv_data, eklen);
		if ((rc = mdb_cursor_del(cur, 0)) != 0)
			break;
		evict_main(c, txn, ek, eklen);
		(*removed)++;
	}
	mdb_cursor_close(cur);
	return rc == 0 || rc == MDB_NOTFOUND ? 0 : cache_lmdb_err(rc);
}
