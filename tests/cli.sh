#!/bin/sh
# cli.sh: the command line's contracts. Bad input names FILE:LINE:COL and
# exits 2 without writing anything; a file that is not a tcpsim database is
# never touched; runs append to a tcpsim database; a killed run leaves no
# rows; the same scenario and seed give the same rows.
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
handshake="$srcdir/scenarios/handshake.tcpsim"

# --help, --version, unknown commands and options.
expect_status 0 "--help" "$TCPSIM" --help
expect_status 0 "--version" "$TCPSIM" --version
expect_status 0 "run --help" "$TCPSIM" run --help
expect_status 0 "check --help" "$TCPSIM" check --help
expect_status 2 "unknown command" "$TCPSIM" frobnicate
expect_status 2 "unknown option" "$TCPSIM" run --frobnicate "$handshake"
expect_status 2 "missing scenario" "$TCPSIM" run

# A failed application call is never silent: on stderr with -q, in the
# calls table, in --log, and a failed `expect HOST CALL result=` fails the run.
refused="$srcdir/scenarios/refused.tcpsim"
expect_status 0 "refused -q" "$TCPSIM" run "$refused" -q -o "$tmp/calls.db"
if grep -q "client connect: ECONNREFUSED" "$tmp/err"; then ok; else bad "-q hid the refused connect: $(cat "$tmp/err")"; fi
if [ "$(sqlite3 "$tmp/calls.db" "SELECT call || ' ' || result FROM calls WHERE host = 'client'" 2>/dev/null)" = "connect ECONNREFUSED" ]; then ok
else bad "calls table: $(sqlite3 "$tmp/calls.db" "SELECT * FROM calls" 2>&1)"; fi
expect_status 0 "refused --log" "$TCPSIM" run "$refused" --no-db --log "$tmp/calls.log"
if grep -q "client conn 1 call connect: ECONNREFUSED" "$tmp/calls.log"; then ok; else bad "--log lacks the call"; fi
cp "$refused" "$tmp/refused-ok.tcpsim"
printf 'expect client connect result=ok\n' >>"$tmp/refused-ok.tcpsim"
expect_status 1 "expect connect result=ok on a refused connect" "$TCPSIM" run "$tmp/refused-ok.tcpsim" --no-db

# A scenario error names file, line and column, exits 2, writes nothing.
sed 's/^link  delay=50ms$/link  delay=-5ms/' "$handshake" >"$tmp/negative.tcpsim"
line=$(grep -n 'delay=-5ms' "$tmp/negative.tcpsim" | cut -d: -f1)
expect_status 2 "negative delay" "$TCPSIM" run "$tmp/negative.tcpsim" -o "$tmp/never.db"
if grep -q "^$tmp/negative.tcpsim:$line:[0-9][0-9]*: " "$tmp/err"; then ok; else bad "error lacks FILE:LINE:COL: $(cat "$tmp/err")"; fi
if [ ! -e "$tmp/never.db" ]; then ok; else bad "a rejected scenario created a database"; fi
expect_status 2 "check rejects" "$TCPSIM" check "$tmp/negative.tcpsim"
expect_status 0 "check accepts" "$TCPSIM" check "$handshake"
printf 'scenario x "unterminated\n' >"$tmp/unterminated.tcpsim"
expect_status 2 "unterminated string" "$TCPSIM" check "$tmp/unterminated.tcpsim"
head -c 3000 /dev/urandom >"$tmp/garbage.tcpsim"
expect_status 2 "binary garbage" "$TCPSIM" check "$tmp/garbage.tcpsim"
expect_status 2 "missing file" "$TCPSIM" check "$tmp/does-not-exist.tcpsim"
expect_status 2 "bad --set key" "$TCPSIM" run "$handshake" --no-db --set link.nonsense=1
expect_status 2 "bad --set value" "$TCPSIM" run "$handshake" --no-db --set link.loss=1.5

# A file that is not a tcpsim database is refused and left as it was.
echo "my precious notes" >"$tmp/notes.txt"
cp "$tmp/notes.txt" "$tmp/notes.orig"
expect_status 2 "text file as database" "$TCPSIM" run "$handshake" -o "$tmp/notes.txt"
if cmp -s "$tmp/notes.txt" "$tmp/notes.orig"; then ok; else bad "a text file was modified"; fi
sqlite3 "$tmp/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES (42);"
cp "$tmp/other.db" "$tmp/other.orig"
expect_status 2 "foreign SQLite database" "$TCPSIM" run "$handshake" -o "$tmp/other.db"
if cmp -s "$tmp/other.db" "$tmp/other.orig"; then ok; else bad "a foreign database was modified"; fi

# A database in a directory that does not exist: the reason is named.
expect_status 2 "missing directory" "$TCPSIM" run "$handshake" -o "$tmp/no/such/dir/x.db"
if grep -q "No such file or directory" "$tmp/err"; then ok; else bad "missing directory not named: $(cat "$tmp/err")"; fi

# Runs append to a tcpsim database, with new run ids.
expect_status 0 "first run" "$TCPSIM" run "$handshake" -o "$tmp/r.db" --quiet
expect_status 0 "second run" "$TCPSIM" run "$handshake" -o "$tmp/r.db" --quiet --seed 7
runs=$(sqlite3 "$tmp/r.db" "SELECT group_concat(run_id || ':' || seed, ' ') FROM runs")
if [ "$runs" = "1:1 2:7" ]; then ok; else bad "runs after two appends: '$runs'"; fi

# A failed expectation exits 1 and is still recorded, with its status.
sed 's/^expect client segments = 4$/expect client segments = 5/' "$handshake" >"$tmp/wrong.tcpsim"
expect_status 1 "failed expectation" "$TCPSIM" run "$tmp/wrong.tcpsim" -o "$tmp/wrong.db"
if grep -q "expected 5, actual 4" "$tmp/out"; then ok; else bad "no expected-vs-actual line"; fi
status=$(sqlite3 "$tmp/wrong.db" "SELECT status FROM runs")
if [ "$status" = failed ]; then ok; else bad "failed run recorded as '$status'"; fi
# --no-expect: an experiment the expectations do not describe is not a failure.
expect_status 0 "--no-expect" "$TCPSIM" run "$tmp/wrong.tcpsim" --no-db --no-expect
expect_status 1 "expectations still checked by default" "$TCPSIM" run "$tmp/wrong.tcpsim" --no-db --quiet

# A killed run leaves no rows behind (the run is one transaction).
"$TCPSIM" run "$srcdir/scenarios/time-wait-accumulation.tcpsim" -o "$tmp/killed.db" --quiet \
    --set workload.count=10000000 --set run.until=100000s &
pid=$!
sleep 2
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
rows=$(sqlite3 "$tmp/killed.db" "SELECT (SELECT count(*) FROM runs) + (SELECT count(*) FROM transitions) + (SELECT count(*) FROM segments)" 2>&1)
if [ "$rows" = 0 ]; then ok; else bad "a killed run left rows: $rows"; fi

# Determinism: same scenario and seed, same rows (wall_s is measured time).
dump() {
    sqlite3 "$1" "SELECT * FROM transitions ORDER BY run_id, seq; SELECT * FROM segments ORDER BY run_id, seg_id;
                  SELECT * FROM connections ORDER BY run_id, conn_id;
                  SELECT run_id, scenario, scenario_sha256, seed, rep, params, status, sim_end_ns, events FROM runs;"
}
for i in 1 2; do
    "$TCPSIM" run "$srcdir/scenarios/lossy-link.tcpsim" -o "$tmp/det$i.db" --quiet --seed 42 --reps 3 >/dev/null 2>&1
    dump "$tmp/det$i.db" >"$tmp/det$i.txt"
done
if [ -s "$tmp/det1.txt" ] && cmp -s "$tmp/det1.txt" "$tmp/det2.txt"; then ok; else bad "two runs with seed 42 differ"; fi

# A database of schema version 1 (tests/data/v1-runs.sql, made by the last
# tcpsim that wrote it): read by every reader, refused for appending and
# merging with the hint `tcpsim upgrade FILE` (exit 2, bad input).
sqlite3 "$tmp/v1.db" < "$srcdir/tests/data/v1-runs.sql"
cp "$tmp/v1.db" "$tmp/v1-before.db"
expect_status 0 "ladder of a version 1 database" "$TCPSIM" ladder "$tmp/v1.db" --run 2
expect_status 0 "stats of a version 1 database" "$TCPSIM" stats "$tmp/v1.db"
expect_status 2 "append to a version 1 database" \
    "$TCPSIM" run "$srcdir/scenarios/handshake.tcpsim" -q -o "$tmp/v1.db"
if grep -q "v1.db: a tcpsim database of schema version 1.*tcpsim upgrade $tmp/v1.db" "$tmp/err"
then ok; else bad "the refusal does not name the file and the upgrade:"; cat "$tmp/err"; fi
expect_status 2 "merge into a version 1 database" \
    "$TCPSIM" merge "$tmp/v1.db" "$tmp/v1-before.db"
if cmp -s "$tmp/v1.db" "$tmp/v1-before.db"; then ok; else bad "a refused version 1 file changed"; fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
