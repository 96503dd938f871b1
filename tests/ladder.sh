#!/bin/sh
# ladder.sh: the ladder diagrams of the shipped scenarios, byte for byte.
# tests/golden/NAME.txt is the spec: `tcpsim ladder --ascii --width 100
# --color=never` of each teaching scenario (workloads: connection 1), plus
# handshake with --explain, with --relative and in Unicode, and at 80
# columns the cases where labels and arrows in flight used to collide. A change to a
# golden file is a reviewed change: regenerate them with `make update-golden`
# (UPDATE_GOLDEN=1 runs this script in writing mode), then read the diff.
# Also: `run --ladder --no-db` draws the same picture as `ladder DB`, every
# transition of the library has a specific --explain line, the options are
# checked, and `tcpsim dot` writes the observed state diagram.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
golden="$srcdir/tests/golden"
update=${UPDATE_GOLDEN:-0}
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

# The database of a scenario's first run, made once.
db_of() { # scenario
    if [ ! -s "$tmp/$1.db" ]; then
        "$TCPSIM" run "$srcdir/scenarios/$1.tcpsim" --reps 1 -o "$tmp/$1.db" -q ||
            [ -s "$tmp/$1.db" ] || bad "$1: the run failed"
    fi
    echo "$tmp/$1.db"
}

# golden-name scenario ladder-options...
cases='
abort                  abort                  --ascii
close-wait-leak        close-wait-leak        --ascii --conn 1
half-close             half-close             --ascii
handshake              handshake              --ascii
lossy-link             lossy-link             --ascii --conn 1
lost-final-ack         lost-final-ack         --ascii
lost-syn               lost-syn               --ascii
lost-synack            lost-synack            --ascii
refused                refused                --ascii
simultaneous-close     simultaneous-close     --ascii
simultaneous-open      simultaneous-open      --ascii
syn-retries-exhausted  syn-retries-exhausted  --ascii
time-wait-accumulation time-wait-accumulation --ascii --conn 1
handshake.explain      handshake              --ascii --explain
handshake.relative     handshake              --ascii --relative
handshake.unicode      handshake
lossy-link.conn19.w80  lossy-link             --ascii --conn 19 --width 80
close-wait-leak.w80    close-wait-leak        --ascii --conn 1 --width 80
lost-synack.w80        lost-synack            --ascii --width 80
half-close.compact     half-close             --ascii --compact
'
: >"$tmp/failures"
: >"$tmp/compared"
echo "$cases" | while read -r name scenario options; do
    [ -n "$name" ] || continue
    db=$(db_of "$scenario")
    # shellcheck disable=SC2086 # options are words
    "$TCPSIM" ladder "$db" --width 100 --color=never $options >"$tmp/$name.txt" ||
        echo "FAIL: $name: tcpsim ladder failed" >>"$tmp/failures"
    if [ "$update" = 1 ]; then
        cp "$tmp/$name.txt" "$golden/$name.txt"
    elif ! cmp -s "$tmp/$name.txt" "$golden/$name.txt"; then
        {
            echo "FAIL: $name: the ladder differs from tests/golden/$name.txt" \
                 "(if the change is right: make update-golden, and review the diff)"
            diff "$golden/$name.txt" "$tmp/$name.txt" | head -20
        } >>"$tmp/failures"
    fi
    echo "$name" >>"$tmp/compared"
done
[ "$update" = 1 ] && { echo "golden files written to $golden"; exit 0; }
cat "$tmp/failures"
failed=$(grep -c '^FAIL' "$tmp/failures")
fail=$((fail + failed))
pass=$((pass + $(wc -l <"$tmp/compared") - failed))

# run --ladder draws the run it just made, from an in-memory database with
# --no-db: the same picture as the golden file.
"$TCPSIM" run "$srcdir/scenarios/handshake.tcpsim" --no-db --ladder --ascii --width 100 \
    --color=never -q >"$tmp/run-ladder.txt"
if cmp -s "$tmp/run-ladder.txt" "$golden/handshake.txt"; then ok; else
    bad "run --no-db --ladder differs from tests/golden/handshake.txt"
fi
"$TCPSIM" run "$srcdir/scenarios/lost-syn.tcpsim" --explain --ascii --width 100 \
    --color=never -o "$tmp/implied.db" >"$tmp/implied.txt"
if grep -q 'SYN_SENT: our SYN is ACKed' "$tmp/implied.txt" && grep -q '^recorded in' "$tmp/implied.txt"
then ok; else bad "run --explain does not imply --ladder"; fi

# Every transition of the library has its own --explain line (a generic
# line says "see 3.10..."): the shipped scenarios, connection 1 of each.
for scenario in abort close-wait-leak half-close handshake lossy-link lost-final-ack lost-syn \
    lost-synack refused simultaneous-close simultaneous-open syn-retries-exhausted \
    time-wait-accumulation; do
    "$TCPSIM" ladder "$(db_of "$scenario")" --explain --ascii --width 200 --color=never
done >"$tmp/explained.txt"
if grep -q '(see 3\.10' "$tmp/explained.txt"; then
    bad "transitions without a specific --explain line:"
    grep '(see 3\.10' "$tmp/explained.txt" | sort -u | head
else ok; fi

# A segment that changes no state has its line too: lost-final-ack's
# TIME_WAIT answers the retransmitted FIN (once: the first ACK has the
# transition's line).
"$TCPSIM" ladder "$(db_of lost-final-ack)" --explain --ascii --width 100 >"$tmp/re-ack.txt"
if [ "$(grep -c "TIME_WAIT: the peer's FIN came again" "$tmp/re-ack.txt")" = 1 ]; then ok; else
    bad "lost-final-ack --explain: no single line for the TIME_WAIT re-ACK"; fi

# Options and errors.
db=$(db_of handshake)
expect_status 0 "ladder --help" "$TCPSIM" ladder --help
expect_status 2 "ladder without a database" "$TCPSIM" ladder
expect_status 2 "no such run" "$TCPSIM" ladder "$db" --run 99
expect_status 2 "no such connection" "$TCPSIM" ladder "$db" --conn 99
expect_status 2 "bad width" "$TCPSIM" ladder "$db" --width 10
expect_status 2 "bad colour" "$TCPSIM" ladder "$db" --color=sometimes
expect_status 2 "not a database" "$TCPSIM" ladder "$srcdir/scenarios/handshake.tcpsim"
"$TCPSIM" ladder "$db" --color=always >"$tmp/color.txt"
if grep -q "$(printf '\033')\[" "$tmp/color.txt"; then ok; else bad "--color=always wrote no colour"; fi
"$TCPSIM" ladder "$db" >"$tmp/auto.txt"
if grep -q "$(printf '\033')" "$tmp/auto.txt"; then bad "colour into a pipe with --color=auto"; else ok; fi
COLUMNS=72 "$TCPSIM" ladder "$db" --ascii >"$tmp/narrow.txt"
longest=$(awk '{ if (length > n) n = length } END { print n }' "$tmp/narrow.txt")
if [ "$longest" -le 72 ]; then ok; else bad "COLUMNS=72 gave lines of $longest columns"; fi
"$TCPSIM" ladder "$(db_of close-wait-leak)" --conn all --ascii --width 100 --color=never \
    >"$tmp/all.txt"
if grep -q '#100 CLOSE_WAIT' "$tmp/all.txt"; then ok; else bad "--conn all misses connection 100"; fi

# --from/--to: a window with each host's state when it opens; the title
# names the --set settings of the run.
"$TCPSIM" ladder "$(db_of lost-final-ack)" --from 2s --to 3.05s --ascii --width 100 \
    >"$tmp/window.txt"
if grep -q 'FIN_WAIT_2 | *from here *| CLOSE_WAIT' "$tmp/window.txt" &&
    ! grep -q 'SYN' "$tmp/window.txt" && grep -q 'end of window (states at 3.050 s)' "$tmp/window.txt"
then ok; else bad "--from/--to: unexpected window:"; cat "$tmp/window.txt"; fi
expect_status 2 "--to before --from" "$TCPSIM" ladder "$db" --from 2s --to 1s
expect_status 2 "--from without a unit" "$TCPSIM" ladder "$db" --from 2
"$TCPSIM" run "$srcdir/scenarios/handshake.tcpsim" --no-db --no-expect --set link.delay=200ms \
    --ladder --ascii --width 100 -q >"$tmp/set.txt"
if head -n 1 "$tmp/set.txt" | grep -q 'absolute seq/ack; --set link.delay=200ms$'; then ok; else
    bad "the title does not name --set: $(head -n 1 "$tmp/set.txt")"; fi

# dot: the observed diagram, an edge per transition with cause and count.
expect_status 0 "dot" "$TCPSIM" dot "$db" -o "$tmp/handshake.dot"
if grep -q 'SYN_SENT -> ESTABLISHED \[label="rcv SYN|ACK ×1"' "$tmp/handshake.dot" &&
    ! grep -q '^  CLOSING' "$tmp/handshake.dot"; then ok; else bad "dot: unexpected graph"; fi
"$TCPSIM" dot "$db" --all-states >"$tmp/all-states.dot"
if grep -q '^  CLOSING \[color=grey' "$tmp/all-states.dot"; then ok; else
    bad "dot --all-states does not draw CLOSING faded"
fi
# The RFC's edges no run took are the grey backdrop; observed edges are in
# the colour of their host's role (handshake: the server listens).
if grep -q '^  LISTEN -> SYN_SENT \[label="SEND\\nsnd SYN", color=grey75' "$tmp/all-states.dot" &&
    ! grep -q '^  SYN_SENT -> ESTABLISHED \[.*grey' "$tmp/all-states.dot" &&
    grep -q '^  CLOSED -> LISTEN \[label="app LISTEN ×1", color="#d95f02"' "$tmp/all-states.dot" &&
    grep -q '^  CLOSED -> SYN_SENT \[label="app CONNECT ×1", color="#1f77b4"' "$tmp/all-states.dot"
then ok; else bad "dot --all-states: no RFC backdrop or no colours by role"; fi
expect_status 2 "dot: no such run" "$TCPSIM" dot "$db" --run 99
if command -v dot >/dev/null 2>&1; then
    if dot -Tsvg "$tmp/all-states.dot" -o "$tmp/all-states.svg"; then ok; else
        bad "graphviz rejects the output of tcpsim dot"
    fi
fi

# pcap: usage errors.
expect_status 2 "pcap without -o" "$TCPSIM" pcap "$db"
expect_status 2 "pcap: no such host" "$TCPSIM" pcap "$db" -o "$tmp/x.pcap" --side nobody
expect_status 2 "pcap: no such run" "$TCPSIM" pcap "$db" -o "$tmp/x.pcap" --run 99

# A row the reader cannot parse is refused by name (exit 2), not drawn.
if command -v sqlite3 >/dev/null 2>&1; then
    cp "$db" "$tmp/bad.db"
    sqlite3 "$tmp/bad.db" "UPDATE segment_rows SET fate = 9 WHERE seg_id = 2"
    expect_status 2 "pcap: a bad segment" "$TCPSIM" pcap "$tmp/bad.db" -o "$tmp/bad.pcap"
    expect_status 2 "ladder: a bad segment" "$TCPSIM" ladder "$tmp/bad.db"
    if grep -q "bad.db: run 1, segment 2: fate '?9' is not a segment fate" "$tmp/err"
    then ok; else bad "ladder: the bad row is not named:"; cat "$tmp/err"; fi
    sqlite3 "$tmp/bad.db" "UPDATE stays SET cause = 99 WHERE seq = 1"
    expect_status 2 "dot: a bad cause" "$TCPSIM" dot "$tmp/bad.db"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
