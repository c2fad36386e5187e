/*
 * deleg.c -- delegation points. See deleg.h.
 */
#include "config.h"
#include "resolver/deleg.h"

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
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

/* Room for names in a delegation's own allocation (see deleg.h). */
struct name_room {
	ldns_rdf *rdfs; /* next free rdf */
	uint8_t *bytes; /* next free byte */
	size_t n_rdfs;  /* rdfs left */
	size_t n_bytes; /* bytes left */
};

static size_t
align_up(size_t n, size_t a)
{
	return (n + a - 1) / a * a;
}

/* A copy of name in room, or NULL when room has no space for it. */
static ldns_rdf *
room_copy(struct name_room *room, const ldns_rdf *name)
{
	size_t len = ldns_rdf_size(name);
	ldns_rdf *rd = room->rdfs;

	if (room->n_rdfs == 0 || len > room->n_bytes)
		return NULL;
	memcpy(room->bytes, ldns_rdf_data(name), len);
	ldns_rdf_set_type(rd, ldns_rdf_get_type(name));
	ldns_rdf_set_size(rd, len);
	ldns_rdf_set_data(rd, room->bytes);
	room->rdfs++;
	room->n_rdfs--;
	room->bytes += len;
	room->n_bytes -= len;
	return rd;
}

/*
 * One allocation: the struct (zeroed), an ns array of n_ns entries (none
 * if 0), n_names + 1 rdfs and name_bytes bytes for the zone and NS
 * names; room gets what the zone has not taken. NULL if out of memory.
 */
static struct deleg *
deleg_alloc(const ldns_rdf *zone, size_t n_ns, size_t n_names,
            size_t name_bytes, struct name_room *room)
{
	size_t off_ns =
	    align_up(sizeof(struct deleg), _Alignof(struct deleg_ns));
	size_t off_rdf, off_bytes;
	struct deleg *d;

	if (n_ns > SIZE_MAX / 2 / sizeof(struct deleg_ns) ||
	    n_names >= SIZE_MAX / 2 / sizeof(ldns_rdf) ||
	    name_bytes > SIZE_MAX / 4)
		return NULL;
	off_rdf = align_up(off_ns + n_ns * sizeof(struct deleg_ns),
	                   _Alignof(ldns_rdf));
	off_bytes = off_rdf + (n_names + 1) * sizeof(ldns_rdf);
	/* not calloc: each ns entry is cleared as it is added */
	if ((d = malloc(off_bytes + name_bytes)) == NULL)
		return NULL;
	memset(d, 0, sizeof(*d));
	room->rdfs = (ldns_rdf *)((uint8_t *)d + off_rdf);
	room->bytes = (uint8_t *)d + off_bytes;
	room->n_rdfs = n_names + 1;
	room->n_bytes = name_bytes;
	d->zone = room_copy(room, zone);
	assert(d->zone != NULL); /* room was sized for it */
	if (n_ns > 0) {
		d->ns = (struct deleg_ns *)((uint8_t *)d + off_ns);
		d->cap_ns = n_ns;
		d->is_ns_inline = true;
	}
	return d;
}

struct deleg *
deleg_new(const ldns_rdf *zone)
{
	struct name_room room;

	if (zone == NULL)
		return NULL;
	return deleg_alloc(zone, 0, 0, ldns_rdf_size(zone), &room);
}

void
deleg_free(struct deleg *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = d->n_inline; i < d->n_ns; i++)
		ldns_rdf_deep_free(d->ns[i].name);
	if (!d->is_ns_inline)
		free(d->ns);
	free(d); /* the zone, and the array and names inside it */
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

/* Makes room for one more entry in d->ns. 0 or -ENOMEM. */
static int
grow_ns(struct deleg *d)
{
	size_t cap = d->cap_ns ? d->cap_ns * 2 : 4;
	struct deleg_ns *n;

	if (cap > SIZE_MAX / sizeof(*n))
		return -ENOMEM;
	if (d->is_ns_inline) {
		/* the inline array cannot grow: move it out */
		if ((n = malloc(cap * sizeof(*n))) == NULL)
			return -ENOMEM;
		memcpy(n, d->ns, d->n_ns * sizeof(*n));
	} else if ((n = realloc(d->ns, cap * sizeof(*n))) == NULL) {
		return -ENOMEM;
	}
	d->ns = n;
	d->cap_ns = cap;
	d->is_ns_inline = false;
	return 0;
}

/* deleg_add_ns(), the name copied into room when not NULL (then d's
 * entries so far must all be inline), else cloned. */
static int
add_ns(struct deleg *d, const ldns_rdf *name, struct name_room *room)
{
	struct deleg_ns *ns;

	if (name == NULL || ldns_rdf_get_type(name) != LDNS_RDF_TYPE_DNAME)
		return -EINVAL;
	if (deleg_find_ns(d, name) != NULL)
		return 0;
	if (d->n_ns == d->cap_ns && grow_ns(d) < 0)
		return -ENOMEM;
	ns = &d->ns[d->n_ns];
	memset(ns, 0, sizeof(*ns));
	if (room != NULL && d->n_inline == d->n_ns &&
	    (ns->name = room_copy(room, name)) != NULL) {
		d->n_inline++;
	} else if ((ns->name = ldns_rdf_clone(name)) == NULL) {
		return -ENOMEM;
	}
	ns->state = DELEG_NS_UNRESOLVED;
	d->n_ns++;
	return 0;
}

int
deleg_add_ns(struct deleg *d, const ldns_rdf *name)
{
	return add_ns(d, name, NULL);
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

/* The NS name of rr if it is an NS record of zone, else NULL. */
static const ldns_rdf *
ns_name_of(const ldns_rr *rr, const ldns_rdf *zone)
{
	const ldns_rdf *name;

	if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_NS ||
	    ldns_rr_rd_count(rr) != 1 ||
	    !iter_dname_equal(ldns_rr_owner(rr), zone))
		return NULL;
	name = ldns_rr_rdf(rr, 0);
	return ldns_rdf_get_type(name) == LDNS_RDF_TYPE_DNAME ? name : NULL;
}

struct deleg *
deleg_from_rrs(const ldns_rdf *zone, const ldns_rr_list *ns,
               const ldns_rr_list *addrs, const struct deleg_opts *o)
{
	struct name_room room;
	struct deleg *d;
	size_t i, n = 0, bytes;
	const ldns_rdf *name;

	if (zone == NULL)
		return NULL;
	/* size one allocation from the records: duplicates leave room */
	bytes = ldns_rdf_size(zone);
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		if ((name = ns_name_of(ldns_rr_list_rr(ns, i), zone)) == NULL)
			continue;
		n++;
		bytes += ldns_rdf_size(name);
	}
	if (n == 0 || (d = deleg_alloc(zone, n, n, bytes, &room)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_list_rr_count(ns); i++) {
		name = ns_name_of(ldns_rr_list_rr(ns, i), zone);
		if (name != NULL && add_ns(d, name, &room) == -ENOMEM)
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
