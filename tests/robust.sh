#!/bin/sh
# tests/robust.sh: issue 14, "never abort, never lie". Each block is one
# class of hostile input or environment; each must end in a clear message
# and the exit status of the one rule (0 ok, 1 a failed run or expectation,
# 2 a usage or input error), never a signal and never a silent ok.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
expect_status() { # expected-status description command...
    want=$1 what=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"; got=$?
    if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, wanted $want"; cat "$tmp/err"; fi
}
expect_message() { # description extended-regexp: on the last command's stderr
    if grep -q -E "$2" "$tmp/err"; then ok; else bad "$1: stderr lacks /$2/: $(cat "$tmp/err")"; fi
}
handshake="$srcdir/scenarios/handshake.tcpsim"

# Input files: a FIFO (or a device) would block forever or never end.
mkfifo "$tmp/fifo"
expect_status 2 "check of a FIFO" timeout 10 "$TCPSIM" check "$tmp/fifo"
expect_message "check of a FIFO" "fifo: not a regular file"
expect_status 2 "run of a FIFO" timeout 10 "$TCPSIM" run "$tmp/fifo" --no-db
expect_status 2 "run of a directory" "$TCPSIM" run "$tmp" --no-db
expect_status 2 "sweep of a FIFO" timeout 10 "$TCPSIM" sweep "$tmp/fifo" --vary link.loss=0,1% -o "$tmp/s.db"

# Output options: an empty name is not "recorded in ".
expect_status 2 "-o ''" "$TCPSIM" run "$handshake" -o ''
expect_message "-o ''" "empty file name"

# Seeds never wrap: replication r runs with seed + r.
expect_status 2 "--seed max --reps 2" "$TCPSIM" run "$handshake" --no-db --seed 18446744073709551615 --reps 2
expect_message "--seed max --reps 2" "passes the largest seed"
expect_status 0 "--seed max --reps 1" "$TCPSIM" run "$handshake" --no-db -q --seed 18446744073709551615
expect_status 2 "sweep --seed max --reps 2" "$TCPSIM" sweep "$handshake" --vary link.loss=0,1% \
    --seed 18446744073709551615 --reps 2 -o "$tmp/s.db"

# Write errors name the file; on stdout they are detected at exit.
if [ -w /dev/full ]; then
    expect_status 1 "--log /dev/full" "$TCPSIM" run "$handshake" --no-db -q --log /dev/full
    expect_message "--log /dev/full" "cannot write /dev/full: "
    expect_status 1 "--help > /dev/full" sh -c "\"$TCPSIM\" --help >/dev/full"
    expect_message "--help > /dev/full" "write error on standard output"
    expect_status 1 "run --help > /dev/full" sh -c "\"$TCPSIM\" run --help >/dev/full"
    expect_status 1 "check > /dev/full" sh -c "\"$TCPSIM\" check \"$handshake\" >/dev/full"
fi

echo "robust: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
