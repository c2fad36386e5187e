/*
 * clock.h -- the wall clock as an injectable source, and the monotonic
 * clock for durations.
 *
 * TTLs and cache expiry use the wall clock (they must survive a restart),
 * read through clock_now() so that tests can move time without sleeping.
 * Timers and RTTs use CLOCK_MONOTONIC (clock_mono_ms) and never jump.
 */
#ifndef CAIRN_UTIL_CLOCK_H
#define CAIRN_UTIL_CLOCK_H

#include <stdint.h>
#include <time.h>

typedef time_t clock_now_fn(void *arg);

struct clock_src {
	clock_now_fn *now_fn; /* NULL: the system wall clock */
	void *arg;            /* borrowed: passed to now_fn */
};

/* A clock reading the system wall clock (time(2)). */
void clock_init_system(struct clock_src *c);

/* Seconds since the epoch from c; a NULL c reads the system clock. */
time_t clock_now(const struct clock_src *c);

/* Milliseconds of CLOCK_MONOTONIC. */
uint64_t clock_mono_ms(void);

/*
 * A manual clock for tests: clock_manual_init() points manual->src at
 * manual->now_s; move it with clock_manual_set() or by writing now_s.
 */
struct clock_manual {
	struct clock_src src;
	time_t now_s;
};

void clock_manual_init(struct clock_manual *m, time_t start_s);
void clock_manual_set(struct clock_manual *m, time_t now_s);

#endif /* CAIRN_UTIL_CLOCK_H */
