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

# Time: the values of tests/hostile/ through --set must also run to an end,
# or be refused with exit 2 (one rule: the parser bounds what it takes, the
# engine and the link saturate every sum of times).
max=9223372036854775807ns
for kv in "client.time_wait=$max" "client.rto_max=$max --set client.rto_initial=$max" \
          "client.rto_initial=$max" "client.msl=4611686018427387903ns" "link.delay=$max" \
          "link.jitter=pareto(1ms,0.0001)" "client.fin_wait_2_timeout=$max"; do
    # shellcheck disable=SC2086 # kv may hold a second --set
    timeout 120 "$TCPSIM" run "$handshake" --no-db -q --no-expect --set run.until=$max --set $kv \
        >"$tmp/out" 2>"$tmp/err"
    rc=$?
    if [ "$rc" -le 2 ] && ! grep -q -E 'runtime error|AddressSanitizer|Assertion' "$tmp/err"; then ok
    else bad "--set $kv: exit $rc: $(head -n 3 "$tmp/err")"; fi
done

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

# Out of memory: every allocation failure fails the run, never a silent ok.
# The shim refuses every allocation after the N-th; wherever that falls (the
# parser, the database, the world, the link, the TCP, the recorder) tcpsim
# must exit 1 or 2 with a message saying so, and a recorded run is failed.
shim=$(pwd)/tests/malloc_fail.so
if [ -f "$shim" ] && ! ldd "$TCPSIM" 2>/dev/null | grep -q -E 'libasan|libubsan'; then
    tw="$srcdir/scenarios/time-wait-accumulation.tcpsim"
    for n in 0 5 20 100 150 250 300 1000 5000 10000 20000 40000; do
        for db in none file; do
            rm -f "$tmp/oom.db"
            if [ $db = none ]; then where=--no-db; else where="-o $tmp/oom.db"; fi
            TCPSIM_MALLOC_FAIL_AFTER=$n LD_PRELOAD="$shim" "$TCPSIM" run "$tw" $where -q --no-expect \
                >"$tmp/out" 2>"$tmp/err"
            rc=$?
            grep -q 'malloc_fail: refused' "$tmp/err" || { ok; continue; } # the run needed fewer
            if [ "$rc" = 1 ] || [ "$rc" = 2 ]; then ok; else bad "malloc fails after $n ($db): exit $rc"; fi
            if grep -q -E 'out of memory|Cannot allocate memory' "$tmp/err"; then ok; else bad "malloc fails after $n ($db): no message: $(cat "$tmp/err")"; fi
            if [ $db = file ] && [ -f "$tmp/oom.db" ]; then
                status=$(sqlite3 "$tmp/oom.db" "SELECT group_concat(status) FROM runs" 2>/dev/null)
                case $status in ""|failed) ok ;; *) bad "malloc fails after $n: run recorded as '$status'" ;; esac
            fi
        done
    done
    # A failure inside the simulation (not the database) is named as such.
    TCPSIM_MALLOC_FAIL_AFTER=3000 LD_PRELOAD="$shim" "$TCPSIM" run "$tw" --no-db -q --no-expect \
        >"$tmp/out" 2>"$tmp/err"
    if [ $? = 1 ]; then ok; else bad "out of memory in the simulation: not exit 1"; fi
    expect_message "out of memory in the simulation" "out of memory at [0-9.]+ s simulated"
else
    echo "robust: skipping the out-of-memory runs (no shim, or a sanitizer build)"
fi

# Memory has a cap: 10^9 connections the server never closes stop cleanly
# at --max-memory (failed in the database, exit 1, a message with the limit
# and how to raise it), in seconds; check warns before the run.
cat >"$tmp/pile.tcpsim" <<'EOF'
scenario pile-up "10^9 connections the server never closes"
link  delay=1ms rate=1Gbps
host  client addr=10.0.0.1 profile=linux
host  server addr=10.0.0.2 profile=linux
workload client->server:80 count=1000000000 rate=100000/s arrivals=fixed size=100B server_close=never
run   until=1000000s
EOF
expect_status 0 "check of a workload past --max-memory" "$TCPSIM" check "$tmp/pile.tcpsim" --max-memory 64M
expect_message "check of a workload past --max-memory" \
    "warning: its workloads may keep 1000000000 connections alive at once .* --max-memory 64 MiB"
expect_status 0 "check of a workload within --max-memory" "$TCPSIM" check "$handshake" --max-memory 1M
if [ ! -s "$tmp/err" ]; then ok; else bad "check of the handshake warned: $(cat "$tmp/err")"; fi
expect_status 1 "run past --max-memory" timeout 60 "$TCPSIM" run "$tmp/pile.tcpsim" -q --max-memory 64M \
    -o "$tmp/pile.db"
expect_message "run past --max-memory" \
    "pile.tcpsim: the memory limit of 64 MiB was reached at [0-9.]+ s simulated.*raise the limit with --max-memory SIZE"
status=$(sqlite3 "$tmp/pile.db" "SELECT group_concat(status) FROM runs" 2>/dev/null)
if [ "$status" = failed ]; then ok; else bad "run past --max-memory recorded as '$status'"; fi
expect_status 2 "--max-memory 0" "$TCPSIM" run "$handshake" --no-db --max-memory 0
expect_status 2 "--max-memory 12X" "$TCPSIM" run "$handshake" --no-db --max-memory 12X
expect_status 0 "sweep under --max-memory" "$TCPSIM" sweep "$handshake" --vary link.loss=0 -q \
    --max-memory 64M -o "$tmp/mm.db"

# Readers refuse hand-edited garbage, naming the row, exit 2: a state that
# is not one, a negative length, times at -2^63, a run status, a connection
# established before it opened. (dot reads only transitions and the run.)
# Version 2 stores codes in base tables (the views decode them); version 1
# files (tests/data/v1-runs.sql, made by a version-1 binary) stored text,
# and the readers still read them: both are edited.
"$TCPSIM" run "$handshake" -o "$tmp/good.db" -q
sqlite3 "$tmp/good-v1.db" < "$srcdir/tests/data/v1-runs.sql"
check_edits() { # good-db edit...: each edit is "SQL|message"
    good=$1; shift
    for edit in "$@"; do
        sql=${edit%%|*} message=${edit#*|}
        cp "$good" "$tmp/bad.db"
        sqlite3 "$tmp/bad.db" "UPDATE $sql"
        for reader in ladder pcap stats compare html dot; do
            case $reader:$sql in dot:segment*|dot:connection*) continue ;; esac
            case $reader in
            pcap|html) set -- "$reader" "$tmp/bad.db" -o "$tmp/out.$reader" ;;
            compare) set -- compare "$tmp/bad.db" "$good" ;;
            *) set -- "$reader" "$tmp/bad.db" ;;
            esac
            expect_status 2 "$reader of a database with $sql" "$TCPSIM" "$@"
            expect_message "$reader of a database with $sql" "bad.db: $message"
        done
    done
}
check_edits "$tmp/good.db" \
    "stays SET state=99 WHERE seq=1|run 1, transition 1: 'CLOSED -> [?]99' is not a pair" \
    "stays SET t_ns=-9223372036854775808 WHERE seq=1|run 1, transition 1: t_ns -9223372036854775808 is not a time" \
    "runs SET status='BOGUS'|run 1: status 'BOGUS' is not ok, failed or error" \
    "segment_rows SET len=-5 WHERE seg_id=2|run 1, segment 2: .*len.* out of range" \
    "segment_rows SET sent_ns=-9223372036854775808 WHERE seg_id=2|run 1, segment 2: sent_ns .* is not a time" \
    "segment_rows SET arrived_ns=5 WHERE seg_id=2|run 1, segment 2: arrived_ns 5 is before sent_ns" \
    "connection_rows SET established_ns=-5|run 1, connection 1: established_ns -5 .* before opened_ns"
check_edits "$tmp/good-v1.db" \
    "transitions SET to_state='BOGUS' WHERE run_id=(SELECT max(run_id) FROM runs) AND seq=1|run [0-9]*, transition 1: '.* -> BOGUS' is not a pair" \
    "transitions SET t_ns=-9223372036854775808 WHERE run_id=(SELECT max(run_id) FROM runs) AND seq=1|run [0-9]*, transition 1: t_ns -9223372036854775808 is not a time" \
    "segments SET len=-5 WHERE run_id=(SELECT max(run_id) FROM runs) AND seg_id=2|run [0-9]*, segment 2: .*len.* out of range" \
    "segments SET arrived_ns=5 WHERE run_id=(SELECT max(run_id) FROM runs) AND seg_id=2|run [0-9]*, segment 2: arrived_ns 5 is before sent_ns"

# One exit rule for databases (docs/tcpsim.1, EXIT STATUS): a damaged input
# is the input's fault, 2; a database locked by another process, a full
# disk (here a file size limit: SQLite's I/O error), the environment's, 1,
# whenever it happens.
"$TCPSIM" run "$handshake" -o "$tmp/db1.db" -q
head -c 3000 "$tmp/db1.db" >"$tmp/truncated.db"
echo garbage >"$tmp/garbage.db"
cp "$tmp/db1.db" "$tmp/merged.db"
expect_status 2 "merge of a truncated input" "$TCPSIM" merge "$tmp/merged.db" "$tmp/truncated.db"
expect_message "merge of a truncated input" "truncated.db: "
expect_status 2 "merge of a garbage input" "$TCPSIM" merge "$tmp/merged.db" "$tmp/garbage.db"
cp "$tmp/db1.db" "$tmp/locked.db"
{ echo 'BEGIN EXCLUSIVE;'; echo 'SELECT 1;'; sleep 12; } | sqlite3 "$tmp/locked.db" >/dev/null &
locker=$!
sleep 1
for cmd in "run $handshake -q -o" "merge" "ladder" "sweep $handshake --vary link.loss=0,1% -q -o"; do
    # shellcheck disable=SC2086 # cmd is words
    set -- $cmd
    if [ "$1" = merge ]; then set -- merge "$tmp/locked.db" "$tmp/db1.db"; else set -- "$@" "$tmp/locked.db"; fi
    expect_status 1 "$1 on a locked database" "$TCPSIM" "$@"
    expect_message "$1 on a locked database" "locked.db: .*database is locked"
done
kill "$locker" 2>/dev/null; wait "$locker" 2>/dev/null
rm -f "$tmp/full.db"
(trap '' XFSZ; ulimit -f 1; exec "$TCPSIM" run "$handshake" -q -o "$tmp/full.db") >"$tmp/out" 2>"$tmp/err"
if [ $? = 1 ]; then ok; else bad "a full disk at schema creation: not exit 1"; fi
expect_message "a full disk at schema creation" "full.db: (disk I/O error|database or disk is full)"

# -q never hides an application call that did nothing.
grep -v '^expect' "$handshake" >"$tmp/close7.tcpsim"
echo 'at 3s client close conn=7' >>"$tmp/close7.tcpsim"
expect_status 0 "close conn=7 -q" "$TCPSIM" run "$tmp/close7.tcpsim" --no-db -q
expect_message "close conn=7 -q" "at 3.000 s client close: ENOTCONN"

# Sweeps: repeated --vary values are one point; stats --by an unknown key
# exits 2 and lists the keys the runs have.
expect_status 0 "sweep with repeated values" "$TCPSIM" sweep "$handshake" --vary link.loss=0,0.00,0% \
    --vary client.rto_initial=1s,1000ms -o "$tmp/dup.db" -q
runs=$(sqlite3 "$tmp/dup.db" "SELECT count(*) FROM runs")
if [ "$runs" = 1 ]; then ok; else bad "repeated --vary values gave $runs runs, wanted 1"; fi
expect_status 2 "stats --by an unknown key" "$TCPSIM" stats "$tmp/dup.db" --by no.such.key
expect_message "stats --by an unknown key" "no.such.key: no run has this key; the runs have: .*link.loss"
expect_status 0 "stats --by a known key" "$TCPSIM" stats "$tmp/dup.db" --by link.loss

# GNU conventions: tcpsim help CMD, CMD --version.
for cmd in run check ladder dot pcap sweep stats merge kernel; do
    expect_status 0 "help $cmd" "$TCPSIM" help $cmd
    if grep -q "^Usage: tcpsim $cmd" "$tmp/out"; then ok; else bad "help $cmd: no usage"; fi
    expect_status 0 "$cmd --version" "$TCPSIM" $cmd --version
    if grep -q -E "^tcpsim $cmd [0-9]" "$tmp/out"; then ok; else bad "$cmd --version: $(cat "$tmp/out")"; fi
done
expect_status 2 "help of an unknown command" "$TCPSIM" help frobnicate
# A usage error points at the help instead of printing all of it.
expect_status 2 "unknown option" "$TCPSIM" run --frobnicate "$handshake"
expect_message "unknown option" "^Try 'tcpsim run --help' for more information.$"
expect_message "unknown option" "^tcpsim run: unrecognized option '--frobnicate'$"
expect_status 2 "invalid short option" "$TCPSIM" ladder -Z
expect_message "invalid short option" "^tcpsim ladder: invalid option -- 'Z'$"
if ! grep -q '^Usage:' "$tmp/err"; then ok; else bad "a usage error printed the whole help"; fi

# The man page states the exit codes and limits; mandoc finds nothing in it.
if command -v mandoc >/dev/null 2>&1; then
    expect_status 0 "mandoc -T lint docs/tcpsim.1" mandoc -T lint "$srcdir/docs/tcpsim.1"
else
    bad "mandoc is not installed (./bootstrap installs it): the man page was not linted"
fi
if grep -q '^\.SH LIMITS' "$srcdir/docs/tcpsim.1"; then ok; else bad "docs/tcpsim.1 has no LIMITS"; fi

echo "robust: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
