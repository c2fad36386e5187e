/*
 * conf_keys.c -- the key table, the built-in defaults and freeing.
 *
 * Every key is one row of the table: its type, where it lives in struct
 * config, its range and whether it may repeat or needs a restart. The
 * parser (conf.c) and the reload code (conf_reload.c) are both driven
 * by it, so a key cannot be parsed but forgotten on reload.
 */
#include "config.h"
#include "resolver/conf.h"
#include "resolver/conf_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define FIELD(f) offsetof(struct config, f), sizeof(((struct config *)0)->f)
#define K_BOOL(n, f, fl)                                                       \
	{                                                                      \
		n, KT_BOOL, FIELD(f), 0, 1, fl                                 \
	}
#define K_UINT(n, f, lo, hi, fl)                                               \
	{                                                                      \
		n, KT_UINT, FIELD(f), lo, hi, fl                               \
	}

#define TTL_MAX 2147483647u /* RFC 2181 s8 */

const struct key_def config_keys[CONFIG_N_KEYS] = {
    {"interface", KT_IFACE, FIELD(interfaces), 0, 0, KF_REPEAT | KF_RESTART},
    K_UINT("port", port, 1, 65535, KF_RESTART),
    {"root-hints", KT_STR, FIELD(root_hints), 0, 0, KF_RESTART},
    {"cache-file", KT_STR, FIELD(cache_file), 0, 0, KF_RESTART},
    {"cache-max-size", KT_SIZE, FIELD(cache_max_size), 1024 * 1024,
     UINT64_C(1) << 40, KF_RESTART},
    K_UINT("cache-min-ttl", cache_min_ttl_s, 0, TTL_MAX, KF_RESTART),
    K_UINT("cache-max-ttl", cache_max_ttl_s, 0, TTL_MAX, KF_RESTART),
    K_UINT("cache-max-negative-ttl", cache_max_negative_ttl_s, 0, TTL_MAX,
           KF_RESTART),
    K_BOOL("serve-expired", serve_expired, KF_RESTART),
    K_UINT("serve-expired-ttl", serve_expired_ttl_s, 0, TTL_MAX, KF_RESTART),
    K_UINT("serve-expired-client-timeout", serve_expired_client_timeout_ms, 0,
           60000, KF_RESTART),
    {"access-control", KT_ACL, FIELD(acl), 0, 0, KF_REPEAT},
    K_UINT("verbosity", verbosity, 0, 5, 0),
    K_BOOL("use-syslog", use_syslog, KF_RESTART),
    {"username", KT_STR, FIELD(username), 0, 0, KF_RESTART},
    {"pidfile", KT_STR, FIELD(pidfile), 0, 0, KF_RESTART},
    {"control-socket", KT_STR, FIELD(control_socket), 0, 0, KF_RESTART},
    K_UINT("upstream-timeout", upstream_timeout_ms, 10, 60000, 0),
    K_UINT("upstream-timeout-min", upstream_timeout_min_ms, 1, 60000, 0),
    K_UINT("resolve-timeout", resolve_timeout_ms, 100, 120000, 0),
    K_UINT("tcp-idle-timeout", tcp_idle_timeout_ms, 100, 600000, 0),
    K_UINT("tcp-max-clients", tcp_max_clients, 1, 65536, KF_RESTART),
    K_UINT("max-udp-size", max_udp_size, 512, 4096, 0),
    K_UINT("edns-buffer-size", edns_buffer_size, 512, 4096, 0),
    K_BOOL("do-ip4", do_ip4, KF_RESTART),
    K_BOOL("do-ip6", do_ip6, KF_RESTART),
    K_BOOL("do-not-query-localhost", do_not_query_localhost, 0),
    K_BOOL("harden-glue", harden_glue, 0),
    K_BOOL("qname-minimisation", qname_minimisation, 0),
    K_BOOL("use-caps-for-id", use_caps_for_id, 0),
    K_BOOL("prefetch", prefetch, 0),
    {"outgoing-interface", KT_STR, FIELD(outgoing_interface), 0, 0, KF_RESTART},
    {"resolve-special-use", KT_NAMES, FIELD(resolve_special_use), 0, 0,
     KF_REPEAT},
    K_UINT("upstream-tcp-idle-timeout", upstream_tcp_idle_timeout_ms, 100,
           600000, 0),
    K_UINT("upstream-tcp-max-inflight", upstream_tcp_max_inflight, 1, 65535, 0),
    K_UINT("upstream-tcp-connections", upstream_tcp_connections, 1, 16, 0),
    K_UINT("upstream-tcp-after-tc", upstream_tcp_after_tc_s, 0, 86400, 0),
    K_UINT("max-queries-per-request", max_queries_per_request, 1, 1000, 0),
    K_UINT("max-ns-names", max_ns_names, 0, 100, 0),
    K_UINT("max-referrals", max_referrals, 1, 100, 0),
    K_UINT("max-subquery-depth", max_subquery_depth, 0, 32, 0),
    K_UINT("max-cname-chain", max_cname_chain, 0, 64, 0),
};

_Static_assert(ARRAY_SIZE(config_keys) == CONFIG_N_KEYS,
               "CONFIG_N_KEYS counts the rows of config_keys");

void *
config_key_field(struct config *cfg, const struct key_def *k)
{
	return (char *)cfg + k->off;
}

const void *
config_key_cfield(const struct config *cfg, const struct key_def *k)
{
	return (const char *)cfg + k->off;
}

void
config_addr_list_clear(struct config_addr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

int
config_addr_list_push(struct config_addr_list *l, const struct config_addr *a)
{
	struct config_addr *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (v == NULL)
		return -ENOMEM;
	l->v = v;
	l->v[l->n++] = *a;
	return 0;
}

static void
str_list_clear(struct config_str_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Takes ownership of s, also on failure. */
int
config_str_list_push(struct config_str_list *l, char *s)
{
	char **v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (v == NULL) {
		free(s);
		return -ENOMEM;
	}
	l->v = v;
	l->v[l->n++] = s;
	return 0;
}

static void
forward_list_clear(struct config_forward_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].name);
		config_addr_list_clear(&l->v[i].addrs);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void
config_addr_set_port(struct config_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)&a->ss)->sin6_port =
		    htons(port);
}

static int
dup_str(char **dst, const char *s)
{
	return (*dst = strdup(s)) == NULL ? -ENOMEM : 0;
}

static int
default_strings(struct config *cfg)
{
	if (dup_str(&cfg->root_hints, "") < 0 ||
	    dup_str(&cfg->cache_file, LOCALSTATEDIR "/lib/cairn/cache.mdb") <
	        0 ||
	    dup_str(&cfg->username, "") < 0 || dup_str(&cfg->pidfile, "") < 0 ||
	    dup_str(&cfg->control_socket, LOCALSTATEDIR "/run/cairn.ctl") < 0 ||
	    dup_str(&cfg->outgoing_interface, "") < 0)
		return -ENOMEM;
	return 0;
}

static void
default_numbers(struct config *cfg)
{
	cfg->port = 5335;
	cfg->cache_max_size = UINT64_C(1) << 30;
	cfg->cache_min_ttl_s = 0;
	cfg->cache_max_ttl_s = 86400;
	cfg->cache_max_negative_ttl_s = 3600;
	cfg->serve_expired = true;
	cfg->serve_expired_ttl_s = 86400;
	cfg->serve_expired_client_timeout_ms = 1800;
	cfg->verbosity = 1;
	cfg->upstream_timeout_ms = 1500;
	cfg->upstream_timeout_min_ms = 50;
	cfg->resolve_timeout_ms = 5000;
	cfg->tcp_idle_timeout_ms = 10000;
	cfg->tcp_max_clients = 256;
	cfg->max_udp_size = 1232; /* DNS flag day 2020 */
	cfg->edns_buffer_size = 1232;
	cfg->do_ip4 = true;
	cfg->do_ip6 = true;
	cfg->do_not_query_localhost = true;
	cfg->harden_glue = true;
	cfg->qname_minimisation = true; /* RFC 9156 */
	cfg->upstream_tcp_idle_timeout_ms = 10000;
	cfg->upstream_tcp_max_inflight = 100;
	cfg->upstream_tcp_connections = 1;
	cfg->upstream_tcp_after_tc_s = 300;
	cfg->max_queries_per_request = 64;
	cfg->max_ns_names = 12;
	cfg->max_referrals = 30;
	cfg->max_subquery_depth = 6;
	cfg->max_cname_chain = 12;
}

int
config_init_defaults(struct config *cfg)
{
	struct config_addr lo;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&lo.ss;

	memset(cfg, 0, sizeof(*cfg));
	acl_init(&cfg->acl);
	default_numbers(cfg);
	if (default_strings(cfg) < 0 || acl_add_defaults(&cfg->acl) < 0)
		return -ENOMEM;
	memset(&lo, 0, sizeof(lo));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lo.len = sizeof(*sin);
	config_addr_set_port(&lo, (uint16_t)cfg->port);
	return config_addr_list_push(&cfg->interfaces, &lo);
}

static void
free_field(struct config *cfg, const struct key_def *k)
{
	switch (k->type) {
	case KT_STR:
		free(*(char **)config_key_field(cfg, k));
		*(char **)config_key_field(cfg, k) = NULL;
		break;
	case KT_IFACE: config_addr_list_clear(config_key_field(cfg, k)); break;
	case KT_ACL: acl_clear(config_key_field(cfg, k)); break;
	case KT_NAMES: str_list_clear(config_key_field(cfg, k)); break;
	default: break;
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < CONFIG_N_KEYS; i++)
		free_field(cfg, &config_keys[i]);
	forward_list_clear(&cfg->forward_zones);
}
