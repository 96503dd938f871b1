#!/bin/sh
# schema.sh: schema version 2 answers every question version 1 answered,
# the same way. tests/data/v1-runs.sql is a version 1 database of seven runs
# (the last tcpsim of that schema wrote it); the same scenarios and seeds
# are run again into a version 2 file, and the version 1 file is upgraded
# with `tcpsim upgrade`. Every query of docs/queries.md and every view,
# read whole, give the same output on the three. Then: an upgrade killed at
# any moment leaves the file whole (the old one or the new), and the
# readers (ladder, dot, pcap, stats) print the same for both versions.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
command -v sqlite3 >/dev/null 2>&1 || { echo "sqlite3 not installed"; exit 77; }
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }
same() { # description file-a file-b
    if cmp -s "$2" "$3"; then ok; else bad "$1 differs:"; diff "$2" "$3" | head -20; fi
}

# The runs of the fixture, in its order (scenario, then --set and --seed).
sqlite3 "$tmp/v1.db" < "$srcdir/tests/data/v1-runs.sql"
for s in lost-synack simultaneous-open stray-ack syn-retries-exhausted rst-in-window half-close; do
    "$TCPSIM" run "$srcdir/scenarios/$s.tcpsim" -q -o "$tmp/v2.db" >/dev/null 2>&1
done
"$TCPSIM" run "$srcdir/scenarios/handshake.tcpsim" --set link.loss=20% --set link.delay=10ms \
    --seed 3 -q -o "$tmp/v2.db" >/dev/null 2>&1
cp "$tmp/v1.db" "$tmp/up.db"
if "$TCPSIM" upgrade -q "$tmp/up.db"; then ok; else bad "tcpsim upgrade failed"; fi
for db in v2 up; do
    v=$(sqlite3 "$tmp/$db.db" "PRAGMA user_version")
    [ "$v" = 2 ] && ok || bad "$db.db has user_version $v"
done

# Every ```sql block of docs/queries.md.
awk -v dir="$tmp" '/^```sql$/ { n++; f = dir "/q" n ".sql"; on = 1; next }
     /^```/ { on = 0 } on { print > f }' "$srcdir/docs/queries.md"
n=$(ls "$tmp"/q*.sql | wc -l)
[ "$n" -ge 8 ] && ok || bad "only $n queries found in docs/queries.md"
for q in "$tmp"/q*.sql; do
    for db in v1 v2 up; do sqlite3 -table "$tmp/$db.db" < "$q" > "$tmp/$db.out" 2>&1; done
    same "$(basename "$q") of docs/queries.md, v1 and v2" "$tmp/v1.out" "$tmp/v2.out"
    same "$(basename "$q") of docs/queries.md, v1 and upgraded" "$tmp/v1.out" "$tmp/up.out"
done

# Every view and decoded table, whole; runs without wall_s (the one column
# that differs between identical runs) and run_params without number.
for view in transitions segments connections handshake_latency state_durations time_in_state \
            timeline retransmitted_segments lost_segments run_summary expectations calls; do
    for db in v1 v2 up; do
        sqlite3 "$tmp/$db.db" "SELECT * FROM $view ORDER BY 1, 2, 3, 4, 5" > "$tmp/$db.out" 2>&1
    done
    same "view $view, v1 and v2" "$tmp/v1.out" "$tmp/v2.out"
    same "view $view, v1 and upgraded" "$tmp/v1.out" "$tmp/up.out"
done
runs="SELECT run_id, scenario, scenario_sha256, seed, rep, params, status, sim_end_ns, events,
      stack, until_ns FROM runs ORDER BY run_id; SELECT run_id, key, value FROM run_params"
for db in v1 v2 up; do sqlite3 "$tmp/$db.db" "$runs" > "$tmp/$db.out"; done
same "runs and run_params, v1 and v2" "$tmp/v1.out" "$tmp/v2.out"
same "runs and run_params, v1 and upgraded" "$tmp/v1.out" "$tmp/up.out"
n=$(sqlite3 "$tmp/up.db" "SELECT count(*) FROM runs AS u JOIN v1.runs AS o USING (run_id)
    WHERE u.wall_s = o.wall_s AND u.tcpsim_version = o.tcpsim_version" -cmd "ATTACH '$tmp/v1.db' AS v1")
[ "$n" = 7 ] && ok || bad "upgrade kept wall_s and tcpsim_version of $n of 7 runs"
v=$(sqlite3 "$tmp/v2.db" "SELECT number FROM run_params WHERE key = 'link.loss'")
[ "$v" = 0.2 ] && ok || bad "run_params.number of 20% is '$v'"

# The readers print the same from both versions.
for db in v1 v2; do
    "$TCPSIM" ladder "$tmp/$db.db" --run 2 > "$tmp/$db.ladder" 2>&1
    "$TCPSIM" ladder "$tmp/$db.db" --run 7 --conn 1 >> "$tmp/$db.ladder" 2>&1
    "$TCPSIM" dot "$tmp/$db.db" --all-runs > "$tmp/$db.dot" 2>&1
    "$TCPSIM" stats "$tmp/$db.db" > "$tmp/$db.stats" 2>&1
    "$TCPSIM" pcap "$tmp/$db.db" --run 1 -q -o "$tmp/$db.pcap" > /dev/null 2>&1
done
same "ladder" "$tmp/v1.ladder" "$tmp/v2.ladder"
same "dot" "$tmp/v1.dot" "$tmp/v2.dot"
same "stats" "$tmp/v1.stats" "$tmp/v2.stats"
same "pcap" "$tmp/v1.pcap" "$tmp/v2.pcap"

# A file whose run_ids have gaps is refused (exit 2), left as it was.
sqlite3 "$tmp/gap.db" < "$srcdir/tests/data/v1-runs.sql"
sqlite3 "$tmp/gap.db" "DELETE FROM runs WHERE run_id = 3"
cp "$tmp/gap.db" "$tmp/gap-before.db"
"$TCPSIM" upgrade -q "$tmp/gap.db" 2>"$tmp/err"; status=$?
[ "$status" = 2 ] && grep -q "gap.db: run_ids 1 to 7 hold 6 runs" "$tmp/err" && ok ||
    bad "upgrade of a file with a gap: exit $status, $(cat "$tmp/err")"
same "a refused upgrade" "$tmp/gap.db" "$tmp/gap-before.db"
[ ! -e "$tmp/gap.db.upgrade" ] && ok || bad "a refused upgrade left gap.db.upgrade"

# Upgrading twice changes nothing; a killed upgrade leaves a whole file.
cp "$tmp/up.db" "$tmp/up-before.db"
"$TCPSIM" upgrade -q "$tmp/up.db"
same "a second upgrade" "$tmp/up.db" "$tmp/up-before.db"
# A bigger version 1 file (the fixture's runs 2^7 times over), so the
# upgrade is still going when it is killed.
sqlite3 "$tmp/big.db" < "$srcdir/tests/data/v1-runs.sql"
for i in 1 2 3 4 5 6 7; do
    sqlite3 "$tmp/big.db" "
      CREATE TEMP TABLE m AS SELECT max(run_id) AS n FROM runs;
      INSERT INTO runs SELECT run_id + (SELECT n FROM m), scenario, scenario_sha256, seed, rep,
        params, status, sim_end_ns, events, wall_s, tcpsim_version, stack, until_ns FROM runs;
      INSERT INTO run_params SELECT run_id + (SELECT n FROM m), key, value FROM run_params;
      INSERT INTO connections SELECT run_id + (SELECT n FROM m), conn_id, client, client_addr,
        client_port, server, server_addr, server_port, client_isn, server_isn, opened_ns,
        established_ns, closed_ns FROM connections;
      INSERT INTO transitions SELECT run_id + (SELECT n FROM m), seq, t_ns, host, conn_id,
        from_state, to_state, cause, seg_id FROM transitions;
      INSERT INTO segments SELECT run_id + (SELECT n FROM m), seg_id, conn_id, sender, receiver,
        src, dst, sent_ns, arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission,
        trace_seq, injected, rule_line, options FROM segments;
      INSERT INTO expectations SELECT run_id + (SELECT n FROM m), seq, expectation, passed,
        detail FROM expectations;"
done
cp "$tmp/big.db" "$tmp/big-before.db"
runs=$(sqlite3 "$tmp/big.db" "SELECT count(*) FROM runs")
"$TCPSIM" upgrade -q "$tmp/big.db" & pid=$!
sleep 0.5
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
if cmp -s "$tmp/big.db" "$tmp/big-before.db"; then
    ok # killed before the rename: the old file, as it was
    "$TCPSIM" upgrade -q "$tmp/big.db" && ok || bad "upgrade after a killed one failed"
fi
v=$(sqlite3 "$tmp/big.db" "PRAGMA integrity_check; PRAGMA user_version; SELECT count(*) FROM runs")
[ "$v" = "ok
2
$runs" ] && ok || bad "after a killed upgrade and another: $v"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
