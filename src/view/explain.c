/*
 * explain.c: the table behind `tcpsim ladder --explain`: for each state
 * transition the TCP records, one line saying why, in RFC 9293's terms,
 * with the section that says so. Rows are keyed by the enums of
 * tcp_base.h (from, to, cause) and tried in order; ANY_STATE in `from`
 * matches every state, so specific rows come before the general ones.
 * tests/test_ladder.c checks that every transition the TCP declares
 * (src/tcp/tcp_state.c) has a row here.
 */
#include "explain.h"

#include <stdio.h>

#include "segment.h"

enum { ANY_STATE = -1 };

struct explanation {
    int from;             /* enum tcp_state, or ANY_STATE */
    enum tcp_state to;
    enum tcp_cause cause;
    const char *why;      /* printed after "FROM: " */
};

static const struct explanation explanations[] = {
    /* User calls (3.10.1, 3.10.4, 3.10.5). */
    {TCP_CLOSED, TCP_LISTEN, TCP_CAUSE_APP_LISTEN,
     "the application does a passive OPEN: a TCB waits for a SYN -> LISTEN (3.10.1)"},
    {TCP_CLOSED, TCP_SYN_SENT, TCP_CAUSE_APP_CONNECT,
     "the application does an active OPEN: choose the ISN, send <SEQ=ISS><CTL=SYN> "
     "-> SYN_SENT (3.10.1)"},
    {TCP_ESTABLISHED, TCP_FIN_WAIT_1, TCP_CAUSE_APP_CLOSE,
     "the application calls CLOSE: send FIN after any queued data -> FIN_WAIT_1 (3.10.4)"},
    {TCP_CLOSE_WAIT, TCP_LAST_ACK, TCP_CAUSE_APP_CLOSE,
     "the application calls CLOSE after the peer's FIN: send our FIN -> LAST_ACK, "
     "wait for its ACK (3.10.4)"},
    {ANY_STATE, TCP_CLOSED, TCP_CAUSE_APP_CLOSE,
     "the application calls CLOSE before a connection exists: delete the TCB, nothing "
     "is sent -> CLOSED (3.10.4)"},
    {ANY_STATE, TCP_CLOSED, TCP_CAUSE_APP_ABORT,
     "the application calls ABORT: send <SEQ=SND.NXT><CTL=RST> if synchronized, delete "
     "the TCB -> CLOSED, no TIME_WAIT (3.10.5)"},

    /* SEGMENT ARRIVES in LISTEN and SYN-SENT (3.10.7.2, 3.10.7.3). */
    {TCP_LISTEN, TCP_SYN_RECEIVED, TCP_CAUSE_RCV_SYN,
     "a SYN arrives: IRS = SEG.SEQ, RCV.NXT = SEG.SEQ+1, send "
     "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> -> SYN_RECEIVED (3.10.7.2)"},
    {TCP_SYN_SENT, TCP_ESTABLISHED, TCP_CAUSE_RCV_SYN_ACK,
     "our SYN is ACKed and the peer's SYN is set -> ESTABLISHED, send ACK (3.10.7.3)"},
    {TCP_SYN_SENT, TCP_SYN_RECEIVED, TCP_CAUSE_RCV_SYN,
     "the peer's SYN arrives without an ACK (simultaneous open) -> SYN_RECEIVED, send "
     "<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK> (3.10.7.3, Figure 7)"},
    {TCP_SYN_SENT, TCP_CLOSED, TCP_CAUSE_RCV_RST,
     "a RST whose ACK acknowledges our SYN: connection refused, delete the TCB "
     "-> CLOSED (3.10.7.3)"},
    {TCP_SYN_SENT, TCP_CLOSED, TCP_CAUSE_SYN_RETRIES,
     "no answer to the SYN and its retransmissions up to the give-up threshold R2: "
     "connection timed out -> CLOSED (3.8.3)"},

    /* SEGMENT ARRIVES in SYN-RECEIVED and the synchronized states (3.10.7.4). */
    {TCP_SYN_RECEIVED, TCP_ESTABLISHED, TCP_CAUSE_RCV_ACK_OF_SYN,
     "the ACK acknowledges our SYN (SND.UNA < SEG.ACK =< SND.NXT) -> ESTABLISHED "
     "(3.10.7.4, fifth check)"},
    {TCP_SYN_RECEIVED, TCP_LISTEN, TCP_CAUSE_RCV_RST,
     "a RST on a connection from a passive OPEN: return to LISTEN, the application is "
     "not told (3.10.7.4, second check)"},
    {TCP_SYN_RECEIVED, TCP_CLOSED, TCP_CAUSE_RCV_RST,
     "a RST on a connection from an active OPEN: connection refused -> CLOSED "
     "(3.10.7.4, second check)"},
    {TCP_SYN_RECEIVED, TCP_LISTEN, TCP_CAUSE_RCV_SYN,
     "a SYN in the window on a connection from a passive OPEN: return this connection "
     "to LISTEN (3.10.7.4, fourth check)"},
    {TCP_SYN_RECEIVED, TCP_CLOSED, TCP_CAUSE_SYN_ACK_RETRIES,
     "no ACK for the SYN|ACK and its retransmissions up to the give-up threshold: the "
     "half-open connection is dropped -> CLOSED (3.8.3)"},
    {TCP_ESTABLISHED, TCP_CLOSE_WAIT, TCP_CAUSE_RCV_FIN,
     "the peer's FIN arrives: ACK it and tell the application -> CLOSE_WAIT, until our "
     "application calls CLOSE (3.10.7.4, eighth check)"},
    {TCP_FIN_WAIT_1, TCP_FIN_WAIT_2, TCP_CAUSE_RCV_ACK_OF_FIN,
     "our FIN is ACKed -> FIN_WAIT_2, wait for the peer's FIN (3.10.7.4, fifth check)"},
    {TCP_FIN_WAIT_1, TCP_CLOSING, TCP_CAUSE_RCV_FIN,
     "the peer's FIN arrives before the ACK of ours (simultaneous close): ACK it "
     "-> CLOSING (3.10.7.4, eighth check; 3.6 Figure 13)"},
    {TCP_FIN_WAIT_1, TCP_TIME_WAIT, TCP_CAUSE_RCV_FIN_ACK,
     "the peer's FIN arrives and ACKs our FIN: ACK it -> TIME_WAIT, start the 2*MSL "
     "timer (3.10.7.4, eighth check)"},
    {TCP_FIN_WAIT_2, TCP_TIME_WAIT, TCP_CAUSE_RCV_FIN,
     "the peer's FIN arrives: ACK it -> TIME_WAIT, start the 2*MSL timer (3.10.7.4, "
     "eighth check)"},
    {TCP_CLOSING, TCP_TIME_WAIT, TCP_CAUSE_RCV_ACK_OF_FIN,
     "our FIN is ACKed -> TIME_WAIT, start the 2*MSL timer (3.10.7.4, fifth check)"},
    {TCP_LAST_ACK, TCP_CLOSED, TCP_CAUSE_RCV_ACK_OF_FIN,
     "our FIN is ACKed: both directions are closed, delete the TCB -> CLOSED (3.10.7.4, "
     "fifth check)"},
    {TCP_TIME_WAIT, TCP_CLOSED, TCP_CAUSE_RCV_RST,
     "a RST arrives: delete the TCB -> CLOSED, \"TIME-WAIT assassination\" (3.10.7.4, "
     "second check; RFC 1337 argues against it)"},
    {ANY_STATE, TCP_CLOSED, TCP_CAUSE_RCV_RST,
     "an acceptable RST arrives: connection reset, delete the TCB -> CLOSED (3.10.7.4, "
     "second check)"},
    {ANY_STATE, TCP_CLOSED, TCP_CAUSE_RCV_SYN,
     "a SYN in the window is an error (RFC 793 rule; RFC 5961 answers with a challenge "
     "ACK instead): send RST, connection reset -> CLOSED (3.10.7.4, fourth check)"},

    /* Timeouts (3.10.8, 3.8.3). */
    {TCP_TIME_WAIT, TCP_CLOSED, TCP_CAUSE_TIME_WAIT_TIMEOUT,
     "the 2*MSL timer expired: no old duplicate of this connection can still be in the "
     "network, delete the TCB -> CLOSED (3.10.8, 3.6.1)"},
    {TCP_FIN_WAIT_2, TCP_CLOSED, TCP_CAUSE_FIN_WAIT_2_TIMEOUT,
     "the peer's FIN never came and the FIN_WAIT_2 timer expired -> CLOSED (not in "
     "RFC 9293, which waits forever; Linux tcp_fin_timeout)"},
    {TCP_FIN_WAIT_1, TCP_CLOSED, TCP_CAUSE_RCV_DATA_AFTER_CLOSE,
     "data arrived after the application closed the socket for reading (close()): nobody "
     "will read it, so Linux sends RST and drops the connection -> CLOSED (RFC 2525 2.17; "
     "RFC 9293 would accept it)"},
    {TCP_FIN_WAIT_2, TCP_CLOSED, TCP_CAUSE_RCV_DATA_AFTER_CLOSE,
     "data arrived at an orphaned socket (the application called close(), not shutdown()): "
     "Linux answers with RST -> CLOSED (RFC 2525 2.17; RFC 9293 would accept it)"},
    {ANY_STATE, TCP_CLOSED, TCP_CAUSE_RETRANSMISSIONS,
     "a segment went unacknowledged through its retransmissions up to the give-up "
     "threshold R2: connection timed out -> CLOSED (3.8.3)"},
};

static const struct explanation *find(enum tcp_state from, enum tcp_state to,
                                      enum tcp_cause cause)
{
    for (size_t i = 0; i < sizeof explanations / sizeof explanations[0]; i++) {
        const struct explanation *e = &explanations[i];
        if ((e->from == ANY_STATE || e->from == (int)from) && e->to == to && e->cause == cause)
            return e;
    }
    return NULL;
}

/* The generic line: says what happened and where the RFC describes it. */
static const char *generic_section(enum tcp_cause cause)
{
    switch (cause) {
    case TCP_CAUSE_NONE:
        return "3.10";
    case TCP_CAUSE_RCV_SYN:
    case TCP_CAUSE_RCV_SYN_ACK:
    case TCP_CAUSE_RCV_ACK_OF_SYN:
    case TCP_CAUSE_RCV_FIN:
    case TCP_CAUSE_RCV_FIN_ACK:
    case TCP_CAUSE_RCV_ACK_OF_FIN:
    case TCP_CAUSE_RCV_RST:
    case TCP_CAUSE_RCV_DATA_AFTER_CLOSE:
        return "3.10.7"; /* SEGMENT ARRIVES */
    case TCP_CAUSE_APP_LISTEN:
    case TCP_CAUSE_APP_CONNECT:
    case TCP_CAUSE_APP_CLOSE:
    case TCP_CAUSE_APP_ABORT:
        return "3.10.1-3.10.5"; /* the user calls */
    case TCP_CAUSE_TIME_WAIT_TIMEOUT:
    case TCP_CAUSE_FIN_WAIT_2_TIMEOUT:
    case TCP_CAUSE_SYN_RETRIES:
    case TCP_CAUSE_SYN_ACK_RETRIES:
    case TCP_CAUSE_RETRANSMISSIONS:
    case TCP_CAUSE_KERNEL:
        break;
    }
    return "3.10.8"; /* timeouts (no default: a new cause is a -Wswitch warning here) */
}

char *explain_transition(enum tcp_state from, enum tcp_state to, enum tcp_cause cause, char *buf,
                         size_t size)
{
    const struct explanation *e = find(from, to, cause);
    const char *cause_name = tcp_cause_name(cause);
    if (e)
        snprintf(buf, size, "%s: %s", tcp_state_name(from), e->why);
    else
        snprintf(buf, size, "%s: %s -> %s (see %s for this event)", tcp_state_name(from),
                 cause_name ? cause_name : "an event", tcp_state_name(to),
                 generic_section(cause));
    return buf;
}

bool explain_is_known(enum tcp_state from, enum tcp_state to, enum tcp_cause cause)
{
    return find(from, to, cause) != NULL;
}

/* ---- segments that change no state ---- */

static bool synchronized(enum tcp_state state)
{
    return state >= TCP_ESTABLISHED && state <= TCP_TIME_WAIT;
}

static bool only_ack(uint8_t flags)
{
    return (flags & (TCP_FLAG_SYN | TCP_FLAG_FIN | TCP_FLAG_RST)) == 0 && (flags & TCP_FLAG_ACK);
}

/* The rules are tried in order; each names the check of 3.10.7.4 (or the
 * RFC) that sends the segment. They read the pattern on the wire (what
 * arrived, in which state, what went back), which is all the database
 * records: a segment carries no reason of its own. */
bool explain_segment_sent(const struct explain_segment *s, char *buf, size_t size)
{
    const char *state = tcp_state_name(s->state);
    uint8_t in = s->answered_flags;
    bool answers = s->answers && !s->answered_changed_state; /* an answer that changes nothing */
    bool answers_syn = answers && (in & TCP_FLAG_SYN) && !(in & TCP_FLAG_ACK);
    if (answers && s->state == TCP_TIME_WAIT && (in & TCP_FLAG_FIN) && only_ack(s->flags) &&
        s->len == 0)
        snprintf(buf, size, "%s: the peer's FIN came again (our last ACK was lost): ACK it "
                 "again and restart the 2MSL timer (3.10.7.4)", state);
    else if (answers_syn && s->state == TCP_SYN_RECEIVED &&
             (s->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK)) == (TCP_FLAG_SYN | TCP_FLAG_ACK))
        snprintf(buf, size, "%s: the peer's SYN came again (our SYN,ACK was lost or is late): "
                 "send SYN,ACK again (3.10.7.4)", state);
    else if (answers_syn && synchronized(s->state) && only_ack(s->flags))
        snprintf(buf, size, "%s: a SYN in a synchronized state (a duplicate, or a new "
                 "connection on the same ports): send a challenge ACK and drop the SYN "
                 "(RFC 5961 4.2, 3.10.7.4)", state);
    else if (answers && (in & TCP_FLAG_RST) && only_ack(s->flags))
        snprintf(buf, size, "%s: a RST in the window but not at RCV.NXT: send a challenge ACK, "
                 "keep the connection; only a RST at exactly RCV.NXT resets it "
                 "(RFC 5961 3.2)", state);
    else if (s->peer_window_zero && s->len > 0 && !(s->flags & (TCP_FLAG_SYN | TCP_FLAG_RST)))
        snprintf(buf, size, "%s: the peer's window is zero: a window probe (one byte beyond "
                 "it) asks whether the window has opened; the persist timer repeats it "
                 "(3.8.6.1)", state);
    else
        return false;
    return true;
}

bool explain_segment_arrived(const struct explain_segment *s, char *buf, size_t size)
{
    if (!(s->flags & TCP_FLAG_RST) || s->answered_changed_state)
        return false;
    snprintf(buf, size, "%s: the RST changes nothing: its SEQ is outside the receive window "
             "(or, with RFC 5961, not RCV.NXT), so it is not acceptable (3.10.7.4, "
             "RFC 5961 3.2)", tcp_state_name(s->state));
    return true;
}
