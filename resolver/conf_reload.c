/*
 * conf_reload.c -- what changed between two configurations, and the
 * merge that applies a reload (see conf.h).
 */
#include "config.h"
#include "resolver/conf.h"
#include "resolver/conf_int.h"

#include <stdlib.h>
#include <string.h>

/* Interfaces compare as written: an address without @port follows
 * "port:", which is compared on its own. */
static bool
addr_equal(const struct config_addr *a, const struct config_addr *b,
           bool ignore_default_port)
{
	struct config_addr x = *a, y = *b;

	if (a->has_port != b->has_port || a->len != b->len)
		return false;
	if (ignore_default_port && !a->has_port) {
		config_addr_set_port(&x, 0);
		config_addr_set_port(&y, 0);
	}
	return memcmp(&x.ss, &y.ss, x.len) == 0;
}

static bool
addr_list_equal(const struct config_addr_list *a,
                const struct config_addr_list *b, bool ignore_default_port)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (!addr_equal(&a->v[i], &b->v[i], ignore_default_port))
			return false;
	return true;
}

static bool
str_list_equal(const struct config_str_list *a, const struct config_str_list *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return false;
	return true;
}

static bool
forward_equal(const struct config_forward_list *a,
              const struct config_forward_list *b)
{
	size_t i;

	if (a->n != b->n)
		return false;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i].name, b->v[i].name) != 0 ||
		    !addr_list_equal(&a->v[i].addrs, &b->v[i].addrs, false))
			return false;
	return true;
}

static bool
field_equal(const struct config *a, const struct config *b,
            const struct key_def *k)
{
	const void *x = config_key_cfield(a, k), *y = config_key_cfield(b, k);

	switch (k->type) {
	case KT_BOOL:
	case KT_UINT:
	case KT_SIZE: return memcmp(x, y, k->size) == 0;
	case KT_STR: return strcmp(*(char *const *)x, *(char *const *)y) == 0;
	case KT_IFACE: return addr_list_equal(x, y, true);
	case KT_ACL: return acl_equal(x, y);
	case KT_NAMES: return str_list_equal(x, y);
	}
	return false;
}

size_t
config_diff(const struct config *running, const struct config *fresh,
            config_change_fn *fn, void *arg)
{
	size_t i, n_restart = 0;

	for (i = 0; i < CONFIG_N_KEYS; i++) {
		bool restart = (config_keys[i].flags & KF_RESTART) != 0;

		if (field_equal(running, fresh, &config_keys[i]))
			continue;
		n_restart += restart;
		if (fn != NULL)
			fn(config_keys[i].name, restart, arg);
	}
	if (!forward_equal(&running->forward_zones, &fresh->forward_zones)) {
		n_restart++;
		if (fn != NULL)
			fn("forward-zone", true, arg);
	}
	return n_restart;
}

static void
swap_bytes(void *a, void *b, size_t size)
{
	unsigned char *x = a, *y = b, t;
	size_t i;

	for (i = 0; i < size; i++) {
		t = x[i];
		x[i] = y[i];
		y[i] = t;
	}
}

void
config_reload_merge(struct config *running, struct config *fresh)
{
	struct config_forward_list fwd;
	size_t i;

	/* Give fresh the running values of restart-only config_keys, then let
	 * running take all of fresh; what is left over is freed. */
	for (i = 0; i < CONFIG_N_KEYS; i++)
		if (config_keys[i].flags & KF_RESTART)
			swap_bytes(config_key_field(running, &config_keys[i]),
			           config_key_field(fresh, &config_keys[i]),
			           config_keys[i].size);
	fwd = running->forward_zones;
	running->forward_zones = fresh->forward_zones;
	fresh->forward_zones = fwd;
	swap_bytes(running, fresh, sizeof(*running));
	config_free(fresh);
}

bool
config_resolves_special_use(const struct config *cfg, const char *name)
{
	size_t i;

	for (i = 0; i < cfg->resolve_special_use.n; i++)
		if (strcmp(cfg->resolve_special_use.v[i], name) == 0)
			return true;
	return false;
}
