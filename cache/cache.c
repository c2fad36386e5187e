/*
 * cache.c -- opening, locking, transactions and committing of the cache.
 *
 * Lookups and puts are in store.c, eviction in evict.c, iteration in
 * iter.c; all LMDB calls stay inside cache/.
 */
#include "config.h"
#include "cache/cache.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache/cache_int.h"
#include "cache/entry.h"
#include "util/log.h"

static const char META_VERSION[] = "version";
static const char META_LAST_WRITE[] = "last_write";

void
cache_opts_init_defaults(struct cache_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->max_size_bytes = CACHE_DEFAULT_MAX_SIZE;
	o->min_ttl_s = 0;
	o->max_ttl_s = 86400;
	o->max_neg_ttl_s = 3600;
	o->stale_window_s = 86400;
}

int
cache_lmdb_err(int rc)
{
	switch (rc) {
	case MDB_SUCCESS: return 0;
	case MDB_NOTFOUND: return -ENOENT;
	case MDB_MAP_FULL:
	case MDB_TXN_FULL: return -ENOSPC;
	case MDB_INVALID:
	case MDB_CORRUPTED:
	case MDB_PAGE_NOTFOUND:
	case MDB_INCOMPATIBLE:
	case MDB_BAD_VALSIZE: return CACHE_E_NOT_CACHE;
	case MDB_VERSION_MISMATCH: return CACHE_E_VERSION;
	case MDB_READERS_FULL: return -EAGAIN;
	default: return rc > 0 ? -rc : -EIO;
	}
}

const char *
cache_strerror(int rc)
{
	switch (rc) {
	case CACHE_E_NOT_CACHE: return "not a cairn cache file, or corrupt";
	case CACHE_E_VERSION: return "cache file of another format version";
	case CACHE_E_LOCKED: return "cache file in use by another process";
	default: return strerror(rc < 0 ? -rc : rc);
	}
}

/* The writer lock: flock on <path>-lock.pid holding our PID. */
static int
lock_take(struct cache *c)
{
	char lpath[4096], buf[32];
	ssize_t n;
	int fd;

	snprintf(lpath, sizeof(lpath), "%s-lock.pid", c->path);
	if ((fd = open(lpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) < 0)
		return log_errno_rc(lpath);
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int err = errno;

		n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		buf[strcspn(buf, "\n")] = '\0';
		if (err == EWOULDBLOCK)
			log_err("cache %s is in use by process %s (lock file "
			        "%s): refusing a second writer",
			        c->path, buf[0] ? buf : "unknown", lpath);
		else
			log_err("cache lock %s: %s", lpath, strerror(err));
		close(fd);
		return err == EWOULDBLOCK ? CACHE_E_LOCKED : -err;
	}
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) != 0 || pwrite(fd, buf, (size_t)n, 0) != n)
		log_warn("cache lock %s: cannot record pid", lpath);
	c->lock_fd = fd;
	return 0;
}

static uint64_t
file_size(struct cache *c)
{
	struct stat sb;
	int fd;

	if (c->env == NULL || mdb_env_get_fd(c->env, &fd) != 0 ||
	    fstat(fd, &sb) != 0)
		return 0;
	return (uint64_t)sb.st_size;
}

/* A file shorter than the pages its meta page claims would fault on
 * access (SIGBUS): refuse it before reading any page. */
static int
check_truncation(struct cache *c)
{
	MDB_envinfo info;
	MDB_stat st;

	if (mdb_env_info(c->env, &info) != 0 || mdb_env_stat(c->env, &st) != 0)
		return CACHE_E_NOT_CACHE;
	if (file_size(c) < ((uint64_t)info.me_last_pgno + 1) * st.ms_psize)
		return CACHE_E_NOT_CACHE;
	return 0;
}

static int
meta_get_u64(struct cache *c, MDB_txn *txn, const char *name, uint64_t *v)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	int rc = mdb_get(txn, c->db_meta, &k, &d);

	if (rc != 0)
		return rc;
	if (d.mv_size != 8)
		return MDB_CORRUPTED;
	*v = entry_get_u64(d.mv_data);
	return 0;
}

static int
meta_put_u64(struct cache *c, MDB_txn *txn, const char *name, uint64_t v)
{
	MDB_val k = {strlen(name), (void *)name}, d;
	uint8_t b[8];

	entry_put_u64(b, v);
	d.mv_size = 8;
	d.mv_data = b;
	return mdb_put(txn, c->db_meta, &k, &d, 0);
}

/* Opens the tables of a fresh file and writes the meta record. */
static int
tables_create(struct cache *c, MDB_txn *txn)
{
	int rc;

	if ((rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &c->db_meta)) ||
	    (rc = mdb_dbi_open(txn, "rr", MDB_CREATE, &c->db_main)) ||
	    (rc = mdb_dbi_open(txn, "expiry", MDB_CREATE, &c->db_exp)) ||
	    (rc = mdb_dbi_open(txn, "zones", MDB_CREATE, &c->db_zone)))
		return rc;
	return meta_put_u64(c, txn, META_VERSION, CACHE_SCHEMA_VERSION);
}

/* Opens the tables of an existing file and checks its version. */
static int
tables_open(struct cache *c, MDB_txn *txn, bool rdonly)
{
	uint64_t version = 0, lw = 0;
	MDB_dbi root;
	MDB_stat st;
	int rc;

	rc = mdb_dbi_open(txn, "meta", 0, &c->db_meta);
	if (rc == MDB_NOTFOUND) {
		/* an empty environment is a new cache; anything else in an
		 * LMDB file without our meta record is someone else's */
		if (mdb_dbi_open(txn, NULL, 0, &root) == 0 &&
		    mdb_stat(txn, root, &st) == 0 && st.ms_entries == 0)
			return rdonly ? CACHE_E_NOT_CACHE
			              : tables_create(c, txn);
		return CACHE_E_NOT_CACHE;
	}
	if (rc != 0)
		return rc == MDB_INCOMPATIBLE ? CACHE_E_NOT_CACHE : rc;
	if ((rc = meta_get_u64(c, txn, META_VERSION, &version)) != 0)
		return rc == MDB_NOTFOUND ? CACHE_E_NOT_CACHE : rc;
	if (version != CACHE_SCHEMA_VERSION)
		return CACHE_E_VERSION;
	if (meta_get_u64(c, txn, META_LAST_WRITE, &lw) == 0)
		c->last_write = (int64_t)lw;
	if ((rc = mdb_dbi_open(txn, "rr", 0, &c->db_main)) ||
	    (rc = mdb_dbi_open(txn, "expiry", 0, &c->db_exp)) ||
	    (rc = mdb_dbi_open(txn, "zones", 0, &c->db_zone)))
		return rc == MDB_NOTFOUND ? CACHE_E_NOT_CACHE : rc;
	return 0;
}

static void
env_close(struct cache *c)
{
	if (c->rtxn != NULL)
		mdb_txn_abort(c->rtxn);
	c->rtxn = NULL;
	if (c->env != NULL)
		mdb_env_close(c->env);
	c->env = NULL;
}

static int
env_open(struct cache *c)
{
	unsigned flags = MDB_NOSUBDIR | MDB_NOTLS | MDB_NORDAHEAD;
	MDB_txn *txn = NULL;
	int rc, dead = 0;

	flags |= c->opts.read_only ? MDB_RDONLY : MDB_NOSYNC;
	if ((rc = mdb_env_create(&c->env)) != 0)
		return cache_lmdb_err(rc);
	mdb_env_set_maxdbs(c->env, 4);
	if (!c->opts.read_only)
		mdb_env_set_mapsize(c->env, c->opts.max_size_bytes);
	if ((rc = mdb_env_open(c->env, c->path, flags, 0644)) != 0)
		goto out;
	/* slots of crashed readers would pin old pages forever */
	mdb_reader_check(c->env, &dead);
	if (dead > 0)
		log_info("cache %s: cleared %d stale reader slots", c->path,
		         dead);
	if ((rc = check_truncation(c)) != 0)
		return rc;
	rc = mdb_txn_begin(c->env, NULL, c->opts.read_only ? MDB_RDONLY : 0,
	                   &txn);
	if (rc != 0)
		goto out;
	if ((rc = tables_open(c, txn, c->opts.read_only)) != 0) {
		mdb_txn_abort(txn);
		return rc < 0 ? rc : cache_lmdb_err(rc);
	}
	if ((rc = mdb_txn_commit(txn)) != 0)
		goto out;
	rc = mdb_txn_begin(c->env, NULL, MDB_RDONLY, &c->rtxn);
	if (rc == 0)
		mdb_txn_reset(c->rtxn);
out:
	return cache_lmdb_err(rc);
}

/* Moves a rejected file aside so the daemon can start with a fresh one. */
static int
move_aside(struct cache *c, int why, time_t now)
{
	char bad[4096], lk[4096];

	snprintf(bad, sizeof(bad), "%s.bad.%lld", c->path, (long long)now);
	snprintf(lk, sizeof(lk), "%s-lock", c->path);
	if (rename(c->path, bad) != 0)
		return log_errno_rc(c->path);
	unlink(lk); /* LMDB's reader table of the old file */
	log_warn("cache %s: %s; moved it to %s and started a fresh cache",
	         c->path, cache_strerror(why), bad);
	return 0;
}

/* Preallocates the map so a full file system shows now, as ENOSPC,
 * rather than at some later write. */
static void
preallocate(struct cache *c)
{
#ifdef HAVE_POSIX_FALLOCATE
	int fd, err;

	if (mdb_env_get_fd(c->env, &fd) != 0)
		return;
	if (file_size(c) >= c->opts.max_size_bytes)
		return;
	err = posix_fallocate(fd, 0, (off_t)c->opts.max_size_bytes);
	if (err == ENOSPC || err == EDQUOT || err == EFBIG) {
		log_err("cache %s: cannot preallocate %zu bytes: %s; cache "
		        "is read-only",
		        c->path, c->opts.max_size_bytes, strerror(err));
		c->is_degraded = true;
	}
#else
	(void)c;
#endif
}

static int
open_rw(struct cache *c, time_t now)
{
	int rc;

	if ((rc = lock_take(c)) != 0)
		return rc;
	rc = env_open(c);
	if (rc == CACHE_E_NOT_CACHE || rc == CACHE_E_VERSION) {
		env_close(c);
		if ((rc = move_aside(c, rc, now)) != 0)
			return rc;
		rc = env_open(c);
	}
	if (rc != 0) {
		log_err("cache %s: cannot open: %s", c->path,
		        cache_strerror(rc));
		return rc;
	}
	preallocate(c);
	if (now < c->last_write)
		log_warn("cache %s: clock is %lld s behind the last write; "
		         "entries written after now are served as stale only",
		         c->path, (long long)(c->last_write - now));
	return 0;
}

static int
open_ro(struct cache *c)
{
	struct stat sb;

	if (stat(c->path, &sb) != 0)
		return -errno;
	if (!S_ISREG(sb.st_mode) || sb.st_size == 0)
		return CACHE_E_NOT_CACHE;
	return env_open(c);
}

int
cache_open(struct cache **out, const struct cache_opts *o, time_t now)
{
	struct cache *c;
	int rc;

	*out = NULL;
	if (o->path == NULL)
		return -EINVAL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return -ENOMEM;
	c->lock_fd = -1;
	c->opts = *o;
	if ((c->path = strdup(o->path)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->opts.path = c->path;
	c->last_now = now;
	rc = o->read_only ? open_ro(c) : open_rw(c, now);
	if (rc != 0) {
		cache_close(c);
		return rc;
	}
	if (!o->read_only)
		log_verb(VERB_OPS, "cache %s opened", c->path);
	*out = c;
	return 0;
}

void
cache_close(struct cache *c)
{
	if (c == NULL)
		return;
	if (c->env != NULL) {
		cache_commit(c);
		if (!c->opts.read_only)
			cache_sync(c);
	}
	env_close(c);
	if (c->lock_fd >= 0)
		close(c->lock_fd); /* releases the flock */
	free(c->path);
	free(c);
}

int
cache_txn_read(struct cache *c, MDB_txn **txn)
{
	int rc;

	if (c->wtxn != NULL) {
		*txn = c->wtxn;
		return 0;
	}
	rc = mdb_txn_renew(c->rtxn);
	if (rc == MDB_READERS_FULL) {
		int dead;

		mdb_reader_check(c->env, &dead);
		rc = mdb_txn_renew(c->rtxn);
	}
	*txn = c->rtxn;
	return cache_lmdb_err(rc);
}

void
cache_txn_end(struct cache *c, MDB_txn *txn)
{
	if (txn == c->rtxn)
		mdb_txn_reset(txn);
}

int
cache_txn_write(struct cache *c, MDB_txn **txn)
{
	int rc;

	if (c->opts.read_only || c->is_degraded)
		return -EROFS;
	if (c->wtxn == NULL) {
		if ((rc = mdb_txn_begin(c->env, NULL, 0, &c->wtxn)) != 0)
			return cache_lmdb_err(rc);
		c->wtxn_puts = 0;
	}
	*txn = c->wtxn;
	return 0;
}

uint64_t
cache_used_bytes(struct cache *c, MDB_txn *txn)
{
	MDB_dbi dbs[] = {c->db_main, c->db_exp, c->db_zone, c->db_meta, 0};
	uint64_t pages = 0;
	MDB_stat st = {0};

	for (size_t i = 0; i < sizeof(dbs) / sizeof(dbs[0]); i++)
		if (mdb_stat(txn, dbs[i], &st) == 0)
			pages += st.ms_branch_pages + st.ms_leaf_pages +
			         st.ms_overflow_pages;
	return pages * st.ms_psize;
}

/* Keeps the map below 3/4 full, one batch per commit, so puts rarely
 * meet MDB_MAP_FULL; and removes a few entries past the stale window. */
static void
housekeep(struct cache *c, MDB_txn *txn)
{
	unsigned n = 0;

	if (cache_used_bytes(c, txn) > c->opts.max_size_bytes / 4 * 3) {
		if (cache_evict(c, txn, c->last_now, CACHE_EVICT_BATCH, true,
		                &n) == 0)
			c->st.evictions += n;
		return;
	}
	if (cache_evict(c, txn, c->last_now, CACHE_SWEEP_BATCH, false, &n) == 0)
		c->st.sweeps += n;
}

int
cache_commit(struct cache *c)
{
	int rc;

	if (c->wtxn == NULL)
		return 0;
	housekeep(c, c->wtxn);
	/* a full map only loses the clock record of this batch */
	(void)meta_put_u64(c, c->wtxn, META_LAST_WRITE,
	                   (uint64_t)c->last_write);
	rc = mdb_txn_commit(c->wtxn);
	c->wtxn = NULL;
	c->wtxn_puts = 0;
	if (rc == 0)
		return 0;
	c->st.batches_lost++;
	if (rc == ENOSPC || rc == EIO || rc == EDQUOT) {
		log_err("cache %s: write failed: %s; cache is read-only",
		        c->path, strerror(rc));
		c->is_degraded = true;
	}
	return cache_lmdb_err(rc);
}

int
cache_sync(struct cache *c)
{
	int rc;

	if (c->opts.read_only)
		return 0;
	if ((rc = mdb_env_sync(c->env, 1)) != 0)
		return cache_lmdb_err(rc);
	return 0;
}

int
cache_stats(struct cache *c, struct cache_stats *st)
{
	MDB_txn *txn;
	MDB_stat ms;
	int rc;

	*st = c->st;
	st->schema_version = CACHE_SCHEMA_VERSION;
	st->last_write = c->last_write;
	st->is_degraded = c->is_degraded;
	st->file_bytes = file_size(c);
	{
		MDB_envinfo info;

		mdb_env_info(c->env, &info);
		st->map_bytes = info.me_mapsize;
	}
	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	if (mdb_stat(txn, c->db_main, &ms) == 0)
		st->entries = ms.ms_entries;
	st->used_bytes = cache_used_bytes(c, txn);
	cache_txn_end(c, txn);
	return 0;
}
