/*
 * budget.c -- per-query limits. See budget.h.
 */
#include "config.h"
#include "resolver/budget.h"

#include <string.h>

#include "resolver/iter.h"

void
iter_budget_limits_init(struct iter_budget_limits *lim)
{
	memset(lim, 0, sizeof(*lim));
	lim->max[BUDGET_UPSTREAM] = 64;
	lim->max[BUDGET_NS_NAMES] = 8;
	lim->max[BUDGET_REFERRALS] = 30;
	lim->max[BUDGET_DEPTH] = 6;
	lim->max[BUDGET_CNAME] = ITER_MAX_CNAME_LINKS;
}

void
iter_budget_init(struct iter_budget *b, const struct iter_budget_limits *lim)
{
	memset(b, 0, sizeof(*b));
	b->limits = *lim;
}

static void
mark_exhausted(struct iter_budget *b, enum budget_kind kind)
{
	/* the last refusal is the one the query acts on */
	b->is_exhausted = true;
	b->exhausted = kind;
}

bool
iter_budget_spend(struct iter_budget *b, enum budget_kind kind)
{
	if ((unsigned)kind >= BUDGET_KINDS)
		return false;
	if (b->used[kind] >= b->limits.max[kind]) {
		mark_exhausted(b, kind);
		return false;
	}
	b->used[kind]++;
	return true;
}

bool
iter_budget_child(struct iter_budget *parent, struct iter_budget *child)
{
	if (parent->used[BUDGET_DEPTH] >= parent->limits.max[BUDGET_DEPTH]) {
		mark_exhausted(parent, BUDGET_DEPTH);
		return false;
	}
	*child = *parent;
	memcpy(child->base, parent->used, sizeof(child->base));
	child->used[BUDGET_DEPTH] = parent->used[BUDGET_DEPTH] + 1;
	/* a link count belongs to one name's chain, not to the lookup of
	 * a server name */
	child->used[BUDGET_CNAME] = 0;
	child->is_exhausted = false;
	return true;
}

void
iter_budget_merge(struct iter_budget *parent, const struct iter_budget *child)
{
	int k;

	for (k = 0; k < BUDGET_KINDS; k++) {
		uint32_t spent;

		if (k == BUDGET_DEPTH || k == BUDGET_CNAME)
			continue;
		spent = child->used[k] > child->base[k]
		            ? child->used[k] - child->base[k]
		            : 0;
		parent->used[k] = parent->used[k] > UINT32_MAX - spent
		                      ? UINT32_MAX
		                      : parent->used[k] + spent;
	}
}

uint16_t
iter_budget_ede(const struct iter_budget *b)
{
	/* RFC 8914 has no code for "work limit reached"; a query that ran
	 * out of upstream queries reached no authority that answered */
	if (b->is_exhausted && b->exhausted == BUDGET_UPSTREAM)
		return EDE_NO_REACHABLE_AUTHORITY;
	return EDE_OTHER;
}

const char *
iter_budget_ede_text(const struct iter_budget *b)
{
	if (!b->is_exhausted)
		return "";
	switch (b->exhausted) {
	case BUDGET_UPSTREAM: return "upstream query limit reached";
	case BUDGET_NS_NAMES: return "too many nameserver names to resolve";
	case BUDGET_REFERRALS: return "too many referrals";
	case BUDGET_DEPTH: return "nameserver lookups nested too deep";
	case BUDGET_CNAME: return "CNAME chain too long";
	case BUDGET_KINDS: break;
	}
	return "";
}

const char *
iter_budget_kind_str(enum budget_kind kind)
{
	switch (kind) {
	case BUDGET_UPSTREAM: return "upstream";
	case BUDGET_NS_NAMES: return "ns-names";
	case BUDGET_REFERRALS: return "referrals";
	case BUDGET_DEPTH: return "depth";
	case BUDGET_CNAME: return "cname";
	case BUDGET_KINDS: break;
	}
	return "unknown";
}
