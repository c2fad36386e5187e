/*
 * listen.c -- UDP and TCP listeners for clients; see listen.h.
 *
 * Layout: requests, UDP receive and reply, TCP connections (framing and
 * the write queue are resolver/frame.h's), accept, then opening and
 * closing the listener.
 */
#include "config.h"
#include "resolver/listen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <ev.h>

#include "resolver/frame.h"
#include "resolver/stats.h"
#include "util/log.h"
#include "util/util.h"

#define UDP_BATCH 32       /* datagrams per recvmmsg */
#define UDP_BATCHES_MAX 4  /* batches per wakeup, to let TCP in */
#define UDP_BUF_LEN 4096   /* larger queries are dropped as truncated */
#define UDP_TX_SLOT 4096   /* larger replies are sent one by one */
#define TCP_READ_LEN 16384 /* bytes read per wakeup, at most */
#define TCP_WRITE_IOV 16   /* replies per sendmsg */
#define TCP_BACKLOG 128
#define ACCEPT_PER_WAKEUP 16
#define ACCEPT_RETRY_S 0.5    /* after EMFILE and the like */
#define BIND_TRIES 16         /* port 0: find a port free on UDP and TCP */
#define TCP_INFLIGHT_MAX 1024 /* queries of one connection being resolved */
/* Requests whose message fits REQ_SLOT_LEN bytes come from a free list
 * of at most REQ_FREE_MAX, so a cache hit costs no malloc; nearly every
 * query is under 512 bytes. */
#define REQ_SLOT_LEN 512
#define REQ_FREE_MAX 256

/* -- the listener's parts -- */

struct lsock {
	ev_io io;
	int fd;
	bool is_tcp;
	bool has_pktinfo;
	struct sockaddr_storage addr;
	socklen_t addr_len;
	struct listen *l;
};

struct tcp_conn {
	ev_io rio;
	ev_io wio;
	ev_timer idle;
	int fd;
	bool is_open;
	bool is_eof;       /* the client shut its side: answer, then close */
	unsigned int refs; /* requests out, plus holds during callbacks */
	struct frame_reader rd; /* owned: RFC 7766 reassembly */
	struct frame_writer wr; /* owned: replies not yet written */
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct tcp_conn *prev, *next;
	struct listen *l;
};

struct udp_rx {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) +
		         CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	uint8_t data[UDP_BATCH][UDP_BUF_LEN];
};

/* Replies made while a receive batch is handled go out together with one
 * sendmmsg (HAVE_SENDMMSG); later ones are sent at once. */
struct udp_tx {
	struct mmsghdr msgs[UDP_BATCH];
	struct iovec iov[UDP_BATCH];
	struct sockaddr_storage to[UDP_BATCH];
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl[UDP_BATCH];
	uint8_t data[UDP_BATCH][UDP_TX_SLOT];
	struct lsock *sock; /* borrowed: the socket being read, or NULL */
	unsigned int n;
};

struct listen {
	struct ev_loop *loop;    /* borrowed */
	struct listen_opts opts; /* addrs not kept */
	listen_query_fn *on_query;
	void *arg;
	struct lsock *socks; /* owned: 2 per address, UDP then TCP */
	size_t n_socks;
	struct tcp_conn *conns; /* open connections */
	size_t n_conns;
	ev_timer accept_retry;
	struct udp_rx *rx;     /* owned */
	struct udp_tx *tx;     /* owned */
	size_t outstanding;    /* requests handed out, not completed */
	struct req *free_reqs; /* owned: spare request slots */
	size_t n_free_reqs;
	bool is_closed;
};

struct req {
	struct listen_req pub;
	struct listen *l;
	struct req *next_free; /* in l->free_reqs while spare */
	bool is_slot;          /* has room for REQ_SLOT_LEN bytes */
	struct lsock *sock;    /* UDP: the socket it came in on */
	struct tcp_conn *conn; /* TCP: holds a reference */
	int dst_family;        /* 0: no destination address known */
	union {
		struct in_pktinfo v4;
		struct in6_pktinfo v6;
	} dst;
	uint8_t wire[];
};

static void conn_close(struct tcp_conn *c);
static void conn_unref(struct tcp_conn *c);
static void listen_free(struct listen *l);
static void listen_finish(struct req *r);
static void listen_release(struct listen *l);

/* -- requests -- */

/* A zeroed request with room for len bytes of message. */
static struct req *
req_alloc(struct listen *l, size_t len)
{
	struct req *r;

	if (len > REQ_SLOT_LEN)
		return calloc(1, sizeof(*r) + len);
	if ((r = l->free_reqs) != NULL) {
		l->free_reqs = r->next_free;
		l->n_free_reqs--;
		memset(r, 0, sizeof(*r)); /* the message bytes are copied in */
	} else if ((r = calloc(1, sizeof(*r) + REQ_SLOT_LEN)) == NULL)
		return NULL;
	r->is_slot = true;
	return r;
}

/* Keeps a slot for the next request, or frees it. */
static void
req_recycle(struct listen *l, struct req *r)
{
	if (!r->is_slot || l->n_free_reqs >= REQ_FREE_MAX || l->is_closed) {
		free(r);
		return;
	}
	r->next_free = l->free_reqs;
	l->free_reqs = r;
	l->n_free_reqs++;
}

static struct req *
req_new(struct listen *l, const uint8_t *wire, size_t len,
        const struct sockaddr_storage *from, socklen_t from_len)
{
	struct req *r = req_alloc(l, len);

	if (r == NULL)
		return NULL;
	memcpy(r->wire, wire, len);
	r->pub.wire = r->wire;
	r->pub.len = len;
	memcpy(&r->pub.client, from, from_len);
	r->pub.client_len = from_len;
	r->pub.max_udp_size = l->opts.max_udp_size;
	r->pub.tcp_idle_ms = l->opts.tcp_idle_ms;
	r->l = l;
	return r;
}

static void
req_dispatch(struct req *r)
{
	struct listen *l = r->l;

	l->outstanding++;
	if (l->opts.stats != NULL)
		l->opts.stats->queries[r->pub.transport]++;
	l->on_query(&r->pub, l->arg);
}

static void
req_free(struct req *r)
{
	struct listen *l = r->l;

	if (r->conn != NULL)
		conn_unref(r->conn);
	req_recycle(l, r);
	listen_release(l);
}

/* Keeps l allocated across a callback that may call listen_close(). */
static void
listen_hold(struct listen *l)
{
	l->outstanding++;
}

static void
listen_release(struct listen *l)
{
	if (--l->outstanding == 0 && l->is_closed)
		listen_free(l);
}

static void
count_dropped(struct listen *l)
{
	if (l->opts.stats != NULL)
		l->opts.stats->dropped++;
}

void
listen_drop(struct listen_req *req)
{
	struct req *r = container_of(req, struct req, pub);

	count_dropped(r->l);
	listen_finish(r);
}

/* -- UDP -- */

/* Remembers the address a datagram was sent to (wildcard binds). */
static void
udp_get_dst(struct req *r, struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		if (cm->cmsg_level == IPPROTO_IP &&
		    cm->cmsg_type == IP_PKTINFO) {
			memcpy(&r->dst.v4, CMSG_DATA(cm), sizeof(r->dst.v4));
			r->dst_family = AF_INET;
		} else if (cm->cmsg_level == IPPROTO_IPV6 &&
		           cm->cmsg_type == IPV6_PKTINFO) {
			memcpy(&r->dst.v6, CMSG_DATA(cm), sizeof(r->dst.v6));
			r->dst_family = AF_INET6;
		}
	}
}

static void
udp_prepare(struct udp_rx *rx)
{
	size_t i;

	for (i = 0; i < UDP_BATCH; i++) {
		struct msghdr *mh = &rx->msgs[i].msg_hdr;

		rx->iov[i].iov_base = rx->data[i];
		rx->iov[i].iov_len = UDP_BUF_LEN;
		memset(mh, 0, sizeof(*mh));
		mh->msg_name = &rx->from[i];
		mh->msg_namelen = sizeof(rx->from[i]);
		mh->msg_iov = &rx->iov[i];
		mh->msg_iovlen = 1;
		mh->msg_control = rx->ctl[i].buf;
		mh->msg_controllen = sizeof(rx->ctl[i].buf);
	}
}

/* Receives up to UDP_BATCH datagrams; returns how many, or -errno. */
static int
udp_recv_batch(int fd, struct udp_rx *rx)
{
	udp_prepare(rx);
#ifdef HAVE_RECVMMSG
	int n = recvmmsg(fd, rx->msgs, UDP_BATCH, MSG_DONTWAIT, NULL);

	return n < 0 ? -errno : n;
#else
	ssize_t n = recvmsg(fd, &rx->msgs[0].msg_hdr, MSG_DONTWAIT);

	if (n < 0)
		return -errno;
	rx->msgs[0].msg_len = (unsigned int)n;
	return 1;
#endif
}

static void
udp_handle(struct lsock *s, struct mmsghdr *m)
{
	struct listen *l = s->l;
	struct msghdr *mh = &m->msg_hdr;
	struct req *r;

	if ((mh->msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0) {
		count_dropped(l);
		return;
	}
	r = req_new(l, mh->msg_iov->iov_base, m->msg_len, mh->msg_name,
	            mh->msg_namelen);
	if (r == NULL) {
		count_dropped(l);
		return;
	}
	r->pub.transport = LISTEN_UDP;
	r->sock = s;
	udp_get_dst(r, mh);
	req_dispatch(r);
}

/* Sends the replies queued during a receive batch. */
static void
udp_flush(struct listen *l)
{
	struct udp_tx *tx = l->tx;
	unsigned int sent = 0;
	int n;

	while (sent < tx->n && !l->is_closed) {
#ifdef HAVE_SENDMMSG
		n = sendmmsg(tx->sock->fd, tx->msgs + sent, tx->n - sent,
		             MSG_DONTWAIT);
#else
		n = -1;
		errno = ENOSYS;
#endif
		if (n > 0) {
			sent += (unsigned int)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		/* EAGAIN drops the rest (clients retry); another error is
		 * the first message's own: skip it */
		count_dropped(l);
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			while (++sent < tx->n)
				count_dropped(l);
			break;
		}
		sent++;
	}
	tx->n = 0;
}

static void
listen_udp_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lsock *s = container_of(w, struct lsock, io);
	struct listen *l = s->l;
	int b, i, n;

	UNUSED(loop);
	if (!(revents & EV_READ))
		return;
	listen_hold(l);
	for (b = 0; b < UDP_BATCHES_MAX; b++) {
		n = udp_recv_batch(s->fd, l->rx);
		if (n <= 0)
			break; /* EAGAIN, or an ICMP error: try next time */
		l->tx->sock = s;
		for (i = 0; i < n && !l->is_closed; i++)
			udp_handle(s, &l->rx->msgs[i]);
		udp_flush(l);
		l->tx->sock = NULL;
		if (n < UDP_BATCH || l->is_closed)
			break;
	}
	listen_release(l);
}

/* Sets the source address of a reply to the query's destination. */
static void
udp_set_src(struct req *r, struct msghdr *mh, char *ctl, size_t ctl_len)
{
	struct cmsghdr *cm;

	if (r->dst_family == 0)
		return;
	memset(ctl, 0, ctl_len);
	mh->msg_control = ctl;
	if (r->dst_family == AF_INET) {
		struct in_pktinfo pi = {0};

		pi.ipi_spec_dst = r->dst.v4.ipi_addr;
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IP;
		cm->cmsg_type = IP_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(cm), &pi, sizeof(pi));
	} else {
		/* keep the interface: link-local addresses need it */
		mh->msg_controllen = CMSG_SPACE(sizeof(r->dst.v6));
		cm = CMSG_FIRSTHDR(mh);
		cm->cmsg_level = IPPROTO_IPV6;
		cm->cmsg_type = IPV6_PKTINFO;
		cm->cmsg_len = CMSG_LEN(sizeof(r->dst.v6));
		memcpy(CMSG_DATA(cm), &r->dst.v6, sizeof(r->dst.v6));
	}
}

#ifdef HAVE_SENDMMSG
/* Queues a reply for udp_flush(). */
static void
udp_queue(struct req *r, const uint8_t *wire, size_t len)
{
	struct udp_tx *tx = r->l->tx;
	unsigned int i = tx->n++;
	struct msghdr *mh = &tx->msgs[i].msg_hdr;

	memcpy(tx->data[i], wire, len);
	tx->iov[i].iov_base = tx->data[i];
	tx->iov[i].iov_len = len;
	memcpy(&tx->to[i], &r->pub.client, r->pub.client_len);
	memset(mh, 0, sizeof(*mh));
	mh->msg_name = &tx->to[i];
	mh->msg_namelen = r->pub.client_len;
	mh->msg_iov = &tx->iov[i];
	mh->msg_iovlen = 1;
	udp_set_src(r, mh, tx->ctl[i].buf, sizeof(tx->ctl[i].buf));
}
#endif

static int
udp_reply(struct req *r, const uint8_t *wire, size_t len)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {(void *)wire, len};
	struct msghdr mh = {0};

#ifdef HAVE_SENDMMSG
	if (r->l->tx->sock == r->sock && len <= UDP_TX_SLOT) {
		if (r->l->tx->n == UDP_BATCH)
			udp_flush(r->l);
		udp_queue(r, wire, len);
		return 0;
	}
#endif
	mh.msg_name = &r->pub.client;
	mh.msg_namelen = r->pub.client_len;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	udp_set_src(r, &mh, ctl.buf, sizeof(ctl.buf));
	/* a full socket buffer drops the reply; the client retries */
	if (sendmsg(r->sock->fd, &mh, MSG_DONTWAIT) < 0)
		return -errno;
	return 0;
}

/* -- TCP connections -- */

static bool
conn_wants_read(const struct tcp_conn *c)
{
	return c->is_open && !c->is_eof &&
	       frame_writer_pending(&c->wr) <= c->l->opts.tcp_out_cap &&
	       c->refs < TCP_INFLIGHT_MAX;
}

/* Reads while the write queue is under the cap and not too many of its
 * queries are being resolved (backpressure). */
static void
conn_update_read(struct tcp_conn *c)
{
	struct ev_loop *loop = c->l->loop;

	if (conn_wants_read(c))
		ev_io_start(loop, &c->rio);
	else
		ev_io_stop(loop, &c->rio);
}

/* Closes a half-closed connection once everything is answered. */
static void
conn_check_done(struct tcp_conn *c)
{
	/* refs counts requests out; 1 is the caller's hold, if any */
	if (c->is_open && c->is_eof && frame_writer_pending(&c->wr) == 0 &&
	    c->refs <= 1)
		conn_close(c);
}

/* One sendmsg of what the queue holds: bytes written, 0 if the socket is
 * full, or -errno. MSG_NOSIGNAL: a client gone is an error, not SIGPIPE. */
static ssize_t
conn_send(struct tcp_conn *c)
{
	struct iovec iov[TCP_WRITE_IOV];
	struct msghdr mh = {0};
	ssize_t n;

	mh.msg_iov = iov;
	mh.msg_iovlen = frame_writer_iov(&c->wr, iov, ARRAY_SIZE(iov));
	n = sendmsg(c->fd, &mh, MSG_NOSIGNAL);
	if (n < 0 &&
	    (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	if (n < 0)
		return -errno;
	return n > 0 ? n : -EPIPE;
}

/* Writes what the queue holds. Returns 0 or -errno (then closed). */
static int
conn_flush(struct tcp_conn *c)
{
	ssize_t n;

	while (frame_writer_pending(&c->wr) > 0) {
		if ((n = conn_send(c)) < 0) {
			conn_close(c);
			return (int)n;
		}
		if (n == 0)
			break;
		ev_timer_again(c->l->loop, &c->idle); /* progress */
		frame_writer_advance(&c->wr, (size_t)n);
	}
	if (frame_writer_pending(&c->wr) > 0)
		ev_io_start(c->l->loop, &c->wio);
	else
		ev_io_stop(c->l->loop, &c->wio);
	conn_update_read(c);
	return 0;
}

static void
listen_tcp_write_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, wio);

	UNUSED(loop);
	if (!(revents & EV_WRITE))
		return;
	c->refs++;
	if (conn_flush(c) == 0)
		conn_check_done(c);
	conn_unref(c);
}

static int
tcp_reply(struct req *r, const uint8_t *wire, size_t len)
{
	struct tcp_conn *c = r->conn;
	bool was_idle = frame_writer_pending(&c->wr) == 0;
	int rc;

	if (!c->is_open)
		return -ENOTCONN;
	if ((rc = frame_writer_push(&c->wr, wire, len)) < 0)
		return rc;
	c->refs++; /* conn_flush may close it */
	if (was_idle)
		rc = conn_flush(c); /* most replies go out at once */
	else
		conn_update_read(c);
	conn_unref(c);
	return rc;
}

/* A complete message from the connection: hand it on. */
static void
conn_dispatch(struct tcp_conn *c, const uint8_t *wire, size_t len)
{
	struct req *r = req_new(c->l, wire, len, &c->peer, c->peer_len);

	if (r == NULL) {
		count_dropped(c->l);
		return;
	}
	r->pub.transport = LISTEN_TCP;
	r->conn = c;
	c->refs++;
	req_dispatch(r);
}

/* Hands on every complete message buffered; returns -1 if the
 * connection closed (a bad frame, or on_query closed it). */
static int
conn_drain(struct tcp_conn *c)
{
	const uint8_t *m;
	size_t mlen;
	int rc;

	while (c->is_open && (rc = frame_reader_next(&c->rd, &m, &mlen)) != 0) {
		if (rc < 0) {
			/* RFC 7766 s8: no resynchronising after a bad frame */
			log_verb(VERB_DETAIL, "tcp client: bad frame, closing");
			conn_close(c);
			return -1;
		}
		conn_dispatch(c, m, mlen);
	}
	return c->is_open ? 0 : -1;
}

/*
 * Reads straight into the reassembly buffer, at most TCP_READ_LEN bytes
 * per wakeup so one client cannot starve the others. Returns the bytes
 * read (0: end of stream), -EAGAIN if nothing was there, -ENOTCONN if
 * the connection closed meanwhile, or -errno.
 */
static ssize_t
conn_read(struct tcp_conn *c)
{
	size_t total = 0, room;
	uint8_t *p;
	ssize_t n;

	while (total < TCP_READ_LEN && c->is_open) {
		if ((p = frame_reader_space(&c->rd, &room)) == NULL)
			return -ENOMEM; /* invalid frames were drained */
		n = read(c->fd, p, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return total > 0 ? (ssize_t)total : -EAGAIN;
		if (n <= 0)
			return n < 0 ? -errno : (ssize_t)total;
		frame_reader_commit(&c->rd, (size_t)n);
		total += (size_t)n;
		if (conn_drain(c) < 0)
			return -ENOTCONN;
		if ((size_t)n < room)
			break; /* the socket is most likely empty */
	}
	return (ssize_t)total;
}

static void
conn_on_eof(struct tcp_conn *c)
{
	c->is_eof = true; /* RFC 7766 s6.2.4: still answer what was sent */
	conn_update_read(c);
	conn_check_done(c);
}

static void
listen_tcp_read_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, rio);
	struct listen *l = c->l;
	ssize_t n;

	if (!(revents & EV_READ))
		return;
	c->refs++;      /* on_query may answer and close it, */
	listen_hold(l); /* or even close the listener */
	n = conn_read(c);
	if (!c->is_open || n == -EAGAIN)
		; /* closed already, or a spurious wakeup */
	else if (n < 0)
		conn_close(c);
	else if (n == 0)
		conn_on_eof(c);
	else {
		ev_timer_again(loop, &c->idle);
		conn_update_read(c);
	}
	conn_unref(c);
	listen_release(l);
}

static void
listen_tcp_idle_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct tcp_conn *c = container_of(w, struct tcp_conn, idle);

	UNUSED(revents);
	/* RFC 7766 s6.2.3: idle means nothing pending. A query still being
	 * resolved keeps it open; unread output past the timeout does not
	 * (the client stopped reading). */
	if (frame_writer_pending(&c->wr) == 0 && c->refs > 0) {
		ev_timer_again(loop, &c->idle);
		return;
	}
	log_verb(VERB_DETAIL, "tcp client: idle timeout, closing");
	conn_close(c);
}

static void
conn_free(struct tcp_conn *c)
{
	frame_writer_clear(&c->wr);
	frame_reader_clear(&c->rd);
	free(c);
}

static void
conn_unref(struct tcp_conn *c)
{
	if (--c->refs == 0 && !c->is_open)
		conn_free(c);
}

/* Stops and closes the socket; the memory waits for its requests. */
static void
conn_close(struct tcp_conn *c)
{
	struct listen *l = c->l;

	if (!c->is_open)
		return;
	ev_io_stop(l->loop, &c->rio);
	ev_io_stop(l->loop, &c->wio);
	ev_timer_stop(l->loop, &c->idle);
	close(c->fd);
	c->fd = -1;
	c->is_open = false;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	l->n_conns--;
	if (l->opts.stats != NULL)
		l->opts.stats->tcp_clients_open--;
	if (c->refs == 0)
		conn_free(c);
}

/*
 * The write queue's hard limit. Reading stops once tcp_out_cap bytes wait
 * (conn_wants_read), but queries already being resolved still answer:
 * at most TCP_INFLIGHT_MAX of them, one largest message each.
 */
static size_t
conn_out_limit(const struct listen_opts *o)
{
	return o->tcp_out_cap + TCP_INFLIGHT_MAX * (FRAME_MAX_MSG + 2);
}

static void
conn_new(struct listen *l, int fd, const struct sockaddr_storage *peer,
         socklen_t peer_len)
{
	struct tcp_conn *c = calloc(1, sizeof(*c));

	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->l = l;
	c->is_open = true;
	memcpy(&c->peer, peer, peer_len);
	c->peer_len = peer_len;
	frame_reader_init(&c->rd, FRAME_MAX_MSG);
	frame_writer_init(&c->wr, conn_out_limit(&l->opts));
	ev_io_init(&c->rio, listen_tcp_read_cb, fd, EV_READ);
	ev_io_init(&c->wio, listen_tcp_write_cb, fd, EV_WRITE);
	ev_init(&c->idle, listen_tcp_idle_cb);
	c->idle.repeat = l->opts.tcp_idle_ms / 1000.0;
	ev_timer_again(l->loop, &c->idle);
	ev_io_start(l->loop, &c->rio);
	c->next = l->conns;
	if (l->conns != NULL)
		l->conns->prev = c;
	l->conns = c;
	l->n_conns++;
	if (l->opts.stats != NULL) {
		l->opts.stats->tcp_clients_open++;
		l->opts.stats->tcp_clients_accepted++;
	}
}

/* -- accept -- */

static void
accept_pause(struct listen *l)
{
	size_t i;

	for (i = 0; i < l->n_socks; i++)
		if (l->socks[i].is_tcp)
			ev_io_stop(l->loop, &l->socks[i].io);
	ev_timer_set(&l->accept_retry, ACCEPT_RETRY_S, 0.);
	ev_timer_start(l->loop, &l->accept_retry);
}

static void
listen_accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct listen *l = container_of(w, struct listen, accept_retry);
	size_t i;

	UNUSED(revents);
	for (i = 0; i < l->n_socks; i++)
		if (l->socks[i].is_tcp)
			ev_io_start(loop, &l->socks[i].io);
}

static void
refuse(struct listen *l, int fd)
{
	close(fd); /* the connections already open go on */
	if (l->opts.stats != NULL)
		l->opts.stats->tcp_clients_refused++;
	log_verb(VERB_DETAIL, "tcp client refused: %u clients open",
	         l->opts.tcp_max_clients);
}

static void
listen_accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	struct lsock *s = container_of(w, struct lsock, io);
	struct listen *l = s->l;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	int i, fd;

	UNUSED(loop);
	if (!(revents & EV_READ))
		return;
	for (i = 0; i < ACCEPT_PER_WAKEUP; i++) {
		peer_len = sizeof(peer);
		fd = accept4(s->fd, (struct sockaddr *)&peer, &peer_len,
		             SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				log_warn("accept: %s; pausing",
				         strerror(errno));
				accept_pause(l); /* STYLE s10, unwind */
				return;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			continue; /* ECONNABORTED and the like */
		}
		if (l->n_conns >= l->opts.tcp_max_clients)
			refuse(l, fd);
		else
			conn_new(l, fd, &peer, peer_len);
	}
}

/* -- replies -- */

/* Frees a request; a half-closed connection may then be done. */
static void
listen_finish(struct req *r)
{
	struct tcp_conn *c = r->conn;

	if (c != NULL)
		c->refs++;
	req_free(r);
	if (c != NULL) {
		conn_check_done(c);
		if (c->is_open)
			conn_update_read(c); /* below the in-flight limit */
		conn_unref(c);
	}
}

int
listen_reply(struct listen_req *req, const uint8_t *wire, size_t len)
{
	struct req *r = container_of(req, struct req, pub);
	int rc;

	if (r->l->is_closed)
		rc = -ENOTCONN;
	else if (len > 65535 || len == 0)
		rc = -EMSGSIZE;
	else if (req->transport == LISTEN_UDP)
		rc = udp_reply(r, wire, len);
	else
		rc = tcp_reply(r, wire, len);
	if (rc < 0)
		count_dropped(r->l);
	listen_finish(r);
	return rc;
}

/* -- opening and closing -- */

static bool
is_wildcard(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr ==
		       htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(
	    &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

static socklen_t
addr_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET ? sizeof(struct sockaddr_in)
	                                : sizeof(struct sockaddr_in6);
}

static uint16_t
addr_port(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
addr_set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static int
set_int(int fd, int level, int name, int value)
{
	return setsockopt(fd, level, name, &value, sizeof(value)) < 0 ? -errno
	                                                              : 0;
}

/* Socket options, then bind; listen for TCP. Returns 0 or -errno. */
static int
sock_setup(struct lsock *s)
{
	int v6 = s->addr.ss_family == AF_INET6;
	int rc;

	if ((rc = set_int(s->fd, SOL_SOCKET, SO_REUSEADDR, 1)) < 0)
		return rc;
	if (v6 && (rc = set_int(s->fd, IPPROTO_IPV6, IPV6_V6ONLY, 1)) < 0)
		return rc;
	if (!s->is_tcp && is_wildcard(&s->addr)) {
		/* reply from the address the query went to */
		rc = v6 ? set_int(s->fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1)
		        : set_int(s->fd, IPPROTO_IP, IP_PKTINFO, 1);
		if (rc < 0)
			return rc;
		s->has_pktinfo = true;
	}
	if (bind(s->fd, (struct sockaddr *)&s->addr, s->addr_len) < 0)
		return -errno;
	if (s->is_tcp && listen(s->fd, TCP_BACKLOG) < 0)
		return -errno;
	s->addr_len = sizeof(s->addr);
	if (getsockname(s->fd, (struct sockaddr *)&s->addr, &s->addr_len) < 0)
		return -errno;
	return 0;
}

static int
sock_open(struct lsock *s, const struct sockaddr_storage *addr, bool is_tcp)
{
	int rc;

	memcpy(&s->addr, addr, sizeof(*addr));
	s->addr_len = addr_len(addr);
	s->is_tcp = is_tcp;
	s->fd = socket(addr->ss_family,
	               (is_tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK |
	                   SOCK_CLOEXEC,
	               0);
	if (s->fd < 0)
		return -errno;
	if ((rc = sock_setup(s)) < 0) {
		close(s->fd);
		s->fd = -1;
	}
	return rc;
}

/* Binds UDP then TCP on one address; port 0 gets the same ephemeral
 * port for both. */
static int
bind_pair(struct lsock *udp, struct lsock *tcp,
          const struct sockaddr_storage *addr)
{
	struct sockaddr_storage a;
	int rc = -EADDRINUSE, tries;

	for (tries = 0; tries < BIND_TRIES && rc == -EADDRINUSE; tries++) {
		if ((rc = sock_open(udp, addr, false)) < 0)
			return rc;
		memcpy(&a, addr, sizeof(a));
		addr_set_port(&a, addr_port(&udp->addr));
		if ((rc = sock_open(tcp, &a, true)) == 0)
			return 0;
		close(udp->fd);
		udp->fd = -1;
		if (addr_port(addr) != 0)
			break; /* a fixed port: no second try */
	}
	return rc;
}

static void
fill_defaults(struct listen_opts *o)
{
	if (o->tcp_idle_ms == 0)
		o->tcp_idle_ms = LISTEN_DEFAULT_TCP_IDLE_MS;
	if (o->tcp_max_clients == 0)
		o->tcp_max_clients = LISTEN_DEFAULT_TCP_MAX_CLIENTS;
	if (o->max_udp_size == 0)
		o->max_udp_size = LISTEN_DEFAULT_MAX_UDP_SIZE;
	if (o->tcp_out_cap == 0)
		o->tcp_out_cap = LISTEN_DEFAULT_TCP_OUT_CAP;
	o->addrs = NULL;
}

static int
open_sockets(struct listen *l, const struct listen_opts *opts)
{
	size_t i;
	int rc;

	for (i = 0; i < opts->n_addrs; i++) {
		const struct sockaddr_storage *a = &opts->addrs[i];
		struct lsock *u = &l->socks[2 * i], *t = &l->socks[2 * i + 1];

		if (a->ss_family != AF_INET && a->ss_family != AF_INET6)
			return -EINVAL;
		if ((rc = bind_pair(u, t, a)) < 0)
			return rc;
		l->n_socks += 2;
		u->l = t->l = l;
		ev_io_init(&u->io, listen_udp_cb, u->fd, EV_READ);
		ev_io_init(&t->io, listen_accept_cb, t->fd, EV_READ);
	}
	return 0;
}

int
listen_open(struct listen **out, struct ev_loop *loop,
            const struct listen_opts *opts, listen_query_fn *on_query,
            void *arg)
{
	struct listen *l;
	size_t i;
	int rc;

	if (opts->n_addrs == 0 || opts->addrs == NULL)
		return -EINVAL;
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return -ENOMEM;
	l->loop = loop;
	l->opts = *opts;
	fill_defaults(&l->opts);
	l->on_query = on_query;
	l->arg = arg;
	ev_init(&l->accept_retry, listen_accept_retry_cb);
	l->socks = calloc(2 * opts->n_addrs, sizeof(*l->socks));
	l->rx = malloc(sizeof(*l->rx));
	l->tx = calloc(1, sizeof(*l->tx));
	if (l->socks == NULL || l->rx == NULL || l->tx == NULL) {
		rc = -ENOMEM;
		goto fail;
	}
	if ((rc = open_sockets(l, opts)) < 0)
		goto fail;
	for (i = 0; i < l->n_socks; i++)
		ev_io_start(loop, &l->socks[i].io);
	*out = l;
	return 0;
fail:
	l->is_closed = true;
	for (i = 0; i < l->n_socks; i++)
		close(l->socks[i].fd);
	listen_free(l);
	return rc;
}

static void
listen_free(struct listen *l)
{
	struct req *r;

	while ((r = l->free_reqs) != NULL) {
		l->free_reqs = r->next_free;
		free(r);
	}
	free(l->socks);
	free(l->rx);
	free(l->tx);
	free(l);
}

void
listen_close(struct listen *l)
{
	size_t i;

	if (l == NULL)
		return;
	ev_timer_stop(l->loop, &l->accept_retry);
	for (i = 0; i < l->n_socks; i++) {
		ev_io_stop(l->loop, &l->socks[i].io);
		close(l->socks[i].fd);
	}
	while (l->conns != NULL)
		conn_close(l->conns);
	l->is_closed = true;
	l->opts.stats = NULL; /* borrowed only until now */
	if (l->outstanding == 0)
		listen_free(l);
}

int
listen_bound_addr(const struct listen *l, size_t i, struct sockaddr_storage *ss,
                  socklen_t *len)
{
	if (2 * i >= l->n_socks)
		return -ENOENT;
	memcpy(ss, &l->socks[2 * i].addr, sizeof(*ss));
	*len = l->socks[2 * i].addr_len;
	return 0;
}

size_t
listen_tcp_clients(const struct listen *l)
{
	return l->n_conns;
}

int
listen_addr_parse(const char *text, uint16_t port, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		return 0;
	}
	return -EINVAL;
}
