/*
 * control_main.c -- cairn-control: sends one command to a running cairnd
 * over its control socket and prints the reply (docs/cairn-control.8).
 *
 * Exit status: 0 when the reply ends in "ok", 1 when it ends in
 * "error: ...", 2 for a usage error, an unreadable configuration, or a
 * socket that cannot be reached or replies with something else.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include "resolver/conf.h"
#include "resolver/control.h"

#define DEFAULT_CONFIG SYSCONFDIR "/cairn/cairn.conf"
#define DEFAULT_SOCKET LOCALSTATEDIR "/run/cairn.ctl"
#define REPLY_TIMEOUT_S 60 /* a large dump takes a while */

static void
usage(FILE *fp)
{
	fprintf(fp,
	        "usage: cairn-control [-s socket] [-c file] command [args]\n"
	        "  -s socket  control socket (default: control-socket: of "
	        "the config, else %s)\n"
	        "  -c file    read control-socket: from file (default %s)\n"
	        "commands:\n"
	        "  stats                  every counter, name=value\n"
	        "  servers                per-server RTT and TCP table\n"
	        "  reload                 reread the configuration (as "
	        "SIGHUP)\n"
	        "  flush [-s] NAME        remove NAME (-s: and below) from "
	        "the cache\n"
	        "  dump [-s] [-n NAME] [-t TYPE] [--expired]\n"
	        "                         the cache as zone text (as "
	        "cairn-dump)\n",
	        DEFAULT_SOCKET, DEFAULT_CONFIG);
}

/* The socket path from the config file (explicit: it must exist) into a
 * malloc'd string in *out. Returns 0, or 2 after printing why. */
static int
socket_from_config(const char *path, bool is_explicit, char **out)
{
	char err[CONFIG_ERR_LEN];
	struct config cfg;
	int rc = 2;

	if (!is_explicit && access(path, F_OK) < 0 && errno == ENOENT) {
		*out = strdup(DEFAULT_SOCKET);
		return *out ? 0 : 2;
	}
	if (config_init_defaults(&cfg) < 0) {
		fprintf(stderr, "cairn-control: out of memory\n");
		goto out;
	}
	if (config_load_file(&cfg, path, err, sizeof(err)) < 0) {
		fprintf(stderr, "cairn-control: %s\n", err);
		goto out;
	}
	if (cfg.control_socket[0] == '\0') {
		fprintf(stderr,
		        "cairn-control: %s: control-socket is empty: "
		        "the control channel is off\n",
		        path);
		goto out;
	}
	if ((*out = strdup(cfg.control_socket)) != NULL)
		rc = 0;
out:
	config_free(&cfg);
	return rc;
}

/* The command words joined by spaces, "\n" ended, into line. Returns 0,
 * or 2 after printing why. */
static int
build_line(int argc, char **argv, char *line, size_t cap)
{
	size_t len = 0;

	for (int i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]);

		if (n == 0 || strpbrk(argv[i], " \t\r\n") != NULL) {
			fprintf(stderr, "cairn-control: bad argument '%s'\n",
			        argv[i]);
			return 2;
		}
		if (len + n + 2 > cap) {
			fprintf(stderr,
			        "cairn-control: command longer than "
			        "%zu bytes\n",
			        cap - 1);
			return 2;
		}
		if (i > 0)
			line[len++] = ' ';
		memcpy(line + len, argv[i], n);
		len += n;
	}
	line[len++] = '\n';
	line[len] = '\0';
	return 0;
}

static int
connect_socket(const char *path)
{
	struct sockaddr_un sun;
	struct timeval tv = {REPLY_TIMEOUT_S, 0};
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	(void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	(void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int
send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads the reply to EOF into a malloc'd, NUL-terminated *out. */
static int
recv_all(int fd, char **out, size_t *out_len)
{
	size_t len = 0, cap = 0;
	char *buf = NULL;

	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			char *p = realloc(buf, cap + 65536);

			if (p == NULL) {
				free(buf);
				errno = ENOMEM;
				return -1;
			}
			buf = p;
			cap += 65536;
		}
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	*out = buf;
	*out_len = len;
	return 0;
}

/* Prints the reply body to stdout, the status line (if an error) to
 * stderr; returns the exit status. */
static int
print_reply(const char *path, char *reply, size_t len)
{
	char *last;

	if (len == 0 || reply[len - 1] != '\n') {
		fprintf(stderr, "cairn-control: %s: reply cut short\n", path);
		return 2;
	}
	reply[len - 1] = '\0';
	last = strrchr(reply, '\n');
	last = last ? last + 1 : reply;
	fwrite(reply, 1, (size_t)(last - reply), stdout);
	if (fflush(stdout) != 0)
		return 2;
	if (strcmp(last, "ok") == 0)
		return 0;
	if (strncmp(last, "error: ", 7) == 0) {
		fprintf(stderr, "cairn-control: %s\n", last);
		return 1;
	}
	fprintf(stderr, "cairn-control: %s: unexpected reply '%s'\n", path,
	        last);
	return 2;
}

static int
run(const char *path, const char *line)
{
	char *reply = NULL;
	size_t len;
	int fd, rc;

	if ((fd = connect_socket(path)) < 0) {
		fprintf(stderr,
		        "cairn-control: cannot connect to %s: %s (is cairnd "
		        "running with this control-socket?)\n",
		        path, strerror(errno));
		return 2;
	}
	if (send_all(fd, line, strlen(line)) < 0 ||
	    recv_all(fd, &reply, &len) < 0) {
		fprintf(stderr, "cairn-control: %s: %s\n", path,
		        strerror(errno));
		close(fd);
		return 2;
	}
	close(fd);
	rc = print_reply(path, reply, len);
	free(reply);
	return rc;
}

int
main(int argc, char **argv)
{
	const char *sock = NULL, *conf = DEFAULT_CONFIG;
	bool conf_explicit = false;
	char line[CONTROL_LINE_MAX];
	char *from_conf = NULL;
	int ch, rc;

	/* "+": stop at the command, whose own options follow it. */
	while ((ch = getopt(argc, argv, "+s:c:hV")) != -1) {
		switch (ch) {
		case 's': sock = optarg; break;
		case 'c':
			conf = optarg;
			conf_explicit = true;
			break;
		case 'h': usage(stdout); return 0;
		case 'V':
			printf("cairn-control %s\n", PACKAGE_VERSION);
			return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind == argc) {
		usage(stderr);
		return 2;
	}
	if ((rc = build_line(argc - optind, argv + optind, line,
	                     sizeof(line))) != 0)
		return rc;
	if (sock == NULL) {
		if ((rc = socket_from_config(conf, conf_explicit,
		                             &from_conf)) != 0)
			return rc;
		sock = from_conf;
	}
	rc = run(sock, line);
	free(from_conf);
	return rc;
}
