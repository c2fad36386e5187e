/*
 * log.c -- logging to stderr or syslog.
 */
#include "config.h"
#include "util/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <unistd.h>

/* The process-wide sink; see log.h for why this one setting is global. */
static struct {
	bool use_syslog;
	int verbosity;
	const char *ident;
} log_state = {false, VERB_OPS, "cairn"};

void
log_open(const char *ident, bool use_syslog)
{
	log_close();
	log_state.ident = ident;
	log_state.use_syslog = use_syslog;
	if (use_syslog)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_close(void)
{
	if (log_state.use_syslog)
		closelog();
	log_state.use_syslog = false;
}

void
log_set_verbosity(int level)
{
	log_state.verbosity = level < 0 ? 0 : level;
}

int
log_get_verbosity(void)
{
	return log_state.verbosity;
}

bool
log_enabled(int level)
{
	return level <= log_state.verbosity;
}

static void log_vwrite(int prio, const char *tag, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static void
log_vwrite(int prio, const char *tag, const char *fmt, va_list ap)
{
	char line[1024];
	char stamp[32];
	struct timeval tv;
	struct tm tm;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (log_state.use_syslog) {
		syslog(prio, "%s%s", tag, line);
		return;
	}
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(stderr, "%s.%03ld %s[%d]: %s%s\n", stamp,
	        (long)(tv.tv_usec / 1000), log_state.ident, (int)getpid(), tag,
	        line);
}

void
log_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, "error: ", fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, "warning: ", fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(VERB_OPS))
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_INFO, "", fmt, ap);
	va_end(ap);
}

void
log_verb(int level, const char *fmt, ...)
{
	va_list ap;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	log_vwrite(level >= VERB_QUERY ? LOG_DEBUG : LOG_INFO, "", fmt, ap);
	va_end(ap);
}

int
log_errno_rc(const char *what)
{
	int e = errno ? errno : EIO;

	log_err("%s: %s", what, strerror(e));
	return -e;
}

bool
log_ratelimit_ok(struct log_ratelimit *rl, time_t now, unsigned int burst)
{
	if (now != rl->window_s) {
		if (rl->suppressed > 0)
			log_warn("%u similar messages suppressed",
			         rl->suppressed);
		rl->window_s = now;
		rl->count = 0;
		rl->suppressed = 0;
	}
	if (rl->count < burst) {
		rl->count++;
		return true;
	}
	rl->suppressed++;
	return false;
}
