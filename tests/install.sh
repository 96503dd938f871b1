#!/bin/sh
# tests/install.sh: `make install` installs the command, its man page, the
# scenario library and the docs, and the installed tcpsim runs a shipped
# scenario by name from any directory and lists the library.
#
#   tests/install.sh              make check: `make install DESTDIR=TMP` from
#                                 this build tree, then the checks on TMP
#   tests/install.sh --installed BIN PKGDATADIR DOCDIR MANDIR
#                                 make installcheck: the files of a real
#                                 install, where tcpsim must read its library
#                                 from PKGDATADIR (a DESTDIR install cannot
#                                 show that: the binary has the final path
#                                 compiled in and falls back to the source tree)
set -u
srcdir=${srcdir:-.}
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
checked=0 failures=0    # checks passed and failed
check() { checked=$((checked + 1)); }
bad() { failures=$((failures + 1)); echo "FAIL: $*"; }

if [ "${1:-}" = --installed ]; then
    bin=$2 library=$3/scenarios docdir=$4 mandir=$5 installed=yes
else
    ${MAKE:-make} -s install DESTDIR="$tmp/dest" >"$tmp/install.log" 2>&1 ||
        { cat "$tmp/install.log"; echo "FAIL: make install DESTDIR=$tmp/dest"; exit 1; }
    bin=$(find "$tmp/dest" -type f -name tcpsim -path '*/bin/*')
    library=$(dirname "$(find "$tmp/dest" -type f -name handshake.tcpsim | head -n 1)")
    docdir=$(dirname "$(find "$tmp/dest" -type f -name teaching.md | head -n 1)")
    mandir=$(dirname "$(dirname "$(find "$tmp/dest" -type f -name tcpsim.1 | head -n 1)")")
    installed=no
fi
[ -x "$bin" ] || { echo "FAIL: no installed tcpsim ($bin)"; exit 1; }

# Every shipped scenario and every doc is installed.
for file in "$srcdir"/scenarios/*.tcpsim "$srcdir"/scenarios/linux/*.tcpsim; do
    name=${file#"$srcdir"/scenarios/}
    if cmp -s "$file" "$library/$name"; then check; else bad "$name is not installed in $library"; fi
done
for file in README.md docs/teaching.md docs/scenario-language.md docs/queries.md docs/sweeps.md \
    docs/schema.md docs/fidelity.md docs/validation.md docs/state-diagram.svg; do
    if cmp -s "$srcdir/$file" "$docdir/$(basename "$file")"; then check; else bad "$file is not installed in $docdir"; fi
done
if [ -f "$mandir/man1/tcpsim.1" ]; then check; else bad "no man page in $mandir/man1"; fi

# From a directory with no scenarios in it: the library by name, and its list.
mkdir "$tmp/elsewhere"
if (cd "$tmp/elsewhere" && "$bin" run handshake -q -o hs.db) && [ -s "$tmp/elsewhere/hs.db" ]; then check; else
    bad "installed tcpsim run handshake from $tmp/elsewhere"; fi
(cd "$tmp/elsewhere" && "$bin" list) >"$tmp/list" 2>&1 || bad "installed tcpsim list failed"
for file in "$srcdir"/scenarios/*.tcpsim; do
    name=$(basename "$file" .tcpsim)
    grep -q "^  $name " "$tmp/list" || bad "installed tcpsim list misses $name"
done
if [ $installed = yes ]; then
    if grep -qx "scenarios in $library:" "$tmp/list"; then check; else
        bad "installed tcpsim list does not read $library:"; sed 1q "$tmp/list"; fi
fi

echo "install: $checked passed, $failures failed"
[ "$failures" -eq 0 ]
