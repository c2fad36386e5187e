/*
 * key.c -- the cache's keys.
 */
#include "config.h"
#include "cache/key.h"

#include <errno.h>
#include <string.h>

#include "cache/entry.h"
#include "dns/dname.h"

size_t
key_from_namekey(const uint8_t *nk, size_t nk_len, uint16_t type,
                 uint16_t class, uint8_t *key)
{
	memmove(key, nk, nk_len);
	key[nk_len] = 0;
	entry_put_u16(key + nk_len + 1, type);
	entry_put_u16(key + nk_len + 3, class);
	return nk_len + 5;
}

int
key_from_wire(const uint8_t *wire, size_t wire_len, uint16_t type,
              uint16_t class, uint8_t *key)
{
	int n = dname_to_key(wire, wire_len, key, DNAME_MAX_KEY);

	if (n < 0)
		return n;
	return (int)key_from_namekey(key, (size_t)n, type, class, key);
}

int
key_split(const uint8_t *key, size_t len, size_t *nk_len, uint16_t *type,
          uint16_t *class)
{
	size_t pos = 0;

	/* walk the labels: the separator is where a label would start */
	while (pos < len && key[pos] != 0) {
		if (key[pos] > DNAME_MAX_LABEL)
			return -EINVAL;
		pos += 1u + key[pos];
	}
	if (pos > DNAME_MAX_KEY || pos + 5 != len)
		return -EINVAL;
	*nk_len = pos;
	*type = entry_get_u16(key + pos + 1);
	*class = entry_get_u16(key + pos + 3);
	return 0;
}

size_t
key_expiry(int64_t expire_at, const uint8_t *key, size_t len, uint8_t *out)
{
	entry_put_u64(out, (uint64_t)(expire_at < 0 ? 0 : expire_at));
	memcpy(out + 8, key, len);
	return 8 + len;
}

size_t
key_zone(const uint8_t *nk, size_t nk_len, uint16_t class, uint8_t *out)
{
	memcpy(out, nk, nk_len);
	out[nk_len] = 0;
	entry_put_u16(out + nk_len + 1, class);
	return nk_len + 3;
}
