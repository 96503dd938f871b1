#!/bin/sh
# validation.sh: tcpsim against published models (docs/validation.md).
#
#   validation.sh            the reduced version, for `make check` (seconds):
#                            4000 handshakes with SYN loss 0.1, 4000 with loss
#                            0.1 both ways, one Little's-law run
#   validation.sh --full DIR the full version, for `make validate` (minutes):
#                            the sweeps of docs/validation.md; databases,
#                            tables, CSV and plots go to DIR
#
# Checks: the model mean lies in every 95% CI where the variance is finite
# (loss below 1/4); in the full version every such CI is within 2% of the
# mean; every latency is a value of the model and the count of each value
# lies within its 99% binomial bounds; the mean TIME_WAIT population is
# within 2% of rate x TIME_WAIT length.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
full=no
if [ "${1:-}" = "--full" ]; then
    full=yes
    out=${2:-validation}
    mkdir -p "$out" || exit 99
else
    out=$(mktemp -d) || exit 99
    trap 'rm -rf "$out"' EXIT
fi
jobs=${JOBS:-2}
scenarios="$srcdir/scenarios"
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# sweep NAME SCENARIO REPS VARY...: records into $out/NAME.db (resumes).
sweep() {
    name=$1 scenario=$2 reps=$3
    shift 3
    if "$TCPSIM" sweep "$scenarios/$scenario" "$@" --reps "$reps" -j "$jobs" -q \
        -o "$out/$name.db"; then ok; else bad "sweep $name"; fi
}

# sweep_limited NAME SCENARIO REPS VARY...: as sweep, for retry limits
# under which some connections give up, so a run may fail the scenario's
# "expect client established = 2000": such runs are recorded all the same.
sweep_limited() {
    name=$1 scenario=$2 reps=$3
    shift 3
    "$TCPSIM" sweep "$scenarios/$scenario" "$@" --reps "$reps" -j "$jobs" -o "$out/$name.db" \
        >"$out/$name.sweep" 2>&1
    status=$?
    if [ $status = 0 ] || { [ $status = 1 ] && ! grep -q 'could not run\|not run (' "$out/$name.sweep"; }
    then ok; else bad "sweep $name"; cat "$out/$name.sweep"; fi
}

# csa NAME: the model's mean in every finite-variance CI, and the whole
# distribution; the tables go to $out/NAME.txt and $out/NAME.csv.
csa() {
    name=$1
    if "$TCPSIM" stats "$out/$name.db" --model csa --rtt 100ms --ts 1s --distribution --check \
        >"$out/$name.txt" 2>&1; then ok; else bad "$name: model check"; cat "$out/$name.txt"; fi
    "$TCPSIM" stats "$out/$name.db" --model csa --rtt 100ms --ts 1s --csv >"$out/$name.csv" || bad "$name: csv"
    grep -q 'latencies no model value' "$out/$name.txt" && ok || bad "$name: no distribution table"
}

# csa_mean NAME: as csa, but only the means are checked; the distribution
# is written to $out/NAME.txt for the record.
csa_mean() {
    name=$1
    if "$TCPSIM" stats "$out/$name.db" --model csa --rtt 100ms --ts 1s --check \
        >"$out/$name.check" 2>&1; then ok; else bad "$name: model check"; cat "$out/$name.check"; fi
    "$TCPSIM" stats "$out/$name.db" --model csa --rtt 100ms --ts 1s --distribution >"$out/$name.txt" 2>&1
    "$TCPSIM" stats "$out/$name.db" --model csa --rtt 100ms --ts 1s --csv >"$out/$name.csv" || bad "$name: csv"
}

# reference NAME "P=MS ..." WHAT: each point's mean against a published
# number, which must lie in the point's 95% CI.
reference() {
    "$TCPSIM" stats "$out/$1.db" --by link.loss --csv >"$out/$1.csv" || bad "$1: stats"
    if awk -F, -v refs="$2" -v what="$3" '
            BEGIN { n = split(refs, r, " "); for (i = 1; i <= n; i++) { split(r[i], kv, "="); ref[kv[1]] = kv[2] } }
            NR > 1 && ($1 in ref) {
                m = $6; lo = $7; hi = $8; want = ref[$1]
                inside = (want >= lo && want <= hi) || (want - 0.05 <= hi && want + 0.05 >= lo)
                printf "  loss %s: tcpsim %.1f ms [%.1f, %.1f], %s %.1f ms (%+.2f%%) %s\n",
                    $1, m, lo, hi, what, want, 100 * (m - want) / want, inside ? "in CI" : "OUTSIDE the CI"
                if (!inside) bad = 1
            }
            END { exit bad }' "$out/$1.csv"; then ok; else bad "$1: against $3"; fi
}

# precision NAME: for loss below 1/4, the 95% CI half-width is within 2%
# of the mean (CSV columns: key, runs, connections, established,
# completion, mean, ci low, ci high, ...).
precision() {
    if awk -F, 'NR > 1 && $1 < 0.25 {
                    rel = ($8 - $6) / $6
                    printf "  loss %s: %d handshakes, CI half-width %.2f%% of the mean\n", $1, $4, 100 * rel
                    if (rel > 0.02) bad = 1
                }
                END { exit bad }' "$out/$1.csv"; then ok; else bad "$1: a CI wider than 2% of its mean"; fi
}

# little NAME FROM TO: the mean TIME_WAIT population over [FROM, TO) of
# each point against rate x time_wait (columns: time_wait, rate, ...).
little() {
    name=$1
    "$TCPSIM" stats "$out/$name.db" --window "$2:$3" --csv >"$out/$name.csv" || bad "$name: stats"
    if awk -F, -v tw="${4:-}" -v rate="${5:-}" '
            NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            {
                t = ("client.time_wait" in col) ? $col["client.time_wait"] : tw
                r = ("workload.rate" in col) ? $col["workload.rate"] : rate
                model = (r + 0) * (t + 0)
                n = $col["time_wait_population"]
                printf "  rate %s, TIME_WAIT %s: population %.1f, rate x length %.0f (%+.2f%%)\n",
                    r, t, n, model, 100 * (n - model) / model
                if (n < 0.98 * model || n > 1.02 * model) bad = 1
            }
            END { exit bad }' "$out/$name.csv"; then ok; else bad "$name: Little's law"; fi
}

if [ "$full" = no ]; then
    sweep fwd validation-csa-forward.tcpsim 2 --vary 'link.client->server.loss=0.1'
    csa fwd
    sweep both validation-csa-both.tcpsim 2 --vary 'link.loss=0.1'
    csa both
    sweep little validation-little.tcpsim 1 --vary 'workload.rate=100/s'
    little little 130s 300s 60s 100
else
    echo "== SYN loss only (docs/validation.md, tables 1 and 2)"
    sweep fwd validation-csa-forward.tcpsim 60 --vary 'link.client->server.loss=0.01,0.05,0.1,0.15'
    sweep fwd validation-csa-forward.tcpsim 120 --vary 'link.client->server.loss=0.2'
    sweep fwd validation-csa-forward.tcpsim 10 --vary 'link.client->server.loss=0.25:0.45:0.05'
    csa fwd
    precision fwd
    "$TCPSIM" stats "$out/fwd.db" --model csa --rtt 100ms --ts 1s --plot "$out/fwd.svg" >/dev/null || bad "fwd plot"
    echo "== SYN and SYN-ACK loss (table 3)"
    sweep both validation-csa-both.tcpsim 50 --vary 'link.loss=0.05,0.1,0.15,0.2'
    csa_mean both
    precision both
    "$TCPSIM" stats "$out/both.db" --model csa --rtt 100ms --ts 1s --plot "$out/both.svg" >/dev/null || bad "both plot"
    echo "== A server that answers a duplicate SYN (section 3: where tcpsim and the paper part)"
    sweep dupsyn validation-csa-both.tcpsim 50 --vary 'link.loss=0.05,0.1,0.15,0.2' \
        --set server.synack_on_duplicate_syn=yes
    "$TCPSIM" stats "$out/dupsyn.db" --model csa --rtt 100ms --ts 1s >"$out/dupsyn.txt" 2>&1
    sed -n '1,5p' "$out/dupsyn.txt"
    echo "== Retry limits, and a server that answers a duplicate SYN (table 4)"
    limits="--set client.syn_retries=6 --set server.synack_retries=5"
    sweep_limited strict6 validation-csa-both.tcpsim 50 --vary 'link.loss=0.01,0.05,0.1,0.2,0.3' $limits
    sweep_limited dupsyn6 validation-csa-both.tcpsim 50 --vary 'link.loss=0.01,0.05,0.1,0.2,0.3' $limits \
        --set server.synack_on_duplicate_syn=yes
    # shared/reference/tcp-reference.md 4.4, Ts = 1 s: E[T | success] of model A and model C
    reference strict6 "0.01=120.4 0.05=211.1 0.1=349.9 0.2=759.1 0.3=1471.0" "model A, limits"
    reference dupsyn6 "0.01=120.2 0.05=206.2 0.1=329.9 0.2=672.8 0.3=1263.5" "model C, limits"
    echo "== TIME_WAIT population against Little's law (table 5)"
    sweep little validation-little.tcpsim 2 --vary 'workload.rate=50/s,100/s,200/s' \
        --vary 'client.time_wait=30s,60s,120s'
    little little 130s 300s
    for f in fwd both; do echo "-- $f"; sed -n '1,/^$/p' "$out/$f.txt"; grep -E 'counts within|OUT' "$out/$f.txt"; done
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
