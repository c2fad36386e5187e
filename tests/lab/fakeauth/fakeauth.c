/*
 * fakeauth -- a scriptable authoritative DNS server for cairn's tests.
 *
 * It answers like an authority (from a zone file, or a fixed synthetic A or
 * AAAA record without one) and misbehaves on request in the ways NSD never
 * does: delays, dropped queries, TC over UDP, pipelined TCP answers out of
 * order, TCP connections closed early or never answered, wrong IDs, wrong
 * questions, wrong source ports, out-of-bailiwick records and malformed
 * packets. answer.c decides the bytes of each reply; this file does the
 * sockets, timers and counting. Counters go to a stats file (key=value
 * lines) after every event, on SIGUSR1 and on exit, so a test can assert
 * for example that a resolver sent ten queries over one TCP connection.
 * SIGTERM and SIGINT stop it cleanly.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>
#include <ldns/ldns.h>

#include "tests/lab/fakeauth/answer.h"
#include "util/util.h"

#define TCP_MSG_MAX 65535
#define TCP_IDLE_S 30.0 /* RFC 7766 s6.2.3: servers close idle conns */
#define SLOW_PREFIX "slow"

struct fa_opts {
	const char *listen;     /* "ADDR@PORT" */
	const char *zone_path;  /* may be NULL */
	const char *stats_path; /* may be NULL */
	const char *pid_path;   /* may be NULL */
	const char *poison;     /* may be NULL */
	unsigned delay_ms;      /* every answer */
	unsigned slow_ms;       /* extra, names whose first label is slow* */
	unsigned drop_first;    /* UDP queries dropped before answering */
	unsigned reverse_batch; /* TCP: answers go out in reverse, N at once */
	unsigned close_after;   /* TCP: close after K answers */
	bool is_close_mid;      /* TCP: close in the middle of an answer */
	bool is_tcp_silent;     /* TCP: read queries, never answer */
	bool is_wrong_port;     /* UDP: reply from another source port */
	bool is_udp_off;        /* no UDP socket: the port is closed */
};

struct fa_stats {
	unsigned long udp_queries, udp_dropped, udp_answers;
	unsigned long tcp_connections, tcp_queries, tcp_answers;
	unsigned long malformed;
	unsigned *per_conn; /* owned: queries of each TCP connection */
	size_t n_conns;
};

struct fa_server;

/* A reply waiting for its delay; conn is NULL for UDP. */
struct fa_pending {
	ev_timer timer;
	struct fa_server *srv; /* borrowed: outlives every pending */
	struct fa_conn *conn;  /* borrowed: frees its pendings first */
	struct sockaddr_in peer;
	uint8_t *wire; /* owned */
	size_t len;
	struct fa_pending *next;
};

struct fa_conn {
	ev_io rd, wr;
	ev_timer idle;
	struct fa_server *srv; /* borrowed */
	int fd;
	size_t index; /* into srv->stats.per_conn */
	uint8_t in[2 + TCP_MSG_MAX];
	size_t in_len;
	uint8_t *out; /* owned: bytes to write */
	size_t out_len, out_cap;
	unsigned answers;
	bool is_closing; /* close when out is flushed */
	uint8_t **batch; /* owned: held for reverse order */
	size_t *batch_len;
	size_t n_batch;
	struct fa_pending *pending; /* owned list */
	struct fa_conn *next;
};

struct fa_server {
	struct ev_loop *loop;
	struct fa_opts opts;
	struct answer_src src;
	ldns_zone *zone;      /* owned */
	ldns_rdf *poison_rdf; /* owned */
	int udp_fd, tcp_fd, spoof_fd;
	ev_io udp_rd, tcp_accept;
	ev_signal sig_term, sig_int, sig_usr1;
	struct fa_stats stats;
	struct fa_pending *udp_pending; /* owned list */
	struct fa_conn *conns;          /* owned list */
};

static void
stats_write(const struct fa_server *srv)
{
	const struct fa_stats *s = &srv->stats;
	char tmp[4096];
	unsigned max = 0;
	FILE *fp;
	size_t i;

	if (srv->opts.stats_path == NULL)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", srv->opts.stats_path);
	if ((fp = fopen(tmp, "w")) == NULL)
		return;
	for (i = 0; i < s->n_conns; i++)
		max = MAX(max, s->per_conn[i]);
	fprintf(fp,
	        "udp_queries=%lu\nudp_dropped=%lu\nudp_answers=%lu\n"
	        "tcp_connections=%lu\ntcp_queries=%lu\ntcp_answers=%lu\n"
	        "tcp_max_queries_per_conn=%u\nmalformed=%lu\n"
	        "tcp_queries_per_conn=",
	        s->udp_queries, s->udp_dropped, s->udp_answers,
	        s->tcp_connections, s->tcp_queries, s->tcp_answers, max,
	        s->malformed);
	for (i = 0; i < s->n_conns; i++)
		fprintf(fp, "%s%u", i ? " " : "", s->per_conn[i]);
	fprintf(fp, "\n");
	if (fclose(fp) == 0)
		rename(tmp, srv->opts.stats_path);
}

static int
set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* ---- TCP ------------------------------------------------------------- */

static void conn_free(struct fa_conn *c);

static void
conn_flush(struct fa_conn *c)
{
	ssize_t n;

	while (c->out_len > 0) {
		n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			conn_free(c);
			return;
		}
		memmove(c->out, c->out + n, c->out_len - (size_t)n);
		c->out_len -= (size_t)n;
	}
	if (c->out_len > 0) {
		ev_io_start(c->srv->loop, &c->wr);
		return;
	}
	ev_io_stop(c->srv->loop, &c->wr);
	if (c->is_closing)
		conn_free(c);
}

static int
out_append(struct fa_conn *c, const uint8_t *p, size_t len)
{
	uint8_t *o;
	size_t cap;

	if (c->out_len + len > c->out_cap) {
		cap = MAX(c->out_cap * 2, c->out_len + len);
		if ((o = realloc(c->out, cap)) == NULL)
			return -ENOMEM;
		c->out = o;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
	return 0;
}

/* Queue one framed answer (RFC 1035 s4.2.2 length prefix). */
static void
conn_queue(struct fa_conn *c, const uint8_t *w, size_t len)
{
	uint8_t hdr[2] = {(uint8_t)(len >> 8), (uint8_t)len};

	if (c->is_closing)
		return;
	if (c->srv->opts.is_close_mid) {
		/* the length and half the message, then the peer sees EOF */
		len = len / 2;
		c->is_closing = true;
	}
	if (out_append(c, hdr, 2) < 0 || out_append(c, w, len) < 0) {
		c->is_closing = true;
		return;
	}
	c->answers++;
	c->srv->stats.tcp_answers++;
	if (c->srv->opts.close_after && c->answers >= c->srv->opts.close_after)
		c->is_closing = true;
}

static void
batch_release(struct fa_conn *c)
{
	while (c->n_batch > 0) {
		c->n_batch--;
		conn_queue(c, c->batch[c->n_batch], c->batch_len[c->n_batch]);
		free(c->batch[c->n_batch]);
	}
}

/* Hand one answer to the connection; takes ownership of w. */
static void
conn_emit(struct fa_conn *c, uint8_t *w, size_t len)
{
	unsigned n = c->srv->opts.reverse_batch;

	if (n == 0) {
		conn_queue(c, w, len);
		free(w);
	} else {
		c->batch[c->n_batch] = w;
		c->batch_len[c->n_batch++] = len;
		if (c->n_batch == n)
			batch_release(c);
	}
	stats_write(c->srv);
	conn_flush(c);
}

/* ---- replies, delayed or not ------------------------------------------ */

static void
udp_send(struct fa_server *srv, const struct sockaddr_in *peer,
         const uint8_t *w, size_t len)
{
	int fd = srv->opts.is_wrong_port ? srv->spoof_fd : srv->udp_fd;

	if (sendto(fd, w, len, 0, (const struct sockaddr *)peer,
	           sizeof(*peer)) >= 0)
		srv->stats.udp_answers++;
	stats_write(srv);
}

static void
pending_unlink(struct fa_pending **head, struct fa_pending *p)
{
	while (*head != NULL && *head != p)
		head = &(*head)->next;
	if (*head == p)
		*head = p->next;
}

static void
fakeauth_pending_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct fa_pending *p = container_of(w, struct fa_pending, timer);

	UNUSED(loop);
	UNUSED(revents);
	if (p->conn != NULL) {
		pending_unlink(&p->conn->pending, p);
		conn_emit(p->conn, p->wire, p->len); /* may free conn */
	} else {
		pending_unlink(&p->srv->udp_pending, p);
		udp_send(p->srv, &p->peer, p->wire, p->len);
		free(p->wire);
	}
	free(p);
}

static unsigned
delay_for(const struct fa_server *srv, const uint8_t *q, size_t qlen)
{
	unsigned ms = srv->opts.delay_ms;

	if (srv->opts.slow_ms && answer_qname_has_prefix(q, qlen, SLOW_PREFIX))
		ms += srv->opts.slow_ms;
	return ms;
}

/* Schedule wire (owned) after ms; NULL conn means UDP to peer. */
static void
pending_add(struct fa_server *srv, struct fa_conn *c,
            const struct sockaddr_in *peer, uint8_t *w, size_t len, unsigned ms)
{
	struct fa_pending *p = calloc(1, sizeof(*p));
	struct fa_pending **head = c != NULL ? &c->pending : &srv->udp_pending;

	if (p == NULL) {
		free(w);
		return;
	}
	p->srv = srv;
	p->conn = c;
	if (peer != NULL)
		p->peer = *peer;
	p->wire = w;
	p->len = len;
	p->next = *head;
	*head = p;
	ev_timer_init(&p->timer, fakeauth_pending_cb, ms / 1000.0, 0.0);
	ev_timer_start(srv->loop, &p->timer);
}

static void
pending_free_all(struct ev_loop *loop, struct fa_pending *p)
{
	struct fa_pending *next;

	for (; p != NULL; p = next) {
		next = p->next;
		ev_timer_stop(loop, &p->timer);
		free(p->wire);
		free(p);
	}
}

/* ---- TCP connections --------------------------------------------------- */

static void
conn_free(struct fa_conn *c)
{
	struct fa_server *srv = c->srv;
	struct fa_conn **pp = &srv->conns;

	while (*pp != NULL && *pp != c)
		pp = &(*pp)->next;
	if (*pp == c)
		*pp = c->next;
	ev_io_stop(srv->loop, &c->rd);
	ev_io_stop(srv->loop, &c->wr);
	ev_timer_stop(srv->loop, &c->idle);
	close(c->fd);
	pending_free_all(srv->loop, c->pending);
	while (c->n_batch > 0)
		free(c->batch[--c->n_batch]);
	free(c->batch);
	free(c->batch_len);
	free(c->out);
	free(c);
	stats_write(srv);
}

static void
conn_query(struct fa_conn *c, const uint8_t *q, size_t qlen)
{
	struct fa_server *srv = c->srv;
	uint8_t *w;
	size_t len;
	unsigned ms;

	srv->stats.tcp_queries++;
	srv->stats.per_conn[c->index]++;
	stats_write(srv);
	if (srv->opts.is_tcp_silent)
		return;
	if (answer_build(&srv->src, q, qlen, false, &w, &len) < 0) {
		srv->stats.malformed++;
		return;
	}
	ms = delay_for(srv, q, qlen);
	if (ms > 0)
		pending_add(srv, c, NULL, w, len, ms);
	else
		conn_emit(c, w, len); /* may free c */
}

/* Take every complete frame out of c->in; false if c was freed. */
static bool
conn_frames(struct fa_conn *c)
{
	struct fa_server *srv = c->srv;
	size_t mlen, used = 0;
	struct fa_conn *it;

	while (c->in_len - used >= 2) {
		mlen = (size_t)c->in[used] << 8 | c->in[used + 1];
		if (c->in_len - used < 2 + mlen)
			break;
		conn_query(c, c->in + used + 2, mlen);
		for (it = srv->conns; it != NULL && it != c; it = it->next)
			;
		if (it == NULL)
			return false;
		used += 2 + mlen;
	}
	memmove(c->in, c->in + used, c->in_len - used);
	c->in_len -= used;
	return true;
}

static void
fakeauth_conn_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fa_conn *c = container_of(w, struct fa_conn, rd);
	ssize_t n;

	UNUSED(revents);
	n = recv(c->fd, c->in + c->in_len, sizeof(c->in) - c->in_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(c);
		return;
	}
	c->in_len += (size_t)n;
	ev_timer_again(loop, &c->idle);
	conn_frames(c);
}

static void
fakeauth_conn_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	UNUSED(loop);
	UNUSED(revents);
	conn_flush(container_of(w, struct fa_conn, wr));
}

static void
fakeauth_conn_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	UNUSED(loop);
	UNUSED(revents);
	conn_free(container_of(w, struct fa_conn, idle));
}

static struct fa_conn *
conn_new(struct fa_server *srv, int fd)
{
	struct fa_conn *c = calloc(1, sizeof(*c));
	unsigned *pc;
	size_t nb = MAX(srv->opts.reverse_batch, 1);

	pc = realloc(srv->stats.per_conn,
	             (srv->stats.n_conns + 1) * sizeof(*pc));
	if (pc != NULL)
		srv->stats.per_conn = pc;
	if (c == NULL || pc == NULL ||
	    (c->batch = calloc(nb, sizeof(*c->batch))) == NULL ||
	    (c->batch_len = calloc(nb, sizeof(*c->batch_len))) == NULL) {
		if (c != NULL)
			free(c->batch);
		free(c);
		return NULL;
	}
	c->srv = srv;
	c->fd = fd;
	c->index = srv->stats.n_conns++;
	srv->stats.per_conn[c->index] = 0;
	ev_io_init(&c->rd, fakeauth_conn_read_cb, fd, EV_READ);
	ev_io_init(&c->wr, fakeauth_conn_write_cb, fd, EV_WRITE);
	ev_init(&c->idle, fakeauth_conn_idle_cb);
	c->idle.repeat = TCP_IDLE_S;
	return c;
}

static void
fakeauth_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fa_server *srv = container_of(w, struct fa_server, tcp_accept);
	struct fa_conn *c;
	int fd;

	UNUSED(revents);
	if ((fd = accept(srv->tcp_fd, NULL, NULL)) < 0)
		return;
	if (set_nonblock(fd) < 0 || (c = conn_new(srv, fd)) == NULL) {
		close(fd);
		return;
	}
	srv->stats.tcp_connections++;
	c->next = srv->conns;
	srv->conns = c;
	ev_io_start(loop, &c->rd);
	ev_timer_again(loop, &c->idle);
	stats_write(srv);
}

/* ---- UDP ---------------------------------------------------------------- */

static void
fakeauth_udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct fa_server *srv = container_of(w, struct fa_server, udp_rd);
	uint8_t buf[TCP_MSG_MAX], *out;
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	size_t len;
	ssize_t n;
	unsigned ms;

	UNUSED(loop);
	UNUSED(revents);
	n = recvfrom(srv->udp_fd, buf, sizeof(buf), 0, (struct sockaddr *)&peer,
	             &plen);
	if (n < 0 || plen != sizeof(peer))
		return;
	srv->stats.udp_queries++;
	if (srv->stats.udp_queries <= srv->opts.drop_first) {
		srv->stats.udp_dropped++;
	} else if (answer_build(&srv->src, buf, (size_t)n, true, &out, &len) <
	           0) {
		srv->stats.malformed++;
	} else if ((ms = delay_for(srv, buf, (size_t)n)) > 0) {
		pending_add(srv, NULL, &peer, out, len, ms);
	} else {
		udp_send(srv, &peer, out, len);
		free(out);
		return;
	}
	stats_write(srv);
}

/* ---- setup and teardown ------------------------------------------------ */

static int
parse_listen(const char *s, struct sockaddr_in *sa)
{
	char host[64];
	const char *at = strchr(s, '@');
	long port;
	char *end;

	if (at == NULL || (size_t)(at - s) >= sizeof(host))
		return -EINVAL;
	memcpy(host, s, (size_t)(at - s));
	host[at - s] = '\0';
	port = strtol(at + 1, &end, 10);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (*end != '\0' || port < 1 || port > 65535 ||
	    inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return -EINVAL;
	return 0;
}

static int
sock_open(int type, const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, type, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    set_nonblock(fd) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

static int
sockets_open(struct fa_server *srv)
{
	struct sockaddr_in sa, spoof;

	if (parse_listen(srv->opts.listen, &sa) < 0) {
		fprintf(stderr, "fakeauth: bad listen address %s\n",
		        srv->opts.listen);
		return -1;
	}
	spoof = sa;
	spoof.sin_port = 0;
	if (!srv->opts.is_udp_off)
		srv->udp_fd = sock_open(SOCK_DGRAM, &sa);
	srv->tcp_fd = sock_open(SOCK_STREAM, &sa);
	srv->spoof_fd = sock_open(SOCK_DGRAM, &spoof);
	if ((srv->udp_fd < 0 && !srv->opts.is_udp_off) || srv->tcp_fd < 0 ||
	    srv->spoof_fd < 0) {
		fprintf(stderr, "fakeauth: cannot listen on %s: %s\n",
		        srv->opts.listen, strerror(errno));
		return -1;
	}
	return 0;
}

static int
zone_load(struct fa_server *srv)
{
	ldns_status st;
	int line = 0;
	FILE *fp;

	if (srv->opts.zone_path == NULL)
		return 0;
	if ((fp = fopen(srv->opts.zone_path, "r")) == NULL) {
		perror(srv->opts.zone_path);
		return -1;
	}
	st = ldns_zone_new_frm_fp_l(&srv->zone, fp, NULL, 3600,
	                            LDNS_RR_CLASS_IN, &line);
	fclose(fp);
	if (st != LDNS_STATUS_OK || ldns_zone_soa(srv->zone) == NULL) {
		fprintf(stderr, "fakeauth: %s:%d: %s\n", srv->opts.zone_path,
		        line,
		        st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
		                             : "no SOA");
		return -1;
	}
	srv->src.zone = srv->zone;
	srv->src.origin = ldns_rr_owner(ldns_zone_soa(srv->zone));
	return 0;
}

static void
fakeauth_stop_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	UNUSED(w);
	UNUSED(revents);
	ev_break(loop, EVBREAK_ALL);
}

static void
fakeauth_usr1_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	UNUSED(loop);
	UNUSED(revents);
	stats_write(container_of(w, struct fa_server, sig_usr1));
}

static void
watchers_start(struct fa_server *srv)
{
	ev_io_init(&srv->udp_rd, fakeauth_udp_cb, srv->udp_fd, EV_READ);
	ev_io_init(&srv->tcp_accept, fakeauth_accept_cb, srv->tcp_fd, EV_READ);
	ev_signal_init(&srv->sig_term, fakeauth_stop_cb, SIGTERM);
	ev_signal_init(&srv->sig_int, fakeauth_stop_cb, SIGINT);
	ev_signal_init(&srv->sig_usr1, fakeauth_usr1_cb, SIGUSR1);
	if (srv->udp_fd >= 0)
		ev_io_start(srv->loop, &srv->udp_rd);
	ev_io_start(srv->loop, &srv->tcp_accept);
	ev_signal_start(srv->loop, &srv->sig_term);
	ev_signal_start(srv->loop, &srv->sig_int);
	ev_signal_start(srv->loop, &srv->sig_usr1);
}

static void
server_clear(struct fa_server *srv)
{
	while (srv->conns != NULL)
		conn_free(srv->conns);
	pending_free_all(srv->loop, srv->udp_pending);
	srv->udp_pending = NULL;
	if (srv->loop != NULL) {
		ev_io_stop(srv->loop, &srv->udp_rd);
		ev_io_stop(srv->loop, &srv->tcp_accept);
		ev_signal_stop(srv->loop, &srv->sig_term);
		ev_signal_stop(srv->loop, &srv->sig_int);
		ev_signal_stop(srv->loop, &srv->sig_usr1);
		ev_loop_destroy(srv->loop);
	}
	if (srv->udp_fd >= 0)
		close(srv->udp_fd);
	if (srv->tcp_fd >= 0)
		close(srv->tcp_fd);
	if (srv->spoof_fd >= 0)
		close(srv->spoof_fd);
	stats_write(srv);
	if (srv->opts.pid_path != NULL)
		unlink(srv->opts.pid_path);
	free(srv->stats.per_conn);
	if (srv->zone != NULL)
		ldns_zone_deep_free(srv->zone);
	ldns_rdf_deep_free(srv->poison_rdf);
}

static void
usage(void)
{
	fprintf(
	    stderr,
	    "usage: fakeauth -l ADDR@PORT [-z ZONEFILE] [-s STATS] [-p "
	    "PIDFILE]\n"
	    "  [-d MS] [-S MS] [-D N] [-t] [-r N] [-k K] [-m] [-n]\n"
	    "  [-i] [-q] [-P] [-U] [-o NAME] [-M short|cut|counts|garbage]\n"
	    "see tests/lab/README.md\n");
}

static unsigned
num(const char *s)
{
	return (unsigned)strtoul(s, NULL, 10);
}

static int
parse_opts(struct fa_server *srv, int argc, char **argv)
{
	struct fa_opts *o = &srv->opts;
	int ch;

	while ((ch = getopt(argc, argv, "l:z:s:p:d:S:D:tr:k:mniqPUo:M:")) !=
	       -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 'z': o->zone_path = optarg; break;
		case 's': o->stats_path = optarg; break;
		case 'p': o->pid_path = optarg; break;
		case 'd': o->delay_ms = num(optarg); break;
		case 'S': o->slow_ms = num(optarg); break;
		case 'D': o->drop_first = num(optarg); break;
		case 't': srv->src.is_always_tc = true; break;
		case 'r': o->reverse_batch = num(optarg); break;
		case 'k': o->close_after = num(optarg); break;
		case 'm': o->is_close_mid = true; break;
		case 'n': o->is_tcp_silent = true; break;
		case 'i': srv->src.is_wrong_id = true; break;
		case 'q': srv->src.is_wrong_question = true; break;
		case 'P': o->is_wrong_port = true; break;
		case 'U': o->is_udp_off = true; break;
		case 'o': o->poison = optarg; break;
		case 'M':
			if (answer_malformed_parse(optarg, &srv->src.malformed))
				return -1;
			break;
		default: return -1;
		}
	}
	return o->listen != NULL && optind == argc ? 0 : -1;
}

static int
server_setup(struct fa_server *srv)
{
	FILE *fp;

	if (srv->opts.poison != NULL) {
		srv->poison_rdf = ldns_dname_new_frm_str(srv->opts.poison);
		if (srv->poison_rdf == NULL)
			return -1;
		srv->src.poison_name = srv->poison_rdf;
	}
	if (zone_load(srv) < 0 || sockets_open(srv) < 0)
		return -1;
	if ((srv->loop = ev_default_loop(0)) == NULL)
		return -1;
	watchers_start(srv);
	stats_write(srv);
	if (srv->opts.pid_path != NULL &&
	    (fp = fopen(srv->opts.pid_path, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)getpid());
		fclose(fp);
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct fa_server srv;
	int rc = 1;

	memset(&srv, 0, sizeof(srv));
	srv.udp_fd = srv.tcp_fd = srv.spoof_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (parse_opts(&srv, argc, argv) < 0) {
		usage();
		return 2;
	}
	if (server_setup(&srv) == 0) {
		ev_run(srv.loop, 0);
		rc = 0;
	}
	server_clear(&srv);
	return rc;
}
