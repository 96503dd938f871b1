# tests/docs.awk: does a command block's output match the doc's `text` block?
# Called by tests/docs.sh as `awk -v mode=check|update -f docs.awk WANT GOT`.
#
# Two wildcards (docs/hacking.md, "Docs are tests"): a line that ends in `...`
# matches any line starting with the text before it; a line that is exactly
# `...` matches any number of lines. The comparison is an edit-distance
# alignment of the expected lines with the printed ones (cost 0 = match), not a
# greedy scan, so `...` can stand anywhere and the same alignment serves both
# modes:
#   check:  exit 0 on a match; else print the alignment as a diff (" " kept,
#           "-" expected but not printed, "+" printed but not expected), long
#           runs of matching lines folded, and exit 1.
#   update: print the new text block: what was printed, with every wildcard
#           line kept where it still matches.
# Trailing blanks are ignored on both sides: editors strip them from docs.
# The table is (expected lines) x (printed lines): fine for doc-sized output.

function rtrim(s) { sub(/[ \t\r]+$/, "", s); return s }
function is_any(line) { return line == "..." }
function matches(want, got,    prefix) {
    if (want ~ /\.\.\.$/ && !is_any(want)) {
        prefix = substr(want, 1, length(want) - 3)
        return index(got, prefix) == 1
    }
    return want == got
}
function min3(a, b, c) { return a < b ? (a < c ? a : c) : (b < c ? b : c) }

FNR == NR { want[++n] = rtrim($0); next }
{ got[++m] = rtrim($0) }

END {
    # cost[i, j]: the cheapest alignment of want[i..n] with got[j..m].
    for (i = n + 1; i >= 1; i--) {
        for (j = m + 1; j >= 1; j--) {
            if (i > n) { cost[i, j] = m + 1 - j; continue }
            if (is_any(want[i])) {
                c = cost[i + 1, j]
                if (j <= m && cost[i, j + 1] < c) c = cost[i, j + 1]
                cost[i, j] = c
                continue
            }
            drop = 1 + cost[i + 1, j]
            if (j > m) { cost[i, j] = drop; continue }
            pair = (matches(want[i], got[j]) ? 0 : 1) + cost[i + 1, j + 1]
            cost[i, j] = min3(pair, drop, 1 + cost[i, j + 1])
        }
    }
    if (mode == "check" && cost[1, 1] == 0) exit 0
    # Walk the cheapest alignment from the top.
    i = 1; j = 1; kept = 0
    while (i <= n || j <= m) {
        if (i <= n && is_any(want[i])) {
            if (cost[i, j] == cost[i + 1, j]) { emit(" ", want[i]); i++ }
            else j++
            continue
        }
        if (i <= n && j <= m && matches(want[i], got[j]) && cost[i, j] == cost[i + 1, j + 1]) {
            emit(" ", want[i]); i++; j++
        } else if (i <= n && j <= m && cost[i, j] == 1 + cost[i + 1, j + 1]) {
            emit("-", want[i]); emit("+", got[j]); i++; j++
        } else if (i <= n && cost[i, j] == 1 + cost[i + 1, j]) {
            emit("-", want[i]); i++
        } else {
            emit("+", got[j]); j++
        }
    }
    fold()
    exit mode == "check"
}

# update: keep matched lines as written (wildcards too) and printed lines;
# check: a diff with runs of more than six kept lines folded.
function emit(tag, line) {
    if (mode == "update") { if (tag != "-") print line; return }
    if (tag == " ") { run[++kept] = line; return }
    fold()
    print tag " " line
}
function fold(    k) {
    if (mode == "update") return
    if (kept > 6) {
        for (k = 1; k <= 2; k++) print "  " run[k]
        print "  (" kept - 4 " matching lines)"
        for (k = kept - 1; k <= kept; k++) print "  " run[k]
    } else {
        for (k = 1; k <= kept; k++) print "  " run[k]
    }
    kept = 0
}
