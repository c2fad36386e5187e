#!/bin/sh
# Client latency of names whose answers truncate over UDP (asked again
# over TCP) against plain names under the same authority, both uncached:
# fakeauth serves fake.test. (NET.5.1) with tN TXT answers of ~3 KB (TC=1
# at EDNS 1232) and pN TXT answers of a few bytes. dnsperf asks cairnd one
# query at a time (-q 1) and reports each latency (-v); the medians and
# their ratio are printed. Measured twice: TC then TCP for every name
# (upstream-tcp-after-tc: 0), and with the default TCP preference after a
# truncation. A measurement, not part of make check (loopback latencies
# on a loaded machine are noise): it fails only when an answer is missing
# or when LAT_MAX_RATIO_PCT is set and a ratio (in %) exceeds it.
#   top_srcdir=. top_builddir=build-test LAT_NAMES=40 \
#       sh tests/integration/tcp_latency.sh
set -u
. "$top_srcdir/tests/lab/lib.sh"
. "$top_srcdir/tests/integration/tcp_common.sh"
command -v dnsperf >/dev/null 2>&1 || { echo "skip: dnsperf missing"; exit 77; }
lab_up
N=${LAT_NAMES:-40}
MAX_PCT=${LAT_MAX_RATIO_PCT:-}
FA=$LAB_FAKE
zone=$LAB_RUN/fake.zone
fake_zone "$zone" fake.test. "$FA"
i=1
while [ $i -le "$N" ]; do
	echo "p$i.fake.test. IN TXT \"plain $i\"" >>"$zone"
	fake_txt "$zone" "t$i.fake.test." 12
	echo "u$i.fake.test. IN TXT \"plain $i\"" >>"$zone"
	fake_txt "$zone" "v$i.fake.test." 12
	i=$((i + 1))
done
fakeauth_start lat -l "$FA@53" -z "$zone" || lab_finish

# median_us PREFIX: asks PREFIX1..PREFIXN TXT through dnsperf, one at a
# time; prints the median latency in microseconds.
median_us() {
	_f=$LAB_RUN/$1.queries
	_i=1
	while [ $_i -le "$N" ]; do
		echo "$1$_i.fake.test. TXT"
		_i=$((_i + 1))
	done >"$_f"
	dnsperf -s "$SERVER" -p "$PORT" -d "$_f" -n 1 -c 1 -q 1 -t 5 -v \
		>"$LAB_RUN/$1.perf" 2>&1
	awk '$1 == ">" && $2 == "NOERROR" { printf "%d\n", $NF * 1000000 }' \
		"$LAB_RUN/$1.perf" | sort -n >"$LAB_RUN/$1.lat"
	_n=$(grep -c . "$LAB_RUN/$1.lat")
	[ "$_n" -eq "$N" ] || fail "$1: $_n of $N answered NOERROR"
	sed -n "$(((_n + 1) / 2))p" "$LAB_RUN/$1.lat"
}

# measure PLAIN TRUNCATED WHAT: medians and ratio, checked.
measure() {
	# the delegation and the TCP connection are warm: the steady state
	expect_rcode "$1"0.fake.test. TXT NOERROR
	expect_rcode "$2"0.fake.test. TXT NOERROR
	_p=$(median_us "$1")
	_t=$(median_us "$2")
	_r=$((${_t:-0} * 100 / (${_p:-0} + 1)))
	echo "latency $3: plain median ${_p} us, truncated median ${_t} us," \
		"ratio ${_r}%"
	[ -z "$MAX_PCT" ] && return 0
	[ "$_r" -le "$MAX_PCT" ] && pass "$3: ratio ${_r}% <= ${MAX_PCT}%" ||
		fail "$3: ratio ${_r}% above ${MAX_PCT}%"
}
echo "p0.fake.test. IN TXT \"warm\"" >>"$zone"
echo "u0.fake.test. IN TXT \"warm\"" >>"$zone"
fake_txt "$zone" t0.fake.test. 12
fake_txt "$zone" v0.fake.test. 12
fakeauth_stop lat
fakeauth_start lat -l "$FA@53" -z "$zone" || lab_finish

cairnd_fresh "	upstream-tcp-after-tc: 0" || lab_finish
measure p t "TC then TCP per name"
cairnd_fresh "" || lab_finish
measure u v "TCP preferred after a truncation"
echo "tcp connections opened by cairnd: $(cairnd_tcp_opened "$FA")"
fakeauth_stop lat
lab_finish
