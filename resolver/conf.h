/*
 * conf.h -- the configuration file: parsing, defaults, reload.
 *
 * main.c loads the file at startup into a struct config that every other
 * module reads through ctx->cfg; nothing but main.c writes it. On SIGHUP
 * main.c loads the file again into a fresh struct, asks config_diff()
 * which keys changed and merges with config_reload_merge(): keys read at
 * use time (verbosity, access control, timeouts, limits) take their new
 * value, keys fixed at startup (sockets, files, user) keep the running
 * value until a restart. This module parses and validates only: it opens
 * no sockets and does not log; errors come back as "FILE:LINE: problem" in
 * the caller's buffer.
 *
 * File format (Unbound style): a "server:" section of "key: value" lines,
 * then any number of "forward-zone:" sections with "name:" and repeatable
 * "forward-addr: IP[@port]". '#' starts a comment; a value may be quoted
 * with double quotes. docs/cairn.conf.5 lists every key.
 *
 * Adding a key: a field here, its default in config_init_defaults(), one
 * row in the key table in conf_keys.c (type, range, repeatable,
 * restart) and CONFIG_N_KEYS in conf_int.h, docs/cairn.conf.5,
 * docs/cairn.conf.example and a test in test_conf.c.
 */
#ifndef CAIRN_RESOLVER_CONF_H
#define CAIRN_RESOLVER_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "resolver/acl.h"

#define CONFIG_ERR_LEN 512 /* a sufficient size for the error buffers */

/* An address to bind or to send to. */
struct config_addr {
	struct sockaddr_storage ss; /* port filled in */
	socklen_t len;              /* of the sockaddr_in or sockaddr_in6 */
	bool has_port;              /* "IP@port": false if from "port:" */
};

struct config_addr_list {
	struct config_addr *v; /* owned */
	size_t n;
};

struct config_str_list {
	char **v; /* owned, each owned */
	size_t n;
};

/* A "forward-zone:" section: queries at or below name go to addrs. */
struct config_forward_zone {
	char *name; /* owned: lower case, absolute ("example.com.") */
	struct config_addr_list addrs; /* port 53 unless IP@port */
	int line;                      /* of the "forward-zone:" header */
};

struct config_forward_list {
	struct config_forward_zone *v; /* owned */
	size_t n;
};

struct config {
	/* listening (restart) */
	struct config_addr_list interfaces; /* default 127.0.0.1 */
	uint32_t port;                      /* for interfaces without @port */

	/* files and process (restart) */
	char *root_hints; /* owned; "" = built-in hints */
	char *cache_file; /* owned */
	bool use_syslog;
	char *username;           /* owned; "" = keep the starting user */
	char *pidfile;            /* owned; "" = none */
	char *control_socket;     /* owned */
	char *outgoing_interface; /* owned; "" = any source address */
	bool do_ip4;
	bool do_ip6;
	uint32_t tcp_max_clients;

	/* cache (restart: passed to the cache when it is opened) */
	uint64_t cache_max_size; /* bytes */
	uint32_t cache_min_ttl_s;
	uint32_t cache_max_ttl_s;
	uint32_t cache_max_negative_ttl_s;
	bool serve_expired;
	uint32_t serve_expired_ttl_s; /* stale window */
	uint32_t serve_expired_client_timeout_ms;

	/* applied on reload */
	uint32_t verbosity;
	struct acl acl;               /* defaults plus access-control: lines */
	uint32_t upstream_timeout_ms; /* per-try ceiling */
	uint32_t upstream_timeout_min_ms; /* per-try floor */
	uint32_t resolve_timeout_ms;      /* whole client query */
	uint32_t tcp_idle_timeout_ms;     /* client connections */
	uint32_t max_udp_size;            /* largest UDP answer to clients */
	uint32_t edns_buffer_size;        /* advertised upstream */
	bool do_not_query_localhost;
	bool harden_glue;
	bool qname_minimisation;
	bool use_caps_for_id;
	bool prefetch;
	struct config_str_list resolve_special_use; /* absolute, lower case */
	uint32_t upstream_tcp_idle_timeout_ms;
	uint32_t upstream_tcp_max_inflight;
	uint32_t upstream_tcp_connections; /* per authority address */
	uint32_t upstream_tcp_after_tc_s;  /* 0: off */
	uint32_t max_queries_per_request;
	uint32_t max_ns_names;
	uint32_t max_referrals;
	uint32_t max_subquery_depth;
	uint32_t max_cname_chain;

	/* forward-zone: sections (restart) */
	struct config_forward_list forward_zones;
};

/*
 * Fills cfg (caller's storage) with the built-in defaults. Returns 0 or
 * -ENOMEM; on failure cfg is still safe to config_free().
 */
int config_init_defaults(struct config *cfg);

/*
 * Reads path over cfg, which must hold defaults (config_init_defaults). A
 * list key given in the file replaces its default list, except
 * access-control, whose lines are added to (and override) the defaults.
 * Returns 0; -EINVAL for a syntax or value error, -errno if the file cannot
 * be read, -ENOMEM. On any error err (errlen bytes, if errlen > 0) holds
 * "FILE:LINE: problem" and cfg holds a partial result: config_free() it.
 */
int config_load_file(struct config *cfg, const char *path, char *err,
                     size_t errlen);

/* Frees everything cfg owns; cfg may then be initialised again. */
void config_free(struct config *cfg);

/* Called by config_diff() for each key whose value differs. */
typedef void config_change_fn(const char *key, bool needs_restart, void *arg);

/*
 * Compares two loaded configurations and calls fn (if not NULL) once per
 * changed key, in file order; forward-zone sections count as one key,
 * "forward-zone". Returns how many changed keys need a restart.
 */
size_t config_diff(const struct config *running, const struct config *fresh,
                   config_change_fn *fn, void *arg);

/*
 * Applies a reloaded configuration: running takes every key of fresh that
 * can change at run time and keeps its own value for keys that need a
 * restart. fresh is consumed (freed) in all cases. Cannot fail.
 */
void config_reload_merge(struct config *running, struct config *fresh);

/* True if name (absolute, lower case) is listed in
 * resolve-special-use, i.e. must be resolved rather than answered
 * locally per RFC 6761. */
bool config_resolves_special_use(const struct config *cfg, const char *name);

#endif /* CAIRN_RESOLVER_CONF_H */
