/*
 * dname.c -- wire-form domain names: validation, canonical form, keys.
 */
#include "config.h"
#include "dns/dname.h"

#include <errno.h>
#include <string.h>

static uint8_t
lower(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') ? (uint8_t)(c + ('a' - 'A')) : c;
}

int
dname_wire_len(const uint8_t *wire, size_t len)
{
	size_t pos = 0;

	for (;;) {
		uint8_t lab;

		if (pos >= len)
			return -EINVAL;
		lab = wire[pos];
		if (lab > DNAME_MAX_LABEL) /* pointer or reserved type */
			return -EINVAL;
		pos += 1u + lab;
		if (pos > DNAME_MAX_WIRE)
			return -EINVAL;
		if (lab == 0)
			return (int)pos;
	}
}

int
dname_label_count(const uint8_t *wire)
{
	int n = 0;

	while (*wire != 0) {
		wire += 1u + *wire;
		n++;
	}
	return n;
}

void
dname_canonicalize(uint8_t *wire)
{
	while (*wire != 0) {
		uint8_t lab = *wire++;

		for (uint8_t i = 0; i < lab; i++)
			wire[i] = lower(wire[i]);
		wire += lab;
	}
}

int
dname_to_key(const uint8_t *wire, size_t wire_len, uint8_t *key, size_t key_cap)
{
	size_t offs[DNAME_MAX_LABELS];
	size_t n = 0, pos = 0, out = 0;
	int len = dname_wire_len(wire, wire_len);

	if (len < 0)
		return len;
	if ((size_t)len - 1 > key_cap)
		return -ENOSPC;
	while (wire[pos] != 0) {
		offs[n++] = pos;
		pos += 1u + wire[pos];
	}
	/* labels from the root down: the reversal groups a zone's names */
	while (n > 0) {
		size_t p = offs[--n];
		uint8_t lab = wire[p];

		key[out++] = lab;
		for (uint8_t i = 1; i <= lab; i++)
			key[out++] = lower(wire[p + i]);
	}
	return (int)out;
}

/* Offsets of the labels of a key; -EINVAL if malformed. */
static int
key_labels(const uint8_t *key, size_t key_len, size_t *offs)
{
	size_t pos = 0;
	int n = 0;

	while (pos < key_len) {
		uint8_t lab = key[pos];

		if (lab == 0 || lab > DNAME_MAX_LABEL ||
		    n >= DNAME_MAX_LABELS || pos + 1u + lab > key_len)
			return -EINVAL;
		offs[n++] = pos;
		pos += 1u + lab;
	}
	return n;
}

int
dname_from_key(const uint8_t *key, size_t key_len, uint8_t *wire, size_t cap)
{
	size_t offs[DNAME_MAX_LABELS];
	size_t out = 0;
	int n;

	if (key_len > DNAME_MAX_KEY)
		return -EINVAL;
	if ((n = key_labels(key, key_len, offs)) < 0)
		return n;
	if (key_len + 1 > cap)
		return -ENOSPC;
	while (n > 0) {
		size_t p = offs[--n];

		memcpy(wire + out, key + p, 1u + key[p]);
		out += 1u + key[p];
	}
	wire[out++] = 0;
	return (int)out;
}

bool
dname_key_is_below(const uint8_t *key, size_t key_len, const uint8_t *ancestor,
                   size_t ancestor_len)
{
	size_t pos = 0;

	if (ancestor_len > key_len || memcmp(key, ancestor, ancestor_len) != 0)
		return false;
	/* the prefix must end on a label boundary of key */
	while (pos < ancestor_len)
		pos += 1u + key[pos];
	return pos == ancestor_len;
}

size_t
dname_key_common(const uint8_t *a, size_t a_len, const uint8_t *b, size_t b_len)
{
	size_t pos = 0;

	while (pos < a_len && pos < b_len) {
		size_t lab = 1u + a[pos];

		if (pos + lab > a_len || pos + lab > b_len ||
		    memcmp(a + pos, b + pos, lab) != 0)
			break;
		pos += lab;
	}
	return pos;
}

size_t
dname_key_parent(const uint8_t *key, size_t key_len)
{
	size_t pos = 0, last = 0;

	while (pos < key_len) {
		last = pos;
		pos += 1u + key[pos];
	}
	return last;
}

bool
dname_equal(const uint8_t *a, const uint8_t *b)
{
	for (;;) {
		uint8_t lab = *a;

		if (lab != *b)
			return false;
		if (lab == 0)
			return true;
		for (uint8_t i = 1; i <= lab; i++)
			if (lower(a[i]) != lower(b[i]))
				return false;
		a += 1u + lab;
		b += 1u + lab;
	}
}

bool
dname_is_subdomain(const uint8_t *child, const uint8_t *parent)
{
	int nc = dname_label_count(child);
	int np = dname_label_count(parent);

	if (nc < np)
		return false;
	for (; nc > np; nc--)
		child += 1u + *child;
	return dname_equal(child, parent);
}
