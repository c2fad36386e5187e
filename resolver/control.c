/*
 * control.c -- the control socket and its connections (see control.h).
 * A connection reads one line, runs it (control_cmd.c), writes the reply
 * and closes. Everything is non-blocking; a connection that stalls longer
 * than CONTROL_IDLE_MS, reading or writing, is dropped.
 */
#include "config.h"
#include "resolver/control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <ev.h>

#include "resolver/ctx.h"
#include "resolver/daemon.h"
#include "util/clock.h"
#include "util/log.h"
#include "util/util.h"

struct control_conn {
	struct control *ctl; /* borrowed: the channel that accepted it */
	struct control_conn *next;
	int fd;
	ev_io io;       /* EV_READ for the command, then EV_WRITE */
	ev_timer timer; /* idle timeout */
	char in[CONTROL_LINE_MAX];
	size_t in_len;
	char *out; /* owned: the reply, status line included */
	size_t out_len, out_off;
};

struct control {
	struct cairn_ctx *ctx; /* borrowed: outlives the channel */
	char *path;            /* owned */
	int fd;
	ev_io accept_io;
	struct control_conn *conns; /* owned */
	unsigned n_conns;
	struct log_ratelimit rl; /* accept warnings */
};

/* --- connections ---------------------------------------------------------- */

static void
conn_free(struct control_conn *cc)
{
	struct control *c = cc->ctl;
	struct control_conn **pp;

	for (pp = &c->conns; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == cc) {
			*pp = cc->next;
			break;
		}
	}
	c->n_conns--;
	ev_io_stop(c->ctx->loop, &cc->io);
	ev_timer_stop(c->ctx->loop, &cc->timer);
	close(cc->fd);
	free(cc->out);
	free(cc);
}

static void
conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct control_conn *cc = container_of(w, struct control_conn, timer);

	UNUSED(loop);
	UNUSED(revents);
	log_verb(VERB_DETAIL, "control: connection idle, dropped");
	conn_free(cc);
}

/* Builds the whole reply of one command line into cc->out; line NULL:
 * the input was refused for the reason bad. */
static int
conn_run(struct control_conn *cc, const char *line, const char *bad)
{
	struct control_cmd cmd;
	char err[256] = "";
	FILE *fp;
	int rc = -EINVAL;

	if ((fp = open_memstream(&cc->out, &cc->out_len)) == NULL)
		return -ENOMEM;
	if (line == NULL)
		snprintf(err, sizeof(err), "%s", bad);
	else if ((rc = control_parse(line, &cmd, err, sizeof(err))) == 0) {
		log_verb(VERB_DETAIL, "control: %.*s",
		         (int)strcspn(line, "\r\n"), line);
		rc = control_exec(cc->ctl->ctx, &cmd, fp, err, sizeof(err));
		control_cmd_clear(&cmd);
	}
	if (rc == 0)
		fputs("ok\n", fp);
	else
		fprintf(fp, "error: %s\n", err[0] ? err : strerror(-rc));
	if (fclose(fp) != 0 || cc->out == NULL)
		return -ENOMEM;
	return 0;
}

static void conn_write_cb(struct ev_loop *loop, ev_io *w, int revents);

static void
conn_reply(struct control_conn *cc, const char *line, const char *bad)
{
	struct ev_loop *loop = cc->ctl->ctx->loop;

	if (conn_run(cc, line, bad) < 0) {
		log_err("control: out of memory");
		conn_free(cc);
		return;
	}
	ev_io_stop(loop, &cc->io);
	ev_io_init(&cc->io, conn_write_cb, cc->fd, EV_WRITE);
	ev_io_start(loop, &cc->io);
	ev_timer_again(loop, &cc->timer);
}

static void
conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_conn *cc = container_of(w, struct control_conn, io);
	ssize_t n;

	UNUSED(revents);
	n = send(cc->fd, cc->out + cc->out_off, cc->out_len - cc->out_off,
	         MSG_NOSIGNAL);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		log_verb(VERB_DETAIL, "control: send: %s", strerror(errno));
		conn_free(cc);
		return;
	}
	cc->out_off += (size_t)n;
	if (cc->out_off == cc->out_len) {
		conn_free(cc);
		return;
	}
	ev_timer_again(loop, &cc->timer);
}

static void
conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control_conn *cc = container_of(w, struct control_conn, io);
	size_t room = sizeof(cc->in) - 1 - cc->in_len;
	ssize_t n;

	UNUSED(revents);
	n = recv(cc->fd, cc->in + cc->in_len, room, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		conn_free(cc);
		return;
	}
	cc->in_len += (size_t)n;
	cc->in[cc->in_len] = '\0';
	if (memchr(cc->in, '\0', cc->in_len) != NULL) {
		conn_reply(cc, NULL, "command contains a NUL byte");
		return;
	}
	/* A line, or the peer's end of input: run what came. */
	if (strchr(cc->in, '\n') != NULL || n == 0) {
		conn_reply(cc, cc->in, NULL);
		return;
	}
	if (cc->in_len == sizeof(cc->in) - 1) {
		conn_reply(cc, NULL, "command line too long");
		return;
	}
	ev_timer_again(loop, &cc->timer);
}

static void
conn_new(struct control *c, int fd)
{
	struct control_conn *cc = calloc(1, sizeof(*cc));

	if (cc == NULL) {
		close(fd);
		return;
	}
	cc->ctl = c;
	cc->fd = fd;
	cc->next = c->conns;
	c->conns = cc;
	c->n_conns++;
	ev_io_init(&cc->io, conn_read_cb, fd, EV_READ);
	ev_io_start(c->ctx->loop, &cc->io);
	ev_init(&cc->timer, conn_idle_cb);
	cc->timer.repeat = CONTROL_IDLE_MS / 1000.0;
	ev_timer_again(c->ctx->loop, &cc->timer);
}

static void
control_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct control *c = container_of(w, struct control, accept_io);
	int fd;

	UNUSED(loop);
	UNUSED(revents);
	fd = accept4(c->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EINTR &&
		    log_ratelimit_ok(&c->rl, clock_now(NULL), 5))
			log_warn("control: accept: %s", strerror(errno));
		return;
	}
	if (c->n_conns >= CONTROL_MAX_CONNS) {
		if (log_ratelimit_ok(&c->rl, clock_now(NULL), 5))
			log_warn("control: %u connections open, refusing "
			         "another",
			         c->n_conns);
		close(fd);
		return;
	}
	conn_new(c, fd);
}

/* --- the socket ----------------------------------------------------------- */

/* A socket file left behind is removed; one a live daemon answers on is
 * kept (-EADDRINUSE), and so is anything that is not a socket. */
static int
remove_stale(const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc;

	if (lstat(sun->sun_path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode))
		return -EEXIST;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	if (rc == 0)
		return -EADDRINUSE;
	if (unlink(sun->sun_path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int
bind_socket(struct control *c, const struct sockaddr_un *sun)
{
	mode_t old;
	int rc = 0;

	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	                    0)) < 0)
		return -errno;
	/* The mode comes from the umask at bind(2); startup is single
	 * threaded, so setting it for the call is safe. */
	old = umask(0117);
	if (bind(c->fd, (const struct sockaddr *)sun, sizeof(*sun)) < 0)
		rc = -errno;
	umask(old);
	if (rc == 0 && listen(c->fd, CONTROL_MAX_CONNS) < 0)
		rc = -errno;
	return rc;
}

static int
open_socket(struct control *c, const char *username)
{
	struct sockaddr_un sun;
	int rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(c->path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, c->path);
	if ((rc = daemon_make_parent_dir(c->path, username)) < 0)
		return rc;
	if ((rc = remove_stale(&sun)) < 0)
		return rc;
	if ((rc = bind_socket(c, &sun)) < 0)
		return rc;
	if (chmod(c->path, 0660) < 0)
		return -errno;
	return daemon_chown(c->path, username);
}

int
control_open(struct control **out, struct cairn_ctx *ctx, const char *path,
             const char *username)
{
	struct control *c;
	int rc;

	*out = NULL;
	if (path[0] == '\0')
		return 0;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    (c->path = strdup(path)) == NULL) {
		free(c);
		return -ENOMEM;
	}
	c->ctx = ctx;
	c->fd = -1;
	if ((rc = open_socket(c, username)) < 0) {
		if (c->fd >= 0 && rc != -EADDRINUSE && rc != -EEXIST)
			unlink(c->path);
		if (c->fd >= 0)
			close(c->fd);
		free(c->path);
		free(c);
		return rc;
	}
	ev_io_init(&c->accept_io, control_accept_cb, c->fd, EV_READ);
	ev_io_start(ctx->loop, &c->accept_io);
	log_verb(VERB_DETAIL, "control socket %s", path);
	*out = c;
	return 0;
}

void
control_close(struct control *c)
{
	if (c == NULL)
		return;
	while (c->conns != NULL)
		conn_free(c->conns);
	ev_io_stop(c->ctx->loop, &c->accept_io);
	close(c->fd);
	/* After the privilege drop this may fail: the next start removes
	 * the stale file. */
	(void)unlink(c->path);
	free(c->path);
	free(c);
}
