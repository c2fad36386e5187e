#!/bin/sh
# Forged replies from fakeauth (on fake.test.'s server address) are
# ignored: a wrong ID (-i) or a wrong question (-q) never reaches the
# cache, and out-of-bailiwick records added to a good answer (-o) are
# dropped. Then a warm restart: a cached name is answered from the disk
# cache with a lower TTL and no upstream query (counted at fakeauth).
set -u
. "$top_srcdir/tests/lab/lib.sh"
command -v dig >/dev/null 2>&1 || exit 77
lab_up
FA=$LAB_NET.5.1@53
dump=$top_builddir/cairn-dump
cache=$LAB_RUN/cairnd/cache.mdb
conf="	resolve-timeout: 2000
	serve-expired: no"
zone=$LAB_RUN/fake.zone
cat >"$zone" <<Z
\$TTL 300
fake.test. IN SOA ns1.fake.test. hostmaster.fake.test. 1 3600 600 86400 300
fake.test. IN NS ns1.fake.test.
ns1.fake.test. IN A $LAB_NET.5.1
www.fake.test. IN A 192.0.2.55
Z

# in_cache NAME: cairn-dump lists a record owned by NAME
in_cache() {
	"$dump" -n "$1" "$cache" 2>/dev/null | grep -qi "^$1"
}

# forged FLAG WHAT: fakeauth sends only forged replies; nothing cached
forged() {
	cairnd_start "$conf" || lab_finish
	fakeauth_start "$2" -l "$FA" -z "$zone" "$1" || lab_finish
	DIG_TIME=4 expect_rcode www.fake.test. A SERVFAIL
	n=$(fa_stat "$2" udp_queries)
	[ "${n:-0}" -ge 1 ] || fail "$2: fakeauth was never asked"
	in_cache www.fake.test. && fail "$2: forged reply cached"
	fakeauth_stop "$2"
	cairnd_stop
}
forged -i "wrong-id"
forged -q "wrong-question"

# Out-of-bailiwick poison next to a good answer.
cairnd_start "$conf" || lab_finish
fakeauth_start poison -l "$FA" -z "$zone" -o poison.example.test. || lab_finish
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.55"
in_cache www.fake.test. || fail "the good answer is not in the cache"
in_cache poison.example.test. && fail "out-of-bailiwick A cached"
expect_case poison.example.test. A NXDOMAIN -
fakeauth_stop poison
cairnd_stop

# Warm restart: answered from the disk cache, no upstream query.
cairnd_start "$conf" || lab_finish
fakeauth_start plain -l "$FA" -z "$zone" || lab_finish
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.55"
ttl_before=$(awk '$1 !~ /^;/ && NF >= 5 { print $2; exit }' "$LAB_RUN/last")
asked=$(fa_stat plain udp_queries)
cairnd_stop
sleep 2
cairnd_run || fail "cairnd did not restart"
expect_case www.fake.test. A NOERROR "www.fake.test. A 192.0.2.55"
ttl_after=$(awk '$1 !~ /^;/ && NF >= 5 { print $2; exit }' "$LAB_RUN/last")
expect_eq "upstream queries after restart" "$(fa_stat plain udp_queries)" "$asked"
if [ -z "$ttl_after" ] || [ "$ttl_after" -ge "${ttl_before:-0}" ]; then
	fail "TTL not lower after restart: ${ttl_before:-none} then ${ttl_after:-none}"
fi
echo "ttl before restart $ttl_before, after $ttl_after"
fakeauth_stop plain
cairnd_stop
lab_finish
