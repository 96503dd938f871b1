/*
 * explain.h: why a TCP state transition happened, in RFC 9293's words.
 * `tcpsim ladder --explain` prints one such line under each transition:
 *
 *   SYN_SENT: our SYN is ACKed and the peer's SYN is set -> ESTABLISHED,
 *   send ACK (3.10.7.3)
 *
 * The table covers every (from, to, cause) the TCP of src/tcp*.c records
 * (the cause strings passed to tcp_set_state and tcp_enter_closed); numbers
 * in parentheses are RFC 9293 sections unless another RFC is named. A
 * combination outside the table gets a generic line that is still true.
 */
#ifndef TCPSIM_EXPLAIN_H
#define TCPSIM_EXPLAIN_H

#include <stdbool.h>
#include <stddef.h>

/* Writes the explanation of one transition into buf (always terminated)
 * and returns buf. States are written as in the database ("SYN_SENT"),
 * cause as recorded ("rcv SYN|ACK", "app CLOSE", "2MSL timeout"). */
char *explain_transition(const char *from, const char *to, const char *cause, char *buf,
                         size_t size);

/* True when the table has a specific line for this combination (the
 * generic line is used otherwise). For tests. */
bool explain_is_known(const char *from, const char *to, const char *cause);

#endif
