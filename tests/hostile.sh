#!/bin/sh
# tests/hostile.sh: inputs that `tcpsim check` accepts must run to an end,
# never die by a signal (issue 14). Each file in tests/hostile/ is a scenario
# a hostile tester wrote (times and durations near 2^63-1 ns, heavy-tailed
# jitter); each must pass `check` and then `run` with exit 0, 1 or 2 and
# without a sanitizer report (the sanitizer build of CI runs this too).
set -u
TCPSIM=${TCPSIM:-./tcpsim}
dir=${srcdir:-.}/tests/hostile
out=${TMPDIR:-/tmp}/hostile.$$
failed=0 count=0
for f in "$dir"/*.tcpsim; do
    count=$((count + 1))
    name=$(basename "$f" .tcpsim)
    if ! "$TCPSIM" check "$f" >/dev/null 2>"$out"; then
        echo "FAIL $name: check refused it: $(cat "$out")"; failed=$((failed + 1)); continue
    fi
    timeout 120 "$TCPSIM" run "$f" --no-db -q --no-expect >"$out" 2>&1
    rc=$?
    if [ "$rc" -gt 2 ] || grep -q -E 'runtime error|AddressSanitizer|Assertion' "$out"; then
        echo "FAIL $name: run exited $rc"; head -n 5 "$out"; failed=$((failed + 1))
    else
        echo "ok   $name (exit $rc)"
    fi
done
rm -f "$out"
echo "hostile: $((count - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
