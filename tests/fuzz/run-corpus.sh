#!/bin/sh
# Replays tests/fuzz/corpus/<name>/* through tests/fuzz/replay_<name>.
# Used by make check as tests/fuzz/replay-<name>.test wrappers; see
# tests/Makefile.inc.
set -eu
name=$1
dir="$top_srcdir/tests/fuzz/corpus/$name"
bin="$top_builddir/tests/fuzz/replay_$name"
[ -d "$dir" ] || { echo "no corpus at $dir"; exit 1; }
# shellcheck disable=SC2046
exec "$bin" $(find "$dir" -type f | sort)
