#!/bin/sh
# sweep.sh: the contracts of `tcpsim sweep`, `merge` and `stats`. One grid
# point per value combination, N reps each, run ids in (point, rep) order
# whatever -j is; every table the same with -j1 and -j2 (but wall_s); an
# interrupted or partial sweep started again runs only what is missing;
# shards merged give what one sweep gives; stats prints a table, CSV and
# plots (SVG, PDF, PNG; means, CDF, histogram); bad input exits 2 and
# writes nothing.
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
# ---- the plots (src/view/plot.c, cairo): each format is what its suffix
# says and decodes, the marks are the data's, the same input gives the
# same bytes, and a suffix that names no format is a usage error.
have() { command -v "$1" >/dev/null 2>&1; }
check_svg() { # file: well-formed SVG
    if head -c 5 "$1" | grep -q '<?xml' && grep -q '</svg>' "$1"; then ok; else bad "$1: no SVG"; fi
    if have xmllint; then
        if xmllint --noout "$1"; then ok; else bad "$1: xmllint"; fi
    fi
}
check_pdf() { # file: a one-page PDF
    if [ "$(head -c 5 "$1")" = "%PDF-" ]; then ok; else bad "$1: no %PDF- header"; fi
    if have pdfinfo; then
        if pdfinfo "$1" | grep -q '^Pages: *1$'; then ok; else bad "$1: pdfinfo"; fi
    fi
}
check_png() { # file: a PNG whose chunks are intact and whose pixels inflate to 760 x 480 RGB
    if have file; then
        if file "$1" | grep -q 'PNG image data, 760 x 480'; then ok; else bad "$1: $(file "$1")"; fi
    fi
    have python3 || return 0
    if python3 - "$1" <<'PY'
import struct, sys, zlib
data = open(sys.argv[1], "rb").read()
assert data[:8] == b"\x89PNG\r\n\x1a\n"
pos, idat, size = 8, b"", None
while pos < len(data):
    n, kind = struct.unpack(">I4s", data[pos:pos + 8])
    body = data[pos + 8:pos + 8 + n]
    assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])[0], kind
    if kind == b"IHDR":
        size = struct.unpack(">II", body[:8])
    if kind == b"IDAT":
        idat += body
    pos += 12 + n
width, height = size
assert len(zlib.decompress(idat)) == height * (1 + 3 * width)
PY
    then ok; else bad "$1: the PNG does not decode"; fi
}
plot_checks() {
    plot_args="$tmp/j1.db --by link.loss --by client.rto_initial --model csa --rtt 100ms --ts 1s"
    for f in p.svg p.pdf p.png; do
        expect_status 0 "stats --plot $f" "$TCPSIM" stats $plot_args --plot "$tmp/$f"
    done
    check_svg "$tmp/p.svg"
    check_pdf "$tmp/p.pdf"
    check_png "$tmp/p.png"
    # 3 loss rates x 2 initial RTOs: six markers, and one in the legend per RTO.
    markers=$(grep -o 'stroke:none;fill-rule:nonzero;fill:rgb(' "$tmp/p.svg" | wc -l)
    if [ "$markers" = 8 ]; then ok; else bad "plot: $markers filled markers, wanted 6 + 2 in the legend"; fi
    if have pdftotext; then
        pdftotext "$tmp/p.pdf" "$tmp/p.txt"
        for label in 'link.loss (probability)' 'mean connect to ESTABLISHED at the client (ms)' \
            'client.rto_initial=1s' 'client.rto_initial=3s' 'error bars: 95% CI of the mean'; do
            if grep -qF "$label" "$tmp/p.txt"; then ok; else bad "plot: no '$label' in the PDF"; fi
        done
        # -raw: in drawing order, so the two labels at loss 0 (one place) are both there
        if [ "$(pdftotext -raw "$tmp/p.pdf" - | grep -c '^n=18$')" = 6 ]; then ok
        else bad "plot: not n=18 at each point"; fi
    fi
    expect_status 0 "stats --plot-cdf --plot-histogram" "$TCPSIM" stats $plot_args \
        --plot-cdf "$tmp/cdf.pdf" --plot-histogram "$tmp/hist.svg" --plot "$tmp/again.png"
    check_pdf "$tmp/cdf.pdf"
    check_svg "$tmp/hist.svg"
    if have pdftotext; then
        pdftotext "$tmp/cdf.pdf" "$tmp/cdf.txt"
        if [ "$(grep -c ', n=18$' "$tmp/cdf.txt")" = 6 ] && grep -q 'model CDF' "$tmp/cdf.txt" &&
            grep -qF 'connections established by then (fraction of n)' "$tmp/cdf.txt" &&
            grep -qF '(ms, log scale)' "$tmp/cdf.txt"
        then ok; else bad "plot-cdf: not one CDF per point with n, the model and the axis label"; fi
    fi
    # The same input, the same bytes: again alone, and with other plots in one command.
    if cmp -s "$tmp/p.png" "$tmp/again.png"; then ok; else bad "plot: PNG differs between runs"; fi
    sleep 1 # a PDF dated "now" would differ
    "$TCPSIM" stats $plot_args --plot "$tmp/p2.svg" --plot-cdf "$tmp/cdf2.pdf" >/dev/null 2>&1
    "$TCPSIM" stats $plot_args --plot-histogram "$tmp/hist2.svg" >/dev/null 2>&1
    for f in p.svg cdf.pdf hist.svg; do
        if cmp -s "$tmp/$f" "$tmp/$(echo "$f" | sed 's/\./2./')"; then ok; else bad "plot: $f differs between runs"; fi
    done
    expect_status 2 "stats --plot x.jpg" "$TCPSIM" stats $plot_args --plot "$tmp/x.jpg"
    if grep -q -- '--plot .*x.jpg: name a .svg, .pdf or .png file' "$tmp/err" && [ ! -e "$tmp/x.jpg" ]
    then ok; else bad "plot: unknown suffix: $(cat "$tmp/err")"; fi
    expect_status 2 "stats --plot-histogram without a suffix" "$TCPSIM" stats $plot_args --plot-histogram "$tmp/h"
    if grep -q -- '--plot-histogram' "$tmp/err"; then ok; else bad "plot-histogram: unknown suffix: $(cat "$tmp/err")"; fi
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
plot_checks
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
