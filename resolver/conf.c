/*
 * conf.c -- parse and validate the configuration file.
 *
 * Lines are split into key and value here; what a key accepts comes from
 * its row in the key table (conf_keys.c). Errors are written to the
 * caller's buffer as "FILE:LINE: problem", never logged.
 */
#include "config.h"
#include "resolver/conf.h"
#include "resolver/conf_int.h"

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

#include "util/lines.h"
#include "util/log.h"
#include "util/util.h"

enum section { SEC_NONE, SEC_SERVER, SEC_FORWARD };

/* The state of one config_load_file() call. */
struct parser {
	struct config *cfg; /* borrowed */
	const char *path;   /* borrowed */
	int line;
	enum section sec;
	int seen_line[CONFIG_N_KEYS]; /* line a key was first set on, 0 if not
	                               */
	bool quoted;                  /* the current value was in quotes */
	char *err;                    /* borrowed: the caller's buffer */
	size_t errlen;
};

static int fail(struct parser *p, const char *fmt, ...) LOG_PRINTF(2, 3);

/* Sets the error text "FILE:LINE: ..." and returns -EINVAL. */
static int
fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = lines_vfail(p->err, p->errlen, p->path, p->line, fmt, ap);
	va_end(ap);
	return rc;
}

/* --- value parsers ------------------------------------------------------ */

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
	config_addr_set_port(a, (uint16_t)port);
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
	bool *b = config_key_field(p->cfg, k);

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
	*(uint32_t *)config_key_field(p->cfg, k) = (uint32_t)n;
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
	*(uint64_t *)config_key_field(p->cfg, k) = n;
	return 0;
}

static int
set_str(struct parser *p, const struct key_def *k, const char *v)
{
	char **s = config_key_field(p->cfg, k);
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
	struct config_addr_list *l = config_key_field(p->cfg, k);
	struct config_addr a;

	if (parse_addr(v, 0, &a) < 0)
		return fail(p,
		            "bad value \"%s\" for %s: expected an IPv4 or "
		            "IPv6 address, optionally @port",
		            v, k->name);
	if (p->seen_line[k - config_keys] == p->line)
		config_addr_list_clear(l); /* the file replaces the default */
	return config_addr_list_push(l, &a);
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
	rc = acl_add(config_key_field(p->cfg, k), block, action);
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
	return config_str_list_push(config_key_field(p->cfg, k), name);
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

	for (i = 0; i < CONFIG_N_KEYS; i++)
		if (strcmp(config_keys[i].name, name) == 0)
			return &config_keys[i];
	return NULL;
}

static int
server_key(struct parser *p, const char *key, const char *v)
{
	const struct key_def *k = find_key(key);
	int *seen;

	if (k == NULL)
		return fail(p, "unknown key \"%s\"", key);
	seen = &p->seen_line[k - config_keys];
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
		return config_addr_list_push(&z->addrs, &a);
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
parse_line(void *arg, int lineno, char *line)
{
	struct parser *p = arg;
	char *s = trim(line), *colon, *key, *value = NULL;
	int rc;

	p->line = lineno;
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
	p->line =
	    MAX(p->seen_line[a - config_keys], p->seen_line[b - config_keys]);
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
			config_addr_set_port(&cfg->interfaces.v[i],
			                     (uint16_t)cfg->port);
	return 0;
}

static int
parse_stream(struct parser *p, FILE *fp)
{
	int rc = lines_each(fp, p->path, '#', parse_line, p, &p->line, p->err,
	                    p->errlen);

	if (rc == -ENOMEM)
		fail(p, "out of memory");
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
