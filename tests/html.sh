#!/bin/sh
# html.sh: the HTML page in a real browser. For a few shipped scenarios,
# `tcpsim run --html` writes the page and headless Chromium loads it with
# #selftest, which makes the page's own script step through every event of
# every connection and write what it shows into <pre id="selftest">. The test
# fails on any console message (the page logs nothing, so any message is an
# error or an uncaught exception), when the number of arrows differs from
# the run's segments in the database, or when stepping to a transition does
# not show the database's state, both as the ladder's label and as the lit
# box of the host's state diagram. A screenshot of each page at its last
# event goes to tests/screenshots/ of the build tree for review. Skipped
# (exit 77) without Chromium (Debian's chromium; ./bootstrap installs it)
# or the sqlite3 shell.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
browser=""
for name in chromium chromium-browser google-chrome; do
    command -v "$name" >/dev/null 2>&1 && { browser=$name; break; }
done
if [ -z "$browser" ]; then
    echo "SKIP: no headless Chromium (Debian package chromium; ./bootstrap installs it)"
    exit 77
fi
if ! command -v sqlite3 >/dev/null 2>&1; then
    echo "SKIP: the sqlite3 shell is not installed (./bootstrap installs it)"
    exit 77
fi
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# One profile per call, so parallel tests and a user's browser do not meet.
chrome() { # args...
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --user-data-dir="$tmp/profile" --enable-logging=stderr --v=0 "$@"
}

shots=${SCREENSHOT_DIR:-tests/screenshots} # `make screenshots` writes docs/screenshots/
mkdir -p "$shots" 2>/dev/null || shots=""

for scenario in handshake lost-final-ack simultaneous-close lossy-link; do
    db=$tmp/$scenario.db page=$tmp/$scenario.html
    if ! "$TCPSIM" run "$srcdir/scenarios/$scenario.tcpsim" -q -o "$db" --html "$page"; then
        bad "$scenario: tcpsim run --html failed"
        continue
    fi
 # The page from the database is the page of the live run: the same arrows
    # and state labels (data-seg-id, data-state), in the same order.
    if "$TCPSIM" html "$db" --run 1 -q -o "$tmp/replayed.html"; then
        elements() { grep -o 'data-seg-id="[^"]*"\|data-state="[^"]*"' "$1"; }
        elements "$page" >"$tmp/live-elements"
        elements "$tmp/replayed.html" >"$tmp/replayed-elements"
        if [ -s "$tmp/live-elements" ] && cmp -s "$tmp/live-elements" "$tmp/replayed-elements"
        then ok; else
            bad "$scenario: tcpsim html's page differs from run --html's:"
            diff "$tmp/live-elements" "$tmp/replayed-elements" | head -n 10
        fi
    else
        bad "$scenario: tcpsim html failed"
    fi
    chrome --dump-dom "file://$page#selftest" >"$tmp/dom" 2>"$tmp/log"
    if grep -q 'CONSOLE' "$tmp/log"; then
        bad "$scenario: the console says:"
        grep 'CONSOLE' "$tmp/log" | sed 's/^/    /'
    else ok; fi
    sed -n '/<pre id="selftest">/,/<\/pre>/p' "$tmp/dom" | sed 's/<[^>]*>//g' >"$tmp/shown"
    grep '^error' "$tmp/shown" && bad "$scenario: the page's script raised errors"
    arrows=$(sed -n 's/^arrows //p' "$tmp/shown")
    segments=$(sqlite3 "$db" 'SELECT count(*) FROM segments WHERE run_id = 1')
    if [ "${arrows:-none}" = "$segments" ]; then ok; else
        bad "$scenario: $arrows arrows in the page, $segments segments in the run"; fi
    # conn host label lit time: the label and the lit box must both be the state.
    awk 'NF == 5 && $3 != $4 { print "label " $3 " but diagram " $4 " (" $0 ")" }' \
        "$tmp/shown" >"$tmp/mismatch"
    if [ -s "$tmp/mismatch" ]; then bad "$scenario: $(cat "$tmp/mismatch")"; else ok; fi
    awk 'NF == 5 { print $2, $3, $5 }' "$tmp/shown" | sort >"$tmp/page-states"
    sqlite3 -separator ' ' "$db" \
        'SELECT host, to_state, t_ns FROM transitions WHERE run_id = 1' | sort >"$tmp/db-states"
    if [ -s "$tmp/db-states" ] && cmp -s "$tmp/page-states" "$tmp/db-states"; then ok; else
        bad "$scenario: the states shown differ from the database's transitions:"
        diff "$tmp/db-states" "$tmp/page-states" | head -n 10
    fi
    if [ -n "$shots" ]; then
        # The first connection that lost a segment, else the first one.
        conn=$(sqlite3 "$db" "SELECT coalesce((SELECT min(conn_id) FROM segments WHERE run_id = 1
                AND fate <> 'delivered'), 1)")
        chrome --window-size=1600,1000 --screenshot="$shots/$scenario.png" \
            "file://$page#conn=$conn&step=100000" >/dev/null 2>&1
        if [ -s "$shots/$scenario.png" ]; then ok; else bad "$scenario: no screenshot"; fi
    fi
done

# --quiz opens the page in quiz mode, from the database as from the run.
db=$tmp/lost-final-ack.db
if "$TCPSIM" html "$db" --quiz -q -o "$tmp/quiz.html" &&
    "$TCPSIM" run "$srcdir/scenarios/lost-final-ack.tcpsim" -q --no-db --html "$tmp/quiz-live.html" --quiz &&
    grep -q '^<body class="quiz">' "$tmp/quiz.html" && grep -q '"quiz":true' "$tmp/quiz.html" &&
    grep -q '^<body class="quiz">' "$tmp/quiz-live.html"; then ok; else
    bad "--quiz: the page does not open in quiz mode"
fi
if "$TCPSIM" html "$db" --conn 99 -o "$tmp/none.html" 2>"$tmp/err"; then
    bad "tcpsim html --conn 99 accepted a connection the run does not have"
elif grep -q 'has no connection 99' "$tmp/err"; then ok; else
    bad "tcpsim html --conn 99: $(cat "$tmp/err")"
fi

echo "html: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
