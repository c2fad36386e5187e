/*
 * test_conf.c -- the configuration parser on real files in a temp dir:
 * defaults, every key, each kind of error with its line, forward zones,
 * size suffixes and reload change detection.
 */
#include "config.h"
#include "resolver/conf.h"

#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/tfile.h"

Suite *conf_suite(void);

/* A config file in its own temp dir; removed by conf_done(). */
struct conf_file {
	struct tfile file;
	char err[CONFIG_ERR_LEN];
	struct config cfg;
};

static void
conf_write(struct conf_file *f, const char *text)
{
	tfile_write(&f->file, "cairn.conf", text);
	ck_assert_int_eq(config_init_defaults(&f->cfg), 0);
}

/* Writes text and loads it; returns config_load_file's result. */
static int
conf_load(struct conf_file *f, const char *text)
{
	conf_write(f, text);
	return config_load_file(&f->cfg, f->file.path, f->err, sizeof(f->err));
}

static void
conf_done(struct conf_file *f)
{
	config_free(&f->cfg);
	tfile_remove(&f->file);
}

/* Asserts loading text fails with "PATH:line:" and the given words. */
static void
expect_error(const char *text, int line, const char *words)
{
	struct conf_file f;

	ck_assert_int_eq(conf_load(&f, text), -EINVAL);
	tfile_assert_error(f.err, f.file.path, line, words);
	conf_done(&f);
}

static uint16_t
addr_port(const struct config_addr *a)
{
	if (a->ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&a->ss)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&a->ss)->sin6_port);
}

static const char *
addr_text(const struct config_addr *a, char *buf, size_t len)
{
	const void *p =
	    a->ss.ss_family == AF_INET
	        ? (const void *)&((const struct sockaddr_in *)&a->ss)->sin_addr
	        : (const void *)&((const struct sockaddr_in6 *)&a->ss)
	              ->sin6_addr;

	return inet_ntop(a->ss.ss_family, p, buf, (socklen_t)len);
}

static enum acl_action
acl_for(const struct config *cfg, const char *ip4)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, ip4, &sin.sin_addr);
	return acl_match(&cfg->acl, (struct sockaddr *)&sin);
}

START_TEST(defaults_are_the_documented_ones)
{
	struct config cfg;
	char buf[64];

	ck_assert_int_eq(config_init_defaults(&cfg), 0);
	ck_assert_uint_eq(cfg.interfaces.n, 1);
	ck_assert_str_eq(addr_text(&cfg.interfaces.v[0], buf, sizeof(buf)),
	                 "127.0.0.1");
	ck_assert_uint_eq(addr_port(&cfg.interfaces.v[0]), 5335);
	ck_assert_uint_eq(cfg.port, 5335);
	ck_assert_str_eq(cfg.root_hints, "");
	ck_assert_str_eq(cfg.cache_file, LOCALSTATEDIR "/lib/cairn/cache.mdb");
	ck_assert_uint_eq(cfg.cache_max_size, 1024ull * 1024 * 1024);
	ck_assert_uint_eq(cfg.cache_max_ttl_s, 86400);
	ck_assert_uint_eq(cfg.cache_max_negative_ttl_s, 3600);
	ck_assert(cfg.serve_expired);
	ck_assert_uint_eq(cfg.serve_expired_client_timeout_ms, 1800);
	ck_assert_uint_eq(cfg.verbosity, 1);
	ck_assert(!cfg.use_syslog);
	ck_assert_str_eq(cfg.control_socket, LOCALSTATEDIR "/run/cairn.ctl");
	ck_assert_uint_eq(cfg.upstream_timeout_ms, 1500);
	ck_assert_uint_eq(cfg.upstream_timeout_min_ms, 50);
	ck_assert_uint_eq(cfg.resolve_timeout_ms, 5000);
	ck_assert_uint_eq(cfg.max_udp_size, 1232);
	ck_assert_uint_eq(cfg.edns_buffer_size, 1232);
	ck_assert(cfg.qname_minimisation && cfg.harden_glue);
	ck_assert(!cfg.use_caps_for_id && !cfg.prefetch);
	ck_assert_uint_eq(cfg.upstream_tcp_after_tc_s, 300);
	ck_assert_uint_eq(cfg.max_queries_per_request, 64);
	ck_assert_uint_eq(cfg.max_cname_chain, 12);
	ck_assert_int_eq(acl_for(&cfg, "192.168.0.1"), ACL_ALLOW);
	ck_assert_int_eq(acl_for(&cfg, "203.0.113.1"), ACL_REFUSE);
	ck_assert_uint_eq(cfg.resolve_special_use.n, 0);
	ck_assert_uint_eq(cfg.forward_zones.n, 0);
	config_free(&cfg);
}
END_TEST

static const char full_file[] =
    "# every key, none at its default\n"
    "server:\n"
    "\tinterface: 127.0.0.2\n"
    "\tinterface: ::1@5353\n"
    "\tport: 5400\n"
    "\troot-hints: \"/etc/cairn/named root\"   # quoted, with a space\n"
    "\tcache-file: /tmp/c.mdb\n"
    "\tcache-max-size: 64m\n"
    "\tcache-min-ttl: 30\n"
    "\tcache-max-ttl: 3600\n"
    "\tcache-max-negative-ttl: 600\n"
    "\tserve-expired: no\n"
    "\tserve-expired-ttl: 7200\n"
    "\tserve-expired-client-timeout: 0\n"
    "\taccess-control: 203.0.113.0/24 allow\n"
    "\taccess-control: 10.0.0.0/8   deny\n"
    "\tverbosity: 3\n"
    "\tuse-syslog: yes\n"
    "\tusername: \"cairn\"\n"
    "\tpidfile: /run/cairn/cairnd.pid\n"
    "\tcontrol-socket: \"/run/cairn/#ctl\"\n"
    "\tupstream-timeout: 900\n"
    "\tupstream-timeout-min: 80\n"
    "\tresolve-timeout: 3000\n"
    "\ttcp-idle-timeout: 5000\n"
    "\ttcp-max-clients: 64\n"
    "\tmax-udp-size: 1400\n"
    "\tedns-buffer-size: 1400\n"
    "\tdo-ip4: yes\n"
    "\tdo-ip6: no\n"
    "\tdo-not-query-localhost: no\n"
    "\tharden-glue: no\n"
    "\tqname-minimisation: no\n"
    "\tuse-caps-for-id: yes\n"
    "\tprefetch: yes\n"
    "\toutgoing-interface: 127.0.0.9\n"
    "\tresolve-special-use: Test\n"
    "\tresolve-special-use: localhost.\n"
    "\tupstream-tcp-idle-timeout: 2000\n"
    "\tupstream-tcp-max-inflight: 10\n"
    "\tupstream-tcp-connections: 2\n"
    "\tupstream-tcp-after-tc: 0\n"
    "\tmax-queries-per-request: 20\n"
    "\tmax-ns-names: 4\n"
    "\tmax-referrals: 10\n"
    "\tmax-subquery-depth: 3\n"
    "\tmax-cname-chain: 5\n";

START_TEST(full_file_sets_every_key)
{
	struct conf_file f;
	struct config *c = &f.cfg;
	char buf[64];

	ck_assert_msg(conf_load(&f, full_file) == 0, "%s", f.err);
	ck_assert_uint_eq(c->interfaces.n, 2); /* the default is replaced */
	ck_assert_str_eq(addr_text(&c->interfaces.v[0], buf, sizeof(buf)),
	                 "127.0.0.2");
	ck_assert_uint_eq(addr_port(&c->interfaces.v[0]), 5400);
	ck_assert_str_eq(addr_text(&c->interfaces.v[1], buf, sizeof(buf)),
	                 "::1");
	ck_assert_uint_eq(addr_port(&c->interfaces.v[1]), 5353);
	ck_assert_str_eq(c->root_hints, "/etc/cairn/named root");
	ck_assert_str_eq(c->cache_file, "/tmp/c.mdb");
	ck_assert_uint_eq(c->cache_max_size, 64ull << 20);
	ck_assert_uint_eq(c->cache_min_ttl_s, 30);
	ck_assert_uint_eq(c->cache_max_ttl_s, 3600);
	ck_assert_uint_eq(c->cache_max_negative_ttl_s, 600);
	ck_assert(!c->serve_expired);
	ck_assert_uint_eq(c->serve_expired_ttl_s, 7200);
	ck_assert_uint_eq(c->serve_expired_client_timeout_ms, 0);
	ck_assert_int_eq(acl_for(c, "203.0.113.7"), ACL_ALLOW);
	ck_assert_int_eq(acl_for(c, "10.1.1.1"), ACL_DENY);
	ck_assert_int_eq(acl_for(c, "127.0.0.1"), ACL_ALLOW); /* default */
	ck_assert_uint_eq(c->verbosity, 3);
	ck_assert(c->use_syslog);
	ck_assert_str_eq(c->username, "cairn");
	ck_assert_str_eq(c->pidfile, "/run/cairn/cairnd.pid");
	ck_assert_str_eq(c->control_socket, "/run/cairn/#ctl");
	ck_assert_uint_eq(c->upstream_timeout_ms, 900);
	ck_assert_uint_eq(c->upstream_timeout_min_ms, 80);
	ck_assert_uint_eq(c->resolve_timeout_ms, 3000);
	ck_assert_uint_eq(c->tcp_idle_timeout_ms, 5000);
	ck_assert_uint_eq(c->tcp_max_clients, 64);
	ck_assert_uint_eq(c->max_udp_size, 1400);
	ck_assert_uint_eq(c->edns_buffer_size, 1400);
	ck_assert(c->do_ip4 && !c->do_ip6);
	ck_assert(!c->do_not_query_localhost && !c->harden_glue);
	ck_assert(!c->qname_minimisation);
	ck_assert(c->use_caps_for_id && c->prefetch);
	ck_assert_str_eq(c->outgoing_interface, "127.0.0.9");
	ck_assert_uint_eq(c->resolve_special_use.n, 2);
	ck_assert(config_resolves_special_use(c, "test."));
	ck_assert(config_resolves_special_use(c, "localhost."));
	ck_assert(!config_resolves_special_use(c, "invalid."));
	ck_assert_uint_eq(c->upstream_tcp_idle_timeout_ms, 2000);
	ck_assert_uint_eq(c->upstream_tcp_max_inflight, 10);
	ck_assert_uint_eq(c->upstream_tcp_connections, 2);
	ck_assert_uint_eq(c->upstream_tcp_after_tc_s, 0);
	ck_assert_uint_eq(c->max_queries_per_request, 20);
	ck_assert_uint_eq(c->max_ns_names, 4);
	ck_assert_uint_eq(c->max_referrals, 10);
	ck_assert_uint_eq(c->max_subquery_depth, 3);
	ck_assert_uint_eq(c->max_cname_chain, 5);
	conf_done(&f);
}
END_TEST

START_TEST(unknown_key_names_file_and_line)
{
	expect_error("# a comment\n"
	             "server:\n"
	             "  port: 5400\n"
	             "\n"
	             "  verbosity: 2\n"
	             "  # another comment\n"
	             "  no-such-key: yes\n"
	             "  prefetch: yes\n",
	             7, "unknown key \"no-such-key\"");
}
END_TEST

START_TEST(bad_values_name_the_key_and_range)
{
	expect_error("server:\n  prefetch: maybe\n", 2,
	             "for prefetch: expected yes or no");
	expect_error("server:\n  port: 0\n", 2, "in 1..65535");
	expect_error("server:\n  port: 65536\n", 2, "in 1..65535");
	expect_error("server:\n  verbosity: 6\n", 2, "in 0..5");
	expect_error("server:\n  verbosity: -1\n", 2, "in 0..5");
	expect_error("server:\n  max-udp-size: 12x\n", 2, "in 512..4096");
	expect_error("server:\n  port: 99999999999999999999999\n", 2,
	             "in 1..65535");
	expect_error("server:\n  interface: 127.0.0.300\n", 2,
	             "bad value \"127.0.0.300\" for interface");
	expect_error("server:\n  interface: ::1@70000\n", 2, "for interface");
	expect_error("server:\n  access-control: 10.0.0.0/8\n", 2,
	             "expected NETBLOCK ACTION");
	expect_error("server:\n  access-control: 10.0.0.0/8 permit\n", 2,
	             "bad action \"permit\"");
	expect_error("server:\n  access-control: 10.0.0.0/40 allow\n", 2,
	             "bad netblock \"10.0.0.0/40\"");
	expect_error("server:\n  resolve-special-use: a..b\n", 2,
	             "expected a domain name");
	expect_error("server:\n\n  verbosity:\n", 3,
	             "missing value for verbosity");
}
END_TEST

START_TEST(syntax_errors_name_their_line)
{
	expect_error("port: 53\n", 1, "outside a section");
	expect_error("server:\n  port 5400\n", 2, "missing ':'");
	expect_error("server:\n  pidfile: \"/run/x\n", 2,
	             "missing closing quote");
	expect_error("server:\n  pidfile: \"/run/x\" junk\n", 2,
	             "text after closing quote");
	expect_error("server: yes\n", 1, "unexpected value");
	expect_error("server:\n  port: 5400\n  verbosity: 2\n  port: 5401\n", 4,
	             "duplicate key \"port\" (first set on line 2)");
	expect_error("server:\n  cache-min-ttl: 500\n  cache-max-ttl: 100\n", 3,
	             "cache-min-ttl (500) is larger than cache-max-ttl (100)");
	expect_error("server:\n  upstream-timeout-min: 2000\n", 2,
	             "larger than upstream-timeout");
}
END_TEST

START_TEST(unreadable_file_is_an_error)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN];

	ck_assert_int_eq(config_init_defaults(&cfg), 0);
	ck_assert_int_eq(
	    config_load_file(&cfg, "/nonexistent/cairn.conf", err, sizeof(err)),
	    -ENOENT);
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/cairn.conf:0: "));
	ck_assert_ptr_nonnull(strstr(err, "No such file"));
	config_free(&cfg);
}
END_TEST

START_TEST(values_may_be_quoted_and_commented)
{
	struct conf_file f;

	ck_assert_msg(conf_load(&f, "server: # the main section\n"
	                            "  verbosity: 2 # more\n"
	                            "  pidfile: \"/tmp/a b#c\" # comment\n"
	                            "  username: \"\"\n"
	                            "\tport:5999\r\n") == 0,
	              "%s", f.err);
	ck_assert_uint_eq(f.cfg.verbosity, 2);
	ck_assert_str_eq(f.cfg.pidfile, "/tmp/a b#c");
	ck_assert_str_eq(f.cfg.username, "");
	ck_assert_uint_eq(f.cfg.port, 5999);
	ck_assert_uint_eq(addr_port(&f.cfg.interfaces.v[0]), 5999);
	conf_done(&f);
}
END_TEST

START_TEST(forward_zones_are_collected)
{
	struct conf_file f;
	const struct config_forward_zone *z;
	char buf[64];

	ck_assert_msg(conf_load(&f, "server:\n"
	                            "  port: 5400\n"
	                            "forward-zone:\n"
	                            "  name: Example.COM\n"
	                            "  forward-addr: 127.0.0.53\n"
	                            "  forward-addr: ::1@5353\n"
	                            "forward-zone:\n"
	                            "  name: \".\"\n"
	                            "  forward-addr: 127.0.0.54@53\n"
	                            "server:\n"
	                            "  verbosity: 2\n") == 0,
	              "%s", f.err);
	ck_assert_uint_eq(f.cfg.forward_zones.n, 2);
	z = &f.cfg.forward_zones.v[0];
	ck_assert_str_eq(z->name, "example.com.");
	ck_assert_uint_eq(z->addrs.n, 2);
	ck_assert_str_eq(addr_text(&z->addrs.v[0], buf, sizeof(buf)),
	                 "127.0.0.53");
	ck_assert_uint_eq(addr_port(&z->addrs.v[0]), 53);
	ck_assert_uint_eq(addr_port(&z->addrs.v[1]), 5353);
	z = &f.cfg.forward_zones.v[1];
	ck_assert_str_eq(z->name, ".");
	ck_assert_uint_eq(z->addrs.n, 1);
	ck_assert_uint_eq(f.cfg.verbosity, 2);
	conf_done(&f);
}
END_TEST

START_TEST(forward_zone_errors_name_their_line)
{
	expect_error("forward-zone:\n  forward-addr: 127.0.0.1\n", 1,
	             "forward-zone without a name");
	expect_error("server:\nforward-zone:\n  name: a.example\n"
	             "server:\n  port: 5400\n",
	             2, "without a forward-addr");
	expect_error("forward-zone:\n  name: a.example\n"
	             "  forward-addr: 127.0.0.1\n"
	             "forward-zone:\n  name: A.example.\n"
	             "  forward-addr: 127.0.0.2\n",
	             4, "already defined on line 1");
	expect_error("forward-zone:\n  name: a.example\n  port: 53\n", 3,
	             "unknown key \"port\" in forward-zone");
	expect_error("forward-zone:\n  name: a.example\n"
	             "  forward-addr: localhost\n",
	             3, "bad value \"localhost\" for forward-addr");
	expect_error("forward-zone:\n  name: a.example\n  name: b.example\n", 3,
	             "duplicate key \"name\"");
}
END_TEST

static uint64_t
size_of(const char *value, int *rc)
{
	struct conf_file f;
	char text[128];
	uint64_t v;

	snprintf(text, sizeof(text), "server:\n  cache-max-size: %s\n", value);
	*rc = conf_load(&f, text);
	v = f.cfg.cache_max_size;
	conf_done(&f);
	return v;
}

START_TEST(sizes_take_k_m_g_suffixes)
{
	int rc;

	ck_assert_uint_eq(size_of("2048k", &rc), 2048ull << 10);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(size_of("64m", &rc), 64ull << 20);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(size_of("3G", &rc), 3ull << 30);
	ck_assert_int_eq(rc, 0);
	ck_assert_uint_eq(size_of("1048576", &rc), 1048576);
	ck_assert_int_eq(rc, 0);
	size_of("10x", &rc);
	ck_assert_int_eq(rc, -EINVAL);
	size_of("1kk", &rc);
	ck_assert_int_eq(rc, -EINVAL);
	size_of("1k", &rc); /* below the 1m floor */
	ck_assert_int_eq(rc, -EINVAL);
	size_of("99999999999999g", &rc); /* overflows */
	ck_assert_int_eq(rc, -EINVAL);
	size_of("m", &rc);
	ck_assert_int_eq(rc, -EINVAL);
}
END_TEST

/* Records what config_diff reports, as "key:R" or "key:A" tokens. */
static void
record_change(const char *key, bool needs_restart, void *arg)
{
	char *out = arg;

	strcat(out, key);
	strcat(out, needs_restart ? ":R " : ":A ");
}

START_TEST(reload_detects_keys_needing_restart)
{
	struct conf_file a, b;
	char seen[512] = "";
	size_t n;

	ck_assert_int_eq(conf_load(&a, "server:\n  verbosity: 1\n"
	                               "  port: 5400\n"
	                               "  pidfile: /tmp/x.pid\n"),
	                 0);
	ck_assert_int_eq(conf_load(&b, "server:\n  verbosity: 3\n"
	                               "  port: 5401\n"
	                               "  pidfile: /tmp/x.pid\n"
	                               "  access-control: 8.8.8.0/24 allow\n"
	                               "forward-zone:\n  name: x.\n"
	                               "  forward-addr: 127.0.0.1\n"),
	                 0);
	n = config_diff(&a.cfg, &b.cfg, record_change, seen);
	/* only "port:" changed among the listening keys: the default
	 * interface follows it and is not reported on its own */
	ck_assert_str_eq(seen,
	                 "port:R access-control:A verbosity:A forward-zone:R ");
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(config_diff(&a.cfg, &a.cfg, NULL, NULL), 0);
	conf_done(&a);
	conf_done(&b);
}
END_TEST

START_TEST(reload_merge_applies_only_run_time_keys)
{
	struct conf_file a, b;
	struct config fresh;

	ck_assert_int_eq(conf_load(&a, "server:\n  verbosity: 1\n"
	                               "  port: 5400\n"
	                               "  cache-file: /tmp/a.mdb\n"),
	                 0);
	ck_assert_int_eq(conf_load(&b, "server:\n  verbosity: 4\n"
	                               "  port: 5401\n"
	                               "  cache-file: /tmp/b.mdb\n"
	                               "  access-control: 8.8.8.0/24 deny\n"
	                               "  resolve-timeout: 2500\n"),
	                 0);
	fresh = b.cfg;
	memset(&b.cfg, 0, sizeof(b.cfg)); /* handed to the merge */
	config_reload_merge(&a.cfg, &fresh);
	ck_assert_uint_eq(a.cfg.verbosity, 4);
	ck_assert_uint_eq(a.cfg.resolve_timeout_ms, 2500);
	ck_assert_int_eq(acl_for(&a.cfg, "8.8.8.8"), ACL_DENY);
	ck_assert_uint_eq(a.cfg.port, 5400);
	ck_assert_uint_eq(addr_port(&a.cfg.interfaces.v[0]), 5400);
	ck_assert_str_eq(a.cfg.cache_file, "/tmp/a.mdb");
	conf_done(&a);
	conf_done(&b);
}
END_TEST

/* The installed example shows every key at its default value, except the
 * two paths it sets for the systemd unit's state and runtime directories. */
START_TEST(example_config_shows_the_defaults)
{
	const char *top = getenv("top_srcdir");
	struct config def, ex;
	char path[1024], err[CONFIG_ERR_LEN], seen[512] = "";

	snprintf(path, sizeof(path), "%s/docs/cairn.conf.example",
	         top ? top : ".");
	ck_assert_int_eq(config_init_defaults(&def), 0);
	ck_assert_int_eq(config_init_defaults(&ex), 0);
	ck_assert_msg(config_load_file(&ex, path, err, sizeof(err)) == 0, "%s",
	              err);
	ck_assert_str_eq(ex.cache_file, "/var/lib/cairn/cache.mdb");
	ck_assert_str_eq(ex.control_socket, "/run/cairn/cairn.ctl");
	free(ex.cache_file);
	free(ex.control_socket);
	ex.cache_file = strdup(def.cache_file);
	ex.control_socket = strdup(def.control_socket);
	ck_assert_uint_eq(config_diff(&def, &ex, record_change, seen), 0);
	ck_assert_str_eq(seen, "");
	config_free(&def);
	config_free(&ex);
}
END_TEST

Suite *
conf_suite(void)
{
	Suite *s = suite_create("conf");
	TCase *tc = tcase_create("conf");

	tcase_add_test(tc, defaults_are_the_documented_ones);
	tcase_add_test(tc, full_file_sets_every_key);
	tcase_add_test(tc, unknown_key_names_file_and_line);
	tcase_add_test(tc, bad_values_name_the_key_and_range);
	tcase_add_test(tc, syntax_errors_name_their_line);
	tcase_add_test(tc, unreadable_file_is_an_error);
	tcase_add_test(tc, values_may_be_quoted_and_commented);
	tcase_add_test(tc, forward_zones_are_collected);
	tcase_add_test(tc, forward_zone_errors_name_their_line);
	tcase_add_test(tc, sizes_take_k_m_g_suffixes);
	tcase_add_test(tc, reload_detects_keys_needing_restart);
	tcase_add_test(tc, reload_merge_applies_only_run_time_keys);
	tcase_add_test(tc, example_config_shows_the_defaults);
	suite_add_tcase(s, tc);
	return s;
}
