/*
 * log.h -- logging to stderr or syslog with numbered verbosity levels.
 *
 * The sink and the verbosity are the one process-wide setting in cairn:
 * main.c sets them with log_open() and log_set_verbosity() before anything
 * else runs, and every module logs through the functions below. Lower
 * layers (cache, dns, hints) return error codes and leave the logging to
 * their caller, except where they alone know the file and line at fault.
 *
 * Verbosity levels (the -v flag and the "verbosity:" key):
 *   0  errors and warnings only
 *   1  operations: start, stop, reload, cache open (default)
 *   2  detail: per-connection and per-server events
 *   3  query: one line per client query and upstream query
 *   4  algorithm: resolver decisions, state machine steps
 *   5  client: packet dumps
 */
#ifndef CAIRN_UTIL_LOG_H
#define CAIRN_UTIL_LOG_H

#include <stdbool.h>
#include <time.h>

enum log_verbosity {
	VERB_NONE = 0,
	VERB_OPS = 1,
	VERB_DETAIL = 2,
	VERB_QUERY = 3,
	VERB_ALGO = 4,
	VERB_CLIENT = 5
};

#define LOG_PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Send log lines to syslog (ident, LOG_DAEMON) if use_syslog, else to
 * stderr with a timestamp. May be called again to switch. */
void log_open(const char *ident, bool use_syslog);
void log_close(void);

void log_set_verbosity(int level);
int log_get_verbosity(void);

/* True when messages of this level are printed: test it before costly
 * formatting such as packet dumps. */
bool log_enabled(int level);

void log_err(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_warn(const char *fmt, ...) LOG_PRINTF(1, 2);
void log_info(const char *fmt, ...) LOG_PRINTF(1, 2);
/* A message printed at verbosity level or above. */
void log_verb(int level, const char *fmt, ...) LOG_PRINTF(2, 3);
#define log_debug(...) log_verb(VERB_ALGO, __VA_ARGS__)

/* Logs "what: strerror(errno)" at error level and returns -errno
 * (or -EIO if errno was 0). */
int log_errno_rc(const char *what);

/*
 * A limiter for warnings a remote peer can trigger: at most burst messages
 * per second; the first message after a suppressed run reports how many
 * were dropped. Embed one per kind of warning.
 */
struct log_ratelimit {
	time_t window_s;
	unsigned int count;
	unsigned int suppressed;
};

/* True if a message may be printed now; counts it. */
bool log_ratelimit_ok(struct log_ratelimit *rl, time_t now, unsigned int burst);

#endif /* CAIRN_UTIL_LOG_H */
