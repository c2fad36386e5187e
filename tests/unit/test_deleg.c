/*
 * test_deleg.c -- delegation points from hints, cache and referrals.
 */
#include "config.h"
#include "resolver/deleg.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include "resolver/iter.h"

Suite *deleg_suite(void);

static ldns_rr_list *
rr_list(const char *const *rrs)
{
	ldns_rr_list *l = ldns_rr_list_new();
	size_t i;

	for (i = 0; rrs[i] != NULL; i++) {
		ldns_rr *rr = NULL;

		ck_assert_int_eq(
		    ldns_rr_new_frm_str(&rr, rrs[i], 3600, NULL, NULL),
		    LDNS_STATUS_OK);
		ldns_rr_list_push_rr(l, rr);
	}
	return l;
}

static struct deleg *
make(const char *zone, const char *const *ns, const char *const *addrs,
     const struct deleg_opts *o)
{
	ldns_rdf *z = ldns_dname_new_frm_str(zone);
	ldns_rr_list *nl = rr_list(ns), *al = rr_list(addrs);
	struct deleg *d = deleg_from_rrs(z, nl, al, o);

	ldns_rdf_deep_free(z);
	ldns_rr_list_deep_free(nl);
	ldns_rr_list_deep_free(al);
	return d;
}

static struct deleg_ns *
ns_named(struct deleg *d, const char *name)
{
	ldns_rdf *n = ldns_dname_new_frm_str(name);
	struct deleg_ns *ns = deleg_find_ns(d, n);

	ldns_rdf_deep_free(n);
	return ns;
}

static const char *const root_ns[] = {". 518400 IN NS a.root-servers.net.",
                                      ". 518400 IN NS b.root-servers.net.",
                                      NULL};
static const char *const root_addrs[] = {
    "a.root-servers.net. 518400 IN A 198.41.0.4",
    "a.root-servers.net. 518400 IN AAAA 2001:503:ba3e::2:30",
    "b.root-servers.net. 518400 IN A 170.247.170.2",
    "b.root-servers.net. 518400 IN A 170.247.170.2", /* duplicate */
    "c.root-servers.net. 518400 IN A 192.33.4.12",   /* not an NS */
    NULL};

START_TEST(hints_become_a_root_delegation_with_port_53)
{
	struct deleg_opts o;
	struct deleg *d;
	struct deleg_ns *a;
	const struct sockaddr_in *in;

	deleg_opts_init(&o);
	d = make(".", root_ns, root_addrs, &o);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->n_ns, 2);
	ck_assert_uint_eq(deleg_addr_count(d), 3);
	a = ns_named(d, "A.ROOT-SERVERS.NET.");
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(a->state, DELEG_NS_RESOLVED);
	ck_assert_uint_eq(a->n_addrs, 2);
	in = (const void *)&a->addrs[0].ss;
	ck_assert_int_eq(in->sin_family, AF_INET);
	ck_assert_uint_eq(ntohs(in->sin_port), 53);
	ck_assert_uint_eq(ntohl(in->sin_addr.s_addr), 0xc6290004u);
	ck_assert_ptr_null(ns_named(d, "c.root-servers.net."));
	deleg_free(d);
	deleg_free(NULL);
}
END_TEST

START_TEST(address_family_and_localhost_filters_apply)
{
	static const char *const ns[] = {"example. 3600 IN NS ns.example.",
	                                 NULL};
	static const char *const addrs[] = {
	    "ns.example. 3600 IN A 192.0.2.1",
	    "ns.example. 3600 IN AAAA 2001:db8::1",
	    "ns.example. 3600 IN A 127.0.0.53",
	    "ns.example. 3600 IN AAAA ::1",
	    "ns.example. 3600 IN A 0.0.0.0",
	    NULL};
	struct deleg_opts o;
	struct deleg *d;

	deleg_opts_init(&o);
	d = make("example.", ns, addrs, &o);
	ck_assert_uint_eq(deleg_addr_count(d), 2);
	ck_assert_uint_eq(ns_named(d, "ns.example.")->n_filtered, 3);
	deleg_free(d);

	o.do_ip6 = false;
	d = make("example.", ns, addrs, &o);
	ck_assert_uint_eq(deleg_addr_count(d), 1);
	deleg_free(d);

	o.do_ip6 = true;
	o.do_ip4 = false;
	o.allow_localhost = true;
	o.port = 5353;
	d = make("example.", ns, addrs, &o);
	ck_assert_uint_eq(deleg_addr_count(d), 2); /* 2001:db8::1 and ::1 */
	ck_assert_uint_eq(
	    ntohs(((const struct sockaddr_in6 *)(const void *)&ns_named(
	               d, "ns.example.")
	               ->addrs[0]
	               .ss)
	              ->sin6_port),
	    5353);
	deleg_free(d);
}
END_TEST

START_TEST(referral_result_gives_delegation_with_aaaa_only_glue)
{
	static const char *const ns[] = {
	    "org. 172800 IN NS a0.org-servers.org.",
	    "org. 172800 IN NS b0.org.afilias-nst.org.",
	    "com. 172800 IN NS wrong.owner.", NULL};
	static const char *const glue[] = {
	    "a0.org-servers.org. 172800 IN AAAA 2001:db8:53::1", NULL};
	struct deleg_opts o;
	struct deleg *d;

	deleg_opts_init(&o);
	d = make("org.", ns, glue, &o);
	ck_assert_uint_eq(d->n_ns, 2);
	ck_assert_uint_eq(deleg_addr_count(d), 1);
	ck_assert_int_eq(ns_named(d, "b0.org.afilias-nst.org.")->state,
	                 DELEG_NS_UNRESOLVED);
	deleg_free(d);
	o.do_ip6 = false; /* no usable glue at all now */
	d = make("org.", ns, glue, &o);
	ck_assert_uint_eq(deleg_addr_count(d), 0);
	ck_assert_int_eq(ns_named(d, "a0.org-servers.org.")->state,
	                 DELEG_NS_UNRESOLVED);
	deleg_free(d);
}
END_TEST

START_TEST(delegation_without_ns_of_the_zone_is_refused)
{
	static const char *const ns[] = {"com. 3600 IN NS ns.example.", NULL};
	static const char *const none[] = {NULL};
	struct deleg_opts o;

	deleg_opts_init(&o);
	ck_assert_ptr_null(make("example.", ns, none, &o));
}
END_TEST

START_TEST(glueless_names_outside_zone_first_and_capped)
{
	static const char *const ns[] = {
	    "example.com. 3600 IN NS ns1.example.com.",
	    "example.com. 3600 IN NS ns.a.net.",
	    "example.com. 3600 IN NS ns.b.net.",
	    "example.com. 3600 IN NS ns.c.net.", NULL};
	static const char *const none[] = {NULL};
	static const char *const found[] = {"ns.a.net. 300 IN A 192.0.2.10",
	                                    "ns.a.net. 300 IN TXT \"x\"", NULL};
	struct deleg_opts o;
	struct deleg *d;
	const ldns_rdf *n;
	ldns_rr_list *addrs = rr_list(found);
	ldns_rdf *b;

	deleg_opts_init(&o);
	o.max_ns_names = 3;
	d = make("example.com.", ns, none, &o);
	n = deleg_next_glueless(d, &o);
	ck_assert(iter_dname_equal(n, ns_named(d, "ns.a.net.")->name));
	ck_assert(deleg_has_pending(d));
	ck_assert_int_eq(ns_named(d, "ns.a.net.")->state, DELEG_NS_PENDING);
	b = ldns_rdf_clone(deleg_next_glueless(d, &o));
	deleg_ns_resolved(d, n, addrs, &o);
	ck_assert_int_eq(ns_named(d, "ns.a.net.")->state, DELEG_NS_RESOLVED);
	ck_assert_uint_eq(deleg_addr_count(d), 1);
	deleg_ns_failed(d, b);
	ck_assert_int_eq(ns_named(d, "ns.b.net.")->state, DELEG_NS_FAILED);
	ck_assert(!deleg_has_pending(d));
	/* third and last lookup allowed: ns.c.net, then the cap */
	n = deleg_next_glueless(d, &o);
	ck_assert(iter_dname_equal(n, ns_named(d, "ns.c.net.")->name));
	ck_assert_ptr_null(deleg_next_glueless(d, &o));
	ck_assert_int_eq(ns_named(d, "ns1.example.com.")->state,
	                 DELEG_NS_UNRESOLVED);
	ldns_rdf_deep_free(b);
	ldns_rr_list_deep_free(addrs);
	deleg_free(d);
}
END_TEST

START_TEST(in_zone_glueless_name_waits_for_some_address)
{
	static const char *const ns[] = {
	    "example.com. 3600 IN NS ns1.example.com.",
	    "example.com. 3600 IN NS ns2.example.com.", NULL};
	static const char *const none[] = {NULL};
	static const char *const glue[] = {
	    "ns2.example.com. 3600 IN A 192.0.2.2", NULL};
	struct deleg_opts o;
	struct deleg *d;

	deleg_opts_init(&o);
	d = make("example.com.", ns, none, &o);
	/* resolving ns1.example.com would ask example.com itself: loop */
	ck_assert_ptr_null(deleg_next_glueless(d, &o));
	deleg_free(d);
	d = make("example.com.", ns, glue, &o);
	ck_assert(iter_dname_equal(deleg_next_glueless(d, &o),
	                           ns_named(d, "ns1.example.com.")->name));
	deleg_free(d);
}
END_TEST

START_TEST(resolution_with_no_usable_address_is_a_failure)
{
	static const char *const ns[] = {"example. 3600 IN NS ns.example.net.",
	                                 NULL};
	static const char *const none[] = {NULL};
	static const char *const local[] = {"ns.example.net. 60 IN A 127.0.0.1",
	                                    NULL};
	struct deleg_opts o;
	struct deleg *d;
	ldns_rr_list *l = rr_list(local);
	const ldns_rdf *n;

	deleg_opts_init(&o);
	d = make("example.", ns, none, &o);
	n = deleg_next_glueless(d, &o);
	ck_assert_ptr_nonnull(n);
	deleg_ns_resolved(d, n, l, &o);
	ck_assert_int_eq(ns_named(d, "ns.example.net.")->state,
	                 DELEG_NS_FAILED);
	ck_assert_uint_eq(deleg_addr_count(d), 0);
	ldns_rr_list_deep_free(l);
	deleg_free(d);
}
END_TEST

START_TEST(configured_forwarder_keeps_its_port_and_loopback)
{
	ldns_rdf *zone = ldns_dname_new_frm_str("example.test.");
	struct deleg *d = deleg_new(zone);
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	const struct sockaddr_in *got;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(5353);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_UNIX; /* neither IPv4 nor IPv6 */
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(deleg_add_ns(d, zone), 0);
	ck_assert_int_eq(
	    deleg_add_addr(d, zone, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(
	    deleg_add_addr(d, zone, (struct sockaddr *)&sin6, sizeof(sin6)),
	    -EINVAL);
	ck_assert_uint_eq(deleg_addr_count(d), 1);
	got = (const struct sockaddr_in *)&d->ns[0].addrs[0].ss;
	ck_assert_uint_eq(ntohs(got->sin_port), 5353);
	ck_assert_int_eq(d->ns[0].state, DELEG_NS_RESOLVED);
	ck_assert_ptr_null(deleg_next_glueless(
	    d, &(struct deleg_opts){.do_ip4 = true, .max_ns_names = 4}));
	deleg_free(d);
	ldns_rdf_deep_free(zone);
}
END_TEST

START_TEST(names_stay_put_when_names_are_added_after_a_referral)
{
	static const char *const ns[] = {
	    "Example.com. 3600 IN NS ns.a.net.",
	    "example.com. 3600 IN NS NS.A.NET.", /* the same name */
	    "example.com. 3600 IN A 192.0.2.9",  /* not an NS record */
	    "example.com. 3600 IN NS ns.b.net.", NULL};
	static const char *const glue[] = {"ns.b.net. 300 IN A 192.0.2.2",
	                                   NULL};
	char buf[32];
	struct deleg_opts o;
	struct deleg *d;
	const ldns_rdf *first;
	ldns_rdf *n;
	size_t i;

	deleg_opts_init(&o);
	d = make("example.com.", ns, glue, &o);
	ck_assert_ptr_nonnull(d);
	ck_assert_uint_eq(d->n_ns, 2);
	n = ldns_dname_new_frm_str("example.com.");
	ck_assert_int_eq(ldns_dname_compare(d->zone, n), 0);
	ldns_rdf_deep_free(n);
	first = deleg_next_glueless(d, &o); /* borrowed while d lives */
	ck_assert(iter_dname_equal(first, ns_named(d, "ns.a.net.")->name));
	/* 20 names more: the array grows and moves, the names stay */
	for (i = 0; i < 20; i++) {
		snprintf(buf, sizeof(buf), "ns%zu.c.net.", i);
		n = ldns_dname_new_frm_str(buf);
		ck_assert_int_eq(deleg_add_ns(d, n), 0);
		ck_assert_int_eq(deleg_add_ns(d, n), 0); /* once only */
		ldns_rdf_deep_free(n);
	}
	ck_assert_uint_eq(d->n_ns, 22);
	ck_assert(iter_dname_equal(first, ns_named(d, "ns.a.net.")->name));
	ck_assert_ptr_eq(first, ns_named(d, "ns.a.net.")->name);
	ck_assert_uint_eq(ns_named(d, "ns.b.net.")->n_addrs, 1);
	ck_assert_ptr_nonnull(ns_named(d, "ns19.c.net."));
	deleg_free(d);
}
END_TEST

START_TEST(empty_delegation_grows_one_name_at_a_time)
{
	ldns_rdf *zone = ldns_dname_new_frm_str("."), *n;
	struct deleg *d = deleg_new(zone);
	char buf[32];
	size_t i;

	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(ldns_dname_compare(d->zone, zone), 0);
	ck_assert_uint_eq(d->n_ns, 0);
	for (i = 0; i < 9; i++) {
		snprintf(buf, sizeof(buf), "n%zu.", i);
		n = ldns_dname_new_frm_str(buf);
		ck_assert_int_eq(deleg_add_ns(d, n), 0);
		ldns_rdf_deep_free(n);
	}
	ck_assert_uint_eq(d->n_ns, 9);
	ck_assert_ptr_nonnull(ns_named(d, "n0."));
	ck_assert_ptr_nonnull(ns_named(d, "n8."));
	ck_assert_int_eq(deleg_add_ns(d, zone), 0);
	ck_assert_int_eq(deleg_add_ns(d, NULL), -EINVAL);
	deleg_free(d);
	ldns_rdf_deep_free(zone);
}
END_TEST

Suite *
deleg_suite(void)
{
	Suite *s = suite_create("deleg");
	TCase *tc = tcase_create("deleg");

	tcase_add_test(tc, hints_become_a_root_delegation_with_port_53);
	tcase_add_test(tc, address_family_and_localhost_filters_apply);
	tcase_add_test(tc,
	               referral_result_gives_delegation_with_aaaa_only_glue);
	tcase_add_test(tc, delegation_without_ns_of_the_zone_is_refused);
	tcase_add_test(tc, glueless_names_outside_zone_first_and_capped);
	tcase_add_test(tc, in_zone_glueless_name_waits_for_some_address);
	tcase_add_test(tc, resolution_with_no_usable_address_is_a_failure);
	tcase_add_test(tc, configured_forwarder_keeps_its_port_and_loopback);
	tcase_add_test(tc,
	               names_stay_put_when_names_are_added_after_a_referral);
	tcase_add_test(tc, empty_delegation_grows_one_name_at_a_time);
	suite_add_tcase(s, tc);
	return s;
}
