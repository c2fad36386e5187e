/*
 * conf_int.h -- private to resolver/conf*.c: the key table and the
 * list helpers the parser, the defaults and the reload code share.
 */
#ifndef CAIRN_RESOLVER_CONF_INT_H
#define CAIRN_RESOLVER_CONF_INT_H

#include <stddef.h>
#include <stdint.h>

#include "resolver/conf.h"

enum key_type {
	KT_BOOL,  /* bool: yes | no */
	KT_UINT,  /* uint32_t in [min, max] */
	KT_SIZE,  /* uint64_t bytes with k/m/g suffix, in [min, max] */
	KT_STR,   /* char *, owned */
	KT_IFACE, /* struct config_addr_list, replaces the default */
	KT_ACL,   /* struct acl, lines added to the defaults */
	KT_NAMES  /* struct config_str_list of domain names */
};

#define KF_REPEAT 0x1  /* may appear more than once */
#define KF_RESTART 0x2 /* a change takes effect only after a restart */

struct key_def {
	const char *name;
	enum key_type type;
	size_t off;
	size_t size;
	uint64_t min, max;
	unsigned int flags;
};

#define CONFIG_N_KEYS 42

/* Every key of the server section, in documentation order. */
extern const struct key_def config_keys[CONFIG_N_KEYS];

/* The field of cfg that key k describes. */
void *config_key_field(struct config *cfg, const struct key_def *k);
const void *config_key_cfield(const struct config *cfg,
                              const struct key_def *k);

void config_addr_list_clear(struct config_addr_list *l);
/* Appends a copy of a. Returns 0 or -ENOMEM. */
int config_addr_list_push(struct config_addr_list *l,
                          const struct config_addr *a);
/* Appends s, taking ownership of it also on failure. 0 or -ENOMEM. */
int config_str_list_push(struct config_str_list *l, char *s);
/* Sets the port of an AF_INET or AF_INET6 address. */
void config_addr_set_port(struct config_addr *a, uint16_t port);

#endif /* CAIRN_RESOLVER_CONF_INT_H */
