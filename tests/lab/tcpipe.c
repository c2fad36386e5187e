/*
 * tcpipe -- send several DNS queries pipelined on one TCP connection and
 * print the answers in the order they arrive (RFC 7766 s6.2.1.1).
 *
 * usage: tcpipe [-r] ADDR PORT TYPE NAME...
 * -r sets RD (recursion desired), for queries to a resolver.
 * Query i (from 1) for NAME i gets ID i. All queries go out in one write
 * before any answer is read. One line per answer: "ID QNAME RCODE ANCOUNT".
 * Exit 0 when every query was answered, 1 when the server closed the
 * connection first or 3 s passed without data (then "closed after K" or
 * "timeout after K" is printed), 2 on usage or local errors.
 */
#include "config.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define MSG_MAX 65535

static int
dial(const char *addr, const char *port)
{
	struct sockaddr_in sa;
	struct timeval tv = {3, 0};
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(port));
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1)
		return -1;
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Append query id for name/type, framed, to buf; returns the new length
 * or 0 on error. */
static size_t
frame_query(uint8_t *buf, size_t used, size_t cap, const char *name,
            ldns_rr_type type, uint16_t id, bool is_rd)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t len = 0;

	if (ldns_pkt_query_new_frm_str(&p, name, type, LDNS_RR_CLASS_IN, 0) !=
	    LDNS_STATUS_OK)
		return 0;
	ldns_pkt_set_id(p, id);
	ldns_pkt_set_rd(p, is_rd);
	if (ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK ||
	    used + 2 + len > cap) {
		ldns_pkt_free(p);
		free(w);
		return 0;
	}
	buf[used] = (uint8_t)(len >> 8);
	buf[used + 1] = (uint8_t)len;
	memcpy(buf + used + 2, w, len);
	ldns_pkt_free(p);
	free(w);
	return used + 2 + len;
}

static int
read_full(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		if ((n = recv(fd, buf + got, len - got, 0)) <= 0)
			return n == 0 ? -1 : -2;
		got += (size_t)n;
	}
	return 0;
}

static void
print_answer(const uint8_t *w, size_t len)
{
	ldns_pkt *p = NULL;
	ldns_lookup_table *rc;
	char *q;

	if (ldns_wire2pkt(&p, w, len) != LDNS_STATUS_OK) {
		printf("malformed %zu bytes\n", len);
		return;
	}
	rc = ldns_lookup_by_id(ldns_rcodes, (int)ldns_pkt_get_rcode(p));
	q = ldns_rdf2str(
	    ldns_rr_owner(ldns_rr_list_rr(ldns_pkt_question(p), 0)));
	printf("%u %s %s %u\n", (unsigned)ldns_pkt_id(p), q ? q : "-",
	       rc != NULL ? rc->name : "?", (unsigned)ldns_pkt_ancount(p));
	free(q);
	ldns_pkt_free(p);
}

static int
read_answers(int fd, int n)
{
	uint8_t hdr[2], *msg = malloc(MSG_MAX);
	int i, rc = 0;

	for (i = 0; i < n && msg != NULL; i++) {
		if ((rc = read_full(fd, hdr, 2)) == 0)
			rc = read_full(fd, msg, (size_t)(hdr[0] << 8 | hdr[1]));
		if (rc < 0)
			break;
		print_answer(msg, (size_t)(hdr[0] << 8 | hdr[1]));
	}
	free(msg);
	if (rc < 0)
		printf("%s after %d\n", rc == -1 ? "closed" : "timeout", i);
	return rc < 0 ? 1 : 0;
}

int
main(int argc, char **argv)
{
	static uint8_t buf[1 << 20];
	ldns_rr_type type;
	size_t used = 0;
	bool is_rd = false;
	int i, fd, rc;

	if (argc > 1 && strcmp(argv[1], "-r") == 0) {
		is_rd = true;
		argv++;
		argc--;
	}
	if (argc < 5) {
		fprintf(stderr, "usage: tcpipe [-r] ADDR PORT TYPE NAME...\n");
		return 2;
	}
	type = ldns_get_rr_type_by_name(argv[3]);
	for (i = 4; i < argc; i++) {
		used = frame_query(buf, used, sizeof(buf), argv[i], type,
		                   (uint16_t)(i - 3), is_rd);
		if (used == 0)
			return 2;
	}
	if ((fd = dial(argv[1], argv[2])) < 0) {
		perror("tcpipe: connect");
		return 2;
	}
	if (send(fd, buf, used, MSG_NOSIGNAL) != (ssize_t)used) {
		close(fd);
		return 2;
	}
	rc = read_answers(fd, argc - 4);
	close(fd);
	return rc;
}
