# lib.sh -- helpers for cairn's integration tests against the lab.
# Source it from a test script (POSIX sh); $top_srcdir and $top_builddir
# come from make check. Typical use:
#
#   . "$top_srcdir/tests/lab/lib.sh"
#   lab_up                       # fresh run dir, NSD up, trap cleans up
#   lab_server extest            # queries go to example.test.'s server
#   expect_answer www.example.test. A "www.example.test. A 192.0.2.1 |
#       www.example.test. A 192.0.2.2"
#   expect_rcode nx.example.test. A NXDOMAIN
#   lab_finish                   # exit 1 if any expectation failed
#
# Every process started here is recorded by PID in the run directory and
# stopped on exit, also when the test fails.

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
LAB_SRC=$top_srcdir/tests/lab
LAB_BIN=$top_builddir/tests/lab
LAB_FAILS=0
SERVER=${SERVER:-}
PORT=${PORT:-53}
DIG_OPTS=${DIG_OPTS:-+norec}
LAB_RUN=${LAB_RUN:-}
LAB_SLOT=""

lab_log() {
	echo "lab: $*" >&2
}

fail() {
	LAB_FAILS=$((LAB_FAILS + 1))
	echo "FAIL: $*" >&2
}

pass() {
	echo "ok: $*"
}

# Exit 77 (skip) unless the tools the lab needs are present.
lab_require() {
	for t in /usr/sbin/nsd dig; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "skip: $t missing" >&2; exit 77; }
	done
}

# Reserve 127.X for this lab, X from 53 up, so labs (parallel make check,
# several checkouts) never share an address. A reservation whose owner
# process is gone is taken over.
lab_reserve_net() {
	_o=53
	while [ $_o -le 120 ]; do
		_d=${TMPDIR:-/tmp}/cairn-lab-net.127.$_o
		if mkdir "$_d" 2>/dev/null; then
			echo $$ >"$_d/pid"
			LAB_SLOT=$_d
			LAB_NET=127.$_o
			return 0
		fi
		_p=$(cat "$_d/pid" 2>/dev/null || echo "")
		if [ -n "$_p" ] && ! kill -0 "$_p" 2>/dev/null; then
			rm -rf "$_d"
			continue
		fi
		_o=$((_o + 1))
	done
	lab_log "no free 127.X network for the lab"
	return 1
}

lab_cleanup() {
	cairnd_stop
	if [ -n "$LAB_RUN" ] && [ -d "$LAB_RUN" ]; then
		"$LAB_SRC/down" "$LAB_RUN"
		if [ -z "${LAB_KEEP:-}" ]; then
			rm -rf "$LAB_RUN"
		else
			lab_log "kept $LAB_RUN"
		fi
	fi
	[ -n "$LAB_SLOT" ] && rm -rf "$LAB_SLOT"
	LAB_SLOT=""
}

# lab_tmp [DIR]: reserve a network, make the run dir (default: a new temp
# dir) and arrange for lab_cleanup on exit or on INT/TERM; no server yet.
lab_tmp() {
	# a failure found while stopping (cairnd's exit status) fails the run
	trap 'st=$?; lab_cleanup; [ $st -eq 0 ] && [ "$LAB_FAILS" -gt 0 ] && st=1; exit $st' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	lab_reserve_net || exit 1
	LAB_RUN=${1:-$(mktemp -d "${TMPDIR:-/tmp}/cairn-lab.XXXXXX")}
	mkdir -p "$LAB_RUN/fakeauth"
}

# lab_up [DIR]: lab_tmp, then generate the lab into the run dir and start
# every NSD of it.
lab_up() {
	lab_require
	lab_tmp "$@"
	"$LAB_SRC/gen" "$LAB_RUN" "$LAB_NET" || exit 1
	"$LAB_SRC/up" "$LAB_RUN" || exit 1
	# shellcheck disable=SC1091
	. "$LAB_RUN/lab.env"
}

# lab_addr NAME: address of the lab server NAME (see the servers file).
lab_addr() {
	awk -v n="$1" '$1 == n { print $2 }' "$LAB_RUN/servers"
}

# lab_server NAME: send the next queries to that authoritative server.
lab_server() {
	SERVER=$(lab_addr "$1")
	PORT=53
	[ -n "$SERVER" ] || { fail "no lab server $1"; return 1; }
}

# query NAME TYPE [udp|tcp]: ask $SERVER#$PORT; the reply is kept in
# $LAB_RUN/last for answer_set, rcode_of and flags_of. Returns dig's status.
query() {
	_proto=
	[ "${3:-udp}" = tcp ] && _proto=+tcp
	# shellcheck disable=SC2086
	dig @"$SERVER" -p "$PORT" $DIG_OPTS $_proto +time="${DIG_TIME:-2}" +tries=1 +bufsize=1232 \
		+ignore +nocmd +nostats "$1" "$2" >"$LAB_RUN/last" 2>&1
}

# Normalise RRs to "owner TYPE rdata", owner lower case, TTL and class
# dropped, blanks squeezed, one per line, sorted.
rr_normalise() {
	awk '/^;/ || NF < 4 { next } {
		o = tolower($1); t = $4
		if ($2 ~ /^[0-9]+$/) { sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]+[^ \t]+[ \t]*/, "") }
		else { t = $2; sub(/^[^ \t]+[ \t]+[^ \t]+[ \t]*/, "") }
		gsub(/[ \t]+/, " ")
		print o " " t " " $0 }' | sed 's/ *$//' | LC_ALL=C sort
}

# The answer section of the last reply, normalised.
answer_set() {
	sed -n '/^;; ANSWER SECTION:/,/^$/p' "$LAB_RUN/last" | rr_normalise
}

# section_set ANSWER|AUTHORITY|ADDITIONAL: that section, normalised.
section_set() {
	sed -n "/^;; $1 SECTION:/,/^\$/p" "$LAB_RUN/last" | rr_normalise
}

# expect_section NAME TYPE SECTION "RR | RR ..." [tcp]
expect_section() {
	query "$1" "$2" "${5:-udp}"
	_got=$(section_set "$3")
	_want=$(expected_set "$4")
	[ "$4" = - ] && _want=
	if [ "$_got" = "$_want" ]; then
		pass "$1 $2 @$SERVER $3 section"
		return 0
	fi
	fail "$1 $2 @$SERVER: $3 section differs"
	printf 'expected:\n%s\ngot:\n%s\n' "$_want" "$_got" | sed 's/^/  | /' >&2
	return 1
}

answer_count() {
	answer_set | grep -c . || true
}

rcode_of() {
	sed -n 's/.*status: \([A-Z]*\),.*/\1/p' "$LAB_RUN/last" | head -n 1
}

flags_of() {
	sed -n 's/^;; flags: \([a-z ]*\);.*/\1/p' "$LAB_RUN/last" | head -n 1
}

# expected RRs "a | b | c" -> normalised lines. Expected RRs have no TTL:
# "owner TYPE rdata".
expected_set() {
	printf '%s\n' "$1" | tr '|' '\n' | awk 'NF >= 2 {
		o = tolower($1); t = $2
		sub(/^[ \t]*[^ \t]+[ \t]+[^ \t]+[ \t]*/, "")
		gsub(/[ \t]+/, " ")
		print o " " t " " $0 }' | sed 's/ *$//' | LC_ALL=C sort
}

# check_answer WHAT "RR | RR ..." checks the answer section of the last
# reply against the set (TTL ignored): "-" expects an empty answer, "#N"
# N records.
check_answer() {
	_got=$(answer_set)
	case $2 in
	-) _want= ;;
	\#*)
		_want=${2#\#}
		_got=$(printf '%s' "$_got" | grep -c . || true)
		;;
	*) _want=$(expected_set "$2") ;;
	esac
	if [ "$_got" = "$_want" ]; then
		pass "$1 answer"
		return 0
	fi
	fail "$1: answer differs"
	printf 'expected:\n%s\ngot:\n%s\n' "$_want" "$_got" | sed 's/^/  | /' >&2
	return 1
}

# check_rcode WHAT RCODE: the last reply has that RCODE.
check_rcode() {
	_got=$(rcode_of)
	if [ "$_got" = "$2" ]; then
		pass "$1 rcode $2"
		return 0
	fi
	fail "$1: rcode ${_got:-none}, expected $2"
	sed 's/^/  | /' "$LAB_RUN/last" >&2
	return 1
}

# expect_answer NAME TYPE "RR | RR ..." [tcp]: see check_answer.
expect_answer() {
	query "$1" "$2" "${4:-udp}"
	check_answer "$1 $2 @$SERVER${4:+ $4}" "$3"
}

# expect_rcode NAME TYPE RCODE [tcp]
expect_rcode() {
	query "$1" "$2" "${4:-udp}"
	check_rcode "$1 $2 @$SERVER${4:+ $4}" "$3"
}

# expect_case NAME TYPE RCODE "RR | RR ..." [tcp]: both, from one query.
expect_case() {
	query "$1" "$2" "${5:-udp}"
	check_rcode "$1 $2 @$SERVER${5:+ $5}" "$3" &&
		check_answer "$1 $2 @$SERVER${5:+ $5}" "$4"
}

# expect_flag NAME TYPE FLAG [tcp]: the reply has header flag FLAG (tc, aa).
expect_flag() {
	query "$1" "$2" "${4:-udp}"
	case " $(flags_of) " in
	*" $3 "*) pass "$1 $2 @$SERVER flag $3" ;;
	*) fail "$1 $2 @$SERVER: flags '$(flags_of)' lack $3" ;;
	esac
}

expect_no_flag() {
	query "$1" "$2" "${4:-udp}"
	case " $(flags_of) " in
	*" $3 "*) fail "$1 $2 @$SERVER: flags '$(flags_of)' have $3" ;;
	*) pass "$1 $2 @$SERVER no flag $3" ;;
	esac
}

# expect_eq WHAT GOT WANT
expect_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1 = $3"
	else
		fail "$1: got '$2', expected '$3'"
	fi
}

# fakeauth_start NAME ADDR@PORT [fakeauth flags...]: start fakeauth with
# its pid and stats files in the run dir; waits (bounded) until it listens.
fakeauth_start() {
	_n=$1
	shift
	_fa=$LAB_BIN/fakeauth/fakeauth
	_d=$LAB_RUN/fakeauth
	mkdir -p "$_d"
	rm -f "$_d/$_n.stats" "$_d/$_n.pid"
	"$_fa" -p "$_d/$_n.pid" -s "$_d/$_n.stats" "$@" >"$_d/$_n.log" 2>&1 &
	_i=0
	until [ -s "$_d/$_n.pid" ]; do
		_i=$((_i + 1))
		if [ $_i -gt 50 ] || ! kill -0 $! 2>/dev/null; then
			fail "fakeauth $_n did not start"
			cat "$_d/$_n.log" >&2
			return 1
		fi
		sleep 0.1
	done
}

# fakeauth_stop NAME: SIGTERM, wait (bounded); a fakeauth that did not exit
# 0 (a sanitizer report, a crash) fails the test and shows its log.
fakeauth_stop() {
	_f=$LAB_RUN/fakeauth/$1.pid
	[ -s "$_f" ] || { grep -q Sanitizer "$LAB_RUN/fakeauth/$1.log" 2>/dev/null &&
		fail "fakeauth $1: sanitizer report" && cat "$LAB_RUN/fakeauth/$1.log" >&2; return 0; }
	_p=$(cat "$_f")
	kill -TERM "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 50 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	kill -KILL "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	_st=$?
	rm -f "$_f"
	# 127: not our child (started elsewhere), status unknown
	if [ $_st -ne 0 ] && [ $_st -ne 127 ]; then
		fail "fakeauth $1 exited with status $_st"
		cat "$LAB_RUN/fakeauth/$1.log" >&2
	fi
}

# fa_stat NAME KEY: one counter from fakeauth NAME's stats file.
fa_stat() {
	sed -n "s/^$2=//p" "$LAB_RUN/fakeauth/$1.stats"
}

# cairnd_start [CONFIG_EXTRA]: start $top_builddir/cairnd in the foreground
# on $LAB_NET.254.1 (reserved for this lab), port ${CAIRND_PORT:-53},
# with a fresh cache file and the lab's root hints; SERVER and PORT then
# point at it. CONFIG_EXTRA lines are appended to the server: section.
cairnd_start() {
	_d=$LAB_RUN/cairnd
	mkdir -p "$_d"
	rm -f "$_d/cache.mdb" "$_d/cache.mdb-lock"
	CAIRND_ADDR=${CAIRND_ADDR:-$LAB_NET.254.1}
	CAIRND_PORT=${CAIRND_PORT:-53}
	# Each cairnd gets its own control socket unless the test names one,
	# so parallel runs never meet at the default path.
	_ctl="control-socket: $_d/ctl"
	case "${1:-}" in *control-socket:*) _ctl= ;; esac
	cat >"$_d/cairnd.conf" <<C
server:
	interface: $CAIRND_ADDR@$CAIRND_PORT
	port: $CAIRND_PORT
	root-hints: $LAB_RUN/root.hints
	cache-file: $_d/cache.mdb
	verbosity: ${CAIRND_VERBOSITY:-1}
	do-not-query-localhost: no
	resolve-special-use: test.
	access-control: 127.0.0.0/8 allow
	$_ctl
${1:-}
C
	cairnd_run
}

# cairnd_run: starts cairnd on the configuration cairnd_start wrote,
# keeping its cache file (a restart), and waits until it answers.
cairnd_run() {
	_d=$LAB_RUN/cairnd
	"$top_builddir/cairnd" -f -c "$_d/cairnd.conf" >>"$_d/cairnd.log" 2>&1 &
	echo $! >"$_d/cairnd.pid"
	SERVER=$CAIRND_ADDR
	PORT=$CAIRND_PORT
	DIG_OPTS=+rec
	_i=0
	# localhost. is answered locally: the probe costs no upstream query.
	until dig @"$SERVER" -p "$PORT" +time=1 +tries=1 localhost. A >/dev/null 2>&1; do
		_i=$((_i + 1))
		if [ $_i -gt 50 ] || ! kill -0 "$(cat "$_d/cairnd.pid")" 2>/dev/null; then
			fail "cairnd did not start"
			cat "$_d/cairnd.log" >&2
			cairnd_stop
			return 1
		fi
		sleep 0.1
	done
}

# cairnd_stat NAME: one counter of the cairnd cairnd_start began, read
# from its control socket (empty when there is no such counter).
cairnd_stat() {
	"$top_builddir/cairn-control" -s "$LAB_RUN/cairnd/ctl" stats 2>/dev/null |
		sed -n "s/^$1=//p"
}

# cairnd_stop: SIGTERM, wait (bounded). A cairnd that does not exit 0
# (a crash, an assert, a hang at shutdown) or whose log holds a sanitizer
# report fails the test and shows its log.
cairnd_stop() {
	[ -n "$LAB_RUN" ] || return 0
	_f=$LAB_RUN/cairnd/cairnd.pid
	[ -s "$_f" ] || return 0
	_p=$(cat "$_f")
	kill -TERM "$_p" 2>/dev/null
	_i=0
	while kill -0 "$_p" 2>/dev/null && [ $_i -lt 100 ]; do
		_i=$((_i + 1))
		sleep 0.1
	done
	kill -KILL "$_p" 2>/dev/null
	wait "$_p" 2>/dev/null
	_st=$?
	rm -f "$_f"
	_log=$LAB_RUN/cairnd/cairnd.log
	# a restart appends to the log (tests read it after a stop): look only
	# at what this run added, so each report is counted once
	_seen=$(cat "$LAB_RUN/cairnd/log.seen" 2>/dev/null || echo 0)
	_size=$(wc -c <"$_log" 2>/dev/null || echo 0)
	[ "$_size" -ge "$_seen" ] || _seen=0
	echo "$_size" >"$LAB_RUN/cairnd/log.seen"
	# 127: not our child (started elsewhere), status unknown
	if [ $_st -ne 0 ] && [ $_st -ne 127 ]; then
		fail "cairnd exited with status $_st"
		tail -c +$((_seen + 1)) "$_log" | tail -n 40 >&2
	elif tail -c +$((_seen + 1)) "$_log" |
		grep -q 'Sanitizer\|runtime error:'; then
		fail "cairnd: sanitizer report"
		tail -c +$((_seen + 1)) "$_log" |
			grep -A 30 'Sanitizer\|runtime error:' | head -n 60 >&2
	fi
	return 0
}

# lab_finish: end of a test: exit 1 when any expectation failed.
lab_finish() {
	if [ "$LAB_FAILS" -gt 0 ]; then
		echo "$LAB_FAILS expectation(s) failed" >&2
		exit 1
	fi
	exit 0
}
