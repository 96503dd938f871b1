/*
 * explain.c: the table behind `tcpsim ladder --explain`: for each state
 * transition the TCP records, one line saying why, in RFC 9293's terms,
 * with the section that says so. Rows are tried in order; "*" matches any
 * state, so specific rows come before the general ones.
 */
#include "explain.h"

#include <stdio.h>
#include <string.h>

struct explanation {
    const char *from, *to, *cause; /* "*" in from: any state */
    const char *why;               /* printed after "FROM: " */
};

static const struct explanation explanations[] = {
    /* User calls (3.10.1, 3.10.4, 3.10.5). */
    {"CLOSED", "LISTEN", "app LISTEN",
     "the application does a passive OPEN: a TCB waits for a SYN -> LISTEN (3.10.1)"},
    {"CLOSED", "SYN_SENT", "app CONNECT",
     "the application does an active OPEN: choose the ISN, send <SEQ=ISS><CTL=SYN> "
     "-> SYN_SENT (3.10.1)"},
    {"ESTABLISHED", "FIN_WAIT_1", "app CLOSE",
     "the application calls CLOSE: send FIN after any queued data -> FIN_WAIT_1 (3.10.4)"},
    {"CLOSE_WAIT", "LAST_ACK", "app CLOSE",
     "the application calls CLOSE after the peer's FIN: send our FIN -> LAST_ACK, "
     "wait for its ACK (3.10.4)"},
    {"*", "CLOSED", "app CLOSE",
     "the application calls CLOSE before a connection exists: delete the TCB, nothing "
     "is sent -> CLOSED (3.10.4)"},
    {"*", "CLOSED", "app ABORT",
     "the application calls ABORT: send <SEQ=SND.NXT><CTL=RST> if synchronized, delete "
     "the TCB -> CLOSED, no TIME_WAIT (3.10.5)"},

    /* SEGMENT ARRIVES in LISTEN and SYN-SENT (3.10.7.2, 3.10.7.3). */
    {"LISTEN", "SYN_RECEIVED", "rcv SYN",
     "a SYN arrives: IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1, send "
     "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> -> SYN_RECEIVED (3.10.7.2)"},
    {"SYN_SENT", "ESTABLISHED", "rcv SYN|ACK",
     "our SYN is ACKed and the peer's SYN is set -> ESTABLISHED, send ACK (3.10.7.3)"},
    {"SYN_SENT", "SYN_RECEIVED", "rcv SYN",
     "the peer's SYN arrives without an ACK (simultaneous open) -> SYN_RECEIVED, send "
     "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (3.10.7.3, Figure 7)"},
    {"SYN_SENT", "CLOSED", "rcv RST",
     "a RST whose ACK acknowledges our SYN: connection refused, delete the TCB "
     "-> CLOSED (3.10.7.3)"},
    {"SYN_SENT", "CLOSED", "SYN retries exhausted",
     "no answer to the SYN and its retransmissions up to the give-up threshold R2: "
     "connection timed out -> CLOSED (3.8.3)"},

    /* SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states (3.10.7.4). */
    {"SYN_RECEIVED", "ESTABLISHED", "rcv ACK of SYN",
     "the ACK acknowledges our SYN (SND.UNA < SEG.ACK =< SND.NXT) -> ESTABLISHED "
     "(3.10.7.4, fifth check)"},
    {"SYN_RECEIVED", "LISTEN", "rcv RST",
     "a RST on a connection from a passive OPEN: return to LISTEN, the application is "
     "not told (3.10.7.4, second check)"},
    {"SYN_RECEIVED", "CLOSED", "rcv RST",
     "a RST on a connection from an active OPEN: connection refused -> CLOSED "
     "(3.10.7.4, second check)"},
    {"SYN_RECEIVED", "LISTEN", "rcv SYN",
     "a SYN in the window on a connection from a passive OPEN: return this connection "
     "to LISTEN (3.10.7.4, fourth check)"},
    {"SYN_RECEIVED", "CLOSED", "SYN-ACK retries exhausted",
     "no ACK for the SYN|ACK and its retransmissions up to the give-up threshold: the "
     "half-open connection is dropped -> CLOSED (3.8.3)"},
    {"ESTABLISHED", "CLOSE_WAIT", "rcv FIN",
     "the peer's FIN arrives: ACK it and tell the application -> CLOSE_WAIT, until our "
     "application calls CLOSE (3.10.7.4, eighth check)"},
    {"FIN_WAIT_1", "FIN_WAIT_2", "rcv ACK of FIN",
     "our FIN is ACKed -> FIN_WAIT_2, wait for the peer's FIN (3.10.7.4, fifth check)"},
    {"FIN_WAIT_1", "CLOSING", "rcv FIN",
     "the peer's FIN arrives before the ACK of ours (simultaneous close): ACK it "
     "-> CLOSING (3.10.7.4, eighth check; 3.6 Figure 13)"},
    {"FIN_WAIT_1", "TIME_WAIT", "rcv FIN|ACK",
     "the peer's FIN arrives and ACKs our FIN: ACK it -> TIME_WAIT, start the 2*MSL "
     "timer (3.10.7.4, eighth check)"},
    {"FIN_WAIT_2", "TIME_WAIT", "rcv FIN",
     "the peer's FIN arrives: ACK it -> TIME_WAIT, start the 2*MSL timer (3.10.7.4, "
     "eighth check)"},
    {"CLOSING", "TIME_WAIT", "rcv ACK of FIN",
     "our FIN is ACKed -> TIME_WAIT, start the 2*MSL timer (3.10.7.4, fifth check)"},
    {"LAST_ACK", "CLOSED", "rcv ACK of FIN",
     "our FIN is ACKed: both directions are closed, delete the TCB -> CLOSED (3.10.7.4, "
     "fifth check)"},
    {"TIME_WAIT", "CLOSED", "rcv RST",
     "a RST arrives: delete the TCB -> CLOSED, \"TIME-WAIT assassination\" (3.10.7.4, "
     "second check; RFC 1337 argues against it)"},
    {"*", "CLOSED", "rcv RST",
     "an acceptable RST arrives: connection reset, delete the TCB -> CLOSED (3.10.7.4, "
     "second check)"},
    {"*", "CLOSED", "rcv SYN",
     "a SYN in the window is an error (RFC 793 rule; RFC 5961 answers with a challenge "
     "ACK instead): send RST, connection reset -> CLOSED (3.10.7.4, fourth check)"},

    /* Timeouts (3.10.8, 3.8.3). */
    {"TIME_WAIT", "CLOSED", "2MSL timeout",
     "the 2*MSL timer expired: no old duplicate of this connection can still be in the "
     "network, delete the TCB -> CLOSED (3.10.8, 3.6.1)"},
    {"FIN_WAIT_2", "CLOSED", "FIN_WAIT_2 timeout",
     "the peer's FIN never came and the FIN_WAIT_2 timer expired -> CLOSED (not in "
     "RFC 9293, which waits forever; Linux tcp_fin_timeout)"},
    {"*", "CLOSED", "retransmissions exhausted",
     "a segment went unacknowledged through its retransmissions up to the give-up "
     "threshold R2: connection timed out -> CLOSED (3.8.3)"},
};

static bool matches(const char *pattern, const char *value)
{
    return strcmp(pattern, "*") == 0 || (value && strcmp(pattern, value) == 0);
}

static const struct explanation *find(const char *from, const char *to, const char *cause)
{
    for (size_t i = 0; i < sizeof explanations / sizeof explanations[0]; i++) {
        const struct explanation *e = &explanations[i];
        if (matches(e->from, from) && matches(e->to, to) && matches(e->cause, cause))
            return e;
    }
    return NULL;
}

/* The generic line: says what happened and where the RFC describes it. */
static const char *generic_section(const char *cause)
{
    if (!cause)
        return "3.10";
    if (strncmp(cause, "rcv ", 4) == 0)
        return "3.10.7";
    if (strncmp(cause, "app ", 4) == 0)
        return "3.10.1-3.10.5";
    return "3.10.8";
}

char *explain_transition(const char *from, const char *to, const char *cause, char *buf,
                         size_t size)
{
    const struct explanation *e = find(from, to, cause);
    if (e)
        snprintf(buf, size, "%s: %s", from, e->why);
    else
        snprintf(buf, size, "%s: %s -> %s (see %s for this event)", from,
                 cause ? cause : "an event", to, generic_section(cause));
    return buf;
}

bool explain_is_known(const char *from, const char *to, const char *cause)
{
    return find(from, to, cause) != NULL;
}
