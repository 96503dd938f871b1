#!/bin/sh
# figures.sh: every figure of the performance issue beside its target, measured in one run
# (`make bench` runs it; docs/performance.md quotes its table). Nothing is asserted.
#
# usage: bench/figures.sh TCPSIM SRCDIR [NS3_LIFECYCLES]
#
# The machine is shared, so the figures that can be are instruction counts from
# `valgrind --tool=callgrind` (they do not depend on the load; this VM has no hardware
# counters for `perf stat`). A cost per lifecycle is the difference of two runs of the
# sequential shape, N = 11 000 and N = 1 000, divided by 10 000: start-up cancels out.
# Memory, the 10^6-alive linearity and the many-small-runs figures are CPU or wall time, the
# best of $REPS runs. The database figures are measured on whatever writer this tree has.
# With the ns-3 program (make bench-ns3) the last table compares both simulators per
# lifecycle, in instructions and whole-process wall time, at N = 10^3 and 10^4.
set -eu
tcpsim=$1 src=$2 ns3=${3:-}
reps=${REPS:-3}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
command -v valgrind >/dev/null ||
    { echo "figures.sh: needs valgrind (TCPSIM_BENCH=1 ./bootstrap installs it)" >&2; exit 2; }
seq_sc=$src/bench/scenarios/lifecycles-sequential.tcpsim
small=1000 large=11000

# instructions of a whole process (every thread), as callgrind counts them
instr() {
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" >/dev/null 2>"$tmp/cg" ||
        { echo "figures.sh: failed under callgrind: $*" >&2; cat "$tmp/cg" >&2; exit 1; }
    sed -n 's/.*Collected : //p' "$tmp/cg"
}
# best wall seconds of $reps runs of a command
wall() {
    best=
    for _ in $(seq "$reps"); do
        t0=$(date +%s.%N)
        "$@" >/dev/null 2>&1 || { echo "figures.sh: failed: $*" >&2; exit 1; }
        t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')
        best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
    done
    echo "$best"
}
# best user+system CPU seconds and the largest peak resident KiB of $reps runs
cpu_rss() {
    best= rss=0
    for _ in $(seq "$reps"); do
        /usr/bin/time -f '%U %S %M' -o "$tmp/time" "$@" >/dev/null 2>&1 ||
            { echo "figures.sh: failed: $*" >&2; exit 1; }
        read -r u s m <"$tmp/time"
        t=$(awk -v u="$u" -v s="$s" 'BEGIN { print u + s }')
        best=$(awk -v a="${best:-$t}" -v b="$t" 'BEGIN { print (b < a) ? b : a }')
        rss=$(awk -v a="$rss" -v b="$m" 'BEGIN { print (b > a) ? b : a }')
    done
    echo "$best $rss"
}
calc() { awk "BEGIN { printf \"$1\", $2 }"; }
met() { awk "BEGIN { print ($1) ? \"yes\" : \"no\" }"; }
row() { printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; }
run_seq() { # N, then tcpsim options
    n=$1; shift
    "$tcpsim" run "$seq_sc" --quiet --set workload.count="$n" "$@"
}

echo "figures.sh: $(date -u '+%Y-%m-%d %H:%M UTC'), load:$(uptime | sed 's/.*load average//')"

# --- without the database ---
start=$(instr "$tcpsim" run "$seq_sc" --quiet --no-db --set workload.count=1)
i_small=$(instr "$tcpsim" run "$seq_sc" --quiet --no-db --set workload.count=$small)
i_large=$(instr "$tcpsim" run "$seq_sc" --quiet --no-db --set workload.count=$large)
per=$(calc %.0f "($i_large - $i_small) / ($large - $small)")
set -- $(cpu_rss "$tcpsim" run "$src/bench/scenarios/lifecycles-thousand.tcpsim" --quiet --no-db)
cpu_thousand=$1
set -- $(cpu_rss "$tcpsim" run "$src/bench/scenarios/lifecycles-million.tcpsim" --quiet --no-db)
cpu_million=$1 rss_million=$2
linear=$(calc %.2f "$cpu_million / $cpu_thousand")

# --- with the database (today's writer) ---
d_small=$(instr "$tcpsim" run "$seq_sc" --quiet -o "$tmp/a.db" --set workload.count=$small)
rm -f "$tmp/a.db"
d_large=$(instr "$tcpsim" run "$seq_sc" --quiet -o "$tmp/a.db" --set workload.count=$large)
rm -f "$tmp/a.db"
per_db=$(calc %.0f "($d_large - $d_small) / ($large - $small)")
w_nodb=$(wall run_seq 10000 --no-db)
w_db=$(wall sh -c 'rm -f "$1"; shift; "$@"' - "$tmp/w.db" "$tcpsim" run "$seq_sc" --quiet \
    -o "$tmp/w.db" --set workload.count=10000)
# per-run overhead: 200 runs of 10 lifecycles against one run of 2000, the difference per run
w_reps=$(wall sh -c 'rm -f "$1"; shift; "$@"' - "$tmp/r.db" "$tcpsim" run "$seq_sc" --quiet \
    -o "$tmp/r.db" --reps 200 --set workload.count=10)
w_one=$(wall sh -c 'rm -f "$1"; shift; "$@"' - "$tmp/o.db" "$tcpsim" run "$seq_sc" --quiet \
    -o "$tmp/o.db" --set workload.count=2000)
overhead_ms=$(calc %.3f "($w_reps - $w_one) * 1000 / 199")
sweep() {
    rm -f "$tmp/s.db"
    "$tcpsim" sweep "$seq_sc" --quiet -o "$tmp/s.db" --vary workload.count=10 --reps 200 -j "$1"
}
w_j1=$(wall sweep 1)
w_j2=$(wall sweep 2)
speedup=$(calc %.2f "$w_j1 / $w_j2")

echo
echo "| figure | today | target | met? |"
echo "| --- | ---: | ---: | --- |"
row "instructions per lifecycle, no database" "$per" "<= 10 000" "$(met "$per <= 10000")"
row "start-up: \`tcpsim run\` of 1 lifecycle, --no-db, instructions" \
    "$(calc "%.2f M" "$start / 1e6")" "<= 1.5 M" "$(met "$start <= 1500000")"
row "peak resident, 10^6 connections alive" "$(calc "%.0f MiB" "$rss_million / 1024")" \
    "<= 1024 MiB" "$(met "$rss_million <= 1048576")"
row "CPU per lifecycle, 10^6 alive / 10^3 alive (10^6 lifecycles each)" "${linear}x" \
    "<= 1.5x" "$(met "$linear <= 1.5")"
row "logged run / no database, instructions per lifecycle (today's writer)" \
    "$(calc %.1fx "$per_db / $per") ($per_db)" "<= 3x" "$(met "$per_db <= 3 * $per")"
row "logged run / no database, wall, N = 10^4 (today's writer)" \
    "$(calc %.1fx "$w_db / $w_nodb")" "<= 3x" "$(met "$w_db <= 3 * $w_nodb")"
row "per-run overhead, --reps 200 x 10 vs 1 x 2000 (today's writer)" "$overhead_ms ms" \
    "<= 0.3 ms" "$(met "$overhead_ms <= 0.3")"
row "sweep -j2 / -j1, 200 runs of 10 lifecycles (today's writer; load-dependent)" \
    "${speedup}x" ">= 1.7x" "$(met "$speedup >= 1.7")"
echo
echo "raw: start-up $start; no-db N=$small $i_small, N=$large $i_large;" \
    "db N=$small $d_small, N=$large $d_large instructions"
echo "raw: CPU s 10^3 alive $cpu_thousand, 10^6 alive $cpu_million; wall s no-db $w_nodb," \
    "db $w_db, reps 200x10 $w_reps, 1x2000 $w_one, sweep -j1 $w_j1, -j2 $w_j2"

# --- against ns-3 (bench/ns3/README.md), when its program is built ---
echo
if [ -z "$ns3" ] || [ ! -x "$ns3" ]; then
    echo "ns-3: bench/ns3/lifecycles is not built (make bench-ns3; apt-get install libns3-dev)"
    exit 0
fi
echo "ns-3 (no queue disc) against tcpsim, sequential shape, loss 0; per lifecycle from whole"
echo "processes (start-up included); ratios are ns-3 / tcpsim; segments per lifecycle counted"
echo "| N | ns-3 instr | tcpsim instr, no db | ratio | tcpsim instr, db | ratio | ns-3 wall s |" \
    "tcpsim wall s, no db | ratio | tcpsim wall s, db | ratio |"
echo "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
for n in 1000 10000; do
    i_ns3=$(instr "$ns3" --n=$n --shape=sequential --loss=0)
    i_t=$(instr "$tcpsim" run "$seq_sc" --quiet --no-db --set workload.count=$n)
    rm -f "$tmp/n.db"
    i_d=$(instr "$tcpsim" run "$seq_sc" --quiet -o "$tmp/n.db" --set workload.count=$n)
    w_ns3=$(wall "$ns3" --n=$n --shape=sequential --loss=0)
    w_t=$(wall run_seq $n --no-db)
    w_d=$(wall sh -c 'rm -f "$1"; shift; "$@"' - "$tmp/n.db" "$tcpsim" run "$seq_sc" --quiet \
        -o "$tmp/n.db" --set workload.count=$n)
    printf '| %s | %s | %s | %sx | %s | %sx | %s | %s | %sx | %s | %sx |\n' "$n" "$i_ns3" "$i_t" \
        "$(calc %.0f "$i_ns3 / $i_t")" "$i_d" "$(calc %.1f "$i_ns3 / $i_d")" "$w_ns3" "$w_t" \
        "$(calc %.0f "$w_ns3 / $w_t")" "$w_d" "$(calc %.1f "$w_ns3 / $w_d")"
done
seg_ns3=$("$ns3" --n=1000 --shape=sequential --loss=0 | awk '$1 == "packets_sent" { print $2 / 1000 }')
seg_t=$("$tcpsim" run "$seq_sc" --no-db --set workload.count=1000 | sed -n 's/.* \([0-9][0-9]*\) segments.*/\1/p' | head -1)
echo "segments per lifecycle: ns-3 $seg_ns3, tcpsim $(calc %.1f "${seg_t:-0} / 1000")"
