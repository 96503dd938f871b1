#!/bin/bash
# tests/docs.sh: the docs are tests (docs/hacking.md, "Docs are tests"). Every
# `sh` block of each doc runs in document order in one fresh directory per doc
# (a copy of scenarios/, an empty results/, tcpsim and ./tcpsim the built
# binary); a failing command fails the test with DOC:LINE. A `text` block
# right after a command block (blank lines or one prose line between) is its
# expected stdout+stderr, compared with tests/docs.awk's wildcards.
# `<!-- doctest: skip REASON -->` on the line before a block skips it; without
# root and network namespaces, blocks that run `tcpsim kernel` are skipped.
# Either way, later blocks that name a file a skipped block writes (`-o FILE`)
# are skipped too, each with the reason printed.
# UPDATE_DOCS=1 (make update-docs) rewrites each `text` block from what its
# commands print now, keeping the wildcard lines that still match.
#
# bash and awk because the build needs nothing else: awk splits a doc into
# blocks and aligns output, bash runs the commands as a reader would.
# Usage: tests/docs.sh [DOC...]   (default: every doc with command blocks)
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
case $TCPSIM in /*) ;; *) TCPSIM=$(pwd)/$TCPSIM ;; esac
case $srcdir in /*) ;; *) srcdir=$(pwd)/$srcdir ;; esac
update=${UPDATE_DOCS:-}
docs=${*:-README.md docs/teaching.md docs/queries.md docs/sweeps.md docs/scenario-language.md
docs/fidelity.md docs/validation.md}

work=$(mktemp -d) || exit 99
trap 'rm -rf "$work"' EXIT INT TERM
mkdir "$work/bin" && ln -s "$TCPSIM" "$work/bin/tcpsim" || exit 99
# The same output for every reader: no terminal, no colour, one locale and zone.
export LC_ALL=C.UTF-8 TZ=UTC NO_COLOR=1
unset COLUMNS

# Why `tcpsim kernel` cannot run here ("" when it can); as tests/kernel.sh checks.
kernel_missing() {
    [ "${TCPSIM_KERNEL_TESTS:-}" = skip ] && { echo "TCPSIM_KERNEL_TESTS=skip"; return; }
    [ "$(id -u)" = 0 ] || { echo "not root (tcpsim kernel needs CAP_NET_ADMIN)"; return; }
    [ -c /dev/net/tun ] || { echo "no /dev/net/tun"; return; }
    [ -d /sys/kernel/tracing ] || { echo "no tracefs at /sys/kernel/tracing"; return; }
    unshare -n true 2>/dev/null || echo "cannot create network namespaces (unshare -n)"
}
no_kernel=$(kernel_missing)

# Split DOC into $1/N.sh (the commands), N.line (the doc line of its first
# command), N.skip (a skip marker's reason), N.want and N.range (the expected
# output and its doc lines, first and last).
split_blocks() {
    awk -v out="$1" '
    function reset_after() { after = 0; prose = 0 }
    /^<!-- doctest: skip / && !inblock {
        skip = $0; sub(/^<!-- doctest: skip /, "", skip); sub(/ *-->.*$/, "", skip); next
    }
    /^```/ && !inblock {
        inblock = 1; info = substr($0, 4); sub(/[ \t].*$/, "", info)
        if (info == "sh") {
            n++; kind = "sh"; file = out "/" n ".sh"; printf "" > file
            print NR + 1 > (out "/" n ".line"); close(out "/" n ".line")
            if (skip != "") { print skip > (out "/" n ".skip"); close(out "/" n ".skip") }
        } else if (info == "text" && after && prose <= 1) {
            kind = "want"; file = out "/" n ".want"; printf "" > file; first = NR + 1
        } else kind = "other"
        skip = ""; next
    }
    /^```/ && inblock {
        inblock = 0
        if (kind == "want") { print first, NR - 1 > (out "/" n ".range"); close(out "/" n ".range") }
        if (kind != "other") close(file)   # (awks limit the files open at once)
        if (kind == "sh") { after = 1; prose = 0 } else reset_after()
        next
    }
    inblock { if (kind != "other") print > file; next }
    /[^ \t]/ { prose++; skip = "" }
    ' "$2"
}

# Rewrite DOC with each N.new in place of the lines N.range names.
rewrite_doc() {
    local dir=$1 doc=$2 k list=
    for k in "$dir"/*.new; do
        [ -e "$k" ] || return 0
        list="$list $(cat "${k%.new}.range") $k"
    done
    # shellcheck disable=SC2086
    awk -v list="$list" '
    BEGIN { n = split(list, a, " "); for (k = 1; k <= n; k += 3) { end[a[k]] = a[k + 1]; src[a[k]] = a[k + 2] } }
    FNR in end { while ((getline line < src[FNR]) > 0) print line; stop = end[FNR]; next }
    stop && FNR <= stop { next }
    { print }
    ' "$doc" > "$dir/doc.new" && cat "$dir/doc.new" > "$doc"
}

# Run DOC's blocks; print what happened, and "PASS FAIL SKIPPED" to $work/counts/DOC.
run_doc() {
    local doc=$1 pass=0 fail=0 skipped=0 blocks=$work/blocks/$1 dir=$work/run/$1
    local n sh line where reason skipped_files f at rc got=$work/run/$1.got
    mkdir -p "$(dirname "$work/counts/$doc")"
    echo "0 1 0" > "$work/counts/$doc"
    [ -f "$srcdir/$doc" ] || { echo "FAIL $doc: no such doc"; return; }
    mkdir -p "$blocks" "$dir/results"
    # A writable copy, also of a read-only source tree (make distcheck).
    cp -r "$srcdir/scenarios" "$dir/scenarios" && chmod -R u+w "$dir/scenarios" &&
        ln -s "$TCPSIM" "$dir/tcpsim" || exit 99
    split_blocks "$blocks" "$srcdir/$doc"
    skipped_files=""     # "FILE DOC:LINE" pairs a skipped block would have written
    for n in $(cd "$blocks" && ls ./*.sh 2>/dev/null | sed 's|^\./||; s|\.sh$||' | sort -n); do
        sh=$blocks/$n.sh; line=$(cat "$blocks/$n.line"); where="$doc:$line"
        reason=$(cat "$blocks/$n.skip" 2>/dev/null)
        if [ -z "$reason" ] && [ -n "$no_kernel" ] && grep -Eq '(^|[;&|(] *)(\./)?tcpsim kernel' "$sh"; then
            reason="tcpsim kernel: $no_kernel"
        fi
        if [ -z "$reason" ]; then
            set -- $skipped_files
            while [ $# -ge 2 ]; do
                grep -Fq -- "$1" "$sh" && { reason="needs $1, written by the skipped block at $2"; break; }
                shift 2
            done
        fi
        if [ -n "$reason" ]; then
            echo "SKIP $where: $reason"
            skipped=$((skipped + 1))
            for f in $(grep -Eo -- '(^| )-o [^ ;|&)]+' "$sh" | sed 's/^ *-o //'); do
                skipped_files="$skipped_files $f $where"
            done
            continue
        fi
        # LINENO counts the header line: a block's line k is LINENO k + 1.
        rm -f "$got.at"
        (cd "$dir" && PATH="$work/bin:$PATH" timeout 1200 bash -c \
            "set -eEo pipefail; trap 'echo \$LINENO >\"$got.at\"' ERR
$(cat "$sh")") > "$got" 2>&1
        rc=$?
        if [ "$rc" -ne 0 ]; then
            at=$line
            [ -s "$got.at" ] && at=$((line + $(cat "$got.at") - 2))
            echo "FAIL $doc:$at: exit status $rc from the block"
            sed 's/^/    $ /' "$sh"; echo "  printed:"; sed 's/^/    /' "$got" | tail -n 40
            fail=$((fail + 1)); continue
        fi
        if [ -f "$blocks/$n.want" ]; then
            if [ -n "$update" ]; then
                awk -v mode=update -f "$srcdir/tests/docs.awk" "$blocks/$n.want" "$got" > "$blocks/$n.new"
                cmp -s "$blocks/$n.want" "$blocks/$n.new" && rm "$blocks/$n.new"
            elif ! awk -v mode=check -f "$srcdir/tests/docs.awk" "$blocks/$n.want" "$got" > "$got.diff"; then
                echo "FAIL $where: the output differs from the doc's text block (lines $(cat "$blocks/$n.range"))"
                sed 's/^/    $ /' "$sh"; echo "  expected (-) vs got (+):"; sed 's/^/    /' "$got.diff"
                fail=$((fail + 1)); continue
            fi
        fi
        pass=$((pass + 1))
    done
    if [ -n "$update" ]; then rewrite_doc "$blocks" "$srcdir/$doc"; fi
    echo "$pass $fail $skipped" > "$work/counts/$doc"
}

# The docs run at once (each in its own directory): the kernel's blocks take
# real minutes each, the rest seconds. Their reports are printed in order.
for doc in $docs; do
    mkdir -p "$work/out/$(dirname "$doc")"
    run_doc "$doc" > "$work/out/$doc" 2>&1 &
done
wait
pass=0 fail=0 skipped=0
for doc in $docs; do
    cat "$work/out/$doc"
    read -r p f s < "$work/counts/$doc"
    pass=$((pass + p)) fail=$((fail + f)) skipped=$((skipped + s))
done
echo "docs: $pass blocks passed, $fail failed, $skipped skipped"
[ "$fail" -eq 0 ]
