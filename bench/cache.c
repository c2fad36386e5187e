/*
 * cache.c -- cache benchmark: fills a cache with N RRsets and reports
 * batched insert rate, random lookup rates (hits, misses), closest
 * delegation lookups, open time of the filled file, file size and RSS.
 * Rates are per second of CPU time of the one thread.
 *
 * usage: bench/cache [-n rrsets] [-d dir]   (default 1000000, /tmp)
 *        bench/cache [-n rrsets] -o FILE     fill FILE for a resolver
 * With -o the RRsets are stamped with the current time, the file is kept
 * (cairnd opens it with the default cache-max-size, 1 GiB) and only the
 * fill and the open time of the filled file are reported.
 * Not part of make check; see docs/performance.md.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache/cache.h"
#include "util/log.h"

#define ZONES 1000
#define T0 1700000000

/* Seconds of CPU time of this thread: the figures are per core and do
 * not depend on what else the machine runs. Open time is wall time. */
static double
secs(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Writes prefix and the decimal digits of v as one label; returns its
 * length with the length byte. (sprintf would dominate the lookup loop.) */
static size_t
label(uint8_t *buf, const char *prefix, unsigned long v)
{
	char digits[24];
	size_t n = 0, p = strlen(prefix);

	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	buf[0] = (uint8_t)(p + n);
	memcpy(buf + 1, prefix, p);
	for (size_t i = 0; i < n; i++)
		buf[1 + p + i] = (uint8_t)digits[n - 1 - i];
	return 1 + p + n;
}

/* The wire name <prefix><i>.z<i % ZONES>.bench. into buf; returns its
 * length. */
static size_t
host_wire(uint8_t *buf, unsigned long i, const char *prefix)
{
	size_t n = label(buf, prefix, i);

	n += label(buf + n, "z", i % ZONES);
	memcpy(buf + n, "\5bench", 7);
	return n + 7;
}

static ldns_rr *
mk_rr(const uint8_t *owner, size_t olen, ldns_rr_type type, ldns_rdf *rdf)
{
	ldns_rr *rr = ldns_rr_new();

	ldns_rr_set_owner(rr, ldns_dname_new_frm_data((uint16_t)olen, owner));
	ldns_rr_set_type(rr, type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 3600);
	ldns_rr_push_rdf(rr, rdf);
	return rr;
}

static int
put_one(struct cache *c, ldns_rr *rr, enum cache_rank rank, time_t now)
{
	ldns_rr_list *l = ldns_rr_list_new();
	int rc;

	ldns_rr_list_push_rr(l, rr);
	rc = cache_rrset_put(c, l, NULL, rank, now);
	ldns_rr_list_deep_free(l);
	return rc;
}

/* One NS RRset per zone, with an address for its server. */
static void
fill_zones(struct cache *c, time_t now)
{
	char s[64];

	for (unsigned z = 0; z < ZONES; z++) {
		ldns_rr *rr;
		ldns_rdf *ns;

		snprintf(s, sizeof(s), "z%u.bench. 3600 IN NS ns.z%u.bench.", z,
		         z);
		ldns_rr_new_frm_str(&rr, s, 0, NULL, NULL);
		put_one(c, rr, RANK_GLUE, now);
		snprintf(s, sizeof(s), "ns.z%u.bench.", z);
		ldns_str2rdf_dname(&ns, s);
		ldns_rr_new_frm_str(&rr, "x. 3600 IN A 127.0.0.1", 0, NULL,
		                    NULL);
		ldns_rdf_deep_free(ldns_rr_owner(rr));
		ldns_rr_set_owner(rr, ns);
		put_one(c, rr, RANK_GLUE, now);
	}
	cache_commit(c);
}

static double
fill(struct cache *c, unsigned long n, time_t now)
{
	uint8_t w[64];
	double t = 0, t0;

	for (unsigned long i = 0; i < n; i++) {
		size_t len = host_wire(w, i, "h");
		uint8_t ip[4] = {10, (uint8_t)(i >> 16), (uint8_t)(i >> 8),
		                 (uint8_t)i};
		ldns_rr *rr =
		    mk_rr(w, len, LDNS_RR_TYPE_A,
		          ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, ip));
		ldns_rr_list *l = ldns_rr_list_new();

		ldns_rr_list_push_rr(l, rr);
		t0 = secs();
		cache_rrset_put(c, l, NULL, RANK_AUTH_ANSWER, now);
		t += secs() - t0;
		ldns_rr_list_deep_free(l);
	}
	t0 = secs();
	cache_commit(c);
	return t + secs() - t0;
}

static double
lookups(struct cache *c, unsigned long n, unsigned long count,
        const char *prefix, unsigned long *hits)
{
	uint8_t w[64], out[512];
	struct cache_wire_info wi;
	unsigned long x = 88172645463325252ul;
	double t0 = secs();

	*hits = 0;
	for (unsigned long i = 0; i < count; i++) {
		size_t len;

		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = host_wire(w, x % n, prefix);
		if (cache_rrset_wire(c, w, len, LDNS_RR_TYPE_A, 1, T0 + 1, 0,
		                     (const uint8_t *)"\xc0\x0c", 2, out,
		                     sizeof(out), &wi) == 0)
			(*hits)++;
	}
	return secs() - t0;
}

static double
delegs(struct cache *c, unsigned long n, unsigned long count,
       unsigned long *found)
{
	uint8_t w[64];
	double t0 = secs();

	*found = 0;
	for (unsigned long i = 0; i < count; i++) {
		size_t len = host_wire(w, (i * 7919) % n, "q");
		ldns_rdf *q = ldns_dname_new_frm_data((uint16_t)len, w);
		struct cache_deleg *d;

		if (cache_deleg_get(c, q, T0 + 1, 0, &d) == 0) {
			(*found)++;
			cache_deleg_free(d);
		}
		ldns_rdf_deep_free(q);
	}
	return secs() - t0;
}

static void
print_rss(const char *when)
{
	char line[256];
	FILE *fp = fopen("/proc/self/status", "r");

	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (!strncmp(line, "VmRSS", 5) ||
		    !strncmp(line, "RssAnon", 7) ||
		    !strncmp(line, "RssFile", 7))
			printf("%-12s %s", when, line);
	fclose(fp);
}

/* -o: fill the file a resolver will open, with RRsets valid now; report
 * the fill and the open time of the filled file, keep the file. */
static int
fill_for_resolver(const char *path, unsigned long n)
{
	struct cache_opts o;
	struct cache *c;
	time_t now = time(NULL);
	double t;

	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = (size_t)1 << 30;
	if (cache_open(&c, &o, now) != 0)
		return 1;
	fill_zones(c, now);
	t = fill(c, n, now);
	printf("insert       %lu RRsets in %.2f s: %.0f puts/s (batched)\n", n,
	       t, (double)n / t);
	cache_close(c);
	t = wall();
	if (cache_open(&c, &o, now) != 0)
		return 1;
	printf("open         %.3f ms wall (filled file)\n", (wall() - t) * 1e3);
	cache_close(c);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *keep = NULL;
	unsigned long n = 1000000, hits, count = 2000000;
	const char *dir = "/tmp";
	char path[512];
	struct cache_stats st;
	struct cache_opts o;
	struct cache *c;
	struct stat sb;
	double t;
	int ch;

	while ((ch = getopt(argc, argv, "n:d:o:")) != -1) {
		if (ch == 'n')
			n = strtoul(optarg, NULL, 10);
		else if (ch == 'd')
			dir = optarg;
		else if (ch == 'o')
			keep = optarg;
		else
			return 2;
	}
	log_set_verbosity(0);
	if (keep != NULL)
		return fill_for_resolver(keep, n);
	snprintf(path, sizeof(path), "%s/cairn-bench-%ld.mdb", dir,
	         (long)getpid());
	cache_opts_init_defaults(&o);
	o.path = path;
	o.max_size_bytes = (size_t)1 << 30;
	if (cache_open(&c, &o, T0) != 0)
		return 1;
	fill_zones(c, T0);
	t = fill(c, n, T0);
	printf("insert       %lu RRsets in %.2f s: %.0f puts/s (batched)\n", n,
	       t, (double)n / t);
	print_rss("after fill");
	cache_close(c);

	t = wall();
	if (cache_open(&c, &o, T0 + 1) != 0)
		return 1;
	printf("open         %.3f ms wall (filled file)\n", (wall() - t) * 1e3);
	print_rss("after open");
	t = lookups(c, n, count, "h", &hits);
	printf("lookup hit   %.0f lookups/s (%lu/%lu hits, first pass: "
	       "pages mapped in)\n",
	       (double)count / t, hits, count);
	t = lookups(c, n, count, "h", &hits);
	printf("lookup hit   %.0f lookups/s (%lu/%lu hits, second pass)\n",
	       (double)count / t, hits, count);
	t = lookups(c, n < 10000 ? n : 10000, count, "h", &hits);
	printf("lookup hit   %.0f lookups/s (%lu/%lu hits, 10,000 hot names)\n",
	       (double)count / t, hits, count);
	t = lookups(c, n, count, "m", &hits);
	printf("lookup miss  %.0f lookups/s (%lu hits)\n", (double)count / t,
	       hits);
	t = delegs(c, n, count / 4, &hits);
	printf("deleg        %.0f lookups/s (%lu found)\n",
	       (double)(count / 4) / t, hits);
	print_rss("after reads");
	if (cache_stats(c, &st) == 0)
		printf("used         %llu bytes of pages in the tables, %llu "
		       "entries\n",
		       (unsigned long long)st.used_bytes,
		       (unsigned long long)st.entries);
	if (stat(path, &sb) == 0)
		printf("file         %lld bytes (preallocated map %zu)\n",
		       (long long)sb.st_size, o.max_size_bytes);
	cache_close(c);
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "-lock");
	unlink(path);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), ".pid");
	unlink(path);
	return 0;
}
