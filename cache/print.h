/*
 * print.h -- one cache entry as zone-file text.
 *
 * The text cairn-dump prints and the control channel's "dump" command
 * sends: an RRset as its RRs (then its RRSIGs), one per line, with
 * " ; stale" after each line of an expired entry; a negative entry as a
 * comment line "; NXDOMAIN name ttl=N soa=..." or "; NODATA name type
 * ttl=N soa=...". Both programs call this one function so their output
 * stays identical. Formatting only: no cache access, no allocation kept.
 */
#ifndef CAIRN_CACHE_PRINT_H
#define CAIRN_CACHE_PRINT_H

#include <stdio.h>

struct cache_entry_view;

/* Prints e (borrowed) to fp. Returns 0, or -EIO if fp reports an error. */
int cache_print_entry(FILE *fp, const struct cache_entry_view *e);

#endif /* CAIRN_CACHE_PRINT_H */
