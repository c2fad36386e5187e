/*
 * hints.h -- root hints: the NS set of "." and its addresses.
 *
 * The resolver starts every iteration that finds no delegation in the
 * cache from these hints (the delegation for "."). They come either from
 * the copy of IANA's named.root compiled in (root_hints.inc) or from a
 * "root-hints:" file in the same zone-file format. This module only parses
 * and validates: it does no I/O beyond reading the file, keeps no state and
 * does not log; errors are returned as "FILE:LINE: problem" text.
 *
 * Accepted input: one resource record per line (no parentheses), ';'
 * comments, $TTL and $ORIGIN directives. Only NS records owned by "." and
 * A/AAAA records of those NS names, class IN, are allowed; every NS name
 * needs at least one address and every address must belong to an NS name.
 */
#ifndef CAIRN_HINTS_HINTS_H
#define CAIRN_HINTS_HINTS_H

#include <ldns/ldns.h>
#include <stddef.h>

#define HINTS_ERR_LEN 512 /* a sufficient size for the error buffers */

/* One root server: an NS name and its addresses. */
struct hints_server {
	const ldns_rdf *name; /* borrowed from hints->ns: the NS target */
	ldns_rr_list *addrs;  /* owned: its A and AAAA records, file order */
};

struct hints {
	ldns_rr_list *ns; /* owned: the NS records of ".", file order */
	struct hints_server *servers; /* owned: one per NS record, same order */
	size_t n_servers;
};

/*
 * The compiled-in root hints (13 servers, A and AAAA each). On success
 * *out is a new struct hints for hints_free(). Returns 0 or a negative
 * errno; err (errlen bytes) gets the reason.
 */
int hints_load_builtin(struct hints **out, char *err, size_t errlen);

/*
 * Parses the named.root-style file at path. On success *out is a new
 * struct hints owned by the caller (hints_free). Returns 0; -EINVAL if the
 * file is malformed, has no NS record, or an NS name has no address;
 * -errno if it cannot be read; -ENOMEM. On error err (errlen bytes) holds
 * "PATH:LINE: problem" and *out is untouched.
 */
int hints_load_file(const char *path, struct hints **out, char *err,
                    size_t errlen);

/* Frees h and everything it owns; NULL is a no-op. */
void hints_free(struct hints *h);

/* How many records of type (LDNS_RR_TYPE_NS, _A or _AAAA) h holds. */
size_t hints_count(const struct hints *h, ldns_rr_type type);

#endif /* CAIRN_HINTS_HINTS_H */
