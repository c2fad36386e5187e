/*
 * hints.c -- root hints from the compiled-in named.root or a file.
 *
 * The file is read line by line and each line handed to ldns's zone-file
 * RR parser, so an error is reported at the exact line. Records are first
 * collected (NS and addresses with their line numbers), then grouped per
 * NS name and checked, so the order of the lines does not matter.
 */
#include "config.h"
#include "hints/hints.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/lines.h"
#include "util/log.h"

#define BUILTIN_NAME "built-in root hints"

static const char builtin_hints[] =
#include "hints/root_hints.inc"
    ;

/* One record with the line it came from. */
struct hints_rec {
	ldns_rr *rr; /* owned until moved into struct hints */
	int line;
};

/* The state of one parse. */
struct hints_parser {
	const char *path; /* borrowed */
	int line;
	uint32_t default_ttl;
	ldns_rdf *origin;       /* owned */
	ldns_rdf *prev;         /* owned: previous owner, for blank owners */
	struct hints_rec *recs; /* owned */
	size_t n_recs;
	char *err; /* borrowed: the caller's buffer */
	size_t errlen;
};

static int fail_at(struct hints_parser *p, int line, const char *fmt, ...)
    LOG_PRINTF(3, 4);

/* Sets "PATH:LINE: ..." in the caller's buffer; returns -EINVAL. */
static int
fail_at(struct hints_parser *p, int line, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = lines_vfail(p->err, p->errlen, p->path, line, fmt, ap);
	va_end(ap);
	return rc;
}

static void
parser_clear(struct hints_parser *p)
{
	size_t i;

	for (i = 0; i < p->n_recs; i++)
		ldns_rr_free(p->recs[i].rr);
	free(p->recs);
	ldns_rdf_deep_free(p->origin);
	ldns_rdf_deep_free(p->prev);
}

void
hints_free(struct hints *h)
{
	size_t i;

	if (h == NULL)
		return;
	for (i = 0; i < h->n_servers; i++)
		ldns_rr_list_deep_free(h->servers[i].addrs);
	free(h->servers);
	ldns_rr_list_deep_free(h->ns);
	free(h);
}

size_t
hints_count(const struct hints *h, ldns_rr_type type)
{
	size_t i, j, n = 0;

	if (type == LDNS_RR_TYPE_NS)
		return ldns_rr_list_rr_count(h->ns);
	for (i = 0; i < h->n_servers; i++)
		for (j = 0; j < ldns_rr_list_rr_count(h->servers[i].addrs); j++)
			if (ldns_rr_get_type(ldns_rr_list_rr(
			        h->servers[i].addrs, j)) == type)
				n++;
	return n;
}

/* --- lines ---------------------------------------------------------------- */

static int
directive(struct hints_parser *p, const char *s)
{
	char word[16], arg[256];
	unsigned long ttl;
	char *end;

	if (sscanf(s, "%15s %255s", word, arg) != 2)
		return fail_at(p, p->line, "directive without argument");
	if (strcmp(word, "$TTL") == 0) {
		errno = 0;
		ttl = strtoul(arg, &end, 10);
		if (errno != 0 || *end != '\0' ||
		    !isdigit((unsigned char)*arg) || ttl > 2147483647ul)
			return fail_at(p, p->line, "bad $TTL \"%s\"", arg);
		p->default_ttl = (uint32_t)ttl;
		return 0;
	}
	if (strcmp(word, "$ORIGIN") == 0) {
		ldns_rdf_deep_free(p->origin);
		p->origin = ldns_dname_new_frm_str(arg);
		if (p->origin == NULL || !ldns_dname_str_absolute(arg))
			return fail_at(p, p->line,
			               "bad $ORIGIN \"%s\": expected an "
			               "absolute name",
			               arg);
		return 0;
	}
	return fail_at(p, p->line, "unsupported directive %s", word);
}

static int
check_rr(struct hints_parser *p, const ldns_rr *rr)
{
	ldns_rr_type type = ldns_rr_get_type(rr);
	char *s;
	int rc;

	if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
		return fail_at(p, p->line, "class is not IN");
	if (type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_AAAA)
		return 0;
	if (type == LDNS_RR_TYPE_NS) {
		if (ldns_dname_label_count(ldns_rr_owner(rr)) == 0)
			return 0;
		return fail_at(p, p->line, "NS record not owned by the root");
	}
	s = ldns_rr_type2str(type);
	rc = fail_at(p, p->line,
	             "unexpected %s record (root hints hold NS, A and AAAA)",
	             s ? s : "unknown");
	free(s);
	return rc;
}

static int
push_rec(struct hints_parser *p, ldns_rr *rr)
{
	struct hints_rec *v = realloc(p->recs, (p->n_recs + 1) * sizeof(*v));

	if (v == NULL) {
		ldns_rr_free(rr);
		return -ENOMEM;
	}
	p->recs = v;
	p->recs[p->n_recs].rr = rr;
	p->recs[p->n_recs++].line = p->line;
	return 0;
}

/* One line that is not blank or a comment; leading blanks are kept, as
 * they give the record the previous owner. */
static int
parse_line(void *arg, int lineno, char *line)
{
	struct hints_parser *p = arg;
	const char *s = line + strspn(line, " \t");
	ldns_rr *rr = NULL;
	ldns_status st;
	int rc;

	p->line = lineno;
	if (*s == '$')
		return directive(p, s);
	st =
	    ldns_rr_new_frm_str(&rr, line, p->default_ttl, p->origin, &p->prev);
	if (st != LDNS_STATUS_OK)
		return fail_at(p, p->line, "%s", ldns_get_errorstr_by_id(st));
	if ((rc = check_rr(p, rr)) < 0) {
		ldns_rr_free(rr);
		return rc;
	}
	return push_rec(p, rr);
}

static int
parse_stream(struct hints_parser *p, FILE *fp)
{
	return lines_each(fp, p->path, ';', parse_line, p, &p->line, p->err,
	                  p->errlen);
}

/* --- grouping ------------------------------------------------------------- */

static bool
is_ns(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS;
}

/* The index in h->servers of the server called name, or -1. */
static long
server_named(const struct hints *h, const ldns_rdf *name)
{
	size_t i;

	for (i = 0; i < h->n_servers; i++)
		if (ldns_dname_compare(h->servers[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* Moves the NS records of p into h->ns and makes one server for each. */
static int
group_ns(struct hints_parser *p, struct hints *h)
{
	size_t i, n = 0;

	for (i = 0; i < p->n_recs; i++)
		n += is_ns(p->recs[i].rr);
	if (n == 0)
		return fail_at(p, p->line, "no NS record for the root");
	if ((h->servers = calloc(n, sizeof(*h->servers))) == NULL)
		return -ENOMEM;
	for (i = 0; i < p->n_recs; i++) {
		ldns_rr *rr = p->recs[i].rr;
		struct hints_server *srv = &h->servers[h->n_servers];

		if (!is_ns(rr))
			continue;
		if (server_named(h, ldns_rr_rdf(rr, 0)) >= 0)
			return fail_at(p, p->recs[i].line,
			               "duplicate NS record");
		srv->name = ldns_rr_rdf(rr, 0);
		if ((srv->addrs = ldns_rr_list_new()) == NULL)
			return -ENOMEM;
		h->n_servers++;
		if (!ldns_rr_list_push_rr(h->ns, rr)) /* takes rr */
			return -ENOMEM;
		p->recs[i].rr = NULL;
	}
	return 0;
}

/* Moves each address record into the list of its server. */
static int
group_addrs(struct hints_parser *p, struct hints *h)
{
	size_t i;
	long s;
	char *name;
	int rc;

	for (i = 0; i < p->n_recs; i++) {
		ldns_rr *rr = p->recs[i].rr;

		if (rr == NULL)
			continue;
		if ((s = server_named(h, ldns_rr_owner(rr))) < 0) {
			name = ldns_rdf2str(ldns_rr_owner(rr));
			rc = fail_at(p, p->recs[i].line,
			             "address for %s, which is not a root "
			             "name server",
			             name ? name : "?");
			free(name);
			return rc;
		}
		if (!ldns_rr_list_push_rr(h->servers[s].addrs, rr)) /* takes */
			return -ENOMEM;
		p->recs[i].rr = NULL;
	}
	return 0;
}

/* Every NS name needs an address: the hints are useless without one. */
static int
check_servers(struct hints_parser *p, const struct hints *h,
              const int *ns_lines)
{
	size_t i;
	char *name;
	int rc;

	for (i = 0; i < h->n_servers; i++) {
		if (ldns_rr_list_rr_count(h->servers[i].addrs) > 0)
			continue;
		name = ldns_rdf2str(h->servers[i].name);
		rc = fail_at(p, ns_lines[i], "NS %s has no A or AAAA record",
		             name ? name : "?");
		free(name);
		return rc;
	}
	return 0;
}

static int
build(struct hints_parser *p, struct hints **out)
{
	struct hints *h = calloc(1, sizeof(*h));
	int *ns_lines = calloc(p->n_recs + 1, sizeof(*ns_lines));
	size_t i, n = 0;
	int rc = -ENOMEM;

	if (h == NULL || ns_lines == NULL ||
	    (h->ns = ldns_rr_list_new()) == NULL)
		goto out;
	for (i = 0; i < p->n_recs; i++)
		if (is_ns(p->recs[i].rr))
			ns_lines[n++] = p->recs[i].line;
	if ((rc = group_ns(p, h)) < 0 || (rc = group_addrs(p, h)) < 0 ||
	    (rc = check_servers(p, h, ns_lines)) < 0)
		goto out;
	*out = h;
	h = NULL; /* ownership moved to the caller */
out:
	if (rc == -ENOMEM)
		fail_at(p, p->line, "out of memory");
	free(ns_lines);
	hints_free(h);
	return rc;
}

static int
load_stream(FILE *fp, const char *path, struct hints **out, char *err,
            size_t errlen)
{
	struct hints_parser p;
	int rc;

	memset(&p, 0, sizeof(p));
	p.path = path;
	p.default_ttl = 3600000; /* named.root's own TTL */
	p.err = err;
	p.errlen = errlen;
	if (errlen > 0)
		err[0] = '\0';
	if ((rc = parse_stream(&p, fp)) == 0)
		rc = build(&p, out);
	else if (rc == -ENOMEM)
		fail_at(&p, p.line, "out of memory");
	parser_clear(&p);
	return rc;
}

int
hints_load_file(const char *path, struct hints **out, char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	if ((fp = fopen(path, "r")) == NULL) {
		rc = errno ? -errno : -EIO;
		if (errlen > 0)
			snprintf(err, errlen, "%s:0: cannot open: %s", path,
			         strerror(-rc));
		return rc;
	}
	rc = load_stream(fp, path, out, err, errlen);
	fclose(fp);
	return rc;
}

int
hints_load_builtin(struct hints **out, char *err, size_t errlen)
{
	FILE *fp;
	int rc;

	fp = fmemopen((void *)builtin_hints, sizeof(builtin_hints) - 1, "r");
	if (fp == NULL) {
		rc = errno ? -errno : -ENOMEM;
		if (errlen > 0)
			snprintf(err, errlen, "%s:0: %s", BUILTIN_NAME,
			         strerror(-rc));
		return rc;
	}
	rc = load_stream(fp, BUILTIN_NAME, out, err, errlen);
	fclose(fp);
	return rc;
}
