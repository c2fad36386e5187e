/*
 * dump.c -- cairn-dump: prints the cache as zone-file text, JSON or
 * statistics (the zone text is cache/print.c's, shared with the control
 * channel). Opens the cache read-only and takes no lock, so it runs
 * while cairnd writes. Uses cache.h and print.h only. See docs/cairn-dump.8.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cache/cache.h"
#include "cache/print.h"

struct dump {
	bool json, stats;
	bool first; /* no JSON element printed yet */
	uint64_t by_type[65536];
	uint64_t rrsets, nxdomain, nodata, expired;
};

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: cairn-dump [-s] [-n name] [-t type] [--expired] "
	            "[--stats] [--json] cache-file\n");
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void
print_str(char *s, bool json)
{
	if (s == NULL)
		return;
	if (json)
		json_str(s);
	else
		fputs(s, stdout);
	free(s);
}

static char *
type_str(uint16_t type)
{
	return ldns_rr_type2str((ldns_rr_type)type);
}

static void
print_rdata_json(const ldns_rr_list *l)
{
	for (size_t i = 0; l != NULL && i < ldns_rr_list_rr_count(l); i++) {
		const ldns_rr *rr = ldns_rr_list_rr(l, i);
		ldns_buffer *b = ldns_buffer_new(256);

		if (i > 0)
			putchar(',');
		if (b == NULL)
			continue;
		for (size_t j = 0; j < ldns_rr_rd_count(rr); j++) {
			if (j > 0)
				ldns_buffer_printf(b, " ");
			ldns_rdf2buffer_str(b, ldns_rr_rdf(rr, j));
		}
		print_str(ldns_buffer_export2str(b), true);
		ldns_buffer_free(b);
	}
}

static const char *
kind_str(enum cache_neg_kind k)
{
	return k == CACHE_NEG_NXDOMAIN ? "nxdomain"
	       : k == CACHE_NEG_NODATA ? "nodata"
	                               : "rrset";
}

static void
print_json(struct dump *d, const struct cache_entry_view *e)
{
	printf("%s\n {\"name\":", d->first ? "" : ",");
	d->first = false;
	print_str(ldns_rdf2str(e->owner), true);
	printf(",\"type\":");
	print_str(e->type != 0 ? type_str(e->type) : strdup(""), true);
	printf(",\"kind\":\"%s\",\"ttl\":%u,\"orig_ttl\":%u,\"expire_at\":%lld,"
	       "\"rank\":%d,\"stale\":%s",
	       kind_str(e->neg), e->ttl_s, e->orig_ttl_s,
	       (long long)e->expire_at, (int)e->rank,
	       e->is_stale ? "true" : "false");
	if (e->neg != CACHE_NEG_NONE) {
		char *soa = ldns_rr2str(e->soa);

		if (soa != NULL)
			soa[strcspn(soa, "\n")] = '\0';
		printf(",\"soa\":");
		print_str(soa, true);
	} else {
		printf(",\"rdata\":[");
		print_rdata_json(e->rrs);
		printf("],\"rrsigs\":[");
		print_rdata_json(e->rrsigs);
		printf("]");
	}
	printf("}");
}

static int
on_entry(const struct cache_entry_view *e, void *arg)
{
	struct dump *d = arg;

	if (e->is_stale)
		d->expired++;
	if (e->neg == CACHE_NEG_NXDOMAIN)
		d->nxdomain++;
	else if (e->neg == CACHE_NEG_NODATA)
		d->nodata++;
	else {
		d->rrsets++;
		d->by_type[e->type]++;
	}
	if (d->stats)
		return 0;
	if (d->json)
		print_json(d, e);
	else
		(void)cache_print_entry(stdout, e);
	return 0;
}

static void
print_stats(struct cache *c, struct dump *d)
{
	struct cache_stats st;
	double pct;

	if (cache_stats(c, &st) != 0)
		memset(&st, 0, sizeof(st));
	pct = st.map_bytes
	          ? 100.0 * (double)st.used_bytes / (double)st.map_bytes
	          : 0.0;
	if (d->json) {
		printf("{\"entries\":%llu,\"rrsets\":%llu,\"nxdomain\":%llu,"
		       "\"nodata\":%llu,\"expired\":%llu,\"file_bytes\":%llu,"
		       "\"map_bytes\":%llu,\"map_use_percent\":%.1f,"
		       "\"by_type\":{",
		       (unsigned long long)st.entries,
		       (unsigned long long)d->rrsets,
		       (unsigned long long)d->nxdomain,
		       (unsigned long long)d->nodata,
		       (unsigned long long)d->expired,
		       (unsigned long long)st.file_bytes,
		       (unsigned long long)st.map_bytes, pct);
	} else {
		printf("entries %llu\nrrsets %llu\nnxdomain %llu\nnodata %llu\n"
		       "expired %llu\nfile_bytes %llu\nmap_bytes %llu\n"
		       "map_use_percent %.1f\n",
		       (unsigned long long)st.entries,
		       (unsigned long long)d->rrsets,
		       (unsigned long long)d->nxdomain,
		       (unsigned long long)d->nodata,
		       (unsigned long long)d->expired,
		       (unsigned long long)st.file_bytes,
		       (unsigned long long)st.map_bytes, pct);
	}
	for (unsigned t = 0, n = 0; t < 65536; t++) {
		char *ts;

		if (d->by_type[t] == 0 || (ts = type_str((uint16_t)t)) == NULL)
			continue;
		if (d->json)
			printf("%s\"%s\":%llu", n++ ? "," : "", ts,
			       (unsigned long long)d->by_type[t]);
		else
			printf("type %s %llu\n", ts,
			       (unsigned long long)d->by_type[t]);
		free(ts);
	}
	if (d->json)
		printf("}}\n");
}

static int
run(const char *path, struct cache_iter_opts *io, struct dump *d)
{
	struct cache_opts o;
	struct cache *c;
	int rc;

	cache_opts_init_defaults(&o);
	o.path = path;
	o.read_only = true;
	if ((rc = cache_open(&c, &o, time(NULL))) != 0) {
		fprintf(stderr, "cairn-dump: %s: %s\n", path,
		        cache_strerror(rc));
		return 1;
	}
	if (d->json && !d->stats)
		printf("[");
	rc = cache_iter(c, io, time(NULL), on_entry, d);
	if (d->json && !d->stats)
		printf("\n]\n");
	if (rc == 0 && d->stats)
		print_stats(c, d);
	cache_close(c);
	if (rc != 0) {
		fprintf(stderr, "cairn-dump: %s: %s\n", path,
		        cache_strerror(rc));
		return 1;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"expired", no_argument, NULL, 'e'},
	    {"stats", no_argument, NULL, 'S'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0}};
	struct cache_iter_opts io = {0};
	struct dump *d = calloc(1, sizeof(*d));
	ldns_rdf *name = NULL;
	int ch, rc = 2;

	if (d == NULL)
		return 2;
	d->first = true;
	while ((ch = getopt_long(argc, argv, "sn:t:h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': io.subtree = true; break;
		case 'n':
			ldns_rdf_deep_free(name);
			if (ldns_str2rdf_dname(&name, optarg) !=
			    LDNS_STATUS_OK) {
				fprintf(stderr, "cairn-dump: bad name %s\n",
				        optarg);
				goto out;
			}
			break;
		case 't':
			io.type = (uint16_t)ldns_get_rr_type_by_name(optarg);
			if (io.type == 0) {
				fprintf(stderr, "cairn-dump: bad type %s\n",
				        optarg);
				goto out;
			}
			break;
		case 'e': io.include_stale = true; break;
		case 'S': d->stats = true; break;
		case 'j': d->json = true; break;
		case 'h':
			usage(stdout);
			rc = 0;
			goto out;
		default: usage(stderr); goto out;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		goto out;
	}
	if (d->stats)
		io.include_stale = true; /* count everything */
	io.name = name;
	rc = run(argv[optind], &io, d);
out:
	ldns_rdf_deep_free(name);
	free(d);
	return rc;
}
