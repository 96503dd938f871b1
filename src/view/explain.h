/*
 * explain.h: why a TCP state transition happened, in RFC 9293's words.
 * `tcpsim ladder --explain` prints one such line under each transition:
 *
 *   SYN_SENT: our SYN is ACKed and the peer's SYN is set -> ESTABLISHED,
 *   send ACK (3.10.7.3)
 *
 * The table covers every (from, to, cause) the TCP of src/tcp/ can record
 * (the table of legal transitions in src/tcp/tcp_state.c; tests/test_ladder.c
 * holds the two together); numbers in parentheses are RFC 9293 sections
 * unless another RFC is named. A combination outside the table (a kernel
 * transition, say) gets a generic line that is still true.
 */
#ifndef TCPSIM_EXPLAIN_H
#define TCPSIM_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_base.h"

/* Writes the explanation of one transition into buf (always terminated)
 * and returns buf; it starts with the name of the state left, as the
 * database writes it ("SYN_SENT: ..."). */
char *explain_transition(enum tcp_state from, enum tcp_state to, enum tcp_cause cause, char *buf,
                         size_t size);

/* What the ladder knows about a segment a host sends, or one that reached
 * it, to say why it was sent when no state changed. */
struct explain_segment {
    enum tcp_state state;   /* the host's state (the sender's; the receiver's on arrival) */
    uint8_t flags;          /* TCP_FLAG_* of the segment */
    uint32_t len;
    bool answers;           /* sent at the instant a segment from the peer arrived */
    uint8_t answered_flags; /* that segment's flags */
    bool answered_changed_state; /* that segment (on arrival: this one) changed the
                                    host's state */
    bool peer_window_zero;  /* the peer's latest segment advertised a zero window */
};

/* The line for a segment sent without a change of state: the TIME_WAIT
 * re-ACK and 2MSL restart, a challenge ACK (RFC 5961), the answer to a
 * duplicate SYN, a zero-window probe. Returns false (buf untouched) when
 * the segment is none of those: ordinary data and ACKs need no line. */
bool explain_segment_sent(const struct explain_segment *s, char *buf, size_t size);

/* The line for a segment that arrived and changed nothing a reader would
 * expect it to: an ignored RST. Returns false when there is nothing to say. */
bool explain_segment_arrived(const struct explain_segment *s, char *buf, size_t size);

/* True when the table has a specific line for this combination (the
 * generic line is used otherwise). For tests. */
bool explain_is_known(enum tcp_state from, enum tcp_state to, enum tcp_cause cause);

#endif
