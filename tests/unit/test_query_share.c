/*
 * test_query_share.c -- the key of a shared upstream question: which
 * questions count as the same, and equal keys hash equally.
 */
#include "config.h"
#include "resolver/query_share.h"

#include <check.h>

Suite *query_share_suite(void);

/* Names of one key, owned by the test. */
struct names {
	ldns_rdf *zone, *name;
};

static struct query_share_key
key(struct names *n, const char *zone, const char *name, uint16_t type,
    unsigned flags)
{
	struct query_share_key k;

	n->zone = ldns_dname_new_frm_str(zone);
	n->name = ldns_dname_new_frm_str(name);
	ck_assert_ptr_nonnull(n->zone);
	ck_assert_ptr_nonnull(n->name);
	k.zone = n->zone;
	k.name = n->name;
	k.type = type;
	k.class = LDNS_RR_CLASS_IN;
	k.flags = flags;
	return k;
}

static void
names_clear(struct names *n)
{
	ldns_rdf_deep_free(n->zone);
	ldns_rdf_deep_free(n->name);
}

START_TEST(same_question_in_other_case_is_shared)
{
	struct names na, nb;
	struct query_share_key a =
	    key(&na, "test.", "deleg.test.", LDNS_RR_TYPE_A, 0);
	struct query_share_key b =
	    key(&nb, "TeSt.", "dELeg.TEST.", LDNS_RR_TYPE_A, 0);

	ck_assert(query_share_key_equal(&a, &b));
	ck_assert(query_share_key_equal(&b, &a));
	ck_assert_uint_eq(query_share_key_hash(&a), query_share_key_hash(&b));
	names_clear(&na);
	names_clear(&nb);
}
END_TEST

START_TEST(other_name_type_class_or_flags_differ)
{
	struct names na, nb;
	struct query_share_key a =
	    key(&na, "test.", "deleg.test.", LDNS_RR_TYPE_A, 0);
	struct query_share_key b =
	    key(&nb, "test.", "deleg2.test.", LDNS_RR_TYPE_A, 0);

	ck_assert(!query_share_key_equal(&a, &b));
	b.name = a.name;
	ck_assert(query_share_key_equal(&a, &b));
	b.type = LDNS_RR_TYPE_AAAA;
	ck_assert(!query_share_key_equal(&a, &b));
	b.type = a.type;
	b.class = LDNS_RR_CLASS_CH;
	ck_assert(!query_share_key_equal(&a, &b));
	b.class = a.class;
	b.flags = QUERY_SHARE_F_DO;
	ck_assert(!query_share_key_equal(&a, &b));
	b.flags = QUERY_SHARE_F_RD;
	ck_assert(!query_share_key_equal(&a, &b));
	/* a resend without EDNS after FORMERR is another question */
	a.flags = QUERY_SHARE_F_EDNS;
	b.flags = 0;
	ck_assert(!query_share_key_equal(&a, &b));
	ck_assert_uint_ne(query_share_key_hash(&a), query_share_key_hash(&b));
	names_clear(&na);
	names_clear(&nb);
}
END_TEST

/* The same name asked of the root and of the TLD are two questions: a
 * referral from one is not an answer from the other. */
START_TEST(same_name_of_another_zone_cut_differs)
{
	struct names na, nb;
	struct query_share_key a =
	    key(&na, ".", "deleg.test.", LDNS_RR_TYPE_A, 0);
	struct query_share_key b =
	    key(&nb, "test.", "deleg.test.", LDNS_RR_TYPE_A, 0);

	ck_assert(!query_share_key_equal(&a, &b));
	ck_assert_uint_ne(query_share_key_hash(&a), query_share_key_hash(&b));
	names_clear(&na);
	names_clear(&nb);
}
END_TEST

/* Sibling names spread over the table rather than collide. */
START_TEST(sibling_names_hash_apart)
{
	struct names na, nb;
	struct query_share_key a =
	    key(&na, "deleg.test.", "z001.deleg.test.", LDNS_RR_TYPE_A, 0);
	struct query_share_key b =
	    key(&nb, "deleg.test.", "z002.deleg.test.", LDNS_RR_TYPE_A, 0);

	ck_assert_uint_ne(query_share_key_hash(&a), query_share_key_hash(&b));
	names_clear(&na);
	names_clear(&nb);
}
END_TEST

Suite *
query_share_suite(void)
{
	Suite *s = suite_create("query_share");
	TCase *tc = tcase_create("key");

	tcase_add_test(tc, same_question_in_other_case_is_shared);
	tcase_add_test(tc, other_name_type_class_or_flags_differ);
	tcase_add_test(tc, same_name_of_another_zone_cut_differs);
	tcase_add_test(tc, sibling_names_hash_apart);
	suite_add_tcase(s, tc);
	return s;
}
