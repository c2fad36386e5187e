/*
 * test_control.c -- the control channel: command-line parsing, and the
 * socket protocol over a real UNIX socket and libev loop (replies end in
 * "ok" or "error: ...", bounded lines, connection limit, stale sockets,
 * flush against a real cache file).
 */
#include "config.h"
#include "resolver/control.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "cache/cache.h"
#include "resolver/ctx.h"
#include "resolver/services.h"

Suite *control_suite(void);

/* --- parsing ------------------------------------------------------------ */

static int
parse(const char *line, struct control_cmd *cmd, char *err)
{
	return control_parse(line, cmd, err, 128);
}

START_TEST(parse_accepts_plain_commands)
{
	static const struct {
		const char *line;
		enum control_verb verb;
	} t[] = {{"stats\n", CONTROL_STATS},
	         {"  servers \r\n", CONTROL_SERVERS},
	         {"reload", CONTROL_RELOAD},
	         {"\tstats\t", CONTROL_STATS}};
	struct control_cmd cmd;
	char err[128];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(parse(t[i].line, &cmd, err), 0);
		ck_assert_int_eq(cmd.verb, t[i].verb);
		ck_assert_ptr_null(cmd.name);
		control_cmd_clear(&cmd);
	}
}
END_TEST

START_TEST(parse_flush_takes_a_name_and_subtree_flag)
{
	struct control_cmd cmd;
	ldns_rdf *want = ldns_dname_new_frm_str("www.example.test.");
	char err[128];

	ck_assert_int_eq(parse("flush www.example.test.\n", &cmd, err), 0);
	ck_assert_int_eq(cmd.verb, CONTROL_FLUSH);
	ck_assert(!cmd.is_subtree);
	ck_assert_int_eq(ldns_dname_compare(cmd.name, want), 0);
	control_cmd_clear(&cmd);
	ck_assert_int_eq(parse("flush -s www.example.test", &cmd, err), 0);
	ck_assert(cmd.is_subtree);
	ck_assert_int_eq(ldns_dname_compare(cmd.name, want), 0);
	control_cmd_clear(&cmd);
	ldns_rdf_deep_free(want);
}
END_TEST

START_TEST(parse_dump_takes_its_options_in_any_order)
{
	struct control_cmd cmd;
	char err[128];

	ck_assert_int_eq(parse("dump\n", &cmd, err), 0);
	ck_assert_int_eq(cmd.verb, CONTROL_DUMP);
	ck_assert_ptr_null(cmd.name);
	ck_assert_int_eq(cmd.type, 0);
	ck_assert(!cmd.include_expired && !cmd.is_subtree);
	control_cmd_clear(&cmd);
	ck_assert_int_eq(
	    parse("dump --expired -t AAAA -s -n example.test.", &cmd, err), 0);
	ck_assert_int_eq(cmd.type, LDNS_RR_TYPE_AAAA);
	ck_assert(cmd.include_expired && cmd.is_subtree);
	ck_assert_ptr_nonnull(cmd.name);
	control_cmd_clear(&cmd);
}
END_TEST

START_TEST(parse_rejects_bad_lines_with_a_reason)
{
	static const struct {
		const char *line, *err;
	} t[] = {
	    {"x\n", "unknown command 'x'"},
	    {"\n", "empty command"},
	    {"stats now", "stats takes no arguments"},
	    {"flush", "flush needs a name"},
	    {"flush -x a.", "unknown option '-x' for flush"},
	    {"flush a. b.", "more than one name"},
	    {"dump -t NOSUCHTYPE", "bad type 'NOSUCHTYPE'"},
	    {"dump -t", "bad type ''"},
	    {"dump -n", "-n needs a name"},
	    {"dump -s", "-s needs -n NAME"},
	    {"dump --json", "unknown argument '--json' for dump"},
	    {"dump a b c d e f g h i", "too many arguments"},
	};
	struct control_cmd cmd;
	char err[128];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		err[0] = '\0';
		ck_assert_int_eq(parse(t[i].line, &cmd, err), -EINVAL);
		ck_assert_str_eq(err, t[i].err);
		ck_assert_ptr_null(cmd.name);
	}
}
END_TEST

START_TEST(parse_rejects_a_name_too_long_for_dns)
{
	char line[400] = "flush ";
	struct control_cmd cmd;
	char err[128];

	memset(line + 6, 'a', 300); /* one 300-byte label */
	ck_assert_int_eq(parse(line, &cmd, err), -EINVAL);
	ck_assert_ptr_null(cmd.name);
	ck_assert(strncmp(err, "bad name", 8) == 0);
}
END_TEST

START_TEST(parse_rejects_a_line_over_the_limit)
{
	char line[CONTROL_LINE_MAX + 10];
	struct control_cmd cmd;
	char err[128];

	memset(line, ' ', sizeof(line) - 1);
	memcpy(line, "stats", 5);
	line[sizeof(line) - 1] = '\0';
	ck_assert_int_eq(parse(line, &cmd, err), -EINVAL);
	ck_assert(strstr(err, "longer than") != NULL);
}
END_TEST

/* --- the socket ----------------------------------------------------------- */

static char dir[64], sock_path[128];
static struct cairn_ctx ctx;
static struct services svc;
static struct control *ctl;

static void
sock_setup(void)
{
	strcpy(dir, "/tmp/cairn-control-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock_path, sizeof(sock_path), "%s/run/ctl", dir);
	memset(&ctx, 0, sizeof(ctx));
	memset(&svc, 0, sizeof(svc));
	stats_init(&svc.stats);
	ctx.loop = ev_loop_new(EVFLAG_AUTO);
	ctx.svc = &svc;
	ctl = NULL;
}

static void
sock_teardown(void)
{
	char cmd[128];

	control_close(ctl);
	cache_close(svc.cache);
	ev_loop_destroy(ctx.loop);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

static int
client_connect(void)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	strcpy(sun.sun_path, sock_path);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	ck_assert_int_eq(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	return fd;
}

/* Runs the loop until the server closes fd's connection (bounded);
 * returns the reply, malloc'd. */
static char *
client_reply(int fd)
{
	size_t len = 0, cap = 1 << 16;
	char *buf = malloc(cap);

	ck_assert_ptr_nonnull(buf);
	for (int i = 0; i < 2000; i++) {
		ssize_t n;

		ev_run(ctx.loop, EVRUN_NOWAIT);
		n = recv(fd, buf + len, cap - len - 1, 0);
		if (n == 0)
			break;
		if (n > 0)
			len += (size_t)n;
		else
			usleep(1000);
		ck_assert_int_lt(len, cap - 1);
	}
	buf[len] = '\0';
	close(fd);
	return buf;
}

static char *
ask(const char *line)
{
	int fd = client_connect();

	ck_assert_int_eq(send(fd, line, strlen(line), 0),
	                 (ssize_t)strlen(line));
	return client_reply(fd);
}

START_TEST(socket_is_created_with_mode_0660_and_parent_dir)
{
	struct stat st;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	ck_assert(S_ISSOCK(st.st_mode));
	ck_assert_int_eq(st.st_mode & 0777, 0660);
	control_close(ctl);
	ctl = NULL;
	ck_assert_int_eq(access(sock_path, F_OK), -1);
}
END_TEST

START_TEST(empty_path_means_no_control_socket)
{
	ctl = (struct control *)&ctx; /* must be overwritten */
	ck_assert_int_eq(control_open(&ctl, &ctx, "", ""), 0);
	ck_assert_ptr_null(ctl);
}
END_TEST

START_TEST(stats_reply_has_counters_and_ends_in_ok)
{
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	svc.stats.queries[STATS_UDP] = 7;
	svc.stats.cache_hits = 3;
	ctx.counters.reloads = 2;
	r = ask("stats\n");
	ck_assert_ptr_nonnull(strstr(r, "\nnum.queries.udp=7\n"));
	ck_assert_ptr_nonnull(strstr(r, "\nnum.cachehits=3\n"));
	ck_assert_ptr_nonnull(strstr(r, "\nnum.reloads=2\n"));
	ck_assert_ptr_nonnull(strstr(r, "\ncache.enabled=0\n"));
	ck_assert_ptr_nonnull(strstr(r, "\ntime.up="));
	ck_assert_int_gt(strlen(r), 3);
	ck_assert_str_eq(r + strlen(r) - 3, "ok\n");
	free(r);
}
END_TEST

START_TEST(unknown_command_gets_an_error_line)
{
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	r = ask("frobnicate\n");
	ck_assert_str_eq(r, "error: unknown command 'frobnicate'\n");
	free(r);
}
END_TEST

START_TEST(command_without_newline_runs_at_end_of_input)
{
	int fd;
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	fd = client_connect();
	ck_assert_int_eq(send(fd, "reload", 6, 0), 6);
	shutdown(fd, SHUT_WR);
	r = client_reply(fd);
	/* No reload hook in this context: the command ran and failed. */
	ck_assert(strncmp(r, "error: reload failed", 20) == 0);
	free(r);
}
END_TEST

START_TEST(overlong_line_is_refused)
{
	char line[CONTROL_LINE_MAX + 100];
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	memset(line, 'a', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	r = ask(line);
	ck_assert_str_eq(r, "error: command line too long\n");
	free(r);
}
END_TEST

START_TEST(nul_byte_is_refused)
{
	int fd;
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	fd = client_connect();
	ck_assert_int_eq(send(fd, "st\0ats\n", 7, 0), 7);
	r = client_reply(fd);
	ck_assert_str_eq(r, "error: command contains a NUL byte\n");
	free(r);
}
END_TEST

START_TEST(connections_over_the_limit_are_closed)
{
	int fds[CONTROL_MAX_CONNS + 1];
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	for (int i = 0; i < CONTROL_MAX_CONNS; i++) {
		fds[i] = client_connect();
		ev_run(ctx.loop, EVRUN_NOWAIT); /* accept it */
	}
	fds[CONTROL_MAX_CONNS] = client_connect();
	r = client_reply(fds[CONTROL_MAX_CONNS]); /* closed, no reply */
	ck_assert_str_eq(r, "");
	free(r);
	/* The ones inside the limit are still served. */
	ck_assert_int_eq(send(fds[0], "stats\n", 6, 0), 6);
	r = client_reply(fds[0]);
	ck_assert_str_eq(r + strlen(r) - 3, "ok\n");
	free(r);
	for (int i = 1; i < CONTROL_MAX_CONNS; i++)
		close(fds[i]);
}
END_TEST

START_TEST(stale_socket_is_replaced_live_one_kept)
{
	struct control *other = NULL;
	struct stat st;
	char *r;
	int fd;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	/* A second daemon on the same path leaves the first one alone. */
	ck_assert_int_eq(control_open(&other, &ctx, sock_path, ""),
	                 -EADDRINUSE);
	ck_assert_ptr_null(other);
	r = ask("stats\n");
	ck_assert_str_eq(r + strlen(r) - 3, "ok\n");
	free(r);
	/* A socket file nobody listens on is replaced. */
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	control_close(ctl);
	ctl = NULL;
	{
		struct sockaddr_un sun = {.sun_family = AF_UNIX};

		strcpy(sun.sun_path, sock_path);
		ck_assert_int_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)),
		                 0);
		close(fd); /* the file stays, nobody listens */
	}
	ck_assert_int_eq(lstat(sock_path, &st), 0);
	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	r = ask("stats\n");
	ck_assert_str_eq(r + strlen(r) - 3, "ok\n");
	free(r);
}
END_TEST

START_TEST(regular_file_at_the_path_is_not_removed)
{
	FILE *fp;
	char run[128];

	snprintf(run, sizeof(run), "%s/run", dir);
	ck_assert_int_eq(mkdir(run, 0755), 0);
	ck_assert_ptr_nonnull(fp = fopen(sock_path, "w"));
	fclose(fp);
	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), -EEXIST);
	ck_assert_ptr_null(ctl);
	ck_assert_int_eq(access(sock_path, F_OK), 0);
}
END_TEST

static void
put_a(const char *owner, const char *addr)
{
	char text[256];
	ldns_rr *rr = NULL;
	ldns_rr_list *l = ldns_rr_list_new();

	snprintf(text, sizeof(text), "%s 300 IN A %s", owner, addr);
	ck_assert_int_eq(ldns_rr_new_frm_str(&rr, text, 0, NULL, NULL),
	                 LDNS_STATUS_OK);
	ldns_rr_list_push_rr(l, rr);
	ck_assert_int_eq(
	    cache_rrset_put(svc.cache, l, NULL, RANK_AUTH_ANSWER, time(NULL)),
	    0);
	ldns_rr_list_deep_free(l);
}

/* dump shows owner with a TTL that counted down from ttl since the put
 * (a second boundary may pass on a slow run), then "IN A" and rest. */
static void
expect_dumped_a(const char *r, const char *owner, long ttl, const char *rest)
{
	const char *p = strstr(r, owner);
	char *end;
	long got;

	ck_assert_ptr_nonnull(p);
	p += strlen(owner);
	ck_assert_int_eq(*p, '\t');
	got = strtol(p + 1, &end, 10);
	ck_assert_int_le(got, ttl);
	ck_assert_int_ge(got, ttl - 10);
	ck_assert_int_eq(strncmp(end, "\tIN\tA\t", 6), 0);
	ck_assert_str_eq(end + 6, rest);
}

START_TEST(flush_and_dump_work_on_the_cache)
{
	struct cache_opts o;
	char cpath[128], *r;

	snprintf(cpath, sizeof(cpath), "%s/cache.mdb", dir);
	cache_opts_init_defaults(&o);
	o.path = cpath;
	o.max_size_bytes = 4u << 20;
	ck_assert_int_eq(cache_open(&svc.cache, &o, time(NULL)), 0);
	put_a("a.example.test.", "192.0.2.1");
	put_a("b.a.example.test.", "192.0.2.2");
	put_a("other.test.", "192.0.2.3");
	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);

	r = ask("dump -n b.a.example.test.\n");
	expect_dumped_a(r, "b.a.example.test.", 300, "192.0.2.2\nok\n");
	free(r);
	r = ask("flush -s a.example.test.\n");
	ck_assert_str_eq(r, "removed 2\nok\n");
	free(r);
	r = ask("dump\n");
	ck_assert_ptr_null(strstr(r, "example.test."));
	ck_assert_ptr_nonnull(strstr(r, "other.test."));
	free(r);
	r = ask("flush a.example.test.\n");
	ck_assert_str_eq(r, "removed 0\nok\n");
	free(r);
}
END_TEST

START_TEST(cache_commands_fail_without_a_cache)
{
	char *r;

	ck_assert_int_eq(control_open(&ctl, &ctx, sock_path, ""), 0);
	r = ask("flush example.test.\n");
	ck_assert_str_eq(r, "error: running without a cache\n");
	free(r);
}
END_TEST

Suite *
control_suite(void)
{
	Suite *s = suite_create("control");
	TCase *tp = tcase_create("parse");
	TCase *ts = tcase_create("socket");

	tcase_add_test(tp, parse_accepts_plain_commands);
	tcase_add_test(tp, parse_flush_takes_a_name_and_subtree_flag);
	tcase_add_test(tp, parse_dump_takes_its_options_in_any_order);
	tcase_add_test(tp, parse_rejects_bad_lines_with_a_reason);
	tcase_add_test(tp, parse_rejects_a_name_too_long_for_dns);
	tcase_add_test(tp, parse_rejects_a_line_over_the_limit);
	suite_add_tcase(s, tp);
	tcase_add_checked_fixture(ts, sock_setup, sock_teardown);
	tcase_add_test(ts, socket_is_created_with_mode_0660_and_parent_dir);
	tcase_add_test(ts, empty_path_means_no_control_socket);
	tcase_add_test(ts, stats_reply_has_counters_and_ends_in_ok);
	tcase_add_test(ts, unknown_command_gets_an_error_line);
	tcase_add_test(ts, command_without_newline_runs_at_end_of_input);
	tcase_add_test(ts, overlong_line_is_refused);
	tcase_add_test(ts, nul_byte_is_refused);
	tcase_add_test(ts, connections_over_the_limit_are_closed);
	tcase_add_test(ts, stale_socket_is_replaced_live_one_kept);
	tcase_add_test(ts, regular_file_at_the_path_is_not_removed);
	tcase_add_test(ts, flush_and_dump_work_on_the_cache);
	tcase_add_test(ts, cache_commands_fail_without_a_cache);
	suite_add_tcase(s, ts);
	return s;
}
