/*
 * deleg.c -- delegation points. See deleg.h.
 */
#include "config.h"
#include "resolver/deleg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "resolver/iter.h"

void
deleg_opts_init(struct deleg_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->do_ip4 = true;
	o->do_ip6 = true;
	o->allow_localhost = false;
	o->port = 53;
	o->max_ns_names = 4;
}

struct deleg *
deleg_new(const ldns_rdf *zone)
{
	struct deleg *d;

	if (zone == NULL || (d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	if ((d->zone = ldns_rdf_clone(zone)) == NULL) {
		free(d);
		return NULL;
	}
	return d;
}

void
deleg_free(struct deleg *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n_ns; i++)
		ldns_rdf_deep_free(d->ns[i].name);
	free(d->ns);
	ldns_rdf_deep_free(d->zone);
	free(d);
}

struct deleg_ns *
deleg_find_ns(struct deleg *d, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < d->n_ns; i++)
		if (iter_dname_equal(d->ns[i].name, name))
			return &d->ns[i];
	return NULL;
}

int
deleg_add_ns(struct deleg *d, const ldns_rdf *name)
{
	struct deleg_ns *ns;

	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	if (deleg_find_ns(d, name) != NULL)
		return 0;
	if (d->n_ns == d->cap_ns) {
		size_t cap = d->cap_ns ? d->cap_ns * 2 : 4;
		struct deleg_ns *n = realloc(d->ns, cap * sizeof(*n));

		if (n == NULL)
			return -ENOMEM;
		d->ns = n;
		d->cap_ns = cap;
	}
	ns = &d->ns[d->n_ns];
	memset(ns, 0, sizeof(*ns));
	if ((ns->name = ldns_rdf_clone(name)) == NULL)
		return -ENOMEM;
	ns->state = DELEG_NS_UNRESOLVED;
	d->n_ns++;
	return 0;
}

bool
deleg_addr_allowed(const struct sockaddr *sa, const struct deleg_opts *o)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;
		uint32_t a = ntohl(in->sin_addr.s_addr);

		if (!o->do_ip4)
			return false;
		/* 0/8 is "this network" (RFC 1122 s3.2.1.3): never a server */
		if ((a >> 24) == 0)
			return false;
		return o->allow_localhost || (a >> 24) != 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (!o->do_ip6 || IN6_IS_ADDR_UNSPECIFIED(&in6->sin6_addr))
			return false;
		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr))
			return false; /* reach IPv4 servers as IPv4 */
		return o->allow_localhost ||
		       !IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
	}
	return false;
}

/* The socket address of an A/AAAA record; false if it has none. */
static bool
rr_to_addr(const ldns_rr *rr, uint16_t port, struct deleg_addr *out)
{
	const ldns_rdf *rd;

	memset(out, 0, sizeof(*out));
	if (ldns_rr_rd_count(rr) != 1)
		return false;
	rd = ldns_rr_rdf(rr, 0);
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_A &&
	    ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_A &&
	    ldns_rdf_size(rd) == 4) {
		struct sockaddr_in *in = (void *)&out->ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		memcpy(&in->sin_addr, ldns_rdf_data(rd), 4);
		out->len = sizeof(*in);
		return true;
	}
	if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_AAAA &&
	    ldns_rdf_get_type(rd) == LDNS_RDF_TYPE_AAAA &&
	    ldns_rdf_size(rd) == 16) {
		struct sockaddr_in6 *in6 = (void *)&out->ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		memcpy(&in6->sin6_addr, ldns_rdf_data(rd), 16);
		out->len = sizeof(*in6);
		return true;
	}
	return false;
}

static bool
ns_has_addr(const struct deleg_ns *ns, const struct deleg_addr *a)
{
	size_t i;

	for (i = 0; i < ns->n_addrs; i++)
		if (ns->addrs[i].len == a->len &&
		    memcmp(&ns->addrs[i].ss, &a->ss, a->len) == 0)
			return true;
	return false;
}

/* 0 if added, 1 if ignored. */
static int
ns_add_rr(struct deleg_ns *ns, const ldns_rr *rr, const struct deleg_opts *o)
{
	struct deleg_addr a;

	if (!rr_to_addr(rr, o->port, &a))
		return 1;
	if (!deleg_addr_allowed((const struct sockaddr *)&a.ss, o)) {
		ns->n_filtered++;
		return 1;
	}
	if (ns_has_addr(ns, &a) || ns->n_addrs == DELEG_MAX_ADDRS_PER_NS)
		return 1;
	ns->addrs[ns->n_addrs++] = a;
	ns->state = DELEG_NS_RESOLVED;
	return 0;
}

int
deleg_add_addr_rr(struct deleg *d, const ldns_rr *rr,
                  const struct deleg_opts *o)
{
	struct deleg_ns *ns = deleg_find_ns(d, ldns_rr_owner(rr));

	return ns != NULL ? ns_add_rr(ns, rr, o) : 1;
}

int
deleg_add_addr(struct deleg *d, const ldns_rdf *name, const struct sockaddr *sa,
               socklen_t len)
{
	struct deleg_ns *ns = deleg_find_ns(d, name);

	if ((sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    len > sizeof(struct sockaddr_storage))
		return -EINVAL;
	if (ns == NULL || ns->n_addrs >= DELEG_MAX_ADDRS_PER_NS)
		return 1;
	memset(&ns->addrs[ns->n_addrs].ss, 0, sizeof(ns->addrs[0].ss));
	memcpy(&ns->addrs[ns->n_addrs].ss, sa, len);
	ns->addrs[ns->n_addrs].len = len;
	ns->n_addrs++;
	ns->state = DELEG_NS_RESOLVED;
	return 0;
}

struct deleg *
deleg_from_rrs(const ldns_rdf *zone, const ldns_rr_list *ns,
               const ldns_rr_list *addrs, const struct deleg_opts *o)
{
	struct deleg *d = deleg_new(zone);
	size_t i;

	if (d == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(ns, i);

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
		    ldns_rr_rd_count(rr) != 1 ||
		    !iter_dname_equal(ldns_rr_owner(rr), zone))
			continue;
		if (deleg_add_ns(d, ldns_rr_rdf(rr, 0)) == -ENOMEM)
			goto fail;
	}
	if (d->n_ns == 0)
		goto fail;
	for (i = 0; addrs != NULL && i < ldns_rr_list_rr_count(addrs); i++)
		(void)deleg_add_addr_rr(d, ldns_rr_list_rr(addrs, i), o);
	return d;
fail:
	deleg_free(d);
	return NULL;
}

size_t
deleg_addr_count(const struct deleg *d)
{
	size_t i, n = 0;

	for (i = 0; i < d->n_ns; i++)
		n += d->ns[i].n_addrs;
	return n;
}

static struct deleg_ns *
first_unresolved(struct deleg *d, bool in_zone)
{
	size_t i;

	for (i = 0; i < d->n_ns; i++) {
		struct deleg_ns *ns = &d->ns[i];

		if (ns->state == DELEG_NS_UNRESOLVED &&
		    iter_dname_in_zone(ns->name, d->zone) == in_zone)
			return ns;
	}
	return NULL;
}

const ldns_rdf *
deleg_next_glueless(struct deleg *d, const struct deleg_opts *o)
{
	struct deleg_ns *ns;

	if (d->n_lookups >= o->max_ns_names)
		return NULL;
	/* a name inside the zone is reached through the zone's own servers:
	 * without any address that lookup would come back here (loop) */
	if ((ns = first_unresolved(d, false)) == NULL &&
	    (deleg_addr_count(d) == 0 ||
	     (ns = first_unresolved(d, true)) == NULL))
		return NULL;
	ns->state = DELEG_NS_PENDING;
	d->n_lookups++;
	return ns->name;
}

void
deleg_ns_resolved(struct deleg *d, const ldns_rdf *name,
                  const ldns_rr_list *addrs, const struct deleg_opts *o)
{
	struct deleg_ns *ns = deleg_find_ns(d, name);
	size_t i;

	if (ns == NULL)
		return;
	for (i = 0; addrs != NULL && i < ldns_rr_list_rr_count(addrs); i++)
		(void)ns_add_rr(ns, ldns_rr_list_rr(addrs, i), o);
	ns->state = ns->n_addrs > 0 ? DELEG_NS_RESOLVED : DELEG_NS_FAILED;
}

void
deleg_ns_failed(struct deleg *d, const ldns_rdf *name)
{
	struct deleg_ns *ns = deleg_find_ns(d, name);

	if (ns != NULL && ns->n_addrs == 0)
		ns->state = DELEG_NS_FAILED;
}

bool
deleg_has_pending(const struct deleg *d)
{
	size_t i;

	for (i = 0; i < d->n_ns; i++)
		if (d->ns[i].state == DELEG_NS_PENDING)
			return true;
	return false;
}
