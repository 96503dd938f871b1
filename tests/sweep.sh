#!/bin/sh
# sweep.sh: the contracts of `tcpsim sweep`, `merge` and `stats`. One grid
# point per value combination, N reps each, run ids in (point, rep) order
# whatever -j is; every table the same with -j1 and -j2 (but wall_s); an
# interrupted or partial sweep started again runs only what is missing;
# shards merged give what one sweep gives; stats prints a table, CSV and
# an SVG plot; bad input exits 2 and writes nothing.
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
# Every table but runs.wall_s, in key order.
dump() {
    sqlite3 "$1" "SELECT run_id, scenario, scenario_sha256, seed, rep, params, status, sim_end_ns,
                  events, tcpsim_version FROM runs ORDER BY run_id;
                  SELECT * FROM run_params ORDER BY run_id, key;
                  SELECT * FROM connections ORDER BY run_id, conn_id;
                  SELECT * FROM transitions ORDER BY run_id, seq;
                  SELECT * FROM segments ORDER BY run_id, seg_id, trace_seq;
                  SELECT * FROM expectations ORDER BY run_id, seq;"
}
scenario="$tmp/lossy.tcpsim"
sed -e "s/count=20 /count=6 /" -e "s/established = 20/established = 6/" "$srcdir/scenarios/lossy-link.tcpsim" >"$scenario"
vary1='link.loss=0:0.2:0.1'
vary2='client.rto_initial=1s,3s'

# -j1 and -j2: the same rows, run ids in (point, rep) order, seeds base+rep.
expect_status 0 "sweep -j1" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 3 -j 1 -o "$tmp/j1.db"
expect_status 0 "sweep -j2" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 3 -j 2 -o "$tmp/j2.db"
if [ -s "$tmp/err" ]; then bad "sweep wrote to stderr (not a terminal): $(cat "$tmp/err")"; else ok; fi
if dump "$tmp/j1.db" >"$tmp/j1.txt" && dump "$tmp/j2.db" >"$tmp/j2.txt" && cmp -s "$tmp/j1.txt" "$tmp/j2.txt"
then ok; else bad "-j1 and -j2 recorded different rows"; fi
order=$(sqlite3 "$tmp/j2.db" "SELECT group_concat(rep || ':' || seed || ':' || params, ' ') FROM
        (SELECT * FROM runs ORDER BY run_id) WHERE run_id <= 4")
want='0:1:{"link.loss":"0","client.rto_initial":"1s"} 1:2:{"link.loss":"0","client.rto_initial":"1s"} 2:3:{"link.loss":"0","client.rto_initial":"1s"} 0:1:{"link.loss":"0","client.rto_initial":"3s"}'
if [ "$order" = "$want" ]; then ok; else bad "run order: $order"; fi
groups=$(sqlite3 "$tmp/j2.db" "SELECT count(*) FROM (SELECT value FROM run_params WHERE key = 'link.loss' GROUP BY value)")
runs=$(sqlite3 "$tmp/j2.db" "SELECT count(*) FROM runs")
if [ "$groups" = 3 ] && [ "$runs" = 18 ]; then ok; else bad "$groups loss values, $runs runs"; fi

# Resume: a partial sweep (one shard, fewer reps) completed by the full one.
expect_status 0 "shard 2/3" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 2 --shard 2/3 -o "$tmp/resume.db"
expect_status 0 "resume" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 3 -o "$tmp/resume.db"
if grep -q '14 runs recorded, 4 already there' "$tmp/out"; then ok; else bad "resume summary: $(cat "$tmp/out")"; fi
expect_status 0 "nothing left" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 3 -o "$tmp/resume.db"
if grep -q '0 runs recorded, 18 already there' "$tmp/out"; then ok; else bad "complete sweep reran: $(cat "$tmp/out")"; fi
dupes=$(sqlite3 "$tmp/resume.db" "SELECT count(*) FROM (SELECT params, rep FROM runs GROUP BY params, rep HAVING count(*) > 1)")
if [ "$dupes" = 0 ]; then ok; else bad "$dupes duplicated runs after resume"; fi

# An interrupted sweep: what finished is kept, the rest runs on restart.
big="$srcdir/scenarios/validation-csa-forward.tcpsim"
"$TCPSIM" sweep "$big" --vary 'link.client->server.loss=0:0.25:0.01' --reps 2 -j 2 -o "$tmp/int.db" >"$tmp/int.out" 2>&1 &
pid=$!
sleep 1
kill -INT $pid 2>/dev/null
wait $pid
status=$?
if [ $status = 1 ] && grep -q 'interrupted' "$tmp/int.out"; then ok
elif [ $status = 0 ]; then echo "note: the sweep finished before it could be interrupted"; ok
else bad "interrupted sweep: exit $status: $(cat "$tmp/int.out")"; fi
expect_status 0 "restart after interrupt" "$TCPSIM" sweep "$big" --vary 'link.client->server.loss=0:0.25:0.01' --reps 2 -j 2 -o "$tmp/int.db"
state=$(sqlite3 "$tmp/int.db" "SELECT count(*), count(DISTINCT params || '/' || rep) FROM runs")
if [ "$state" = "52|52" ]; then ok; else bad "after interrupt and restart: $state"; fi
if ls "$tmp"/int.db.part* >/dev/null 2>&1; then bad "part files left behind"; else ok; fi

# Shards merged equal one sweep (per point).
for k in 1 2; do
    expect_status 0 "shard $k/2" "$TCPSIM" sweep "$scenario" --vary "$vary1" --vary "$vary2" --reps 3 --shard $k/2 -q -o "$tmp/shard$k.db"
done
expect_status 0 "merge" "$TCPSIM" merge "$tmp/merged.db" "$tmp/shard1.db" "$tmp/shard2.db"
"$TCPSIM" stats "$tmp/merged.db" --csv >"$tmp/merged.csv"
"$TCPSIM" stats "$tmp/j1.db" --csv >"$tmp/j1.csv"
if cmp -s "$tmp/merged.csv" "$tmp/j1.csv"; then ok; else bad "merged shards differ from one sweep"; diff "$tmp/merged.csv" "$tmp/j1.csv"; fi
echo "not a database" >"$tmp/notes.txt"
expect_status 2 "merge refuses a text file" "$TCPSIM" merge "$tmp/merged.db" "$tmp/notes.txt"
expect_status 2 "merge into an input" "$TCPSIM" merge "$tmp/merged.db" "$tmp/merged.db"

# stats: table, CSV, plot, model columns.
expect_status 0 "stats" "$TCPSIM" stats "$tmp/j1.db"
if head -1 "$tmp/out" | grep -q 'client.rto_initial.*link.loss.*runs.*conns.*mean_ms.*ci95_ms.*p99_ms.*tw_s.*cw_s'
then ok; else bad "stats header: $(head -1 "$tmp/out")"; fi
if [ "$(wc -l <"$tmp/out")" = 7 ]; then ok; else bad "stats rows: $(cat "$tmp/out")"; fi
expect_status 0 "stats --by" "$TCPSIM" stats "$tmp/j1.db" --by link.loss --csv
if [ "$(sed -n 2p "$tmp/out" | cut -d, -f1-4)" = "0,6,36,36" ]; then ok; else bad "stats --by CSV: $(cat "$tmp/out")"; fi
expect_status 0 "stats --plot" "$TCPSIM" stats "$tmp/j1.db" --by link.loss --by client.rto_initial --plot "$tmp/p.svg" --model csa --rtt 100ms --ts 1s
if grep -q '</svg>' "$tmp/p.svg" && [ "$(grep -c 'class="bar"' "$tmp/p.svg")" = 6 ]; then ok; else bad "plot"; fi
expect_status 2 "stats --check without a model" "$TCPSIM" stats "$tmp/j1.db" --check

# stats --compare (docs/validation.md section 5): the same runs twice are
# the same distribution (D = 0, exit 0 with --check); no loss against 30%
# loss differ (exit 1).
first="$srcdir/scenarios/validation-first-response.tcpsim"
"$TCPSIM" run "$first" --set link.loss=0 --reps 30 -q -o "$tmp/f0.db" >/dev/null 2>&1
"$TCPSIM" run "$first" --set link.loss=30% --reps 30 -q -o "$tmp/f30.db" >/dev/null 2>&1
expect_status 0 "stats --compare same" "$TCPSIM" stats "$tmp/f0.db" --compare "$tmp/f0.db" --check
if "$TCPSIM" stats "$tmp/f0.db" --compare "$tmp/f0.db" | grep -q 'D = 0.0000, p = 1: no difference'
then ok; else bad "stats --compare of a database with itself"; fi
expect_status 1 "stats --compare differ" "$TCPSIM" stats "$tmp/f0.db" --compare "$tmp/f30.db" --check
expect_status 2 "stats --compare with --model" "$TCPSIM" stats "$tmp/f0.db" --compare "$tmp/f30.db" --model csa --rtt 100ms --ts 1s

# Bad input: exit 2, nothing written.
expect_status 2 "bad range" "$TCPSIM" sweep "$scenario" --vary 'link.loss=0:1:0' -o "$tmp/never.db"
expect_status 2 "bad value" "$TCPSIM" sweep "$scenario" --vary 'link.loss=0.1,2' -o "$tmp/never.db"
expect_status 2 "unknown key" "$TCPSIM" sweep "$scenario" --vary 'link.lost=0.1' -o "$tmp/never.db"
expect_status 2 "varied and set" "$TCPSIM" sweep "$scenario" --vary 'link.loss=0.1' --set link.loss=0.2 -o "$tmp/never.db"
expect_status 2 "bad shard" "$TCPSIM" sweep "$scenario" --vary 'link.loss=0.1' --shard 3/2 -o "$tmp/never.db"
if [ ! -e "$tmp/never.db" ]; then ok; else bad "a refused sweep created a database"; fi
expect_status 2 "stats of a text file" "$TCPSIM" stats "$tmp/notes.txt"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
