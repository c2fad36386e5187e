/*
 * fuzz_cache_entry.c -- the cache's value decoder on arbitrary bytes, as
 * a damaged or foreign cache file would present them.
 *
 * Input: one byte of "now" offset selector, then a value. A value that
 * decodes must be walkable record by record within its own bounds, and
 * the TTL and stale rules must hold for it.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"
#include "cache/entry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
walk(const uint8_t *area, size_t len, unsigned n)
{
	const uint8_t *p = area, *rd;
	size_t sum = 0;

	for (unsigned i = 0; i < n; i++) {
		uint16_t rdlen = entry_next_rdata(&p, &rd);

		sum += 2u + rdlen;
		if (sum > len || rd + rdlen > area + len)
			abort();
	}
	if (sum != len)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct entry e;
	uint8_t *copy;
	int64_t now;

	if (size < 1)
		return 0;
	/* an exact-size heap copy so reads past the value are caught */
	if ((copy = malloc(size - 1 + 1)) == NULL)
		return 0;
	memcpy(copy, data + 1, size - 1);
	if (entry_decode(copy, size - 1, &e) == 0) {
		walk(e.rrs, e.rrs_len, e.nrr);
		walk(e.sigs, e.sigs_len, e.nsig);
		now = e.expire_at - (int64_t)e.ttl + (int64_t)data[0] * 60;
		if (entry_ttl_left(&e, now, 3600) > e.ttl)
			abort();
		if (entry_state_at(&e, now, 3600) == ENTRY_FRESH &&
		    now >= e.expire_at)
			abort();
	}
	free(copy);
	return 0;
}
