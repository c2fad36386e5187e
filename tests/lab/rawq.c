/*
 * rawq -- send one hand-made DNS message (hex) over UDP or TCP and print
 * what comes back, for tests of malformed input and TCP corner cases.
 *
 * usage: rawq [-b SRC] MODE ADDR PORT HEX [COUNT [SECONDS]]
 *   udp     HEX as one datagram; wait 2 s for a reply
 *   tcp     HEX framed (RFC 7766 s8) in one write; read one reply
 *   tcp1    the same frame one byte per write, COUNT ms apart (5)
 *   tcpraw  HEX as it is (no length added); read one reply
 *   stall   COUNT frames of HEX, query ID i for frame i, on a connection
 *           with a small receive buffer that is never read; then wait
 *           SECONDS and close
 * Prints "id=ID rcode=RCODE tc=0|1 qd=N an=N ns=N ar=N len=BYTES" (RCODE
 * numeric, with the EDNS extended bits), "noreply" (2 s passed, or
 * $RAWQ_WAIT_S seconds), "closed"
 * (the server closed the connection) or "sent COUNT". -b binds the
 * client to source address SRC first. Exit 0 after printing, 2 on usage
 * or local errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define MSG_MAX 65535

static int
unhex(const char *hex, uint8_t *out, size_t max)
{
	size_t n = strlen(hex) / 2, i;
	unsigned int b;

	if (strlen(hex) % 2 != 0 || n > max)
		return -1;
	for (i = 0; i < n; i++) {
		if (sscanf(hex + 2 * i, "%2x", &b) != 1)
			return -1;
		out[i] = (uint8_t)b;
	}
	return (int)n;
}

static int
sock_open(int type, const char *src, const char *addr, const char *port,
          int rcvbuf)
{
	struct sockaddr_in sa = {0}, sb = {0};
	const char *wait_s = getenv("RAWQ_WAIT_S");
	struct timeval tv = {wait_s != NULL ? atoi(wait_s) : 2, 0};
	int fd, one = 1;

	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, type, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (rcvbuf > 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (type == SOCK_STREAM)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src != NULL) {
		sb.sin_family = AF_INET;
		if (inet_pton(AF_INET, src, &sb.sin_addr) != 1 ||
		    bind(fd, (struct sockaddr *)&sb, sizeof(sb)) < 0)
			goto fail;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

static int
send_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads exactly len bytes: 0, or -1 on EOF/error, -2 on timeout. */
static int
recv_all(int fd, uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = recv(fd, p, len, 0);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return -2;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
print_reply(const uint8_t *wire, size_t len)
{
	ldns_pkt *p = NULL;
	unsigned int rcode;

	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK) {
		printf("unparsable len=%zu\n", len);
		return;
	}
	rcode = ldns_pkt_get_rcode(p);
	if (ldns_pkt_edns(p))
		rcode |= (unsigned int)ldns_pkt_edns_extended_rcode(p) << 4;
	printf("id=%u rcode=%u tc=%d qd=%u an=%u ns=%u ar=%u len=%zu\n",
	       ldns_pkt_id(p), rcode, ldns_pkt_tc(p) ? 1 : 0,
	       ldns_pkt_qdcount(p), ldns_pkt_ancount(p), ldns_pkt_nscount(p),
	       ldns_pkt_arcount(p), len);
	ldns_pkt_free(p);
}

static int
do_udp(int fd, const uint8_t *msg, size_t len)
{
	static uint8_t buf[MSG_MAX];
	ssize_t n;

	if (send(fd, msg, len, 0) < 0)
		return 2;
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0)
		printf("noreply\n");
	else
		print_reply(buf, (size_t)n);
	return 0;
}

static int
read_frame(int fd)
{
	static uint8_t buf[MSG_MAX];
	uint8_t hdr[2];
	size_t len;
	int rc;

	if ((rc = recv_all(fd, hdr, 2)) < 0) {
		printf(rc == -2 ? "noreply\n" : "closed\n");
		return 0;
	}
	len = (size_t)hdr[0] << 8 | hdr[1];
	if ((rc = recv_all(fd, buf, len)) < 0) {
		printf(rc == -2 ? "noreply\n" : "closed\n");
		return 0;
	}
	print_reply(buf, len);
	return 0;
}

static int
do_tcp(int fd, const uint8_t *msg, size_t len, int mode, long gap_ms)
{
	static uint8_t frame[MSG_MAX + 2];
	struct timespec gap = {gap_ms / 1000, gap_ms % 1000 * 1000000};
	size_t flen = len, i;

	if (mode == 't' || mode == '1') {
		frame[0] = (uint8_t)(len >> 8);
		frame[1] = (uint8_t)len;
		memcpy(frame + 2, msg, len);
		flen = len + 2;
	} else
		memcpy(frame, msg, len);
	if (mode != '1')
		return send_all(fd, frame, flen) < 0 ? 2 : read_frame(fd);
	for (i = 0; i < flen; i++) {
		if (send_all(fd, frame + i, 1) < 0)
			return 2;
		nanosleep(&gap, NULL);
	}
	return read_frame(fd);
}

static int
do_stall(int fd, uint8_t *msg, size_t len, int count, int secs)
{
	static uint8_t frame[MSG_MAX + 2];
	int i;

	for (i = 1; i <= count; i++) {
		msg[0] = (uint8_t)(i >> 8);
		msg[1] = (uint8_t)i;
		frame[0] = (uint8_t)(len >> 8);
		frame[1] = (uint8_t)len;
		memcpy(frame + 2, msg, len);
		if (send_all(fd, frame, len + 2) < 0)
			break; /* the server stopped reading: enough */
	}
	printf("sent %d\n", i - 1);
	fflush(stdout);
	sleep((unsigned int)secs);
	return 0;
}

int
main(int argc, char **argv)
{
	static uint8_t msg[MSG_MAX];
	const char *src = NULL, *mode;
	int n, fd, rc;

	if (argc > 2 && strcmp(argv[1], "-b") == 0) {
		src = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (argc < 5 || (n = unhex(argv[4], msg, sizeof(msg))) < 0) {
		fprintf(stderr, "usage: rawq [-b SRC] udp|tcp|tcp1|tcpraw|"
		                "stall ADDR PORT HEX [COUNT [SECONDS]]\n");
		return 2;
	}
	mode = argv[1];
	fd = sock_open(strcmp(mode, "udp") == 0 ? SOCK_DGRAM : SOCK_STREAM, src,
	               argv[2], argv[3], strcmp(mode, "stall") == 0 ? 4096 : 0);
	if (fd < 0) {
		perror("rawq: socket");
		return 2;
	}
	if (strcmp(mode, "udp") == 0)
		rc = do_udp(fd, msg, (size_t)n);
	else if (strcmp(mode, "tcp") == 0)
		rc = do_tcp(fd, msg, (size_t)n, 't', 0);
	else if (strcmp(mode, "tcp1") == 0)
		rc = do_tcp(fd, msg, (size_t)n, '1',
		            argc >= 6 ? atol(argv[5]) : 5);
	else if (strcmp(mode, "tcpraw") == 0)
		rc = do_tcp(fd, msg, (size_t)n, 'r', 0);
	else if (strcmp(mode, "stall") == 0 && argc >= 7 && n >= 2)
		rc = do_stall(fd, msg, (size_t)n, atoi(argv[5]), atoi(argv[6]));
	else
		rc = 2;
	close(fd);
	return rc;
}
