/*
 * budget.h -- per-query limits against amplification and loops.
 *
 * A client query may cost only so much upstream work: queries sent,
 * glueless NS names resolved, referrals followed, sub-query depth, CNAME
 * links (the NXNS attack and CNAME/referral loops). The query spends from
 * its struct iter_budget before each step; when a budget runs out the
 * query answers SERVFAIL with the Extended DNS Error of
 * iter_budget_ede() (RFC 8914).
 *
 * Pure counters: no clock (the query's deadline is a timer in query.c).
 */
#ifndef CAIRN_RESOLVER_BUDGET_H
#define CAIRN_RESOLVER_BUDGET_H

#include <stdbool.h>
#include <stdint.h>

enum budget_kind {
	BUDGET_UPSTREAM,  /* queries sent to authorities */
	BUDGET_NS_NAMES,  /* glueless NS names resolved, whole query */
	BUDGET_REFERRALS, /* referrals followed (delegation depth) */
	BUDGET_DEPTH,     /* sub-query nesting */
	BUDGET_CNAME,     /* CNAME/DNAME links followed */
	BUDGET_KINDS
};

/* RFC 8914 s4 codes used here. */
#define EDE_OTHER 0
#define EDE_NO_REACHABLE_AUTHORITY 22

struct iter_budget_limits {
	uint32_t max[BUDGET_KINDS];
};

struct iter_budget {
	struct iter_budget_limits limits;
	uint32_t used[BUDGET_KINDS];
	uint32_t base[BUDGET_KINDS]; /* used[] when forked from a parent */
	bool is_exhausted;
	enum budget_kind exhausted; /* valid when is_exhausted */
};

/* Defaults: 64 upstream queries, 8 NS names, 30 referrals, depth 6,
 * 12 CNAME links (ITER_MAX_CNAME_LINKS). */
void iter_budget_limits_init(struct iter_budget_limits *lim);

void iter_budget_init(struct iter_budget *b,
                      const struct iter_budget_limits *lim);

/* Spends one unit of kind. True if allowed; false (and b remembers which
 * budget ran out, for iter_budget_ede()) when kind is at its limit. */
bool iter_budget_spend(struct iter_budget *b, enum budget_kind kind);

/* A budget for a sub-query of parent (an NS address lookup): same limits,
 * one level deeper, starting from parent's counters so the whole tree of
 * queries shares one allowance; give back what it spent with
 * iter_budget_merge(). False (and parent marked exhausted) when the depth
 * limit is reached: do not start the sub-query. */
bool iter_budget_child(struct iter_budget *parent, struct iter_budget *child);

/* Adds what child spent since iter_budget_child() (everything but depth
 * and CNAME links) to parent, so a client query pays for all its
 * sub-queries, also those run in parallel: parent's next spend of an
 * overdrawn budget fails. */
void iter_budget_merge(struct iter_budget *parent,
                       const struct iter_budget *child);

/* The EDE info code for the SERVFAIL of an exhausted budget. */
uint16_t iter_budget_ede(const struct iter_budget *b);
/* EXTRA-TEXT for the EDE option (RFC 8914 s2), static. */
const char *iter_budget_ede_text(const struct iter_budget *b);

const char *iter_budget_kind_str(enum budget_kind kind);

#endif /* CAIRN_RESOLVER_BUDGET_H */
