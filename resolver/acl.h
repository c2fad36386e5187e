/*
 * acl.h -- access control for client queries: netblock -> action.
 *
 * listen.c asks acl_match() for the action that applies to each client
 * address before a query is parsed. The module is pure: no sockets, no
 * logging, no config parsing beyond one netblock string. Rules are kept in
 * a flat array and matched by longest prefix; an IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is matched against the IPv4 rules, so a dual-stack
 * socket sees the same policy as an IPv4 one.
 */
#ifndef CAIRN_RESOLVER_ACL_H
#define CAIRN_RESOLVER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sockaddr;

enum acl_action {
	ACL_REFUSE = 0, /* answer REFUSED (the default for unmatched) */
	ACL_ALLOW,      /* resolve */
	ACL_DENY        /* drop silently */
};

struct acl_rule {
	int family;         /* AF_INET or AF_INET6 */
	uint8_t prefix[16]; /* network bytes, host bits zeroed */
	unsigned int bits;  /* prefix length */
	enum acl_action action;
};

struct acl {
	struct acl_rule *rules; /* owned */
	size_t n_rules;
};

/* An empty list: every address is refused. */
void acl_init(struct acl *acl);

/* Frees the rules; acl is empty again afterwards. */
void acl_clear(struct acl *acl);

/*
 * Adds "ADDR/BITS" (or a bare address: a host route) with action. Host
 * bits beyond the prefix are ignored. A rule for a netblock already in
 * the list replaces its action, so a config line overrides a default.
 * Returns 0, -EINVAL for a malformed netblock, -ENOMEM.
 */
int acl_add(struct acl *acl, const char *netblock, enum acl_action action);

/* Adds the built-in defaults: loopback, RFC 1918, link-local and unique
 * local (RFC 4193) ranges allowed. Returns 0 or -ENOMEM. */
int acl_add_defaults(struct acl *acl);

/* The action of the longest matching rule for sa (AF_INET or AF_INET6),
 * ACL_REFUSE if none matches or the family is unknown. */
enum acl_action acl_match(const struct acl *acl, const struct sockaddr *sa);

/* "allow", "refuse", "deny" -> action. Returns 0 or -EINVAL. */
int acl_action_parse(const char *s, enum acl_action *out);
const char *acl_action_str(enum acl_action action);

/* True if both lists hold the same rules in the same order. */
bool acl_equal(const struct acl *a, const struct acl *b);

#endif /* CAIRN_RESOLVER_ACL_H */
