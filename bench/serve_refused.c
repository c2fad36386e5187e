/*
 * serve_refused.c -- the client-facing path alone under load: listen,
 * pkt_query_parse and answer_error answer every query REFUSED (queries
 * for qtype ANY get the RFC 8482 answer), so a load generator measures
 * what listen.c, pkt.c and answer.c cost without the cache or resolver.
 *
 * usage: serve_refused ADDRESS PORT SECONDS
 * Prints the counters when SECONDS have passed; bounded in time.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <ev.h>

#include "dns/pkt.h"
#include "resolver/answer.h"
#include "resolver/listen.h"
#include "resolver/stats.h"

static const int verdict_rcode[] = {
    [PKT_OK] = PKT_RCODE_REFUSED,      [PKT_FORMERR] = PKT_RCODE_FORMERR,
    [PKT_NOTIMP] = PKT_RCODE_NOTIMP,   [PKT_REFUSED] = PKT_RCODE_REFUSED,
    [PKT_BADVERS] = PKT_RCODE_BADVERS,
};

static void
on_query(struct listen_req *req, void *arg)
{
	struct stats *st = arg;
	struct answer_opts o = {req->transport == LISTEN_TCP, req->max_udp_size,
	                        req->tcp_idle_ms};
	struct pkt_query q;
	struct answer a;
	uint8_t buf[4096];
	size_t len;
	int v = pkt_query_parse(req->wire, req->len, &q);

	if (v == PKT_DROP) {
		listen_drop(req);
		return;
	}
	if (v == PKT_OK && q.qtype == PKT_TYPE_ANY &&
	    answer_begin(&a, buf, sizeof(buf), &q, &o, 0) == 0) {
		answer_add_rfc8482(&a);
		len = answer_finish(&a);
		v = PKT_OK;
	} else
		len = answer_error(buf, sizeof(buf), &q, &o, verdict_rcode[v],
		                   -1, NULL);
	stats_count_rcode(
	    st, v == PKT_OK && q.qtype == PKT_TYPE_ANY ? 0 : verdict_rcode[v]);
	listen_reply(req, buf, len);
}

static void
stop_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

int
main(int argc, char **argv)
{
	struct ev_loop *loop = ev_default_loop(0);
	struct sockaddr_storage addr;
	struct listen_opts o = {0};
	struct listen *l;
	struct stats st;
	ev_timer stop;

	if (argc != 4 ||
	    listen_addr_parse(argv[1], (uint16_t)atoi(argv[2]), &addr) < 0) {
		fprintf(stderr, "usage: serve_refused ADDRESS PORT SECONDS\n");
		return 2;
	}
	stats_init(&st);
	o.addrs = &addr;
	o.n_addrs = 1;
	o.stats = &st;
	if (listen_open(&l, loop, &o, on_query, &st) < 0) {
		perror("listen_open");
		return 1;
	}
	ev_timer_init(&stop, stop_cb, atof(argv[3]), 0.);
	ev_timer_start(loop, &stop);
	ev_run(loop, 0);
	listen_close(l);
	stats_fprint(&st, stdout);
	return 0;
}
