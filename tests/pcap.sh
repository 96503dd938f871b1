#!/bin/sh
# pcap.sh: the capture files are real captures. For each shipped scenario,
# both `tcpsim run --pcap` and `tcpsim pcap DB` (rebuilt from the database)
# are decoded by tshark with IP and TCP checksum validation on; no packet
# may be malformed or have a bad checksum, and every packet's flags, seq
# and ack must equal its row in the segments table. The per-host captures
# (--side) hold what the host sent plus what reached it, so a lost segment
# shows on its sender's side only. Wireshark's own analysis must agree with
# the scenarios: the retransmitted SYN of lost-syn is a retransmission. The
# linux scenarios' options (MSS, SACK-permitted, timestamps, window scale),
# window fields and lengths decode as segments.options, wnd and len say.
# The pcapng captures (.pcapng) decode as the classic ones and carry a
# comment per packet that the database's rows account for (below).
# Skipped (exit 77) without tshark or the sqlite3 shell (bootstrap installs
# both). Scenarios with more than PCAP_MAX_SEGMENTS segments in their first
# run (default 200000) are left out to keep `make check` short.
set -u
TCPSIM=${TCPSIM:-./tcpsim}
srcdir=${srcdir:-.}
max_segments=${PCAP_MAX_SEGMENTS:-200000}
for tool in tshark sqlite3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed (./bootstrap installs it)"
        exit 77
    fi
done
tmp=$(mktemp -d) || exit 99
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

# tshark's fields, one line per packet: flags (hex), seq, ack, IP and TCP
# checksum status (1 = good), malformed marker, retransmission marker.
decode() { # capture
    tshark -r "$1" -n \
        -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE \
        -o tcp.relative_sequence_numbers:FALSE -o tcp.analyze_sequence_numbers:TRUE \
        -T fields -E separator=, -E occurrence=f \
        -e tcp.flags -e tcp.seq -e tcp.ack -e ip.checksum.status -e tcp.checksum.status \
        -e _ws.malformed -e tcp.analysis.retransmission 2>/dev/null
}

# The database's rows in the same form: flags as tshark prints them (hex),
# seq, ack. $2: the WHERE clause picking the packets of the capture.
expected() { # db where
    sqlite3 -separator , "$1" "SELECT flags, seq, ack FROM segments WHERE $2 ORDER BY trace_seq" |
        awk -F, 'BEGIN { split("SYN FIN RST PSH URG ACK", name, " ");
                          bit["SYN"] = 2; bit["FIN"] = 1; bit["RST"] = 4;
                          bit["PSH"] = 8; bit["URG"] = 32; bit["ACK"] = 16 }
                 { n = split($1, f, "|"); v = 0
                   for (i = 1; i <= n; i++) v += bit[f[i]]
                   printf "0x%04x,%s,%s\n", v, $2, $3 }'
}

# Decodes a capture and checks it against the rows picked by where.
check_capture() { # what capture db where
    what=$1 capture=$2 db=$3 where=$4
    decode "$capture" >"$tmp/decoded" || { bad "$what: tshark cannot read $capture"; return; }
    expected "$db" "$where" >"$tmp/expected"
    if [ "$(wc -l <"$tmp/decoded")" -eq "$(wc -l <"$tmp/expected")" ]; then ok; else
        bad "$what: $(wc -l <"$tmp/decoded") packets, the database has $(wc -l <"$tmp/expected")"
    fi
    if awk -F, '$4 != 1 || $5 != 1 || $6 != "" { exit 1 }' "$tmp/decoded"; then ok; else
        bad "$what: a malformed packet or a bad checksum:"
        awk -F, '$4 != 1 || $5 != 1 || $6 != ""' "$tmp/decoded" | head -3
    fi
    if cut -d, -f1-3 "$tmp/decoded" | cmp -s - "$tmp/expected"; then ok; else
        bad "$what: flags/seq/ack differ from the database"
        cut -d, -f1-3 "$tmp/decoded" | diff - "$tmp/expected" | head -5
    fi
}

for scenario in "$srcdir"/scenarios/*.tcpsim "$srcdir"/scenarios/linux/*.tcpsim; do
    name=$(basename "$scenario" .tcpsim)
    db="$tmp/$name.db"
    if ! "$TCPSIM" run "$scenario" --reps 1 -o "$db" --pcap "$tmp/$name.pcap" -q; then
        # Expectations may fail only by being statistical; the run is still recorded.
        [ -s "$db" ] || { bad "$name: run failed"; continue; }
    fi
    segments=$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE run_id = 1")
    if [ "$segments" -gt "$max_segments" ]; then
        echo "note: $name left out ($segments segments > PCAP_MAX_SEGMENTS=$max_segments)"
        continue
    fi
    wire="run_id = 1 AND fate <> 'duplicated'"
    check_capture "$name (run --pcap)" "$tmp/$name.pcap" "$db" "$wire"
    "$TCPSIM" pcap "$db" --run 1 -o "$tmp/$name.db.pcap" -q || bad "$name: tcpsim pcap failed"
    check_capture "$name (tcpsim pcap)" "$tmp/$name.db.pcap" "$db" "$wire"
    for host in $(sqlite3 "$db" "SELECT DISTINCT sender FROM segments WHERE run_id = 1"); do
        "$TCPSIM" pcap "$db" --run 1 --side "$host" -o "$tmp/$name.$host.pcap" -q ||
            bad "$name: tcpsim pcap --side $host failed"
        # The capture is in time order; the rows of one instant keep their
        # report order, so compare sorted packets.
        side="run_id = 1 AND ((sender = '$host' AND fate <> 'duplicated') OR"
        side="$side (receiver = '$host' AND fate IN ('delivered', 'duplicated', 'corrupted')))"
        decode "$tmp/$name.$host.pcap" | cut -d, -f1-3 | sort >"$tmp/side.decoded"
        expected "$db" "$side" | sort >"$tmp/side.expected"
        if cmp -s "$tmp/side.decoded" "$tmp/side.expected"; then ok; else
            bad "$name: --side $host capture differs from what $host sent and received"
        fi
    done
done

# tshark's reading of the options, window field and length, one line per
# packet: mss,sack_perm,tsval,tsecr,wscale,wnd,len (empty when absent).
decode_options() { # capture
    tshark -r "$1" -n -T fields -E separator=, -E occurrence=f \
        -e tcp.options.mss_val -e tcp.options.sack_perm -e tcp.options.timestamp.tsval \
        -e tcp.options.timestamp.tsecr -e tcp.options.wscale.shift -e tcp.window_size_value \
        -e tcp.len 2>/dev/null | awk -F, -v OFS=, '{ if ($2 != "") $2 = "sack_perm"; print }'
}
# The same from segments.options ("mss=1460,sack_perm,ts=A/B,wscale=7").
expected_options() { # db
    sqlite3 -separator '|' "$1" "SELECT coalesce(options, ''), wnd, len FROM segments
                               WHERE run_id = 1 AND fate <> 'duplicated' ORDER BY trace_seq" |
        awk -F'|' '{ mss = sack = tsv = tse = ws = ""; n = split($1, o, ",")
                     for (i = 1; i <= n; i++) {
                         if (o[i] ~ /^mss=/) mss = substr(o[i], 5)
                         else if (o[i] == "sack_perm") sack = o[i]
                         else if (o[i] ~ /^ts=/) { split(substr(o[i], 4), t, "/"); tsv = t[1]; tse = t[2] }
                         else if (o[i] ~ /^wscale=/) ws = substr(o[i], 8) }
                     printf "%s,%s,%s,%s,%s,%s,%s\n", mss, sack, tsv, tse, ws, $2, $3 }'
}
for name in options rto-after-lost-syn time-wait-reopen synack-timer; do
    db="$tmp/$name.db"
    [ -s "$db" ] || { bad "linux/$name was not run"; continue; }
    expected_options "$db" >"$tmp/options.expected"
    if [ "$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE options LIKE '%ts=%'")" -gt 0 ]; then ok; else
        bad "linux/$name: no segment has the timestamps option"
    fi
    for capture in "$tmp/$name.pcap" "$tmp/$name.db.pcap"; do
        if decode_options "$capture" | cmp -s - "$tmp/options.expected"; then ok; else
            bad "linux/$name: options in $(basename "$capture") differ from segments.options"
            decode_options "$capture" | diff - "$tmp/options.expected" | head -5
        fi
    done
done
# options: a full segment carries 1448 bytes beside the 12-byte timestamp option.
if [ "$(decode_options "$tmp/options.pcap" | awk -F, '$7 == 1448' | wc -l)" -eq 2 ]; then ok; else
    bad "linux/options: wanted two 1448-byte segments"
fi

# lost-syn: Wireshark sees the second SYN as a retransmission, and the lost
# SYN appears on the client's side only.
db="$tmp/lost-syn.db"
if [ -s "$db" ]; then
    decode "$tmp/lost-syn.pcap" >"$tmp/decoded"
    syns=$(awk -F, '$1 == "0x0002"' "$tmp/decoded" | wc -l)
    rexmit=$(awk -F, '$1 == "0x0002" && $7 != ""' "$tmp/decoded" | wc -l)
    if [ "$syns" -eq 2 ] && [ "$rexmit" -eq 1 ]; then ok; else
        bad "lost-syn: $syns SYNs, $rexmit flagged tcp.analysis.retransmission (wanted 2, 1)"
    fi
    client=$(decode "$tmp/lost-syn.client.pcap" | awk -F, '$1 == "0x0002"' | wc -l)
    server=$(decode "$tmp/lost-syn.server.pcap" | awk -F, '$1 == "0x0002"' | wc -l)
    if [ "$client" -eq 2 ] && [ "$server" -eq 1 ]; then ok; else
        bad "lost-syn: the client's capture has $client SYNs, the server's $server (wanted 2, 1)"
    fi
else
    bad "lost-syn was not run"
fi

# Every retransmission of the teaching scenarios is one for Wireshark too.
for name in lost-syn lost-synack lost-final-ack syn-retries-exhausted; do
    [ -s "$tmp/$name.db" ] || continue
    want=$(sqlite3 "$tmp/$name.db" \
        "SELECT count(*) FROM segments WHERE run_id = 1 AND retransmission = 1 AND fate <> 'duplicated'")
    got=$(decode "$tmp/$name.pcap" | awk -F, '$7 != ""' | wc -l)
    if [ "$want" = "$got" ]; then ok; else
        bad "$name: $want retransmissions recorded, Wireshark flags $got"
    fi
done

# pcapng: `--pcap F.pcapng` and `tcpsim pcap -o F.pcapng` hold the same
# packets as the classic capture, decoded alike by tshark (flags, seq, ack,
# checksums, options, window, length, Wireshark's retransmission marks),
# each with a comment. The comments are rebuilt here from the database with
# SQL, apart from the sink's code: the fate with the fault rule's line
# (a delivered segment a rule picked was delayed, or duplicated when the
# rule's copy is the next row), retransmission, injected, the sender's state
# when it sent it (its last transition recorded before the segment), the
# receiver's after it (the transition the segment made, else its last one
# before the arrival; a segment that never arrived: its state when it was
# sent). A host with no transition of the connection shows its listener's
# state, else CLOSED. For a lossy run, injected segments, drop rules and a
# scenario written here with a delay, a duplicate and a corrupt rule.
expected_comments() { # db where
    sqlite3 "$1" "
    WITH t AS (SELECT * FROM transitions WHERE run_id = 1),
    s AS (SELECT * FROM segments WHERE run_id = 1),
    facts AS (SELECT s.*,
        coalesce((SELECT to_state FROM t WHERE host = s.sender AND conn_id = s.conn_id
                  AND seq < s.trace_seq ORDER BY seq DESC LIMIT 1),
                 (SELECT to_state FROM t WHERE host = s.sender AND conn_id IS NULL
                  AND seq < s.trace_seq ORDER BY seq DESC LIMIT 1), 'CLOSED') AS sender_state,
        CASE WHEN s.arrived_ns IS NULL THEN
            coalesce((SELECT to_state FROM t WHERE host = s.receiver AND conn_id = s.conn_id
                      AND seq < s.trace_seq ORDER BY seq DESC LIMIT 1),
                     (SELECT to_state FROM t WHERE host = s.receiver AND conn_id IS NULL
                      AND seq < s.trace_seq ORDER BY seq DESC LIMIT 1), 'CLOSED')
        ELSE
            coalesce((SELECT to_state FROM t WHERE host = s.receiver AND seg_id = s.seg_id
                      ORDER BY seq DESC LIMIT 1),
                     (SELECT to_state FROM t WHERE host = s.receiver AND conn_id = s.conn_id
                      AND t_ns < s.arrived_ns ORDER BY seq DESC LIMIT 1),
                     (SELECT to_state FROM t WHERE host = s.receiver AND conn_id IS NULL
                      AND t_ns < s.arrived_ns ORDER BY seq DESC LIMIT 1), 'CLOSED')
        END AS receiver_state,
        (SELECT c.seg_id FROM s AS c WHERE c.trace_seq = s.trace_seq + 1 AND c.fate = 'duplicated'
         AND c.rule_line = s.rule_line AND c.sent_ns = s.sent_ns) AS copy_id,
        printf('%d.%09d s', s.arrived_ns / 1000000000, s.arrived_ns % 1000000000) AS arrived,
        ' by the rule at scenario line ' || s.rule_line AS by_rule
        FROM s)
    SELECT 'segment #' || seg_id || iif(retransmission, ', retransmission', '')
        || iif(injected, ', injected by the scenario', '') || ': ' ||
        CASE fate
        WHEN 'delivered' THEN 'delivered at ' || arrived
            || iif(copy_id IS NULL, '', ', duplicated (copy: segment #' || copy_id || ')')
            || iif(rule_line IS NULL, '', iif(copy_id IS NULL, ', delayed', '') || by_rule)
        WHEN 'lost' THEN 'lost by the loss model'
        WHEN 'queue_full' THEN 'tail-dropped at the full link queue'
        WHEN 'dropped' THEN 'dropped' || coalesce(by_rule, '')
        WHEN 'duplicated' THEN 'the link''s extra copy'
            || iif(rule_line IS NULL, '', ', made' || by_rule) || ', delivered at ' || arrived
        WHEN 'corrupted' THEN 'corrupted'
            || iif(rule_line IS NULL, '', ' (rule at scenario line ' || rule_line || ')')
            || ': arrived at ' || arrived || ' with a bad checksum and was discarded'
        END || '; ' || sender || ' ' || sender_state || ' when it sent it, ' || receiver || ' '
        || receiver_state || iif(arrived_ns IS NULL, ' (never got it)', ' after it')
    FROM facts WHERE $2 ORDER BY trace_seq"
}
comments() { # capture
    tshark -r "$1" -n -T fields -e frame.comment 2>/dev/null
}
magic() { # file: its first four bytes in hex
    head -c 4 "$1" | od -An -tx1 | tr -d ' \n'
}
cat >"$tmp/rules.tcpsim" <<'END'
scenario rules "A delay, a duplicate and a corrupt rule on one connection"
link  delay=20ms
host  client addr=10.0.0.1 isn=1000 profile=rfc9293
host  server addr=10.0.0.2 isn=5000 profile=rfc9293
at 0s    server listen 80
at 10ms  client connect server:80
at 1s    client send 3000B
at 3s    client close
at 3.5s  server close
delay     client DATA #1 by=200ms
duplicate server ACK #2 after=1ms
corrupt   client FIN #1
run   until=5min
END
"$TCPSIM" run "$tmp/rules.tcpsim" -o "$tmp/rules.db" --pcap "$tmp/rules.pcap" -q || bad "rules: run failed"
for rule in dropped delayed duplicated corrupted; do
    case $rule in
    dropped) where="fate = 'dropped'" db="$tmp/lost-syn.db" ;;
    delayed) where="fate = 'delivered' AND rule_line = 10" db="$tmp/rules.db" ;;
    duplicated) where="fate = 'duplicated' AND rule_line = 11" db="$tmp/rules.db" ;;
    corrupted) where="fate = 'corrupted' AND rule_line = 12" db="$tmp/rules.db" ;;
    esac
    if [ "$(sqlite3 "$db" "SELECT count(*) FROM segments WHERE $where" 2>/dev/null)" -ge 1 ]; then ok; else
        bad "no $rule segment in $(basename "$db") to comment on"
    fi
done
wire="fate <> 'duplicated'"
for name in lossy-link lost-syn lost-final-ack rst-in-window old-duplicate-syn options rules; do
    db="$tmp/$name.db"
    scenario="$srcdir/scenarios/$name.tcpsim"
    [ -f "$scenario" ] || scenario="$srcdir/scenarios/linux/$name.tcpsim"
    [ "$name" = rules ] && scenario="$tmp/rules.tcpsim"
    [ -s "$db" ] || { bad "$name was not run"; continue; }
    "$TCPSIM" run "$scenario" --reps 1 --no-db --pcap "$tmp/$name.pcapng" -q
    "$TCPSIM" pcap "$db" --run 1 -o "$tmp/$name.db.pcapng" -q || bad "$name: tcpsim pcap -o .pcapng failed"
    expected_comments "$db" "$wire" >"$tmp/comments.expected"
    [ -s "$tmp/comments.expected" ] || bad "$name: no comments expected"
    decode "$tmp/$name.pcap" >"$tmp/classic.decoded"
    decode_options "$tmp/$name.pcap" >"$tmp/classic.options"
    for capture in "$tmp/$name.pcapng" "$tmp/$name.db.pcapng"; do
        what="$name ($(basename "$capture"))"
        if [ "$(magic "$capture")" = 0a0d0d0a ]; then ok; else bad "$what: not a pcapng file"; fi
        check_capture "$what" "$capture" "$db" "run_id = 1 AND $wire"
        if decode "$capture" | cmp -s - "$tmp/classic.decoded"; then ok; else
            bad "$what: tshark decodes it unlike $name.pcap"
        fi
        if decode_options "$capture" | cmp -s - "$tmp/classic.options"; then ok; else
            bad "$what: options, window or length decode unlike $name.pcap"
        fi
        if comments "$capture" | cmp -s - "$tmp/comments.expected"; then ok; else
            bad "$what: comments differ from the database's account"
            comments "$capture" | diff - "$tmp/comments.expected" | head -6
        fi
    done
done
# The server's own interface: what it sent and what reached it, each with
# the same comment as on the wire.
"$TCPSIM" pcap "$tmp/rules.db" --run 1 --side server -o "$tmp/rules.server.pcapng" -q ||
    bad "rules: tcpsim pcap --side server failed"
side="(sender = 'server' AND fate <> 'duplicated') OR
      (receiver = 'server' AND fate IN ('delivered', 'duplicated', 'corrupted'))"
expected_comments "$tmp/rules.db" "$side" | sort >"$tmp/side.expected"
if comments "$tmp/rules.server.pcapng" | sort | cmp -s - "$tmp/side.expected"; then ok; else
    bad "rules: --side server comments differ from the database's account"
    comments "$tmp/rules.server.pcapng" | sort | diff - "$tmp/side.expected" | head -6
fi
# A classic capture stays what it was: pcap's nanosecond magic, no comments.
if [ "$(magic "$tmp/lost-syn.pcap")" = 4d3cb2a1 ] && [ -z "$(comments "$tmp/lost-syn.pcap" | tr -d '\n')" ]; then ok; else
    bad "lost-syn.pcap: not a classic pcap file without comments"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
