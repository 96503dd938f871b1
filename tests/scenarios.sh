#!/bin/sh
# scenarios.sh: every shipped scenario runs and meets its own expectations,
# and together the library visits all eleven RFC 9293 states.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for scenario in "$srcdir"/scenarios/*.tcpsim "$srcdir"/scenarios/linux/*.tcpsim; do
    name=$(basename "$scenario" .tcpsim)
    if "$TCPSIM" run "$scenario" -o "$tmp/library.db" >"$tmp/$name.out" 2>&1; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "FAIL: $name"
        cat "$tmp/$name.out"
    fi
done
states=$(sqlite3 "$tmp/library.db" \
    "SELECT count(*) FROM (SELECT from_state AS s FROM transitions UNION SELECT to_state FROM transitions)")
if [ "$states" = 11 ]; then
    pass=$((pass + 1))
else
    fail=$((fail + 1))
    echo "FAIL: the library visits $states states, not 11"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
