/*
 * util.h -- small macros shared by every module.
 *
 * Nothing here allocates or has state; it sits below everything else.
 */
#ifndef CAIRN_UTIL_UTIL_H
#define CAIRN_UTIL_UTIL_H

#include <stddef.h>

/* The owner of an embedded member, e.g. a watcher (ev.pod, "ASSOCIATING
 * CUSTOM DATA WITH A WATCHER"). */
#define container_of(ptr, type, member)                                        \
	((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

#define UNUSED(x) ((void)(x))

#endif /* CAIRN_UTIL_UTIL_H */
