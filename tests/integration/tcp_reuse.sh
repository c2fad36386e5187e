#!/bin/sh
# Upstream TCP reuse end to end: cairnd against fakeauth (fake.test. on
# NET.5.1) truncating every UDP reply. 20 distinct names, asked one at a
# time and then all at once, each take exactly one TCP connection to the
# authority (counted by fakeauth and by cairnd itself); answers resolved
# over TCP are cached (no further TCP query); and with
# upstream-tcp-after-tc a server that truncated is asked over TCP
# directly (no further UDP query).
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/tcp_common.sh"
lab_up
DIG_TIME=5
FA=$LAB_FAKE
zone=$LAB_RUN/fake.zone
fake_zone "$zone" fake.test. "$FA"
fake_names "$zone" fake.test. a 20
fake_names "$zone" fake.test. b 20
A=$(names a 20 fake.test.)
B=$(names b 20 fake.test.)

# --- TC then TCP for every name (no TCP preference): one at a time --------
fakeauth_start seq -l "$FA@53" -t -z "$zone" || lab_finish
cairnd_fresh "	upstream-tcp-after-tc: 0" || lab_finish
# shellcheck disable=SC2086
ask_each $A
expect_eq "one at a time: fakeauth udp_queries" "$(fa_stat seq udp_queries)" 20
expect_eq "one at a time: fakeauth tcp_connections" \
	"$(fa_stat seq tcp_connections)" 1
expect_eq "one at a time: fakeauth tcp_queries" "$(fa_stat seq tcp_queries)" 20
expect_eq "one at a time: cairnd tcp connections to $FA" \
	"$(cairnd_tcp_opened "$FA")" 1
fakeauth_stop seq

# --- all at once, fresh cairnd and fresh counters ---------------------------
fakeauth_start par -l "$FA@53" -t -z "$zone" || lab_finish
cairnd_fresh "	upstream-tcp-after-tc: 0" || lab_finish
# shellcheck disable=SC2086
ask_all $A
expect_eq "all at once: fakeauth udp_queries" "$(fa_stat par udp_queries)" 20
expect_eq "all at once: fakeauth tcp_connections" \
	"$(fa_stat par tcp_connections)" 1
expect_eq "all at once: fakeauth tcp_queries" "$(fa_stat par tcp_queries)" 20

# --- answers learnt over TCP come from the cache afterwards -----------------
# shellcheck disable=SC2086
ask_each $A
# shellcheck disable=SC2086
ask_all $A
expect_eq "cached: fakeauth udp_queries unchanged" \
	"$(fa_stat par udp_queries)" 20
expect_eq "cached: fakeauth tcp_queries unchanged" \
	"$(fa_stat par tcp_queries)" 20
expect_eq "all at once: cairnd tcp connections to $FA" \
	"$(cairnd_tcp_opened "$FA")" 1
fakeauth_stop par

# --- upstream-tcp-after-tc: after one truncation, TCP directly --------------
fakeauth_start pref -l "$FA@53" -t -z "$zone" || lab_finish
cairnd_fresh "	upstream-tcp-after-tc: 300" || lab_finish
# shellcheck disable=SC2086
ask_each $A
expect_eq "prefer tcp, one at a time: fakeauth udp_queries" \
	"$(fa_stat pref udp_queries)" 1
expect_eq "prefer tcp, one at a time: fakeauth tcp_queries" \
	"$(fa_stat pref tcp_queries)" 20
# shellcheck disable=SC2086
ask_all $B
expect_eq "prefer tcp, all at once: no UDP query" \
	"$(fa_stat pref udp_queries)" 1
expect_eq "prefer tcp, all at once: fakeauth tcp_queries" \
	"$(fa_stat pref tcp_queries)" 40
expect_eq "prefer tcp: fakeauth tcp_connections (reused)" \
	"$(fa_stat pref tcp_connections)" 1
expect_eq "prefer tcp: cairnd tcp connections to $FA" \
	"$(cairnd_tcp_opened "$FA")" 1
fakeauth_stop pref
lab_finish
