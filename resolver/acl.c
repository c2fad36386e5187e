/*
 * acl.c -- longest-prefix match of client addresses to actions.
 */
#include "config.h"
#include "resolver/acl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

void
acl_init(struct acl *acl)
{
	acl->rules = NULL;
	acl->n_rules = 0;
}

void
acl_clear(struct acl *acl)
{
	free(acl->rules);
	acl_init(acl);
}

static void
mask_host_bits(uint8_t *bytes, size_t len, unsigned int bits)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (bits >= 8) {
			bits -= 8;
			continue;
		}
		bytes[i] &= (uint8_t)(0xff << (8 - bits));
		bits = 0;
	}
}

static int
parse_bits(const char *s, unsigned int max, unsigned int *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = (unsigned int)v;
	return 0;
}

/* "ADDR[/BITS]" -> rule (without action). */
static int
parse_netblock(const char *netblock, struct acl_rule *r)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(netblock, '/');
	size_t len = slash ? (size_t)(slash - netblock) : strlen(netblock);
	unsigned int max;

	if (len == 0 || len >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, netblock, len);
	addr[len] = '\0';
	memset(r, 0, sizeof(*r));
	if (inet_pton(AF_INET, addr, r->prefix) == 1) {
		r->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->prefix) == 1) {
		r->family = AF_INET6;
		max = 128;
	} else {
		return -EINVAL;
	}
	r->bits = max;
	if (slash != NULL && parse_bits(slash + 1, max, &r->bits) < 0)
		return -EINVAL;
	mask_host_bits(r->prefix, max / 8, r->bits);
	return 0;
}

static bool
same_block(const struct acl_rule *a, const struct acl_rule *b)
{
	return a->family == b->family && a->bits == b->bits &&
	       memcmp(a->prefix, b->prefix, sizeof(a->prefix)) == 0;
}

int
acl_add(struct acl *acl, const char *netblock, enum acl_action action)
{
	struct acl_rule r, *grown;
	size_t i;

	if (parse_netblock(netblock, &r) < 0)
		return -EINVAL;
	r.action = action;
	for (i = 0; i < acl->n_rules; i++) {
		if (same_block(&acl->rules[i], &r)) {
			acl->rules[i].action = action;
			return 0;
		}
	}
	grown = realloc(acl->rules, (acl->n_rules + 1) * sizeof(*grown));
	if (grown == NULL)
		return -ENOMEM;
	acl->rules = grown;
	acl->rules[acl->n_rules++] = r;
	return 0;
}

int
acl_add_defaults(struct acl *acl)
{
	static const char *const allowed[] = {
	    "127.0.0.0/8",    "::1/128",        "10.0.0.0/8", "172.16.0.0/12",
	    "192.168.0.0/16", "169.254.0.0/16", "fc00::/7",   "fe80::/10",
	};
	size_t i;
	int rc;

	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if ((rc = acl_add(acl, allowed[i], ACL_ALLOW)) < 0)
			return rc;
	return 0;
}

static bool
prefix_matches(const struct acl_rule *r, const uint8_t *addr)
{
	unsigned int full = r->bits / 8, rest = r->bits % 8;
	uint8_t mask;

	if (memcmp(r->prefix, addr, full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (addr[full] & mask) == r->prefix[full];
}

/* The family and address bytes to match, unwrapping v4-mapped IPv6
 * (RFC 4291 s2.5.5.2). */
static int
match_key(const struct sockaddr *sa, uint8_t *addr)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		memcpy(addr, &sin->sin_addr, 4);
		return AF_INET;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	sin6 = (const struct sockaddr_in6 *)(const void *)sa;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		memcpy(addr, &sin6->sin6_addr.s6_addr[12], 4);
		return AF_INET;
	}
	memcpy(addr, &sin6->sin6_addr, 16);
	return AF_INET6;
}

enum acl_action
acl_match(const struct acl *acl, const struct sockaddr *sa)
{
	const struct acl_rule *best = NULL;
	uint8_t addr[16];
	int family;
	size_t i;

	if (sa == NULL || (family = match_key(sa, addr)) < 0)
		return ACL_REFUSE;
	for (i = 0; i < acl->n_rules; i++) {
		const struct acl_rule *r = &acl->rules[i];

		if (r->family != family || !prefix_matches(r, addr))
			continue;
		if (best == NULL || r->bits > best->bits)
			best = r;
	}
	return best ? best->action : ACL_REFUSE;
}

int
acl_action_parse(const char *s, enum acl_action *out)
{
	if (strcmp(s, "allow") == 0)
		*out = ACL_ALLOW;
	else if (strcmp(s, "refuse") == 0)
		*out = ACL_REFUSE;
	else if (strcmp(s, "deny") == 0)
		*out = ACL_DENY;
	else
		return -EINVAL;
	return 0;
}

const char *
acl_action_str(enum acl_action action)
{
	switch (action) {
	case ACL_ALLOW: return "allow";
	case ACL_REFUSE: return "refuse";
	case ACL_DENY: return "deny";
	}
	return "unknown";
}

bool
acl_equal(const struct acl *a, const struct acl *b)
{
	size_t i;

	if (a->n_rules != b->n_rules)
		return false;
	for (i = 0; i < a->n_rules; i++)
		if (!same_block(&a->rules[i], &b->rules[i]) ||
		    a->rules[i].action != b->rules[i].action)
			return false;
	return true;
}
