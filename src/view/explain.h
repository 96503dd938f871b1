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

#include "tcp_base.h"

/* Writes the explanation of one transition into buf (always terminated)
 * and returns buf; it starts with the name of the state left, as the
 * database writes it ("SYN_SENT: ..."). */
char *explain_transition(enum tcp_state from, enum tcp_state to, enum tcp_cause cause, char *buf,
                         size_t size);

/* True when the table has a specific line for this combination (the
 * generic line is used otherwise). For tests. */
bool explain_is_known(enum tcp_state from, enum tcp_state to, enum tcp_cause cause);

#endif
