/*
 * entry.c -- the cache's value codec and its TTL, rank and stale rules.
 */
#include "config.h"
#include "cache/entry.h"

#include <errno.h>
#include <string.h>

#include "cache/cache.h"
#include "dns/dname.h"

#define RRSIG_MIN_RDLEN 18 /* RFC 4034 s3.1: fixed fields + root signer */

void
entry_put_u16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void
entry_put_u32(uint8_t *p, uint32_t v)
{
	entry_put_u16(p, (uint16_t)(v >> 16));
	entry_put_u16(p + 2, (uint16_t)v);
}

void
entry_put_u64(uint8_t *p, uint64_t v)
{
	entry_put_u32(p, (uint32_t)(v >> 32));
	entry_put_u32(p + 4, (uint32_t)v);
}

uint16_t
entry_get_u16(const uint8_t *p)
{
	uint8_t b[2];

	memcpy(b, p, 2); /* values may be unaligned */
	return (uint16_t)((b[0] << 8) | b[1]);
}

uint32_t
entry_get_u32(const uint8_t *p)
{
	return ((uint32_t)entry_get_u16(p) << 16) | entry_get_u16(p + 2);
}

uint64_t
entry_get_u64(const uint8_t *p)
{
	return ((uint64_t)entry_get_u32(p) << 32) | entry_get_u32(p + 4);
}

void
entry_write_header(uint8_t *buf, const struct entry *e)
{
	buf[0] = e->kind;
	buf[1] = e->rank;
	entry_put_u16(buf + 2, e->flags);
	entry_put_u64(buf + 4, (uint64_t)e->expire_at);
	entry_put_u32(buf + 12, e->ttl);
	entry_put_u16(buf + 16, e->nrr);
	entry_put_u16(buf + 18, e->nsig);
}

/* Checks n length-prefixed records from *pos; returns their size or -1. */
static long
check_records(const uint8_t *val, size_t len, size_t pos, unsigned n,
              uint16_t min_rdlen)
{
	size_t start = pos;

	for (unsigned i = 0; i < n; i++) {
		uint16_t rdlen;

		if (len - pos < 2)
			return -1;
		rdlen = entry_get_u16(val + pos);
		if (rdlen < min_rdlen || len - pos - 2 < rdlen)
			return -1;
		pos += 2u + rdlen;
	}
	return (long)(pos - start);
}

static int
decode_neg(const uint8_t *val, size_t len, size_t pos, struct entry *e)
{
	uint16_t olen;
	int wl;

	if (e->nrr != 0 || e->nsig != 0 || len - pos < 2)
		return -EINVAL;
	olen = entry_get_u16(val + pos);
	pos += 2;
	if (olen == 0 || len - pos < olen)
		return -EINVAL;
	wl = dname_wire_len(val + pos, olen);
	if (wl < 0 || (size_t)wl != olen)
		return -EINVAL;
	e->soa_owner = val + pos;
	e->soa_owner_len = olen;
	pos += olen;
	if (len - pos < 2)
		return -EINVAL;
	e->soa_rdlen = entry_get_u16(val + pos);
	pos += 2;
	/* RFC 1035 s3.3.13: two names (>= 1 byte each) and five u32 */
	if (e->soa_rdlen < 22 || len - pos != e->soa_rdlen)
		return -EINVAL;
	e->soa_rdata = val + pos;
	return 0;
}

int
entry_decode(const uint8_t *val, size_t len, struct entry *e)
{
	size_t pos = ENTRY_HDR_LEN;
	long n;

	memset(e, 0, sizeof(*e));
	if (val == NULL || len < ENTRY_HDR_LEN)
		return -EINVAL;
	e->kind = val[0];
	e->rank = val[1];
	e->flags = entry_get_u16(val + 2);
	e->expire_at = (int64_t)entry_get_u64(val + 4);
	e->ttl = entry_get_u32(val + 12);
	e->nrr = entry_get_u16(val + 16);
	e->nsig = entry_get_u16(val + 18);
	if (e->rank < RANK_ADDITIONAL || e->rank > RANK_AUTH_ANSWER)
		return -EINVAL;
	/* a sane range keeps the time arithmetic below free of overflow */
	if (e->expire_at < (int64_t)e->ttl || e->expire_at > ENTRY_MAX_TIME)
		return -EINVAL;
	if (e->kind == ENTRY_NXDOMAIN || e->kind == ENTRY_NODATA)
		return decode_neg(val, len, pos, e);
	if (e->kind != ENTRY_RRSET || e->nrr == 0)
		return -EINVAL;
	if ((n = check_records(val, len, pos, e->nrr, 0)) < 0)
		return -EINVAL;
	e->rrs = val + pos;
	e->rrs_len = (size_t)n;
	pos += (size_t)n;
	n = check_records(val, len, pos, e->nsig, RRSIG_MIN_RDLEN);
	if (n < 0)
		return -EINVAL;
	e->sigs = val + pos;
	e->sigs_len = (size_t)n;
	pos += (size_t)n;
	return pos == len ? 0 : -EINVAL;
}

uint16_t
entry_next_rdata(const uint8_t **p, const uint8_t **rdata)
{
	uint16_t rdlen = entry_get_u16(*p);

	*rdata = *p + 2;
	*p += 2u + rdlen;
	return rdlen;
}

enum entry_state
entry_state_at(const struct entry *e, int64_t now, uint32_t stale_window)
{
	int64_t written_at = e->expire_at - (int64_t)e->ttl;

	if (now >= written_at && now < e->expire_at)
		return ENTRY_FRESH;
	if (now < e->expire_at + (int64_t)stale_window)
		return ENTRY_STALE;
	return ENTRY_DEAD;
}

uint32_t
entry_ttl_left(const struct entry *e, int64_t now, uint32_t stale_window)
{
	switch (entry_state_at(e, now, stale_window)) {
	case ENTRY_FRESH: return (uint32_t)(e->expire_at - now);
	case ENTRY_STALE:
		return e->ttl < CACHE_STALE_TTL_S ? e->ttl : CACHE_STALE_TTL_S;
	default: return 0;
	}
}

uint32_t
entry_clamp_ttl(uint32_t ttl, uint32_t min, uint32_t max)
{
	if (ttl > max)
		ttl = max;
	if (ttl < min)
		ttl = min;
	return ttl;
}

bool
cache_rank_is_answer(enum cache_rank rank, uint16_t type)
{
	if (rank >= RANK_NONAUTH_ANSWER)
		return true;
	return rank == RANK_AUTH_AUTHORITY && type == LDNS_RR_TYPE_DS;
}

bool
entry_may_replace(const struct entry *old, uint8_t new_rank, int64_t now)
{
	if (new_rank >= old->rank)
		return true;
	return entry_state_at(old, now, 0) != ENTRY_FRESH;
}
