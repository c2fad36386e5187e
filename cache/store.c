/*
 * store.c -- putting RRsets and negative answers, and reading them back
 * as ldns objects or as wire RRs.
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
#include "util/log.h"

#define MAP_FULL_RETRIES 6

/* ---- writing ---------------------------------------------------------- */

static int
store_in(struct cache *c, MDB_txn *txn, const uint8_t *key, size_t klen,
         const uint8_t *val, size_t vlen, time_t now, bool always)
{
	uint8_t ek[KEY_EXP_MAX], zk[KEY_MAX];
	MDB_val k = {klen, (void *)key}, d, e;
	struct entry old;
	uint16_t type, class;
	size_t nk_len;
	int rc;

	if (key_split(key, klen, &nk_len, &type, &class) != 0)
		return EINVAL;
	rc = mdb_get(txn, c->db_main, &k, &d);
	if (rc == 0 && entry_decode(d.mv_data, d.mv_size, &old) == 0) {
		if (!always && !entry_may_replace(&old, val[1], now))
			return 0; /* RFC 2181 s5.4.1: keep the better data */
		e.mv_size = key_expiry(old.expire_at, key, klen, ek);
		e.mv_data = ek;
		mdb_del(txn, c->db_exp, &e, NULL);
	} else if (rc != 0 && rc != MDB_NOTFOUND) {
		return rc;
	}
	d.mv_size = vlen;
	d.mv_data = (void *)val;
	if ((rc = mdb_put(txn, c->db_main, &k, &d, 0)) != 0)
		return rc;
	e.mv_size = key_expiry((int64_t)entry_get_u64(val + 4), key, klen, ek);
	e.mv_data = ek;
	d.mv_size = 0;
	d.mv_data = NULL;
	if ((rc = mdb_put(txn, c->db_exp, &e, &d, 0)) != 0)
		return rc;
	if (type != LDNS_RR_TYPE_NS || val[0] != ENTRY_RRSET)
		return 0;
	k.mv_size = key_zone(key, nk_len, class, zk);
	k.mv_data = zk;
	return mdb_put(txn, c->db_zone, &k, &d, 0);
}

/* The map is full: the batch is lost (LMDB requires the abort), so
 * evict ever larger batches from the expiry front and retry this put. */
static int
store_map_full(struct cache *c, const uint8_t *key, size_t klen,
               const uint8_t *val, size_t vlen, time_t now, bool always)
{
	MDB_txn *txn;
	unsigned n;
	int rc = 0;

	mdb_txn_abort(c->wtxn);
	c->wtxn = NULL;
	c->st.batches_lost++;
	for (int i = 0; i < MAP_FULL_RETRIES; i++) {
		if ((rc = cache_txn_write(c, &txn)) != 0)
			return rc;
		if (cache_evict(c, txn, now, CACHE_EVICT_BATCH << i, true,
		                &n) == 0)
			c->st.evictions += n;
		if ((rc = cache_commit(c)) != 0 && rc != -ENOSPC)
			return 0;
		if ((rc = cache_txn_write(c, &txn)) != 0)
			return rc;
		rc = store_in(c, txn, key, klen, val, vlen, now, always);
		if (rc == 0)
			return 0;
		mdb_txn_abort(c->wtxn);
		c->wtxn = NULL;
	}
	log_verb(VERB_DETAIL, "cache %s: full, a put was dropped", c->path);
	return 0; /* a full cache never fails the caller */
}

int
cache_store(struct cache *c, const uint8_t *key, size_t klen,
            const uint8_t *val, size_t vlen, time_t now, bool always)
{
	MDB_txn *txn;
	int rc;

	if ((rc = cache_txn_write(c, &txn)) != 0)
		return rc;
	if (now > c->last_write)
		c->last_write = now;
	c->last_now = now;
	c->st.puts++;
	rc = store_in(c, txn, key, klen, val, vlen, now, always);
	if (rc == MDB_MAP_FULL || rc == MDB_TXN_FULL)
		return store_map_full(c, key, klen, val, vlen, now, always);
	if (rc != 0) {
		mdb_txn_abort(c->wtxn);
		c->wtxn = NULL;
		c->st.batches_lost++;
		return cache_lmdb_err(rc);
	}
	if (++c->wtxn_puts >= CACHE_BATCH_MAX_PUTS)
		return cache_commit(c);
	return 0;
}

/* Appends u16 rdlength + rdata of rr; false if it does not fit a u16. */
static bool
append_rdata(ldns_buffer *b, const ldns_rr *rr)
{
	size_t at = ldns_buffer_position(b), len;

	/* ldns_buffer_write_* asserts room rather than growing */
	if (!ldns_buffer_reserve(b, 2))
		return false;
	ldns_buffer_write_u16(b, 0);
	if (ldns_rr_rdata2buffer_wire(b, rr) != LDNS_STATUS_OK)
		return false;
	len = ldns_buffer_position(b) - at - 2;
	if (len > UINT16_MAX)
		return false;
	ldns_buffer_write_u16_at(b, at, (uint16_t)len);
	return true;
}

/* Checks the set is one owner/type/class; returns its minimum TTL. */
static int
check_rrset(const ldns_rr_list *set, uint32_t *ttl)
{
	size_t n = set != NULL ? ldns_rr_list_rr_count(set) : 0;
	const ldns_rr *first;

	if (n == 0 || n > UINT16_MAX)
		return -EINVAL;
	first = ldns_rr_list_rr(set, 0);
	*ttl = ldns_rr_ttl(first);
	for (size_t i = 1; i < n; i++) {
		const ldns_rr *rr = ldns_rr_list_rr(set, i);

		if (ldns_rr_get_type(rr) != ldns_rr_get_type(first) ||
		    ldns_rr_get_class(rr) != ldns_rr_get_class(first) ||
		    ldns_dname_compare(ldns_rr_owner(rr),
		                       ldns_rr_owner(first)) != 0)
			return -EINVAL;
		if (ldns_rr_ttl(rr) < *ttl)
			*ttl = ldns_rr_ttl(rr);
	}
	return 0;
}

/* Appends the RRSIGs covering type; returns how many. */
static uint16_t
append_sigs(ldns_buffer *b, const ldns_rr_list *sigs, ldns_rr_type type)
{
	uint16_t n = 0;

	for (size_t i = 0; sigs != NULL && i < ldns_rr_list_rr_count(sigs);
	     i++) {
		const ldns_rr *s = ldns_rr_list_rr(sigs, i);
		const ldns_rdf *cov = ldns_rr_rrsig_typecovered(s);

		if (ldns_rr_get_type(s) != LDNS_RR_TYPE_RRSIG || cov == NULL ||
		    ldns_rdf2rr_type(cov) != type || n == UINT16_MAX)
			continue;
		if (!append_rdata(b, s))
			return n;
		n++;
	}
	return n;
}

static int
rdf_key(const ldns_rdf *name, uint16_t type, uint16_t class, uint8_t *key)
{
	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	return key_from_wire(ldns_rdf_data(name), ldns_rdf_size(name), type,
	                     class, key);
}

/* A positive RRset proves its owner exists: drop a cached NXDOMAIN. */
static void
drop_nxdomain(struct cache *c, const ldns_rdf *owner, uint16_t class)
{
	uint8_t key[KEY_MAX];
	MDB_txn *txn;
	int klen = rdf_key(owner, 0, class, key);

	if (klen > 0 && cache_txn_write(c, &txn) == 0)
		cache_del_entry(c, txn, &(MDB_val){(size_t)klen, key});
}

int
cache_rrset_put(struct cache *c, const ldns_rr_list *rrset,
                const ldns_rr_list *rrsigs, enum cache_rank rank, time_t now)
{
	uint8_t key[KEY_MAX];
	struct entry e = {.kind = ENTRY_RRSET, .rank = (uint8_t)rank};
	const ldns_rr *first;
	ldns_buffer *b;
	uint32_t ttl;
	int klen, rc;

	if (check_rrset(rrset, &ttl) != 0 || rank < RANK_ADDITIONAL ||
	    rank > RANK_AUTH_ANSWER)
		return -EINVAL;
	first = ldns_rr_list_rr(rrset, 0);
	klen = rdf_key(ldns_rr_owner(first), ldns_rr_get_type(first),
	               ldns_rr_get_class(first), key);
	if (klen < 0)
		return klen;
	if ((b = ldns_buffer_new(512)) == NULL)
		return -ENOMEM;
	ldns_buffer_skip(b, ENTRY_HDR_LEN);
	for (size_t i = 0; i < ldns_rr_list_rr_count(rrset); i++)
		if (!append_rdata(b, ldns_rr_list_rr(rrset, i))) {
			rc = -EINVAL;
			goto out;
		}
	e.nrr = (uint16_t)ldns_rr_list_rr_count(rrset);
	e.nsig = append_sigs(b, rrsigs, ldns_rr_get_type(first));
	e.ttl = entry_clamp_ttl(ttl, c->opts.min_ttl_s, c->opts.max_ttl_s);
	e.expire_at = (int64_t)now + e.ttl;
	if (!ldns_buffer_status_ok(b)) {
		rc = -ENOMEM;
		goto out;
	}
	entry_write_header(ldns_buffer_begin(b), &e);
	rc = cache_store(c, key, (size_t)klen, ldns_buffer_begin(b),
	                 ldns_buffer_position(b), now, false);
	if (rc == 0)
		drop_nxdomain(c, ldns_rr_owner(first),
		              ldns_rr_get_class(first));
out:
	ldns_buffer_free(b);
	return rc;
}

int
cache_neg_put(struct cache *c, const ldns_rdf *name, uint16_t type,
              uint16_t class, const ldns_rr *soa, time_t now)
{
	struct entry e = {.rank = RANK_AUTH_AUTHORITY};
	uint8_t key[KEY_MAX];
	const ldns_rdf *owner;
	ldns_buffer *b;
	uint32_t ttl;
	int klen, rc;

	if (soa == NULL || ldns_rr_get_type(soa) != LDNS_RR_TYPE_SOA ||
	    ldns_rr_rd_count(soa) != 7)
		return -EINVAL;
	if ((klen = rdf_key(name, type, class, key)) < 0)
		return klen;
	owner = ldns_rr_owner(soa);
	/* RFC 2308 s5: the lesser of the SOA TTL and SOA MINIMUM */
	ttl = ldns_rdf2native_int32(ldns_rr_rdf(soa, 6));
	if (ldns_rr_ttl(soa) < ttl)
		ttl = ldns_rr_ttl(soa);
	e.ttl = entry_clamp_ttl(ttl, c->opts.min_ttl_s, c->opts.max_neg_ttl_s);
	e.expire_at = (int64_t)now + e.ttl;
	e.kind = type == 0 ? ENTRY_NXDOMAIN : ENTRY_NODATA;
	/* header + owner (at most 255 bytes) always fit: no reserve needed */
	if ((b = ldns_buffer_new(ENTRY_HDR_LEN + 2 + LDNS_MAX_DOMAINLEN + 1)) ==
	    NULL)
		return -ENOMEM;
	entry_write_header(ldns_buffer_begin(b), &e);
	ldns_buffer_skip(b, ENTRY_HDR_LEN);
	ldns_buffer_write_u16(b, (uint16_t)ldns_rdf_size(owner));
	ldns_buffer_write(b, ldns_rdf_data(owner), ldns_rdf_size(owner));
	if (!append_rdata(b, soa) || !ldns_buffer_status_ok(b))
		rc = -EINVAL;
	else
		rc = cache_store(c, key, (size_t)klen, ldns_buffer_begin(b),
		                 ldns_buffer_position(b), now, true);
	ldns_buffer_free(b);
	return rc;
}

/* ---- reading ---------------------------------------------------------- */

/* Finds and decodes a usable entry; e borrows from txn. */
int
cache_lookup(struct cache *c, MDB_txn *txn, const uint8_t *key, size_t klen,
             time_t now, unsigned flags, struct entry *e, enum entry_state *st)
{
	MDB_val k = {klen, (void *)key}, d;

	if (mdb_get(txn, c->db_main, &k, &d) != 0)
		return -ENOENT;
	if (entry_decode(d.mv_data, d.mv_size, e) != 0)
		return -ENOENT; /* damaged value: a miss, never a crash */
	*st = entry_state_at(e, now, c->opts.stale_window_s);
	if (*st == ENTRY_DEAD ||
	    (*st == ENTRY_STALE && !(flags & CACHE_ALLOW_STALE)))
		return -ENOENT;
	return 0;
}

/* Writes owner + type + class + ttl + rdlength + rdata; false if full. */
static bool
wire_rr(uint8_t *out, size_t cap, size_t *pos, const uint8_t *owner,
        size_t olen, uint16_t type, uint16_t class, uint32_t ttl,
        const uint8_t *rdata, uint16_t rdlen)
{
	size_t need = olen + 10u + rdlen;
	uint8_t *p = out + *pos;

	if (cap - *pos < need)
		return false;
	memcpy(p, owner, olen);
	p += olen;
	entry_put_u16(p, type);
	entry_put_u16(p + 2, class);
	entry_put_u32(p + 4, ttl);
	entry_put_u16(p + 8, rdlen);
	memcpy(p + 10, rdata, rdlen);
	*pos += need;
	return true;
}

/* Writes the records of an area; false if out is full. */
static bool
wire_records(const uint8_t *area, unsigned n, uint8_t *out, size_t cap,
             size_t *pos, const uint8_t *owner, size_t olen, uint16_t type,
             uint16_t class, uint32_t ttl)
{
	const uint8_t *p = area, *rd;

	for (unsigned i = 0; i < n; i++) {
		uint16_t rdlen = entry_next_rdata(&p, &rd);

		if (!wire_rr(out, cap, pos, owner, olen, type, class, ttl, rd,
		             rdlen))
			return false;
	}
	return true;
}

int
cache_rrset_wire(struct cache *c, const uint8_t *name_wire, size_t name_len,
                 uint16_t type, uint16_t class, time_t now, unsigned flags,
                 const uint8_t *owner_enc, size_t owner_enc_len, uint8_t *out,
                 size_t out_cap, struct cache_wire_info *info)
{
	uint8_t key[KEY_MAX];
	enum entry_state st;
	struct entry e;
	MDB_txn *txn;
	size_t pos = 0;
	int klen, rc;

	memset(info, 0, sizeof(*info));
	if ((klen = key_from_wire(name_wire, name_len, type, class, key)) < 0)
		return klen;
	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	rc = cache_lookup(c, txn, key, (size_t)klen, now, flags, &e, &st);
	if (rc == 0 && e.kind != ENTRY_RRSET)
		rc = -ENOENT;
	if (rc != 0)
		goto out;
	info->ttl_s = entry_ttl_left(&e, now, c->opts.stale_window_s);
	info->orig_ttl_s = e.ttl;
	info->rank = (enum cache_rank)e.rank;
	info->is_stale = st != ENTRY_FRESH;
	if (!wire_records(e.rrs, e.nrr, out, out_cap, &pos, owner_enc,
	                  owner_enc_len, type, class, info->ttl_s)) {
		rc = -ENOSPC;
		goto out;
	}
	info->rr_count = e.nrr;
	if ((flags & CACHE_WANT_DNSSEC) && e.nsig > 0) {
		if (!wire_records(e.sigs, e.nsig, out, out_cap, &pos, owner_enc,
		                  owner_enc_len, LDNS_RR_TYPE_RRSIG, class,
		                  info->ttl_s)) {
			rc = -ENOSPC;
			goto out;
		}
		info->rr_count = (uint16_t)(info->rr_count + e.nsig);
		info->sig_count = e.nsig;
		info->has_rrsigs = true;
	}
	info->len = pos;
out:
	cache_txn_end(c, txn);
	return rc;
}

/* An ldns RR from its parts (deep copy); NULL on error. */
ldns_rr *
cache_rr_from_parts(const uint8_t *owner, size_t olen, uint16_t type,
                    uint16_t class, uint32_t ttl, const uint8_t *rdata,
                    uint16_t rdlen)
{
	size_t cap = olen + 10u + rdlen, pos = 0, rpos = 0;
	ldns_rr *rr = NULL;
	uint8_t *buf = malloc(cap);

	if (buf == NULL)
		return NULL;
	if (wire_rr(buf, cap, &pos, owner, olen, type, class, ttl, rdata,
	            rdlen) &&
	    ldns_wire2rr(&rr, buf, pos, &rpos, LDNS_SECTION_ANSWER) !=
	        LDNS_STATUS_OK)
		rr = NULL;
	free(buf);
	return rr;
}

/* A new list of the n records of an area; NULL on error. */
static ldns_rr_list *
list_from_area(const uint8_t *area, unsigned n, const ldns_rdf *owner,
               uint16_t type, uint16_t class, uint32_t ttl)
{
	ldns_rr_list *l = ldns_rr_list_new();
	const uint8_t *p = area, *rd;

	for (unsigned i = 0; l != NULL && i < n; i++) {
		uint16_t rdlen = entry_next_rdata(&p, &rd);
		ldns_rr *rr = cache_rr_from_parts(ldns_rdf_data(owner),
		                                  ldns_rdf_size(owner), type,
		                                  class, ttl, rd, rdlen);

		if (rr == NULL || !ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_free(rr);
			ldns_rr_list_deep_free(l);
			l = NULL;
		}
	}
	return l;
}

int
cache_entry_lists(const struct entry *e, const ldns_rdf *owner, uint16_t type,
                  uint16_t class, uint32_t ttl, bool want_sigs,
                  ldns_rr_list **rrs, ldns_rr_list **sigs)
{
	*sigs = NULL;
	if ((*rrs = list_from_area(e->rrs, e->nrr, owner, type, class, ttl)) ==
	    NULL)
		return -ENOMEM;
	if (!want_sigs || e->nsig == 0)
		return 0;
	*sigs = list_from_area(e->sigs, e->nsig, owner, LDNS_RR_TYPE_RRSIG,
	                       class, ttl);
	if (*sigs == NULL) {
		ldns_rr_list_deep_free(*rrs);
		*rrs = NULL;
		return -ENOMEM;
	}
	return 0;
}

int
cache_rrset_get(struct cache *c, const ldns_rdf *name, uint16_t type,
                uint16_t class, time_t now, unsigned flags,
                struct cache_rrset *out)
{
	uint8_t key[KEY_MAX];
	enum entry_state st;
	struct entry e;
	MDB_txn *txn;
	int klen, rc;

	memset(out, 0, sizeof(*out));
	if ((klen = rdf_key(name, type, class, key)) < 0)
		return klen;
	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	rc = cache_lookup(c, txn, key, (size_t)klen, now, flags, &e, &st);
	if (rc == 0 && e.kind != ENTRY_RRSET)
		rc = -ENOENT;
	if (rc == 0) {
		out->ttl_s = entry_ttl_left(&e, now, c->opts.stale_window_s);
		out->rank = (enum cache_rank)e.rank;
		out->is_stale = st != ENTRY_FRESH;
		rc = cache_entry_lists(&e, name, type, class, out->ttl_s,
		                       flags & CACHE_WANT_DNSSEC, &out->rrs,
		                       &out->rrsigs);
	}
	cache_txn_end(c, txn);
	return rc;
}

void
cache_rrset_clear(struct cache_rrset *r)
{
	ldns_rr_list_deep_free(r->rrs);
	ldns_rr_list_deep_free(r->rrsigs);
	r->rrs = r->rrsigs = NULL;
}

/* NODATA for (name, type), else NXDOMAIN for name or an ancestor
 * (RFC 8020 s2: nothing exists below a nonexistent name). */
static int
neg_find(struct cache *c, MDB_txn *txn, const uint8_t *nk, size_t nk_len,
         uint16_t type, uint16_t class, time_t now, unsigned flags,
         struct entry *e, enum entry_state *st)
{
	uint8_t key[KEY_MAX];
	size_t len = nk_len, klen;

	if (type != 0) {
		klen = key_from_namekey(nk, nk_len, type, class, key);
		if (cache_lookup(c, txn, key, klen, now, flags, e, st) == 0)
			return e->kind == ENTRY_NODATA ? 0 : -ENOENT;
	}
	for (;;) {
		klen = key_from_namekey(nk, len, 0, class, key);
		if (cache_lookup(c, txn, key, klen, now, flags, e, st) == 0 &&
		    e->kind == ENTRY_NXDOMAIN)
			return 0;
		if (len == 0)
			return -ENOENT;
		len = dname_key_parent(nk, len);
	}
}

static int
neg_lookup(struct cache *c, MDB_txn *txn, const uint8_t *wire, size_t wlen,
           uint16_t type, uint16_t class, time_t now, unsigned flags,
           struct entry *e, enum entry_state *st)
{
	uint8_t nk[DNAME_MAX_KEY];
	int nk_len = dname_to_key(wire, wlen, nk, sizeof(nk));

	if (nk_len < 0)
		return nk_len;
	return neg_find(c, txn, nk, (size_t)nk_len, type, class, now, flags, e,
	                st);
}

int
cache_neg_wire(struct cache *c, const uint8_t *name_wire, size_t name_len,
               uint16_t type, uint16_t class, time_t now, unsigned flags,
               uint8_t *out, size_t out_cap, struct cache_neg_wire_info *info)
{
	enum entry_state st;
	struct entry e;
	MDB_txn *txn;
	int rc;

	memset(info, 0, sizeof(*info));
	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	rc = neg_lookup(c, txn, name_wire, name_len, type, class, now, flags,
	                &e, &st);
	if (rc != 0)
		goto out;
	info->kind =
	    e.kind == ENTRY_NXDOMAIN ? CACHE_NEG_NXDOMAIN : CACHE_NEG_NODATA;
	info->ttl_s = entry_ttl_left(&e, now, c->opts.stale_window_s);
	info->is_stale = st != ENTRY_FRESH;
	if (!wire_rr(out, out_cap, &info->len, e.soa_owner, e.soa_owner_len,
	             LDNS_RR_TYPE_SOA, class, info->ttl_s, e.soa_rdata,
	             e.soa_rdlen))
		rc = -ENOSPC;
out:
	cache_txn_end(c, txn);
	return rc;
}

int
cache_neg_get(struct cache *c, const ldns_rdf *name, uint16_t type,
              uint16_t class, time_t now, unsigned flags, struct cache_neg *out)
{
	enum entry_state st;
	struct entry e;
	MDB_txn *txn;
	int rc;

	memset(out, 0, sizeof(*out));
	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	if ((rc = cache_txn_read(c, &txn)) != 0)
		return rc;
	rc = neg_lookup(c, txn, ldns_rdf_data(name), ldns_rdf_size(name), type,
	                class, now, flags, &e, &st);
	if (rc == 0) {
		out->kind = e.kind == ENTRY_NXDOMAIN ? CACHE_NEG_NXDOMAIN
		                                     : CACHE_NEG_NODATA;
		out->ttl_s = entry_ttl_left(&e, now, c->opts.stale_window_s);
		out->is_stale = st != ENTRY_FRESH;
		out->soa = cache_rr_from_parts(
		    e.soa_owner, e.soa_owner_len, LDNS_RR_TYPE_SOA, class,
		    out->ttl_s, e.soa_rdata, e.soa_rdlen);
		if (out->soa == NULL)
			rc = -ENOMEM;
	}
	cache_txn_end(c, txn);
	return rc;
}

void
cache_neg_clear(struct cache_neg *n)
{
	ldns_rr_free(n->soa);
	n->soa = NULL;
}
