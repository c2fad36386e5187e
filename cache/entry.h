/*
 * entry.h -- the cache's value codec and its TTL, rank and stale rules.
 *
 * Pure functions on byte buffers, private to cache/ (and the fuzz target
 * for the decoder). Values come from disk and are validated fully by
 * entry_decode() before any field is used; they may be unaligned, so
 * every field is read with memcpy.
 *
 * CACHE_FORMAT: value layout, all integers big-endian (docs/cache-format.md)
 *
 *   off size field
 *    0   1   kind       1 RRset, 2 NXDOMAIN, 3 NODATA
 *    1   1   rank       enum cache_rank
 *    2   2   flags      reserved, 0
 *    4   8   expire_at  absolute expiry, seconds since the epoch (signed)
 *   12   4   ttl        TTL stored (after clamping); written at
 *                       expire_at - ttl
 *   16   2   nrr        RRs in the set (0 for negative entries)
 *   18   2   nsig       RRSIGs stored with the set
 *   20       nrr  x { u16 rdlength, rdata }  names uncompressed
 *            nsig x { u16 rdlength, rdata }  RRSIG rdata
 *   negative entries, after the header:
 *            u16 owner length, SOA owner (wire), u16 rdlength, SOA rdata
 */
#ifndef CAIRN_CACHE_ENTRY_H
#define CAIRN_CACHE_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENTRY_HDR_LEN 20
/* Expiry times beyond this are invalid (year ~146 billion: only a damaged
 * file holds them). */
#define ENTRY_MAX_TIME ((int64_t)1 << 52)

enum entry_kind { ENTRY_RRSET = 1, ENTRY_NXDOMAIN = 2, ENTRY_NODATA = 3 };

/* A decoded value; the pointers borrow from the buffer decoded. */
struct entry {
	uint8_t kind;
	uint8_t rank;
	uint16_t flags;
	int64_t expire_at;
	uint32_t ttl;
	uint16_t nrr, nsig;
	const uint8_t *rrs; /* nrr records of u16 rdlength + rdata */
	size_t rrs_len;
	const uint8_t *sigs; /* nsig records */
	size_t sigs_len;
	const uint8_t *soa_owner; /* negative entries */
	size_t soa_owner_len;
	const uint8_t *soa_rdata;
	uint16_t soa_rdlen;
};

/* Freshness of an entry at a given time. */
enum entry_state {
	ENTRY_FRESH,
	ENTRY_STALE, /* inside the stale window, or written after now */
	ENTRY_DEAD   /* past the stale window: may be deleted */
};

void entry_put_u16(uint8_t *p, uint16_t v);
void entry_put_u32(uint8_t *p, uint32_t v);
void entry_put_u64(uint8_t *p, uint64_t v);
uint16_t entry_get_u16(const uint8_t *p);
uint32_t entry_get_u32(const uint8_t *p);
uint64_t entry_get_u64(const uint8_t *p);

/* Writes the ENTRY_HDR_LEN-byte header of e into buf. */
void entry_write_header(uint8_t *buf, const struct entry *e);

/*
 * Validates and decodes a value: header, every record length, RRSIG
 * minimum size, SOA owner name, no trailing bytes. Returns 0 or -EINVAL.
 */
int entry_decode(const uint8_t *val, size_t len, struct entry *e);

/* Steps through validated records: *p is the cursor, returns rdlength
 * and sets *rdata. */
uint16_t entry_next_rdata(const uint8_t **p, const uint8_t **rdata);

/*
 * Freshness at now. Fresh while written_at <= now < expire_at (with
 * written_at = expire_at - ttl: an entry written "after" now means the
 * clock went back, so it is not trusted as fresh); stale until
 * expire_at + stale_window; dead after.
 */
enum entry_state entry_state_at(const struct entry *e, int64_t now,
                                uint32_t stale_window);

/* Remaining TTL at now: expire_at - now when fresh, CACHE_STALE_TTL_S
 * when stale (RFC 8767 s4), and never above the stored TTL. */
uint32_t entry_ttl_left(const struct entry *e, int64_t now,
                        uint32_t stale_window);

/* The TTL to store: ttl clamped to [min, max]. */
uint32_t entry_clamp_ttl(uint32_t ttl, uint32_t min, uint32_t max);

/*
 * RFC 2181 s5.4.1: may data of new_rank replace the existing entry at
 * now? Yes if the rank is not lower, or the existing entry is not fresh.
 */
bool entry_may_replace(const struct entry *old, uint8_t new_rank, int64_t now);

#endif /* CAIRN_CACHE_ENTRY_H */
