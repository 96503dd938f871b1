/*
 * tcp_base.h: the vocabulary every layer shares about a TCP connection, and
 * nothing else: the eleven states of RFC 9293 section 3.3.2 and the causes of
 * a state transition, each with the one name table that turns it into text at
 * the edges (database, ladder, log). A leaf header in the spirit of lwIP's
 * tcpbase.h: it includes nothing of tcpsim, so the sinks, the results layer
 * and the views can speak of states and causes without seeing the TCP.
 */
#ifndef TCPSIM_TCP_BASE_H
#define TCPSIM_TCP_BASE_H

enum tcp_state {
    TCP_CLOSED,
    TCP_LISTEN,
    TCP_SYN_SENT,
    TCP_SYN_RECEIVED,
    TCP_ESTABLISHED,
    TCP_FIN_WAIT_1,
    TCP_FIN_WAIT_2,
    TCP_CLOSE_WAIT,
    TCP_CLOSING,
    TCP_LAST_ACK,
    TCP_TIME_WAIT,
};
enum { TCP_STATE_COUNT = TCP_TIME_WAIT + 1 };

/* "SYN_RECEIVED", "TIME_WAIT", ... (RFC 9293 names, underscores);
 * "UNKNOWN" outside the enum. */
const char *tcp_state_name(enum tcp_state state);
/* Parses those names; returns -1 for an unknown name. */
int tcp_state_from_name(const char *name);

/* Why a connection changed state. The first group is the segment that
 * arrived (3.10.7), the second the application's call (3.10.1-3.10.5), the
 * third a timer (3.10.8, 3.8.3). TCP_CAUSE_NONE is for records that carry no
 * cause (a database row with a NULL cause). Add a cause here, give it a name
 * in tcp_base.c, its transitions in tcp/tcp_state.c's table and an --explain
 * line in view/explain.c (tests/test_ladder.c checks the last two). */
enum tcp_cause {
    TCP_CAUSE_NONE,
    TCP_CAUSE_RCV_SYN,            /* "rcv SYN" */
    TCP_CAUSE_RCV_SYN_ACK,        /* "rcv SYN|ACK" */
    TCP_CAUSE_RCV_ACK_OF_SYN,     /* "rcv ACK of SYN" */
    TCP_CAUSE_RCV_FIN,            /* "rcv FIN" */
    TCP_CAUSE_RCV_FIN_ACK,        /* "rcv FIN|ACK": a FIN that also ACKs our FIN */
    TCP_CAUSE_RCV_ACK_OF_FIN,     /* "rcv ACK of FIN" */
    TCP_CAUSE_RCV_RST,            /* "rcv RST" */
    TCP_CAUSE_APP_LISTEN,         /* "app LISTEN" */
    TCP_CAUSE_APP_CONNECT,        /* "app CONNECT" */
    TCP_CAUSE_APP_CLOSE,          /* "app CLOSE" */
    TCP_CAUSE_APP_ABORT,          /* "app ABORT" */
    TCP_CAUSE_TIME_WAIT_TIMEOUT,  /* "2MSL timeout" */
    TCP_CAUSE_FIN_WAIT_2_TIMEOUT, /* "FIN_WAIT_2 timeout" */
    TCP_CAUSE_SYN_RETRIES,        /* "SYN retries exhausted" */
    TCP_CAUSE_SYN_ACK_RETRIES,    /* "SYN-ACK retries exhausted" */
    TCP_CAUSE_RETRANSMISSIONS,    /* "retransmissions exhausted" */
    TCP_CAUSE_KERNEL,             /* "kernel": a transition the real stack made, cause unknown */
    TCP_CAUSE_RCV_DATA_AFTER_CLOSE, /* "rcv data after close": Linux resets (tcp_rcv_state_process) */
};
enum { TCP_CAUSE_COUNT = TCP_CAUSE_RCV_DATA_AFTER_CLOSE + 1 };

/* The cause as the database and the ladder write it ("rcv SYN|ACK");
 * NULL for TCP_CAUSE_NONE, "unknown" outside the enum. */
const char *tcp_cause_name(enum tcp_cause cause);
/* Parses those names; returns -1 for an unknown name. */
int tcp_cause_from_name(const char *name);

/* The application calls whose outcome a run records (the calls table). */
enum tcp_call {
    TCP_CALL_LISTEN,
    TCP_CALL_CONNECT,   /* recorded when its outcome is known: ESTABLISHED or the error */
    TCP_CALL_SEND,
    TCP_CALL_SHUTDOWN,
    TCP_CALL_CLOSE,
    TCP_CALL_ABORT,
    TCP_CALL_UNLISTEN,
    TCP_CALL_READ,      /* read off|on */
    TCP_CALL_SETSOCKOPT,
    TCP_CALL_INJECT,    /* not a socket call: a segment the scenario injects (ENOTCONN: no TCB to read) */
};
enum { TCP_CALL_COUNT = TCP_CALL_INJECT + 1 };
/* "listen", "connect", ... as the scenario language writes them. */
const char *tcp_call_name(enum tcp_call call);
int tcp_call_from_name(const char *name);

/* A call's result: ok or the errno a socket would report. */
enum tcp_call_result {
    TCP_RESULT_OK,
    TCP_RESULT_ECONNREFUSED,
    TCP_RESULT_ETIMEDOUT,
    TCP_RESULT_ECONNRESET,
    TCP_RESULT_EPIPE,
    TCP_RESULT_ENOTCONN,
    TCP_RESULT_EADDRINUSE,
    TCP_RESULT_EADDRNOTAVAIL,
    TCP_RESULT_ENOMEM,
    TCP_RESULT_ECONNABORTED,
    TCP_RESULT_EINVAL,
    TCP_RESULT_EOTHER,  /* an errno outside this list (the kernel backend) */
};
enum { TCP_RESULT_COUNT = TCP_RESULT_EOTHER + 1 };
/* "ok", "ECONNREFUSED", ... */
const char *tcp_call_result_name(enum tcp_call_result result);
int tcp_call_result_from_name(const char *name);
/* The result for a real errno value (0 = ok). */
enum tcp_call_result tcp_call_result_from_errno(int error);

#endif
