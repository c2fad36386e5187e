/*
 * echo.c -- the floor of the hit benchmark: a UDP responder that does no
 * DNS work. Each datagram is sent back with the QR bit set, in batches
 * (recvmmsg/sendmmsg), so a load generator measures what the kernel and
 * the loopback path alone cost.
 *
 * usage: bench/echo ADDRESS PORT SECONDS
 * Bounded in time; prints the datagrams answered on exit (SIGTERM too).
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define MSG_MAX 1500

struct echo_batch {
	struct mmsghdr msg[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	uint8_t buf[BATCH][MSG_MAX];
};

static volatile sig_atomic_t stop_requested;

static void
on_term(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static double
mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
open_socket(const char *addr, const char *port)
{
	struct sockaddr_in sin;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)strtoul(port, NULL, 10));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "echo: %s: not an IPv4 address\n", addr);
		return -1;
	}
	if ((fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		fprintf(stderr, "echo: %s port %s: %s\n", addr, port,
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static void
batch_reset(struct echo_batch *b)
{
	for (int i = 0; i < BATCH; i++) {
		b->iov[i].iov_base = b->buf[i];
		b->iov[i].iov_len = MSG_MAX;
		memset(&b->msg[i].msg_hdr, 0, sizeof(b->msg[i].msg_hdr));
		b->msg[i].msg_hdr.msg_iov = &b->iov[i];
		b->msg[i].msg_hdr.msg_iovlen = 1;
		b->msg[i].msg_hdr.msg_name = &b->from[i];
		b->msg[i].msg_hdr.msg_namelen = sizeof(b->from[i]);
	}
}

/* Receives one batch and sends each datagram of at least a DNS header
 * back with QR set; returns the number sent, 0 when nothing was read. */
static int
echo_batch(int fd, struct echo_batch *b)
{
	int n, m = 0;

	batch_reset(b);
	n = recvmmsg(fd, b->msg, BATCH, 0, NULL);
	if (n <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (b->msg[i].msg_len < 12)
			continue;     /* not even a DNS header: drop */
		b->buf[i][2] |= 0x80; /* QR, RFC 1035 s4.1.1 */
		b->iov[i].iov_len = b->msg[i].msg_len;
		if (m != i)
			b->msg[m] = b->msg[i];
		m++;
	}
	return m > 0 && sendmmsg(fd, b->msg, (unsigned)m, 0) > 0 ? m : 0;
}

int
main(int argc, char **argv)
{
	static struct echo_batch b;
	unsigned long answered = 0;
	double end;
	int fd;

	if (argc != 4) {
		fprintf(stderr, "usage: echo ADDRESS PORT SECONDS\n");
		return 2;
	}
	if ((fd = open_socket(argv[1], argv[2])) < 0)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	end = mono_s() + strtod(argv[3], NULL);
	while (!stop_requested && mono_s() < end) {
		struct pollfd p = {fd, POLLIN, 0};
		int n;

		if (poll(&p, 1, 100) <= 0)
			continue;
		while ((n = echo_batch(fd, &b)) > 0)
			answered += (unsigned long)n;
	}
	printf("echo: %lu datagrams answered\n", answered);
	close(fd);
	return 0;
}
