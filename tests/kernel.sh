#!/bin/sh
# tests/kernel.sh: the simulator's linux profile against the real kernel.
# Every shipped scenario that can run on the kernel (no workloads) runs once
# on each backend, both hosts on the linux profile, all in parallel, and
# `tcpsim compare` judges each pair: state paths, segments, and times within
# packetdrill's tolerance. A table is printed: scenario | equivalent | first
# difference. A difference that docs/fidelity.md explains is reported as
# known, naming its fidelity item (known() below), and passes; any other
# difference fails, as does a kernel run that is not recorded or not marked
# `linux ...` in runs.stack. SKIP (77) without root, TUN, namespaces or
# tracefs. About 140 s: syn-retries-exhausted takes Linux's 134 s, the
# TIME_WAITs 60 s.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}

skip() { echo "kernel: SKIP: $*"; exit 77; }
# .ci/run's release stage (make distcheck) sets this rather than spend the
# same real minutes again on the same code.
[ "${TCPSIM_KERNEL_TESTS:-}" = skip ] && skip "TCPSIM_KERNEL_TESTS=skip (.ci/run's other stages run it)"
[ "$(id -u)" = 0 ] || skip "not root (tcpsim kernel needs CAP_NET_ADMIN and CAP_SYS_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -d /sys/kernel/tracing ] || skip "no tracefs at /sys/kernel/tracing"
unshare -n true 2>/dev/null || skip "cannot create network namespaces (unshare -n)"

scenarios="abort half-close handshake lost-final-ack lost-syn lost-synack refused
simultaneous-close simultaneous-open syn-retries-exhausted
zero-window close-unread linger-zero shutdown-late-answer close-late-answer
user-timeout"
# scenarios/linux/ are written for the linux profile: their expectations
# (timings included) must hold on both backends.
scenarios="$scenarios $(cd "$srcdir/scenarios" && ls linux/*.tcpsim | sed 's/[.]tcpsim$//')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/linux"

run_both() {
    s=$1
    sets=$(awk '$1 == "host" { printf "--set %s.profile=linux ", $2 }' "$srcdir/scenarios/$s.tcpsim")
    expect=--no-expect
    case $s in linux/*) expect= ;; esac
    kernel_expect=$expect
    # Whether Linux sends one SYN-ACK or two there depends on its timer
    # wheel's phase since boot (docs/fidelity.md): not an expectation there.
    case $s in linux/synack-timer) kernel_expect=--no-expect ;; esac
    # shellcheck disable=SC2086
    "$TCPSIM" run "$srcdir/scenarios/$s.tcpsim" $sets $expect -q -o "$work/$s.sim.db" \
        > "$work/$s.sim.out" 2>&1
    # shellcheck disable=SC2086
    "$TCPSIM" kernel "$srcdir/scenarios/$s.tcpsim" $sets $kernel_expect -q -o "$work/$s.kernel.db" \
        > "$work/$s.kernel.out" 2>&1
    echo $? > "$work/$s.kernel.rc"
}

started=$(date +%s)
for s in $scenarios; do
    run_both "$s" &
done
wait

# The docs/fidelity.md item that explains a `difference:` line of tcpsim
# compare, or nothing when none does. A timing difference cannot be told
# apart by its numbers alone: late timers, scheduling latency and Linux's
# delayed ACK are the three timing items.
known() { # difference-line scenario
    case $2:$1 in
    lost-synack:*"client segments #"*": flags FIN|ACK vs ACK"|linux/synack-timer:*)
        echo "fidelity.md: the timer wheel's phase decides whether the SYN-ACK timer and the retransmitted SYN coincide" ;;
    zero-window:*"server segments #"*": ack "*" vs "*)
        echo "fidelity.md: Linux's receive buffer and ACK pattern in a bulk transfer (zero-window)" ;;
    linux/send-buffer:*"segments #"*)
        echo "fidelity.md: Linux counts skb truesize against SO_SNDBUF (send buffer)" ;;
    linux/time-wait-reopen:*"connection only in A"*)
        echo "fidelity.md: a reopened TIME_WAIT is one connection in kernel runs" ;;
    *) known_any "$1" ;;
    esac
}

known_any() {
    case $1 in
    *": timing "*) echo "fidelity.md: timing (late timers, scheduling latency, delayed ACK)" ;;
    *": flags RST vs RST|ACK") echo "fidelity.md: an abort sends RST|ACK" ;;
    *"server segments #"*": flags SYN|ACK vs ACK")
        echo "fidelity.md: Linux restarts the SYN-ACK timer on a retransmitted SYN" ;;
    *": len "*" vs "*)
        a=${1##*: len } b=${a#* vs } a=${a%% vs *}
        [ $((a - b)) = 12 ] && echo "fidelity.md: timestamps take 12 bytes of a full segment" ;;
    *) echo "" ;;
    esac
}

row() { printf '%-22s | %-10s | %s\n' "$1" "$2" "$3"; }

failures=0
row scenario equivalent "first difference"
for s in $scenarios; do
    rc=$(cat "$work/$s.kernel.rc")
    "$TCPSIM" compare "$work/$s.sim.db" "$work/$s.kernel.db" > "$work/$s.compare" 2>&1
    compared=$?
    stack=$(sed -n 's/^B: .* stack \(.*\), [0-9]* connection(s)$/\1/p' "$work/$s.compare")
    if [ "$rc" != 0 ] || [ "$compared" -gt 1 ] || [ "${stack#linux }" = "$stack" ]; then
        row "$s" error "kernel run: exit $rc, compare: exit $compared, stack '$stack': $(cat "$work/$s.kernel.out" "$work/$s.compare" | head -c 200)"
        failures=$((failures + 1))
        continue
    fi
    if [ "$compared" = 0 ]; then
        row "$s" yes ""
        continue
    fi
    # The first divergence decides the row: later divergences of the other
    # streams follow from it (a shorter segment, then every ack after it),
    # so they are not judged apart. Every timing difference is judged.
    first=$(sed -n 's/^result: differ .*; first divergence: //p' "$work/$s.compare")
    { [ -z "$first" ] || echo "$first"; grep '^difference: .*: timing ' "$work/$s.compare" |
        sed 's/^difference: //'; } > "$work/$s.judged"
    unexplained="" explained=""
    while IFS= read -r line; do
        item=$(known "$line" "$s")
        if [ -z "$item" ]; then
            [ -n "$unexplained" ] || unexplained=$line
        elif [ -z "$explained" ]; then
            explained="$line [$item]"
        fi
    done < "$work/$s.judged"
    if [ -n "$unexplained" ]; then
        row "$s" no "$unexplained"
        cp "$work/$s.compare" "$work/failed.$s"
        failures=$((failures + 1))
    else
        row "$s" known "$explained"
    fi
done
for f in "$work"/failed.*; do
    [ -e "$f" ] || continue
    echo "== tcpsim compare, ${f##*/failed.}: A simulator, B kernel"
    cat "$f"
done
# inject on the kernel: the packet goes into the server's TUN with correct
# checksums, so Linux answers the stray ACK with RST seq=SEG.ACK.
"$TCPSIM" kernel "$srcdir/scenarios/stray-ack.tcpsim" --set client.profile=linux \
    --set server.profile=linux --no-expect -q -o "$work/inject.db" > "$work/inject.out" 2>&1
injected=$(sqlite3 "$work/inject.db" "SELECT count(*) FROM segments WHERE injected = 1" 2>/dev/null)
reset=$(sqlite3 "$work/inject.db" "SELECT count(*) FROM segments WHERE sender = 'server'
                                   AND flags = 'RST' AND seq = 999" 2>/dev/null)
if [ "$injected" = 1 ] && [ "$reset" = 1 ]; then
    printf '%-22s | %-10s | %s\n' "inject (stray-ack)" yes "RST seq=999 from the kernel"
else
    printf '%-22s | %-10s | %s\n' "inject (stray-ack)" no "injected $injected, RST seq=999 $reset: $(head -c 200 "$work/inject.out")"
    failures=$((failures + 1))
fi
# `make validate-kernel` in small: 10 runs per backend at 5% and 10% loss.
if TCPSIM="$TCPSIM" srcdir="$srcdir" SHARDS=2 sh "$srcdir/tests/validate-kernel.sh" --reps 10 \
    "$work/validate-kernel" > "$work/validate-kernel.out" 2>&1; then
    printf '%-22s | %-10s | %s\n' "validate-kernel x10" yes "first-data times: no difference at 1%"
else
    printf '%-22s | %-10s | %s\n' "validate-kernel x10" no "$(grep FAIL "$work/validate-kernel.out" | head -c 200)"
    failures=$((failures + 1))
fi
echo "kernel: $(($(date +%s) - started)) s wall; A simulator, B kernel (tcpsim compare A B)"
[ "$failures" -eq 0 ] || { echo "kernel: $failures scenario(s) differ without a docs/fidelity.md reason"; exit 1; }
echo "kernel: every scenario is equivalent or differs only as docs/fidelity.md says"
