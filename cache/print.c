/*
 * print.c -- one cache entry as zone-file text; see print.h.
 */
#include "config.h"
#include "cache/print.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cache/cache.h"

static void
print_neg(FILE *fp, const struct cache_entry_view *e)
{
	char *name = ldns_rdf2str(e->owner);
	char *soa = ldns_rr2str(e->soa);

	if (soa != NULL)
		soa[strcspn(soa, "\n")] = '\0';
	if (e->neg == CACHE_NEG_NXDOMAIN) {
		fprintf(fp, "; NXDOMAIN %s ttl=%u%s soa=%s\n",
		        name ? name : "?", e->ttl_s,
		        e->is_stale ? " stale" : "", soa ? soa : "?");
	} else {
		char *t = ldns_rr_type2str((ldns_rr_type)e->type);

		fprintf(fp, "; NODATA %s %s ttl=%u%s soa=%s\n",
		        name ? name : "?", t ? t : "?", e->ttl_s,
		        e->is_stale ? " stale" : "", soa ? soa : "?");
		free(t);
	}
	free(name);
	free(soa);
}

static void
print_list(FILE *fp, const ldns_rr_list *l, bool is_stale)
{
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		char *s = ldns_rr2str(ldns_rr_list_rr(l, i));

		if (s == NULL)
			continue;
		s[strcspn(s, "\n")] = '\0';
		fprintf(fp, "%s%s\n", s, is_stale ? " ; stale" : "");
		free(s);
	}
}

int
cache_print_entry(FILE *fp, const struct cache_entry_view *e)
{
	if (e->neg != CACHE_NEG_NONE) {
		print_neg(fp, e);
	} else {
		print_list(fp, e->rrs, e->is_stale);
		print_list(fp, e->rrsigs, e->is_stale);
	}
	return ferror(fp) ? -EIO : 0;
}
