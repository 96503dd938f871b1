#!/bin/sh
# tests/layering.sh: the layering of src/ as a test. Each folder of src/ is a
# layer; a layer may include headers of the layers listed for it below and of
# no other, and only the named layers may include a library's headers
# (SQLite, GSL, libpcap, Nettle, cairo). The build already fails on most wrong
# includes (each layer compiles with only its allowed include paths); this
# script states the rule in one place, checks the library headers the include
# paths cannot, and names the file and line that break it.
# docs/design.md draws the same graph.
set -u
src=${srcdir:-.}/src

# layer: the layers it may include (itself implied)
allowed() {
    case $1 in
    sim) echo "" ;;
    rng) echo "" ;;
    fault) echo "sim" ;;
    link) echo "sim rng fault" ;;
    tcp) echo "sim rng" ;;
    scenario) echo "sim rng fault link tcp" ;;
    world) echo "sim rng fault link tcp scenario" ;;
    results) echo "sim" ;;
    sinks) echo "sim" ;;
    view) echo "sim results" ;;
    study) echo "sim rng fault link tcp scenario world results" ;;
    kernel) echo "sim rng fault link tcp scenario world results" ;;
    cli) echo "sim rng fault link tcp scenario world results sinks view study kernel" ;;
    *) echo "?" ;;
    esac
}

# layer:target: the only headers of layer target that layer may include,
# where it may not include them all. The parser describes links and hosts
# as plain data: their leaf headers, never the stack or the wire.
leaf_headers() {
    case $1 in
    scenario:link) echo "link_config.h" ;;
    scenario:tcp) echo "tcp_config.h" ;;
    *) echo "" ;;
    esac
}

# system header pattern: the only layers that may include it
library_owner() {
    case $1 in
    sqlite3.h) echo results ;;
    gsl/gsl_rng.h|gsl/gsl_randist.h) echo rng ;;
    gsl/*) echo "rng study" ;;
    pcap.h|pcap/*) echo sinks ;;
    nettle/*) echo scenario ;;
    cairo.h|cairo-*.h|cairo/*) echo view ;;
    *) echo "" ;;
    esac
}

# Where each header lives: its layer.
header_layer() {
    found=$(cd "$src" && find . -name "$1" -path './*' | head -n 1)
    [ -n "$found" ] || return 1
    echo "$found" | cut -d/ -f2
}

failures=0
checked=0
for file in $(cd "$src" && find . -name '*.[ch]' | sort); do
    layer=$(echo "$file" | cut -d/ -f2)
    ok=$(allowed "$layer")
    if [ "$ok" = "?" ]; then
        echo "layering: src/${file#./}: folder '$layer' is not a layer (add it to tests/layering.sh and docs/design.md)"
        failures=$((failures + 1))
        continue
    fi
    grep -n '^[[:space:]]*#[[:space:]]*include' "$src/$file" | while IFS= read -r line; do
        number=${line%%:*}
        text=${line#*:}
        case $text in
        *'"'*)
            name=$(echo "$text" | sed 's/.*"\(.*\)".*/\1/')
            [ "$name" = config.h ] && continue
            target=$(header_layer "$(basename "$name")") || {
                echo "layering: src/${file#./}:$number: \"$name\" is no header of src/"; echo x >&3; continue; }
            [ "$target" = "$layer" ] && continue
            case " $ok " in
            *" $target "*)
                leaves=$(leaf_headers "$layer:$target")
                [ -z "$leaves" ] && continue
                case " $leaves " in *" $(basename "$name") "*) continue ;; esac
                echo "layering: src/${file#./}:$number: layer $layer includes \"$name\" of layer $target (allowed there: $leaves)"
                echo x >&3
                continue ;;
            esac
            echo "layering: src/${file#./}:$number: layer $layer includes \"$name\" of layer $target (allowed: ${ok:-none})"
            echo x >&3
            ;;
        *'<'*)
            name=$(echo "$text" | sed 's/.*<\(.*\)>.*/\1/')
            owners=$(library_owner "$name")
            [ -z "$owners" ] && continue
            case " $owners " in *" $layer "*) continue ;; esac
            echo "layering: src/${file#./}:$number: layer $layer includes <$name>, which only $owners may"
            echo x >&3
            ;;
        esac
    done 3>>"${TMPDIR:-/tmp}/layering.$$"
    checked=$((checked + 1))
done
if [ -s "${TMPDIR:-/tmp}/layering.$$" ]; then
    failures=$((failures + $(wc -l < "${TMPDIR:-/tmp}/layering.$$")))
fi
rm -f "${TMPDIR:-/tmp}/layering.$$"
if [ "$failures" -gt 0 ]; then
    echo "layering: $failures include(s) against the layering in $checked files"
    exit 1
fi
echo "layering: $checked files, every include follows the layering"
