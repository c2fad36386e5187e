/*
 * cache.h -- the persistent RRset and negative-answer cache (LMDB).
 *
 * The one door to the cache: the resolver stores RRsets (with their
 * RRSIGs) and negative answers here and reads them back, cairn-dump and
 * the control channel iterate over it. The cache survives restarts: it
 * stores absolute expiry times, and every call takes the caller's `now`
 * (from util/clock.h), so TTLs keep counting down across a restart and
 * tests move time without sleeping.
 *
 * It knows nothing of sockets, libev or the configuration file: it gets a
 * struct cache_opts. Writes are batched in one write transaction that
 * stays open until cache_commit(), which the daemon calls once per event
 * loop iteration; lookups see the pending writes. cache_sync() flushes
 * to disk (the file is opened without per-commit fsync; see
 * docs/cache-format.md for what a crash can lose).
 *
 * A cache is used by one thread. Errors are negative errno values; the
 * cache logs what it alone knows (a file moved aside, a full disk) and
 * leaves the rest to the caller. A full map evicts entries closest to
 * expiry; it never fails a put. The on-disk layout is in
 * docs/cache-format.md.
 */
#ifndef CAIRN_CACHE_CACHE_H
#define CAIRN_CACHE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <ldns/ldns.h>

struct cache;

/* Options; cache_opts_init_defaults() fills in the documented defaults. */
struct cache_opts {
	const char *path;       /* borrowed: the cache file (not a directory) */
	size_t max_size_bytes;  /* map size and preallocated file size */
	uint32_t min_ttl_s;     /* TTLs below are raised (default 0) */
	uint32_t max_ttl_s;     /* TTLs above are lowered (default 86400) */
	uint32_t max_neg_ttl_s; /* negative TTL cap (default 3600) */
	uint32_t stale_window_s; /* RFC 8767 serve-stale window (86400) */
	bool read_only;          /* no writes, no lock (cairn-dump) */
};

#define CACHE_DEFAULT_MAX_SIZE ((size_t)256 << 20)
/* Puts after which a pending batch is committed without waiting for
 * cache_commit(), bounding the work lost by a crash. */
#define CACHE_BATCH_MAX_PUTS 1000
/* TTL given to stale data (RFC 8767 s4: 30 s is recommended). */
#define CACHE_STALE_TTL_S 30

/* Trust ranks, RFC 2181 s5.4.1, lowest first. Data of a lower rank never
 * replaces fresh data of a higher rank. */
enum cache_rank {
	RANK_ADDITIONAL = 1,        /* additional section of any answer */
	RANK_GLUE = 2,              /* glue / referral authority section */
	RANK_NONAUTH_AUTHORITY = 3, /* authority section, AA=0 answer */
	RANK_AUTH_AUTHORITY = 4,    /* authority section of an AA=1 answer */
	RANK_NONAUTH_ANSWER = 5,    /* answer section, AA=0 */
	RANK_AUTH_ANSWER = 6        /* answer section of an AA=1 answer */
};

/*
 * May an RRset cached at rank be returned as the answer to a question of
 * type? RFC 2181 s5.4.1: additional-section data and a referral's NS set
 * only lead to servers; the zone must be asked. As in Unbound, answer-
 * section data (AA or not) is an answer; authority-section data is not,
 * except a DS, which the parent serves authoritatively in its referral.
 * Lookups return every rank (delegations use them all): answer paths
 * treat a false here as a miss.
 */
bool cache_rank_is_answer(enum cache_rank rank, uint16_t type);

/* Lookup flags. */
#define CACHE_ALLOW_STALE 0x1u /* return data inside the stale window */
#define CACHE_WANT_DNSSEC 0x2u /* append / return covering RRSIGs */

/* Errors specific to cache files, as negative values (cache_strerror). */
#define CACHE_E_NOT_CACHE (-EBADMSG) /* not a cairn cache, or corrupt */
#define CACHE_E_VERSION (-EPROTO)    /* a cache of another schema version */
#define CACHE_E_LOCKED (-EBUSY)      /* another process writes the cache */

void cache_opts_init_defaults(struct cache_opts *o);

/*
 * Opens (creating if needed) the cache at o->path. Read-write: takes the
 * writer lock <path>-lock.pid (a second writer gets CACHE_E_LOCKED and a
 * log line naming the holder's PID), clears stale reader slots,
 * preallocates the file, and moves aside (to <path>.bad.<now>) a file of
 * another version, a corrupt file or one LMDB rejects, starting afresh.
 * A full file system degrades the cache to lookups only (logged).
 * Read-only: opens an existing file without a lock; returns -ENOENT,
 * CACHE_E_NOT_CACHE or CACHE_E_VERSION rather than moving anything.
 * *out is owned by the caller: cache_close() it.
 */
int cache_open(struct cache **out, const struct cache_opts *o, time_t now);

/* Commits pending puts, syncs, closes and frees; NULL is a no-op. */
void cache_close(struct cache *c);

/* Commits the pending write batch (no-op if none). Also sweeps a few
 * entries past the stale window and evicts when the map is nearly full. */
int cache_commit(struct cache *c);

/* Flushes committed data to disk (fsync); call on a timer and at exit. */
int cache_sync(struct cache *c);

/* Human-readable text for a cache error code. */
const char *cache_strerror(int rc);

/*
 * Stores an RRset: all RRs of rrset share owner, type and class; the TTL
 * is the minimum of the RRs' TTLs, clamped to [min_ttl_s, max_ttl_s].
 * rrsigs (may be NULL) are the RRSIGs covering it, stored with it. Data
 * of a lower rank does not replace fresh data of a higher rank (returns
 * 0, nothing stored). Borrows its arguments. A positive RRset removes a
 * cached NXDOMAIN for its owner. Returns 0, -EINVAL for a malformed set,
 * -EROFS for a read-only cache; a full map evicts, it never fails.
 */
int cache_rrset_put(struct cache *c, const ldns_rr_list *rrset,
                    const ldns_rr_list *rrsigs, enum cache_rank rank,
                    time_t now);

/* An RRset read back as ldns (cache_rrset_get). */
struct cache_rrset {
	ldns_rr_list *rrs;    /* owned: TTLs set to ttl_s */
	ldns_rr_list *rrsigs; /* owned, NULL unless CACHE_WANT_DNSSEC and
	                         RRSIGs are stored */
	uint32_t ttl_s;       /* remaining TTL (CACHE_STALE_TTL_S if stale) */
	enum cache_rank rank;
	bool is_stale;
};

/*
 * Looks up (name, type, class). On success fills *out with deep copies
 * the caller releases with cache_rrset_clear(); their owner is name as
 * passed (its case kept). Returns 0, -ENOENT on a
 * miss (including a negative entry and, without CACHE_ALLOW_STALE, an
 * expired one), -ENOMEM.
 */
int cache_rrset_get(struct cache *c, const ldns_rdf *name, uint16_t type,
                    uint16_t class, time_t now, unsigned flags,
                    struct cache_rrset *out);
void cache_rrset_clear(struct cache_rrset *r);

/* What cache_rrset_wire() wrote. */
struct cache_wire_info {
	uint16_t rr_count; /* RRs written, RRSIGs included */
	uint16_t sig_count;
	size_t len; /* bytes written to out */
	uint32_t ttl_s;
	uint32_t orig_ttl_s; /* TTL when stored (after clamping): prefetch */
	enum cache_rank rank;
	bool is_stale;
	bool has_rrsigs; /* RRSIGs were appended */
};

/*
 * The cache-hit fast path: one short read (or the open write
 * transaction), no heap allocation. name_wire is an uncompressed wire
 * name (any case, as in a packet). Writes each RR as owner_enc (e.g. the
 * pointer C0 0C) + type + class + remaining TTL + rdlength + rdata, then,
 * with CACHE_WANT_DNSSEC, the RRSIGs the same way. Returns 0, -ENOENT on a
 * miss, -ENOSPC if out_cap is too small (out is then undefined), -EINVAL
 * for a bad name.
 */
int cache_rrset_wire(struct cache *c, const uint8_t *name_wire, size_t name_len,
                     uint16_t type, uint16_t class, time_t now, unsigned flags,
                     const uint8_t *owner_enc, size_t owner_enc_len,
                     uint8_t *out, size_t out_cap,
                     struct cache_wire_info *info);

/* Kinds of negative answer, RFC 2308. */
enum cache_neg_kind {
	CACHE_NEG_NONE = 0,
	CACHE_NEG_NXDOMAIN = 1, /* the name (or an ancestor, RFC 8020) */
	CACHE_NEG_NODATA = 2    /* the name exists, not this type */
};

/*
 * Stores a negative answer for name: NXDOMAIN if type is 0, else NODATA
 * for type. soa is the SOA of the authority section (borrowed); the TTL
 * is min(SOA TTL, SOA MINIMUM) capped at max_neg_ttl_s (RFC 2308 s5).
 * It replaces whatever the cache held for that key (negative answers come
 * from the zone's servers) and is stored at RANK_AUTH_AUTHORITY, so only
 * answer-section data replaces it while fresh. Returns 0, -EINVAL if soa
 * is not an SOA, -EROFS.
 */
int cache_neg_put(struct cache *c, const ldns_rdf *name, uint16_t type,
                  uint16_t class, const ldns_rr *soa, time_t now);

struct cache_neg {
	enum cache_neg_kind kind;
	uint32_t ttl_s;
	ldns_rr *soa; /* owned: TTL set to ttl_s */
	bool is_stale;
};

/*
 * Looks for a negative answer for (name, type, class): NODATA for the
 * type, else NXDOMAIN for the name or any ancestor (RFC 8020). A fresh
 * positive RRset for (name, type) wins over a stale negative. Returns 0
 * and fills *out (release with cache_neg_clear()), or -ENOENT.
 */
int cache_neg_get(struct cache *c, const ldns_rdf *name, uint16_t type,
                  uint16_t class, time_t now, unsigned flags,
                  struct cache_neg *out);
void cache_neg_clear(struct cache_neg *n);

struct cache_neg_wire_info {
	enum cache_neg_kind kind;
	uint32_t ttl_s;
	size_t len; /* bytes of the SOA RR written */
	bool is_stale;
};

/*
 * The negative fast path: writes the SOA as one wire RR with its full
 * uncompressed owner name and the remaining TTL into out. Same returns
 * as cache_rrset_wire().
 */
int cache_neg_wire(struct cache *c, const uint8_t *name_wire, size_t name_len,
                   uint16_t type, uint16_t class, time_t now, unsigned flags,
                   uint8_t *out, size_t out_cap,
                   struct cache_neg_wire_info *info);

/* One name server of a delegation and the addresses the cache holds. */
struct cache_deleg_ns {
	ldns_rdf *name;      /* owned */
	ldns_rr_list *addrs; /* owned: A then AAAA RRs, maybe empty */
};

struct cache_deleg {
	ldns_rdf *zone;   /* owned */
	ldns_rr_list *ns; /* owned: the NS RRset, TTLs remaining */
	size_t ns_count;
	struct cache_deleg_ns *servers; /* owned, ns_count entries */
	bool is_stale;
};

/*
 * The closest enclosing delegation of qname: the deepest cached NS RRset
 * at or above it (fresh, or stale with CACHE_ALLOW_STALE), found with one
 * cursor walk over the zone index, plus the cached A/AAAA of each NS
 * name. Returns 0 and *out (owned, cache_deleg_free()), -ENOENT if no NS
 * RRset is cached at or above qname, -ENOMEM.
 */
int cache_deleg_get(struct cache *c, const ldns_rdf *qname, time_t now,
                    unsigned flags, struct cache_deleg **out);
void cache_deleg_free(struct cache_deleg *d);

/* Removes every entry of name (and of its subtree if subtree). Returns
 * the number of entries removed or a negative error. */
int cache_flush_name(struct cache *c, const ldns_rdf *name, bool subtree);

/* One entry as cache_iter() shows it. Everything is borrowed and valid
 * only during the callback. */
struct cache_entry_view {
	const ldns_rdf *owner;
	uint16_t type; /* 0 for NXDOMAIN */
	uint16_t class;
	enum cache_neg_kind neg; /* CACHE_NEG_NONE for an RRset */
	enum cache_rank rank;
	int64_t expire_at;
	uint32_t orig_ttl_s;
	uint32_t ttl_s;             /* remaining; 0 if expired */
	bool is_stale;              /* past expiry (or written after now) */
	const ldns_rr_list *rrs;    /* RRset, TTLs remaining */
	const ldns_rr_list *rrsigs; /* may be NULL */
	const ldns_rr *soa;         /* negative entries only */
};

/* Return non-zero to stop the iteration (cache_iter returns it). */
typedef int cache_iter_fn(const struct cache_entry_view *e, void *arg);

struct cache_iter_opts {
	const ldns_rdf *name; /* borrowed, NULL: every name */
	bool subtree;         /* name and everything below it */
	uint16_t type;        /* 0: every type */
	bool include_stale;   /* also entries past expiry */
};

/*
 * Calls fn for each matching entry in key order (a zone's names
 * together). Reads in short transactions of about 1,000 entries, so a
 * long iteration never pins the file; entries written meanwhile may or
 * may not be seen. Undecodable entries are skipped. Returns 0, fn's
 * non-zero value, or a negative error.
 */
int cache_iter(struct cache *c, const struct cache_iter_opts *io, time_t now,
               cache_iter_fn *fn, void *arg);

struct cache_stats {
	uint64_t entries; /* records in the main table */
	uint64_t file_bytes;
	uint64_t map_bytes;  /* configured maximum */
	uint64_t used_bytes; /* pages in use by the tables */
	uint64_t puts, evictions, sweeps, batches_lost;
	uint32_t schema_version;
	int64_t last_write;
	bool is_degraded; /* writes disabled after a disk error */
};

int cache_stats(struct cache *c, struct cache_stats *st);

#endif /* CAIRN_CACHE_CACHE_H */
