/*
 * deleg.h -- a delegation point: a zone, its NS names and their
 * addresses, as the query walks down the tree.
 *
 * Built from the root hints, from a cached delegation (zone name, NS RRset,
 * A/AAAA records) or from a referral (iter_result deleg_* members): all
 * three are ldns_rr_lists, so one constructor serves them. The query asks
 * deleg_next_glueless() which NS name to resolve next when no address is
 * usable, and reports the outcome with deleg_ns_resolved/failed().
 *
 * Pure: no I/O, no clock. Addresses are filtered at insertion by the
 * transport options (IPv4/IPv6, loopback refused unless allowed).
 */
#ifndef CAIRN_RESOLVER_DELEG_H
#define CAIRN_RESOLVER_DELEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <ldns/ldns.h>

/* Addresses kept per NS name (more are ignored: RFC 1035 gives no limit,
 * but a server with more than this is no more reachable). */
#define DELEG_MAX_ADDRS_PER_NS 8

enum deleg_ns_state {
	DELEG_NS_UNRESOLVED, /* no address yet, no lookup started */
	DELEG_NS_PENDING,    /* address lookup (sub-query) running */
	DELEG_NS_RESOLVED,   /* addresses known (maybe none usable) */
	DELEG_NS_FAILED      /* lookup failed or not allowed */
};

struct deleg_addr {
	struct sockaddr_storage ss; /* port set from deleg_opts */
	socklen_t len;
};

struct deleg_ns {
	ldns_rdf *name; /* owned: never moves while the deleg lives */
	enum deleg_ns_state state;
	struct deleg_addr addrs[DELEG_MAX_ADDRS_PER_NS];
	size_t n_addrs;
	size_t n_filtered; /* addresses refused by deleg_opts */
};

/*
 * A delegation is one allocation holding the struct, the zone name and,
 * from deleg_from_rrs(), the ns array and its names, sized from the
 * records: a referral costs one malloc, not two per name. Names added
 * later are cloned on their own, and the array is copied out to grow.
 */
struct deleg {
	ldns_rdf *zone;      /* owned: inside d's allocation */
	struct deleg_ns *ns; /* owned array (inside d's when is_ns_inline) */
	size_t n_ns;
	size_t cap_ns;
	size_t n_lookups;  /* glueless lookups started (deleg_next_glueless) */
	size_t n_inline;   /* ns[0 .. n_inline) have their names inside d */
	bool is_ns_inline; /* ns lies inside d's allocation */
};

struct deleg_opts {
	bool do_ip4;
	bool do_ip6;
	bool allow_localhost; /* !do-not-query-localhost: 127/8 and ::1 */
	uint16_t port;        /* authority port, 53 */
	size_t max_ns_names;  /* glueless NS lookups per delegation (NXNS) */
};

/* Defaults: IPv4 and IPv6, no loopback, port 53, 4 glueless lookups. */
void deleg_opts_init(struct deleg_opts *o);

/* An empty delegation for zone (copied). NULL if out of memory. Free
 * with deleg_free(). */
struct deleg *deleg_new(const ldns_rdf *zone);
void deleg_free(struct deleg *d);

/*
 * A delegation for zone from NS records (those owned by zone; others are
 * ignored) and address records (A/AAAA owned by an NS name; others are
 * ignored). The lists are only read. addrs may be NULL. NULL if out of
 * memory or no NS record of zone.
 */
struct deleg *deleg_from_rrs(const ldns_rdf *zone, const ldns_rr_list *ns,
                             const ldns_rr_list *addrs,
                             const struct deleg_opts *o);

/* Adds an NS name (copied); a name already present is not added twice.
 * 0 or -ENOMEM. */
int deleg_add_ns(struct deleg *d, const ldns_rdf *name);

/* Adds the address of an A or AAAA record to the NS name owning it, and
 * marks the name resolved. Returns 0 if added, 1 if ignored (no such NS
 * name, filtered by o, duplicate, full, not an address record). */
int deleg_add_addr_rr(struct deleg *d, const ldns_rr *rr,
                      const struct deleg_opts *o);

/*
 * Adds a configured address (port included) to the NS name name, marking
 * it resolved: forward-zone servers, which deleg_opts do not filter since
 * the operator named them (a forwarder on loopback is usual). Returns 0,
 * 1 (no such NS name, list full) or -EINVAL (not IPv4/IPv6).
 */
int deleg_add_addr(struct deleg *d, const ldns_rdf *name,
                   const struct sockaddr *sa, socklen_t len);
/* True if the address is one o allows to query. */
bool deleg_addr_allowed(const struct sockaddr *sa, const struct deleg_opts *o);

/* The NS entry for name, or NULL. Borrowed: valid until d changes. */
struct deleg_ns *deleg_find_ns(struct deleg *d, const ldns_rdf *name);

/* Usable addresses over all NS names. */
size_t deleg_addr_count(const struct deleg *d);

/*
 * The next NS name whose addresses must be looked up (a sub-query), now
 * marked DELEG_NS_PENDING; NULL when there is none or o->max_ns_names
 * lookups were already started for d (the NXNS amplification attack
 * sends referrals with many glueless names). Names outside
 * the zone come first; a name inside it without glue is only looked up
 * when d has some address, since its lookup goes through d itself.
 * The name is borrowed: valid while d lives.
 */
const ldns_rdf *deleg_next_glueless(struct deleg *d,
                                    const struct deleg_opts *o);

/* Reports a finished lookup of name: the addresses of every A/AAAA record
 * in addrs (the final RRsets of its A and AAAA lookups, whatever their
 * owner after a CNAME; may be NULL), or failure. Unknown names are
 * ignored. A name that got no usable address ends DELEG_NS_FAILED. */
void deleg_ns_resolved(struct deleg *d, const ldns_rdf *name,
                       const ldns_rr_list *addrs, const struct deleg_opts *o);
void deleg_ns_failed(struct deleg *d, const ldns_rdf *name);

/* True if some lookup is still pending (the query should wait). */
bool deleg_has_pending(const struct deleg *d);

#endif /* CAIRN_RESOLVER_DELEG_H */
