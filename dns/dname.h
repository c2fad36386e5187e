/*
 * dname.h -- domain names in wire form: validation, canonical (lower
 * case) form, the reversed-label lookup key and subdomain tests.
 *
 * Pure functions on byte buffers: no allocation, no ldns, no I/O. The
 * cache builds its keys with dname_to_key(); the resolver uses the
 * subdomain tests for bailiwick checks.
 *
 * A lookup key is the name's labels from the root down, each written as
 * its length byte and its lower-cased bytes, without the root label:
 * "www.Example.COM." is "\3com\7example\3www", "." is the empty key. An
 * ancestor's key is a prefix of its descendants' keys on a label
 * boundary, so a subtree is one contiguous range in a sorted store.
 */
#ifndef CAIRN_DNS_DNAME_H
#define CAIRN_DNS_DNAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNAME_MAX_WIRE 255 /* RFC 1035 s2.3.4, root label included */
#define DNAME_MAX_LABEL 63 /* RFC 1035 s2.3.4 */
#define DNAME_MAX_KEY 254  /* wire length minus the root byte */
#define DNAME_MAX_LABELS 128

/*
 * Length of the uncompressed wire name at the start of wire (at most len
 * bytes), root label included; -EINVAL if it is not a valid uncompressed
 * name (compression pointer, label > 63, name > 255, runs past len).
 */
int dname_wire_len(const uint8_t *wire, size_t len);

/* Number of labels in a valid wire name, the root not counted. */
int dname_label_count(const uint8_t *wire);

/* Lower-cases the ASCII letters of a valid wire name in place
 * (RFC 4034 s6.2: canonical form). */
void dname_canonicalize(uint8_t *wire);

/*
 * Writes the lookup key of the wire name (any case, at most wire_len
 * bytes) into key. Returns the key length (0 for the root), -EINVAL for
 * an invalid name, -ENOSPC if key_cap is too small (DNAME_MAX_KEY always
 * suffices).
 */
int dname_to_key(const uint8_t *wire, size_t wire_len, uint8_t *key,
                 size_t key_cap);

/*
 * Writes the wire name (lower case) of a lookup key. Returns the wire
 * length, -EINVAL if key is not a valid key, -ENOSPC if cap is too small
 * (DNAME_MAX_WIRE always suffices).
 */
int dname_from_key(const uint8_t *key, size_t key_len, uint8_t *wire,
                   size_t cap);

/* True if a valid key is at or below ancestor (a valid key): ancestor is
 * a prefix of key that ends on a label boundary. */
bool dname_key_is_below(const uint8_t *key, size_t key_len,
                        const uint8_t *ancestor, size_t ancestor_len);

/* Length of the key of the closest common ancestor of two valid keys. */
size_t dname_key_common(const uint8_t *a, size_t a_len, const uint8_t *b,
                        size_t b_len);

/* Length of the key of the parent of a valid non-empty key; 0 for a
 * top-level name. */
size_t dname_key_parent(const uint8_t *key, size_t key_len);

/* True if the valid wire name child is parent or below it, ignoring case
 * (RFC 4034 s6.1 ordering is not needed for this). */
bool dname_is_subdomain(const uint8_t *child, const uint8_t *parent);

/* True if two valid wire names are equal, ignoring ASCII case. */
bool dname_equal(const uint8_t *a, const uint8_t *b);

#endif /* CAIRN_DNS_DNAME_H */
