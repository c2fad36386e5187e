/*
 * cache_int.h -- what the files of cache/ share; nothing outside cache/
 * includes it (it pulls in <lmdb.h>).
 */
#ifndef CAIRN_CACHE_CACHE_INT_H
#define CAIRN_CACHE_CACHE_INT_H

#include <lmdb.h>
#include <stdbool.h>
#include <stdint.h>

#include "cache/cache.h"
#include "cache/entry.h"

/* CACHE_FORMAT: bump when keys or values change (docs/cache-format.md) */
#define CACHE_SCHEMA_VERSION 1u
#define CACHE_EVICT_BATCH 1000 /* entries per eviction transaction */
#define CACHE_SWEEP_BATCH 100  /* dead entries removed per commit */

struct cache {
	struct cache_opts opts; /* path points at path below */
	char *path;             /* owned */
	MDB_env *env;           /* owned */
	MDB_dbi db_main, db_exp, db_zone, db_meta;
	MDB_txn *wtxn; /* owned: the open write batch, or NULL */
	unsigned wtxn_puts;
	MDB_txn *rtxn;      /* owned: a reset read txn renewed per lookup */
	int lock_fd;        /* the writer lock, -1 if read-only */
	int64_t last_write; /* meta: latest now seen by a put */
	int64_t last_now;   /* now of the latest put, for sweeping */
	bool is_degraded;   /* a disk error disabled writes */
	struct cache_stats st;
};

/* The transaction to read with: the open write batch (so pending puts
 * are visible) or the renewed read txn. Pair with cache_txn_end(). */
int cache_txn_read(struct cache *c, MDB_txn **txn);
void cache_txn_end(struct cache *c, MDB_txn *txn);

/* The write batch, begun if none is open. -EROFS if read-only/degraded. */
int cache_txn_write(struct cache *c, MDB_txn **txn);

/* Maps an LMDB or errno code to a negative errno. */
int cache_lmdb_err(int rc);

/* Deletes a main entry and its index records. */
int cache_del_entry(struct cache *c, MDB_txn *txn, const MDB_val *key);

/*
 * Removes up to max entries from the front of the expiry index: only
 * those past the stale window at now, or, if force, the ones closest to
 * expiry as well. Returns the number removed or an LMDB code (< 0 ...).
 */
int cache_evict(struct cache *c, MDB_txn *txn, int64_t now, unsigned max,
                bool force, unsigned *removed);

/* Bytes of pages the tables use, from the txn's table records. */
uint64_t cache_used_bytes(struct cache *c, MDB_txn *txn);

/* Stores a value (key in the main table), keeping the indexes; respects
 * ranks unless always. Handles a full map. */
int cache_store(struct cache *c, const uint8_t *key, size_t klen,
                const uint8_t *val, size_t vlen, time_t now, bool always);

/* Finds and decodes a usable entry (fresh, or stale if flags allow);
 * e borrows from txn. Returns 0 or -ENOENT. */
int cache_lookup(struct cache *c, MDB_txn *txn, const uint8_t *key, size_t klen,
                 time_t now, unsigned flags, struct entry *e,
                 enum entry_state *st);

/* A new ldns RR from wire parts (owner uncompressed); NULL on error. */
ldns_rr *cache_rr_from_parts(const uint8_t *owner, size_t olen, uint16_t type,
                             uint16_t class, uint32_t ttl, const uint8_t *rdata,
                             uint16_t rdlen);

/* New lists of an RRset entry's records (and RRSIGs if want_sigs) with
 * TTL ttl; owned by the caller. Returns 0 or -ENOMEM. */
int cache_entry_lists(const struct entry *e, const ldns_rdf *owner,
                      uint16_t type, uint16_t class, uint32_t ttl,
                      bool want_sigs, ldns_rr_list **rrs, ldns_rr_list **sigs);

#endif /* CAIRN_CACHE_CACHE_INT_H */
