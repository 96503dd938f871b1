#!/bin/sh
# validate-kernel.sh: the handshake-plus-first-data time under random loss
# on both backends (docs/validation.md, section 3).
#
#   validate-kernel.sh [--reps N] [DIR]
#
# For loss 5% and 10% (link.loss, both directions) the scenario
# scenarios/validation-first-response.tcpsim runs N times (default 300) on
# the simulator (`tcpsim run`, seeds 100001..100000+N) and N times on this machine's
# kernel (`tcpsim kernel`, seeds 1..N: independent samples, in SHARDS at once, each
# on its own seed range, merged with `tcpsim merge`); `tcpsim stats
# --compare` prints both distributions and the two-sample Kolmogorov-Smirnov
# test, on the raw times and on times rounded down to 10 ms (the verdict:
# see docs/validation.md for why). Databases and tables go to DIR (default
# validate-kernel). Exit 1 when a run fails or the 10 ms test rejects at
# 1%; SKIP (77) without root, TUN or namespaces.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
reps=300
if [ "${1:-}" = "--reps" ]; then
    reps=$2
    shift 2
fi
out=${1:-validate-kernel}
shards=${SHARDS:-3}
scenario="$srcdir/scenarios/validation-first-response.tcpsim"

skip() { echo "validate-kernel: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (tcpsim kernel needs CAP_NET_ADMIN and CAP_SYS_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
unshare -n true 2>/dev/null || skip "cannot create network namespaces (unshare -n)"
mkdir -p "$out" || exit 99

fail=0
bad() { fail=1; echo "FAIL: $*"; }

# kernel_point LOSS: N kernel runs in $shards shards, merged into kernel-LOSS.db.
kernel_point() {
    loss=$1 per=$(( (reps + shards - 1) / shards )) seed=1 pids=""
    rm -f "$out/kernel-$loss.db" "$out"/kernel-"$loss"-shard*.db
    while [ "$seed" -le "$reps" ]; do
        n=$per
        [ $((seed + n - 1)) -gt "$reps" ] && n=$((reps - seed + 1))
        "$TCPSIM" kernel "$scenario" --set "link.loss=$loss" --seed "$seed" --reps "$n" -q \
            -o "$out/kernel-$loss-shard$seed.db" &
        pids="$pids $!"
        seed=$((seed + n))
    done
    for pid in $pids; do wait "$pid" || bad "a kernel shard at loss $loss"; done
    "$TCPSIM" merge -q "$out/kernel-$loss.db" "$out"/kernel-"$loss"-shard*.db || bad "merge $loss"
    rm -f "$out"/kernel-"$loss"-shard*.db
}

for loss in 5% 10%; do
    rm -f "$out/sim-$loss.db"
    "$TCPSIM" run "$scenario" --set "link.loss=$loss" --seed 100001 --reps "$reps" -q \
        -o "$out/sim-$loss.db" || bad "tcpsim run at loss $loss"
    kernel_point "$loss"
    echo "== loss $loss, $reps runs per backend"
    "$TCPSIM" stats "$out/sim-$loss.db" --compare "$out/kernel-$loss.db" | tee "$out/raw-$loss.txt"
    "$TCPSIM" stats "$out/sim-$loss.db" --compare "$out/kernel-$loss.db" --resolution 10ms --check \
        | tail -n 1 | tee "$out/10ms-$loss.txt"
    grep -q 'no difference at the 1% level' "$out/10ms-$loss.txt" ||
        bad "loss $loss: the distributions differ at 10 ms (or no test)"
done
[ $fail = 0 ] && echo "validate-kernel: PASS" || echo "validate-kernel: FAIL"
exit $fail
