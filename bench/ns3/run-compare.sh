#!/bin/sh
# run-compare.sh: run the connection-lifecycle workload in ns-3 and in tcpsim, alternately, and
# print both rates (lifecycles per wall-second) and their ratio tcpsim/ns-3.
#
# usage: bench/ns3/run-compare.sh [-r ROUNDS] [-s sequential|concurrent] [-l LOSS] TCPSIM N
#   TCPSIM  path to the tcpsim binary ("-" to run the ns-3 side only)
#   N       number of lifecycles
#   -r      rounds; each round runs ns-3 then tcpsim (default 3); the best (fastest) round of each
#           is reported, and every round is printed
#   -s      shape (default sequential): one connection per second, or one per millisecond
#   -l      per-packet loss probability (default 0)
# environment:
#   NS3_LIFECYCLES  the ns-3 program (default: bench/ns3/lifecycles under the current directory,
#                   as built by `make bench-ns3` in a build directory)
#   NS3_ARGS        extra arguments for it (e.g. --bind=explicit for N > 16000 concurrent)
#   TCPSIM_CMD      the tcpsim command line, with @TCPSIM@, @N@, @SHAPE@ and @LOSS@ substituted;
#                   default:
#                   @TCPSIM@ run bench/scenarios/lifecycles-@SHAPE@.tcpsim --quiet --no-db
#                     --set workload.count=@N@ --set link.loss=@LOSS@
#                   run from the source tree (or set it to an absolute scenario path).
#   TIMEOUT         seconds allowed per run (default 600)
# Both rates are N / wall seconds of the whole process (start-up and set-up included), measured
# here the same way for both; the ns-3 program's own figure for Simulator::Run() alone is printed
# beside it. The ns-3 program exits non-zero unless every lifecycle completed; tcpsim is trusted
# by its exit status. The ratio is tcpsim / ns-3 (above 1: tcpsim is faster).
set -eu

rounds=3 shape=sequential loss=0
while getopts r:s:l: opt; do
    case $opt in
    r) rounds=$OPTARG ;;
    s) shape=$OPTARG ;;
    l) loss=$OPTARG ;;
    *) echo "usage: $0 [-r ROUNDS] [-s sequential|concurrent] [-l LOSS] TCPSIM N" >&2; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
if [ $# -ne 2 ]; then
    echo "usage: $0 [-r ROUNDS] [-s sequential|concurrent] [-l LOSS] TCPSIM N" >&2
    exit 2
fi
tcpsim=$1 n=$2
case $shape in sequential|concurrent) ;; *) echo "$0: bad shape $shape" >&2; exit 2 ;; esac

ns3=${NS3_LIFECYCLES:-bench/ns3/lifecycles}
ns3_args=${NS3_ARGS:-}
timeout_s=${TIMEOUT:-600}
tcpsim_cmd=${TCPSIM_CMD:-'@TCPSIM@ run bench/scenarios/lifecycles-@SHAPE@.tcpsim --quiet --no-db --set workload.count=@N@ --set link.loss=@LOSS@'}
if [ ! -x "$ns3" ]; then
    echo "$0: $ns3 not found; run 'make bench-ns3' or set NS3_LIFECYCLES" >&2
    exit 2
fi

now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s; else print "inf" }'; }
max() { awk -v a="$1" -v b="$2" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
field() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }

out=$(mktemp)
trap 'rm -f "$out"' EXIT INT TERM
best_ns3=0 best_tcpsim=0
r=1
while [ "$r" -le "$rounds" ]; do
    t0=$(now)
    # shellcheck disable=SC2086
    if ! timeout "$timeout_s" "$ns3" --n="$n" --shape="$shape" --loss="$loss" $ns3_args >"$out"; then
        echo "$0: ns-3 run failed, timed out or did not complete every lifecycle:" >&2
        cat "$out" >&2
        exit 1
    fi
    t1=$(now)
    wall=$(secs "$t0" "$t1")
    ns3_rate=$(rate "$n" "$wall")
    echo "round $r ns3    wall_s $wall rate $ns3_rate" \
        "(inside Simulator::Run: wall_s $(field wall_seconds "$out") rate $(field lifecycles_per_wall_second "$out"))" \
        "completed $(field lifecycles_completed "$out") peak_rss_kib $(field peak_rss_kib "$out")"
    best_ns3=$(max "$best_ns3" "$ns3_rate")

    if [ "$tcpsim" != "-" ]; then
        cmd=$(printf '%s\n' "$tcpsim_cmd" | sed -e "s|@TCPSIM@|$tcpsim|g" -e "s|@N@|$n|g" \
            -e "s|@SHAPE@|$shape|g" -e "s|@LOSS@|$loss|g")
        t0=$(now)
        # shellcheck disable=SC2086
        if ! timeout "$timeout_s" $cmd >"$out" 2>&1; then
            echo "$0: tcpsim run failed or timed out: $cmd" >&2
            cat "$out" >&2
            exit 1
        fi
        t1=$(now)
        wall=$(secs "$t0" "$t1")
        tcpsim_rate=$(rate "$n" "$wall")
        echo "round $r tcpsim wall_s $wall rate $tcpsim_rate (exit status 0)"
        best_tcpsim=$(max "$best_tcpsim" "$tcpsim_rate")
    fi
    r=$((r + 1))
done

echo "shape $shape n $n loss $loss rounds $rounds"
echo "ns3_lifecycles_per_wall_second $best_ns3"
if [ "$tcpsim" != "-" ]; then
    echo "tcpsim_lifecycles_per_wall_second $best_tcpsim"
    echo "ratio_tcpsim_over_ns3 $(awk -v a="$best_tcpsim" -v b="$best_ns3" 'BEGIN { printf "%.2f", a / b }')"
fi
