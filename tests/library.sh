#!/bin/sh
# library.sh: the shipped scenarios by name. `tcpsim list` names every
# scenario of scenarios/ with its first comment line; `tcpsim run NAME`
# finds one from any directory; a file of that name in the working
# directory is never shadowed.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
case $TCPSIM in /*) ;; *) TCPSIM=$(pwd)/$TCPSIM ;; esac
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

"$TCPSIM" list >"$tmp/list" || bad "tcpsim list failed"
for file in "$srcdir"/scenarios/*.tcpsim; do
    name=$(basename "$file" .tcpsim)
    grep -q "^  $name " "$tmp/list" || bad "tcpsim list misses $name"
done
if grep -q '^  lost-final-ack  *why TIME_WAIT exists\.$' "$tmp/list"; then ok; else
    bad "tcpsim list: no first comment line for lost-final-ack"; fi

# By name, from a directory with no scenarios in it.
if (cd "$tmp" && "$TCPSIM" run handshake --no-db -q); then ok; else
    bad "tcpsim run handshake from $tmp"; fi
# A file of one's own wins over the library.
printf 'this is not a scenario\n' >"$tmp/handshake"
if (cd "$tmp" && "$TCPSIM" run handshake --no-db -q 2>/dev/null); then
    bad "tcpsim run handshake ran the library's, not ./handshake"; else ok; fi
if (cd "$tmp" && "$TCPSIM" run no-such-scenario --no-db -q 2>/dev/null); then
    bad "an unknown name ran"; else ok; fi

# make install installs every scenario: each file is in Makefile.am's lists
# (automake wants them written out).
for file in "$srcdir"/scenarios/*.tcpsim "$srcdir"/scenarios/linux/*.tcpsim; do
    name=${file#"$srcdir"/}
    if grep -q "$name" "$srcdir/Makefile.am"; then ok; else
        bad "$name is not in Makefile.am's scenario_DATA / linuxscenario_DATA: make install would leave it out"; fi
done

echo "library: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
