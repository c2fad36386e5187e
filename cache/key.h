/*
 * key.h -- the cache's keys, private to cache/.
 *
 * CACHE_FORMAT: keys (docs/cache-format.md)
 *   main table   namekey 0x00 type(u16) class(u16)
 *   expiry index expire_at(u64, big-endian) + main key
 *   zone index   namekey 0x00 class(u16)       (owners of NS RRsets)
 * namekey is dname_to_key(): labels reversed, lower case, so a name's own
 * records sort right before its subtree and a subtree is one range. The
 * 0x00 separator cannot start a label, so a name's records never mix
 * with a child's.
 */
#ifndef CAIRN_CACHE_KEY_H
#define CAIRN_CACHE_KEY_H

#include <stddef.h>
#include <stdint.h>

#define KEY_MAX (254 + 1 + 4)
#define KEY_EXP_MAX (8 + KEY_MAX)

/* Main key from a namekey; returns its length. */
size_t key_from_namekey(const uint8_t *nk, size_t nk_len, uint16_t type,
                        uint16_t class, uint8_t *key);

/* Main key from a wire name (any case); returns length or -EINVAL. */
int key_from_wire(const uint8_t *wire, size_t wire_len, uint16_t type,
                  uint16_t class, uint8_t *key);

/* Splits a main key read from disk; returns 0 or -EINVAL. */
int key_split(const uint8_t *key, size_t len, size_t *nk_len, uint16_t *type,
              uint16_t *class);

/* Expiry index key; returns its length. */
size_t key_expiry(int64_t expire_at, const uint8_t *key, size_t len,
                  uint8_t *out);

/* Zone index key; returns its length. */
size_t key_zone(const uint8_t *nk, size_t nk_len, uint16_t class, uint8_t *out);

#endif /* CAIRN_CACHE_KEY_H */
