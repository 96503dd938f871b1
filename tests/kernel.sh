#!/bin/sh
# tests/kernel.sh: the simulator's linux profile against the real kernel.
# Every shipped scenario that can run on the kernel (no workloads) runs once
# on each backend, both hosts on the linux profile, all in parallel; the
# state path of every (host, connection) is compared and a table printed:
# scenario | equivalent | first difference. A path difference fails, as
# does a kernel run that is not recorded or not marked `linux ...` in
# runs.stack (timing differences are docs/fidelity.md's, not checked here). SKIP (77) without root, TUN, namespaces,
# tracefs or the sqlite3 shell. About 140 s: syn-retries-exhausted takes
# Linux's 134 s, the TIME_WAITs 60 s.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}

skip() { echo "kernel: SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "not root (tcpsim kernel needs CAP_NET_ADMIN and CAP_SYS_ADMIN)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
[ -d /sys/kernel/tracing ] || skip "no tracefs at /sys/kernel/tracing"
command -v sqlite3 >/dev/null 2>&1 || skip "no sqlite3 shell"
unshare -n true 2>/dev/null || skip "cannot create network namespaces (unshare -n)"

scenarios="abort half-close handshake lost-final-ack lost-syn lost-synack refused
simultaneous-close simultaneous-open syn-retries-exhausted
zero-window close-unread linger-zero shutdown-late-answer close-late-answer"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

run_both() {
    s=$1
    sets=$(awk '$1 == "host" { printf "--set %s.profile=linux ", $2 }' "$srcdir/scenarios/$s.tcpsim")
    # shellcheck disable=SC2086
    "$TCPSIM" run "$srcdir/scenarios/$s.tcpsim" $sets --no-expect -q -o "$work/$s.sim.db" \
        > "$work/$s.sim.out" 2>&1
    # shellcheck disable=SC2086
    "$TCPSIM" kernel "$srcdir/scenarios/$s.tcpsim" $sets --no-expect -q -o "$work/$s.kernel.db" \
        > "$work/$s.kernel.out" 2>&1
    echo $? > "$work/$s.kernel.rc"
}

started=$(date +%s)
for s in $scenarios; do
    run_both "$s" &
done
wait

# One line per (host, connection): "host conn: STATE STATE ...", then
# one per application call: "host call: call result" (the calls table).
paths() {
    sqlite3 "$1" "SELECT host || ' ' || conn_id || ':', from_state, group_concat(to_state, ' ')
                  FROM (SELECT * FROM transitions WHERE conn_id > 0 ORDER BY host, conn_id, seq)
                  GROUP BY host, conn_id ORDER BY host, conn_id" | sed 's/|/ /g'
    sqlite3 "$1" "SELECT host || ' call:', call, result FROM calls ORDER BY host, seq" | sed 's/|/ /g'
}

failures=0
printf '%-22s | %-10s | %s\n' scenario equivalent "first difference"
for s in $scenarios; do
    rc=$(cat "$work/$s.kernel.rc")
    stack=$(sqlite3 "$work/$s.kernel.db" "SELECT stack FROM runs" 2>/dev/null)
    if [ "$rc" != 0 ] || [ "${stack#linux }" = "$stack" ]; then
        printf '%-22s | %-10s | %s\n' "$s" error "kernel run: exit $rc, stack '$stack': $(head -c 200 "$work/$s.kernel.out")"
        failures=$((failures + 1))
        continue
    fi
    paths "$work/$s.sim.db" > "$work/$s.sim.paths"
    paths "$work/$s.kernel.db" > "$work/$s.kernel.paths"
    first=$(diff "$work/$s.sim.paths" "$work/$s.kernel.paths" | grep '^[<>]' | head -n 2 | tr '\n' ' ')
    if [ -z "$first" ]; then
        printf '%-22s | %-10s | %s\n' "$s" yes ""
    else
        printf '%-22s | %-10s | %s\n' "$s" no "$first"
        failures=$((failures + 1))
    fi
done
echo "kernel: $(($(date +%s) - started)) s wall; < simulator, > kernel"
[ "$failures" -eq 0 ] || { echo "kernel: $failures scenario(s) differ"; exit 1; }
echo "kernel: every state path equals the simulator's"
