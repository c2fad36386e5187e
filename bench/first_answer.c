/*
 * first_answer.c -- restart benchmark: starts a resolver and measures the
 * time from its start to the first answer it gives for one name.
 *
 * usage: bench/first_answer ADDRESS PORT NAME TYPE TIMEOUT_MS PIDFILE CMD...
 *
 * Forks and execs CMD (the resolver, in the foreground), writes its PID to
 * PIDFILE, then asks ADDRESS PORT for NAME TYPE (RD=1) every millisecond
 * until a NOERROR reply with a non-empty answer section arrives or
 * TIMEOUT_MS pass. Prints "first_answer MS" (wall time since just before
 * the fork) or "first_answer timeout". The resolver is left running: the
 * caller stops it by the PID in PIDFILE.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

static double
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* The query's wire form in buf; returns its length, 0 on error. */
static size_t
make_query(const char *name, const char *type, uint8_t *buf, size_t size)
{
	ldns_pkt *p = NULL;
	uint8_t *w = NULL;
	size_t len = 0;
	ldns_rr_type t = ldns_get_rr_type_by_name(type);

	if (t == 0 || ldns_pkt_query_new_frm_str(&p, name, t, LDNS_RR_CLASS_IN,
	                                         LDNS_RD) != LDNS_STATUS_OK)
		return 0;
	ldns_pkt_set_id(p, 0x4242);
	if (ldns_pkt2wire(&w, p, &len) != LDNS_STATUS_OK || len > size)
		len = 0;
	else
		memcpy(buf, w, len);
	free(w);
	ldns_pkt_free(p);
	return len;
}

/* True when the reply answers our query: ID, QR, NOERROR, ANCOUNT > 0
 * (RFC 1035 s4.1.1). */
static bool
is_answer(const uint8_t *r, ssize_t n)
{
	return n >= 12 && r[0] == 0x42 && r[1] == 0x42 && (r[2] & 0x80) &&
	       (r[3] & 0x0f) == 0 && (r[6] | r[7]) != 0;
}

static pid_t
spawn(char **argv, const char *pidfile)
{
	FILE *fp;
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		fprintf(stderr, "first_answer: %s: %s\n", argv[0],
		        strerror(errno));
		_exit(127);
	}
	if (pid > 0 && (fp = fopen(pidfile, "w")) != NULL) {
		fprintf(fp, "%ld\n", (long)pid);
		fclose(fp);
	}
	return pid;
}

static int
client_socket(const char *addr, const char *port, struct sockaddr_in *to)
{
	memset(to, 0, sizeof(*to));
	to->sin_family = AF_INET;
	to->sin_port = htons((uint16_t)strtoul(port, NULL, 10));
	if (inet_pton(AF_INET, addr, &to->sin_addr) != 1)
		return -1;
	return socket(AF_INET, SOCK_DGRAM, 0);
}

int
main(int argc, char **argv)
{
	uint8_t q[512], r[65535];
	struct sockaddr_in to;
	double t0, limit;
	size_t qlen;
	int fd;

	if (argc < 8) {
		fprintf(stderr, "usage: first_answer ADDRESS PORT NAME TYPE "
		                "TIMEOUT_MS PIDFILE CMD...\n");
		return 2;
	}
	if ((qlen = make_query(argv[3], argv[4], q, sizeof(q))) == 0 ||
	    (fd = client_socket(argv[1], argv[2], &to)) < 0) {
		fprintf(stderr, "first_answer: bad name, type or address\n");
		return 2;
	}
	limit = strtod(argv[5], NULL);
	t0 = mono_ms();
	if (spawn(argv + 7, argv[6]) < 0)
		return 1;
	while (mono_ms() - t0 < limit) {
		struct pollfd p = {fd, POLLIN, 0};

		/* Refused sends (nothing bound yet) are expected: retry. */
		(void)sendto(fd, q, qlen, 0, (struct sockaddr *)&to,
		             sizeof(to));
		while (poll(&p, 1, 1) > 0) {
			ssize_t n = recv(fd, r, sizeof(r), 0);

			if (is_answer(r, n)) {
				printf("first_answer %.2f\n", mono_ms() - t0);
				return 0;
			}
		}
	}
	printf("first_answer timeout\n");
	return 1;
}
