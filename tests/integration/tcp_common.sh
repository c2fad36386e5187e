# tcp_common.sh -- shared by the tcp_*.sh integration tests: cairnd against
# fakeauth serving fake.test. (NET.5.1) or fake2.test. (NET.5.2, NET.5.3),
# both delegated from the lab's test. zone. Sourced after lib.sh.

# fake_zone FILE ORIGIN NSADDR...: SOA and NS records of ORIGIN (one name
# server per address), ready for names appended with fake_names.
fake_zone() {
	_f=$1
	_o=$2
	shift 2
	{
		echo '$TTL 300'
		echo "$_o IN SOA ns1.$_o hostmaster.$_o 1 3600 600 86400 300"
		_i=1
		for _a in "$@"; do
			echo "$_o IN NS ns$_i.$_o"
			echo "ns$_i.$_o IN A $_a"
			_i=$((_i + 1))
		done
	} >"$_f"
}

# fake_names FILE ORIGIN PREFIX COUNT: PREFIX1..PREFIXCOUNT, each with two
# A records of its own (192.0.2.N and 198.51.100.N), so answers that reach
# the wrong query show up.
fake_names() {
	_i=1
	while [ $_i -le "$4" ]; do
		echo "$3$_i.$2 IN A 192.0.2.$_i"
		echo "$3$_i.$2 IN A 198.51.100.$_i"
		_i=$((_i + 1))
	done >>"$1"
}

# want_of NAME ORIGIN: the expected answer set of a fake_names name.
want_of() {
	_n=${1%%.*}
	_n=$(echo "$_n" | tr -dc 0-9)
	echo "$1 A 192.0.2.$_n | $1 A 198.51.100.$_n"
}

# names PREFIX COUNT ORIGIN: the names fake_names wrote.
names() {
	_i=1
	while [ $_i -le "$2" ]; do
		printf '%s%d.%s ' "$1" $_i "$3"
		_i=$((_i + 1))
	done
}

# ask_each NAME...: one at a time; each answer checked as a set.
ask_each() {
	for _q in "$@"; do
		expect_case "$_q" A NOERROR "$(want_of "$_q")"
	done
}

# ask_all NAME...: all at once (one dig each, in parallel, bounded by
# DIG_TIME), then each answer checked as a set. The replies stay in
# $LAB_RUN/par/NAME, with dig's query time (query_time_of).
ask_all() {
	mkdir -p "$LAB_RUN/par"
	rm -f "$LAB_RUN/par/"*
	_pids=
	for _q in "$@"; do
		# shellcheck disable=SC2086
		dig @"$SERVER" -p "$PORT" $DIG_OPTS +time="${DIG_TIME:-5}" \
			+tries=1 +bufsize=1232 +ignore +nocmd +stats \
			"$_q" A >"$LAB_RUN/par/$_q" 2>&1 &
		_pids="$_pids $!"
	done
	# only these: cairnd and fakeauth are children of this shell too
	# shellcheck disable=SC2086
	wait $_pids
	_last=$LAB_RUN/last
	for _q in "$@"; do
		cp "$LAB_RUN/par/$_q" "$_last"
		check_rcode "$_q A (parallel)" NOERROR &&
			check_answer "$_q A (parallel)" "$(want_of "$_q")"
	done
}

# query_timed NAME TYPE: like query (to $LAB_RUN/last), with dig's query
# time kept for query_time_of.
query_timed() {
	# shellcheck disable=SC2086
	dig @"$SERVER" -p "$PORT" $DIG_OPTS +time="${DIG_TIME:-5}" +tries=1 \
		+bufsize=1232 +ignore +nocmd +stats "$1" "$2" >"$LAB_RUN/last" 2>&1
}

# Test configuration: these tests are about TCP, and on a loaded machine
# (make -j check) a UDP exchange with a single-server zone that outlasts
# the 50 ms minimum timeout ends the resolution with SERVFAIL (the one
# server was tried), so the UDP timeout gets a larger floor.
TCP_TEST_CONF="	upstream-timeout-min: 1000"

# cairnd_fresh "CONFIG LINES": restart cairnd with an empty cache and an
# empty log, so the counters it logs at exit belong to this phase.
cairnd_fresh() {
	cairnd_stop
	rm -f "$LAB_RUN/cairnd/cairnd.log"
	cairnd_start "$TCP_TEST_CONF
$1"
}

# cairnd_tcp_opened ADDR: stops cairnd and prints the TCP connections it
# opened to ADDR#53, from the per-address line it logs at exit
# (upstream_stats_log: "upstream tcp ADDR#53: N connections opened").
cairnd_tcp_opened() {
	cairnd_stop
	sed -n "s/.*upstream tcp $1#53: \([0-9]*\) connections opened.*/\1/p" \
		"$LAB_RUN/cairnd/cairnd.log" | tail -n 1
}

# now_ns; ms_since T0: milliseconds since T0 (a now_ns value).
now_ns() {
	date +%s%N
}
ms_since() {
	echo $((($(now_ns) - $1) / 1000000))
}

# fake_txt FILE OWNER COUNT: COUNT distinct TXT records of about 250 bytes
# at OWNER (COUNT 240: about 63 KB, fits a TCP message; 300: does not).
fake_txt() {
	awk -v o="$2" -v n="$3" 'BEGIN {
		s = sprintf("%240s", ""); gsub(/ /, "x", s)
		for (i = 1; i <= n; i++) printf "%s IN TXT \"%04d %s\"\n", o, i, s
	}' >>"$1"
}

# query_time_of FILE: dig's "Query time" of a reply file, in ms.
query_time_of() {
	sed -n 's/^;; Query time: \([0-9]*\) msec.*/\1/p' "$1"
}
