#!/bin/sh
# cairnd resolving the lab hierarchy from its root hints: every lab case
# over UDP and TCP, a second pass answered from the cache, the cache seen
# by cairn-dump while cairnd runs, and a restart with every authority
# stopped answering from the persisted cache with TTLs that kept counting.
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
cairnd_start || lab_finish

cases=$top_srcdir/tests/lab/cases
"$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$cases" "$SERVER@$PORT" \
	>"$LAB_RUN/pass1" 2>&1 || fail "cold pass: $(grep -A2 FAIL "$LAB_RUN/pass1")"
tail -1 "$LAB_RUN/pass1"

# The same cases again: now from the cache, same answers.
"$top_srcdir/tests/lab/run-cases" "$LAB_RUN" "$cases" "$SERVER@$PORT" \
	>"$LAB_RUN/pass2" 2>&1 || fail "cached pass: $(grep -A2 FAIL "$LAB_RUN/pass2")"
tail -1 "$LAB_RUN/pass2"

# ns1.example.test. A is cached by now only as test.'s glue (and as
# additional data): kept for the delegation, but no answer (RFC 2181
# 5.4.1). Asked for it, cairnd asks example.test.'s own server once, and
# that authoritative answer is then served from the cache.
sent0=$(cairnd_stat resolver.upstream.sent)
expect_case ns1.example.test. A NOERROR "ns1.example.test. A $LAB_NET.2.1"
sent1=$(cairnd_stat resolver.upstream.sent)
expect_case ns1.example.test. A NOERROR "ns1.example.test. A $LAB_NET.2.1"
sent2=$(cairnd_stat resolver.upstream.sent)
[ "${sent1:-0}" -gt "${sent0:-0}" ] ||
	fail "ns1.example.test. A answered from glue (upstream.sent ${sent0:-none} then ${sent1:-none})"
[ "${sent2:-x}" = "${sent1:-y}" ] ||
	fail "authoritative ns1.example.test. A not cached (upstream.sent ${sent1:-none} then ${sent2:-none})"

# cairn-dump reads the cache while cairnd runs.
dump=$top_builddir/cairn-dump
"$dump" -n www.example.test. -t A "$LAB_RUN/cairnd/cache.mdb" >"$LAB_RUN/dump" 2>&1 ||
	fail "cairn-dump failed: $(cat "$LAB_RUN/dump")"
grep -q '^www\.example\.test\..*IN[[:space:]]*A[[:space:]]*192\.0\.2\.1' "$LAB_RUN/dump" ||
	fail "cairn-dump does not show www.example.test A: $(cat "$LAB_RUN/dump")"

ttl_of() { # ttl_of NAME TYPE -> TTL of the first answer record
	query "$1" "$2"
	awk '$1 !~ /^;/ && NF >= 5 { print $2; exit }' "$LAB_RUN/last"
}
before=$(ttl_of www.example.test. A)
[ -n "$before" ] || fail "no TTL for www.example.test A"

# Restart with every authority down: answers come from the disk cache.
cairnd_stop
"$LAB_SRC/down" "$LAB_RUN" >/dev/null 2>&1
sleep 5
cairnd_run || fail "cairnd did not restart"
expect_case www.example.test. A NOERROR \
	"www.example.test. A 192.0.2.1 | www.example.test. A 192.0.2.2"
expect_case nx.example.test. A NXDOMAIN -
after=$(ttl_of www.example.test. A)
if [ -z "$after" ] || [ "$after" -gt $((before - 5)) ]; then
	fail "TTL did not count down across the restart: $before then ${after:-none}"
fi
echo "ttl before restart $before, after $after"

# A second cairnd on the same cache file is refused, naming the holder.
conf2=$LAB_RUN/cairnd/second.conf
sed "s/^\([[:space:]]*interface:\).*/\1 $SERVER@$((PORT + 1))/" \
	"$LAB_RUN/cairnd/cairnd.conf" >"$conf2"
if timeout 10 "$top_builddir/cairnd" -f -c "$conf2" >"$LAB_RUN/second.log" 2>&1; then
	fail "a second cairnd on the same cache file started"
fi
grep -q "in use by process $(cat "$LAB_RUN/cairnd/cairnd.pid")" "$LAB_RUN/second.log" ||
	fail "second cairnd: no message naming the holder: $(cat "$LAB_RUN/second.log")"
cairnd_stop

# A cache file that is not a cache is moved aside and cairnd starts.
head -c 100000 /dev/urandom >"$LAB_RUN/cairnd/cache.mdb"
cairnd_run || fail "cairnd did not start over a random cache file"
expect_case localhost. A NOERROR "localhost. A 127.0.0.1"
ls "$LAB_RUN/cairnd/" | grep -q '^cache\.mdb\.bad\.' ||
	fail "the random cache file was not moved aside"
cairnd_stop
lab_finish
