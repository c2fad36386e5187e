/*
 * clock.c -- wall and monotonic clocks.
 */
#include "config.h"
#include "util/clock.h"

#include <stddef.h>

void
clock_init_system(struct clock_src *c)
{
	c->now_fn = NULL;
	c->arg = NULL;
}

time_t
clock_now(const struct clock_src *c)
{
	if (c == NULL || c->now_fn == NULL)
		return time(NULL);
	return c->now_fn(c->arg);
}

uint64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static time_t
manual_now(void *arg)
{
	const struct clock_manual *m = arg;

	return m->now_s;
}

void
clock_manual_init(struct clock_manual *m, time_t start_s)
{
	m->now_s = start_s;
	m->src.now_fn = manual_now;
	m->src.arg = m;
}

void
clock_manual_set(struct clock_manual *m, time_t now_s)
{
	m->now_s = now_s;
}
