/*
 * config.c -- parse and validate the configuration file.
 *
 * Every key is one row of a table: its type, where it lives in struct
 * config, its range and whether it may repeat or needs a restart. Parsing,
 * duplicate detection, diffing and the reload merge are all driven by that
 * table, so a key cannot be parsed but forgotten on reload.
 */
#include "config.h"
#include "resolver/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <ldns/ldns.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"
#include "util/util.h"

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

static const struct key_def keys[] = {
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

#define N_KEYS ARRAY_SIZE(keys)

enum section { SEC_NONE, SEC_SERVER, SEC_FORWARD };

/* The state of one config_load_file() call. */
struct parser {
	struct config *cfg; /* borrowed */
	const char *path;   /* borrowed */
	int line;
	enum section sec;
	int seen_line[N_KEYS]; /* line a key was first set on, 0 if not */
	bool quoted;           /* the current value was in quotes */
	char *err;             /* borrowed: the caller's buffer */
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...) LOG_PRINTF(2, 3);

/* Sets the error text "FILE:LINE: ..." and returns -EINVAL. */
static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->errlen == 0)
		return -EINVAL;
	n = snprintf(p->err, p->errlen, "%s:%d: ", p->path, p->line);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static void *
field(struct config *cfg, const struct key_def *k)
{
	return (char *)cfg + k->off;
}

static const void *
cfield(const struct config *cfg, const struct key_def *k)
{
	return (const char *)cfg + k->off;
}

/* --- lists ------------------------------------------------------------ */

static void
addr_list_clear(struct config_addr_list *l)
{
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
addr_list_push(struct config_addr_list *l, const struct config_addr *a)
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
static int
str_list_push(struct config_str_list *l, char *s)
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
		addr_list_clear(&l->v[i].addrs);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* --- value parsers ------------------------------------------------------ */

static void
set_port(struct config_addr *a, uint16_t port)
{
	if (a->ss.ss_family == AF_INET)
		((struct sockaddr_in *)(void *)&a->ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)(void *)&a->ss)->sin6_port =
		    htons(port);
}

static int
parse_u64(const char *s, uint64_t *out, const char **end)
{
	char *e;
	unsigned long long v;

	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno != 0)
		return -EINVAL;
	*out = v;
	*end = e;
	return 0;
}

/* "IP" or "IP@port" (IPv4 or IPv6) -> a. */
static int
parse_addr(const char *s, uint16_t default_port, struct config_addr *a)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *at = strchr(s, '@'), *end;
	size_t len = at ? (size_t)(at - s) : strlen(s);
	uint64_t port = default_port;
	struct sockaddr_in *sin = (struct sockaddr_in *)(void *)&a->ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)(void *)&a->ss;

	memset(a, 0, sizeof(*a));
	if (len == 0 || len >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, len);
	host[len] = '\0';
	if (at != NULL) {
		if (parse_u64(at + 1, &port, &end) < 0 || *end != '\0' ||
		    port == 0 || port > 65535)
			return -EINVAL;
		a->has_port = true;
	}
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		a->len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		a->len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	set_port(a, (uint16_t)port);
	return 0;
}

/* A domain name -> its absolute, lower-case text (caller frees). */
static char *
canonical_name(const char *s)
{
	ldns_rdf *rdf = NULL;
	char *text;

	if (*s == '\0' || ldns_str2rdf_dname(&rdf, s) != LDNS_STATUS_OK)
		return NULL;
	ldns_dname2canonical(rdf);
	text = ldns_rdf2str(rdf);
	ldns_rdf_deep_free(rdf);
	return text;
}

static int
parse_size(const char *s, uint64_t *out)
{
	const char *end;
	uint64_t v, mult = 1;

	if (parse_u64(s, &v, &end) < 0)
		return -EINVAL;
	switch (*end) {
	case '\0': break;
	case 'k':
	case 'K': mult = UINT64_C(1) << 10; break;
	case 'm':
	case 'M': mult = UINT64_C(1) << 20; break;
	case 'g':
	case 'G': mult = UINT64_C(1) << 30; break;
	default: return -EINVAL;
	}
	if (*end != '\0' && end[1] != '\0')
		return -EINVAL;
	if (v > UINT64_MAX / mult)
		return -EINVAL;
	*out = v * mult;
	return 0;
}

static int
set_bool(struct parser *p, const struct key_def *k, const char *v)
{
	bool *b = field(p->cfg, k);

	if (strcmp(v, "yes") == 0)
		*b = true;
	else if (strcmp(v, "no") == 0)
		*b = false;
	else
		return fail(p, "bad value \"%s\" for %s: expected yes or no", v,
		            k->name);
	return 0;
}

static int
set_uint(struct parser *p, const struct key_def *k, const char *v)
{
	const char *end;
	uint64_t n;

	if (parse_u64(v, &n, &end) < 0 || *end != '\0' || n < k->min ||
	    n > k->max)
		return fail(p,
		            "bad value \"%s\" for %s: expected an integer in "
		            "%" PRIu64 "..%" PRIu64,
		            v, k->name, k->min, k->max);
	*(uint32_t *)field(p->cfg, k) = (uint32_t)n;
	return 0;
}

static int
set_size(struct parser *p, const struct key_def *k, const char *v)
{
	uint64_t n;

	if (parse_size(v, &n) < 0 || n < k->min || n > k->max)
		return fail(p,
		            "bad value \"%s\" for %s: expected a size in "
		            "bytes (suffix k, m or g allowed) from 1m to 1024g",
		            v, k->name);
	*(uint64_t *)field(p->cfg, k) = n;
	return 0;
}

static int
set_str(struct parser *p, const struct key_def *k, const char *v)
{
	char **s = field(p->cfg, k);
	char *copy = strdup(v);

	if (copy == NULL)
		return -ENOMEM;
	free(*s);
	*s = copy;
	return 0;
}

static int
add_iface(struct parser *p, const struct key_def *k, const char *v)
{
	struct config_addr_list *l = field(p->cfg, k);
	struct config_addr a;

	if (parse_addr(v, 0, &a) < 0)
		return fail(p,
		            "bad value \"%s\" for %s: expected an IPv4 or "
		            "IPv6 address, optionally @port",
		            v, k->name);
	if (p->seen_line[k - keys] == p->line)
		addr_list_clear(l); /* the file replaces the default */
	return addr_list_push(l, &a);
}

static int
add_acl(struct parser *p, const struct key_def *k, const char *v)
{
	char block[128];
	const char *sp = strpbrk(v, " \t");
	const char *act = sp;
	enum acl_action action;
	size_t len = sp ? (size_t)(sp - v) : 0;
	int rc;

	if (sp == NULL || len >= sizeof(block))
		return fail(p,
		            "bad value \"%s\" for %s: expected NETBLOCK "
		            "ACTION",
		            v, k->name);
	memcpy(block, v, len);
	block[len] = '\0';
	act += strspn(act, " \t");
	if (acl_action_parse(act, &action) < 0)
		return fail(p,
		            "bad action \"%s\" for %s: expected allow, "
		            "refuse or deny",
		            act, k->name);
	rc = acl_add(field(p->cfg, k), block, action);
	if (rc == -EINVAL)
		return fail(p,
		            "bad netblock \"%s\" for %s: expected "
		            "ADDRESS/PREFIXLEN",
		            block, k->name);
	return rc;
}

static int
add_name(struct parser *p, const struct key_def *k, const char *v)
{
	char *name = canonical_name(v);

	if (name == NULL)
		return fail(p,
		            "bad value \"%s\" for %s: expected a domain name",
		            v, k->name);
	return str_list_push(field(p->cfg, k), name);
}

static int
set_value(struct parser *p, const struct key_def *k, const char *v)
{
	switch (k->type) {
	case KT_BOOL: return set_bool(p, k, v);
	case KT_UINT: return set_uint(p, k, v);
	case KT_SIZE: return set_size(p, k, v);
	case KT_STR: return set_str(p, k, v);
	case KT_IFACE: return add_iface(p, k, v);
	case KT_ACL: return add_acl(p, k, v);
	case KT_NAMES: return add_name(p, k, v);
	}
	return -EINVAL;
}

/* --- sections ----------------------------------------------------------- */

static const struct key_def *
find_key(const char *name)
{
	size_t i;

	for (i = 0; i < N_KEYS; i++)
		if (strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

static int
server_key(struct parser *p, const char *key, const char *v)
{
	const struct key_def *k = find_key(key);
	int *seen;

	if (k == NULL)
		return fail(p, "unknown key \"%s\"", key);
	seen = &p->seen_line[k - keys];
	if (*seen != 0 && !(k->flags & KF_REPEAT))
		return fail(p, "duplicate key \"%s\" (first set on line %d)",
		            key, *seen);
	if (*seen == 0)
		*seen = p->line;
	if (*v == '\0' && !p->quoted)
		return fail(p, "missing value for %s", key);
	return set_value(p, k, v);
}

static struct config_forward_zone *
current_zone(struct parser *p)
{
	return &p->cfg->forward_zones.v[p->cfg->forward_zones.n - 1];
}

static int
forward_key(struct parser *p, const char *key, const char *v)
{
	struct config_forward_zone *z = current_zone(p);
	struct config_addr a;

	if (strcmp(key, "name") == 0) {
		if (z->name != NULL)
			return fail(p, "duplicate key \"name\" in "
			               "forward-zone");
		if ((z->name = canonical_name(v)) == NULL)
			return fail(p,
			            "bad value \"%s\" for name: expected a "
			            "domain name",
			            v);
		return 0;
	}
	if (strcmp(key, "forward-addr") == 0) {
		if (parse_addr(v, 53, &a) < 0)
			return fail(p,
			            "bad value \"%s\" for forward-addr: "
			            "expected an IP address, optionally "
			            "@port",
			            v);
		return addr_list_push(&z->addrs, &a);
	}
	return fail(p, "unknown key \"%s\" in forward-zone section", key);
}

/* Checks the forward-zone section that just ended. */
static int
forward_end(struct parser *p)
{
	struct config_forward_list *l = &p->cfg->forward_zones;
	struct config_forward_zone *z;
	int line = p->line;
	size_t i;
	int rc = 0;

	if (p->sec != SEC_FORWARD)
		return 0;
	z = current_zone(p);
	p->line = z->line;
	if (z->name == NULL)
		rc = fail(p, "forward-zone without a name");
	else if (z->addrs.n == 0)
		rc = fail(p, "forward-zone \"%s\" without a forward-addr",
		          z->name);
	for (i = 0; rc == 0 && i + 1 < l->n; i++)
		if (strcmp(l->v[i].name, z->name) == 0)
			rc = fail(p,
			          "forward-zone \"%s\" already defined on "
			          "line %d",
			          z->name, l->v[i].line);
	p->line = line;
	return rc;
}

static int
begin_section(struct parser *p, const char *name)
{
	struct config_forward_list *l = &p->cfg->forward_zones;
	struct config_forward_zone *v;
	int rc;

	if ((rc = forward_end(p)) < 0)
		return rc;
	if (strcmp(name, "server") == 0) {
		p->sec = SEC_SERVER;
		return 0;
	}
	v = realloc(l->v, (l->n + 1) * sizeof(*v));
	if (v == NULL)
		return -ENOMEM;
	l->v = v;
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	l->v[l->n++].line = p->line;
	p->sec = SEC_FORWARD;
	return 0;
}

/* --- lines -------------------------------------------------------------- */

static char *
trim(char *s)
{
	char *end;

	s += strspn(s, " \t\r\n");
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]) != NULL)
		*--end = '\0';
	return s;
}

/* The value after the colon: unquoted up to a '#', or "quoted". */
static int
split_value(struct parser *p, char *s, char **out)
{
	char *close, *start;

	s = trim(s);
	p->quoted = *s == '"';
	if (!p->quoted) {
		s[strcspn(s, "#")] = '\0';
		*out = trim(s);
		return 0;
	}
	start = s + 1;
	if ((close = strchr(start, '"')) == NULL)
		return fail(p, "missing closing quote");
	*close = '\0';
	s = trim(close + 1);
	if (*s != '\0' && *s != '#')
		return fail(p, "text after closing quote: \"%s\"", s);
	*out = start;
	return 0;
}

static bool
is_section(const char *key)
{
	return strcmp(key, "server") == 0 || strcmp(key, "forward-zone") == 0;
}

static int
parse_line(struct parser *p, char *line)
{
	char *s = trim(line), *colon, *key, *value = NULL;
	int rc;

	if (*s == '\0' || *s == '#')
		return 0;
	colon = strchr(s, ':');
	key = s;
	if (colon == NULL || colon == s ||
	    strcspn(s, " \t\"#") < (size_t)(colon - s))
		return fail(p, "missing ':' after key in \"%s\"", s);
	*colon = '\0';
	if ((rc = split_value(p, colon + 1, &value)) < 0)
		return rc;
	if (is_section(key)) {
		if (*value != '\0')
			return fail(p, "unexpected value after \"%s:\"", key);
		return begin_section(p, key);
	}
	switch (p->sec) {
	case SEC_SERVER: return server_key(p, key, value);
	case SEC_FORWARD: return forward_key(p, key, value);
	case SEC_NONE: break;
	}
	return fail(p,
	            "key \"%s\" outside a section (\"server:\" expected "
	            "first)",
	            key);
}

/* --- cross-key checks and finishing ------------------------------------- */

static int
check_order(struct parser *p, const char *lo_key, uint64_t lo,
            const char *hi_key, uint64_t hi)
{
	const struct key_def *a = find_key(lo_key), *b = find_key(hi_key);

	if (lo <= hi)
		return 0;
	p->line = MAX(p->seen_line[a - keys], p->seen_line[b - keys]);
	return fail(p, "%s (%" PRIu64 ") is larger than %s (%" PRIu64 ")",
	            lo_key, lo, hi_key, hi);
}

static int
finish(struct parser *p)
{
	struct config *cfg = p->cfg;
	size_t i;
	int rc;

	if ((rc = forward_end(p)) < 0)
		return rc;
	if ((rc = check_order(p, "cache-min-ttl", cfg->cache_min_ttl_s,
	                      "cache-max-ttl", cfg->cache_max_ttl_s)) < 0 ||
	    (rc = check_order(p, "upstream-timeout-min",
	                      cfg->upstream_timeout_min_ms, "upstream-timeout",
	                      cfg->upstream_timeout_ms)) < 0)
		return rc;
	for (i = 0; i < cfg->interfaces.n; i++)
		if (!cfg->interfaces.v[i].has_port)
			set_port(&cfg->interfaces.v[i], (uint16_t)cfg->port);
	return 0;
}

static int
parse_stream(struct parser *p, FILE *fp)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	while (rc == 0 && (len = getline(&line, &cap, fp)) >= 0) {
		p->line++;
		if (strlen(line) != (size_t)len)
			rc = fail(p, "NUL byte in line");
		else
			rc = parse_line(p, line);
	}
	if (rc == 0 && ferror(fp)) {
		rc = errno ? -errno : -EIO;
		fail(p, "read error: %s", strerror(-rc));
	}
	if (rc == -ENOMEM)
		fail(p, "out of memory");
	free(line);
	return rc == 0 ? finish(p) : rc;
}

int
config_load_file(struct config *cfg, const char *path, char *err, size_t errlen)
{
	struct parser p;
	FILE *fp;
	int rc;

	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.path = path;
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((fp = fopen(path, "r")) == NULL) {
		rc = errno ? -errno : -EIO;
		fail(&p, "cannot open: %s", strerror(-rc));
		return rc;
	}
	rc = parse_stream(&p, fp);
	fclose(fp);
	return rc;
}

/* --- defaults, free, reload ---------------------------------------------- */

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

	memset(cfg, 0, sizeof(*cfg));
	acl_init(&cfg->acl);
	default_numbers(cfg);
	if (default_strings(cfg) < 0 || acl_add_defaults(&cfg->acl) < 0)
		return -ENOMEM;
	if (parse_addr("127.0.0.1", (uint16_t)cfg->port, &lo) < 0)
		return -EINVAL;
	return addr_list_push(&cfg->interfaces, &lo);
}

static void
free_field(struct config *cfg, const struct key_def *k)
{
	switch (k->type) {
	case KT_STR:
		free(*(char **)field(cfg, k));
		*(char **)field(cfg, k) = NULL;
		break;
	case KT_IFACE: addr_list_clear(field(cfg, k)); break;
	case KT_ACL: acl_clear(field(cfg, k)); break;
	case KT_NAMES: str_list_clear(field(cfg, k)); break;
	default: break;
	}
}

void
config_free(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	for (i = 0; i < N_KEYS; i++)
		free_field(cfg, &keys[i]);
	forward_list_clear(&cfg->forward_zones);
}

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
		set_port(&x, 0);
		set_port(&y, 0);
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
	const void *x = cfield(a, k), *y = cfield(b, k);

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

	for (i = 0; i < N_KEYS; i++) {
		bool restart = (keys[i].flags & KF_RESTART) != 0;

		if (field_equal(running, fresh, &keys[i]))
			continue;
		n_restart += restart;
		if (fn != NULL)
			fn(keys[i].name, restart, arg);
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

	/* Give fresh the running values of restart-only keys, then let
	 * running take all of fresh; what is left over is freed. */
	for (i = 0; i < N_KEYS; i++)
		if (keys[i].flags & KF_RESTART)
			swap_bytes(field(running, &keys[i]),
			           field(fresh, &keys[i]), keys[i].size);
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
