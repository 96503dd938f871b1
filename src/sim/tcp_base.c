/*
 * tcp_base.c: the name tables of tcp_base.h. Names are what users read and
 * query (docs/schema.md lists them); the program passes the enums.
 */
#include "tcp_base.h"

#include <errno.h>
#include <string.h>

static const char *const state_names[TCP_STATE_COUNT] = {
    "CLOSED", "LISTEN", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT_1",
    "FIN_WAIT_2", "CLOSE_WAIT", "CLOSING", "LAST_ACK", "TIME_WAIT",
};

static const char *const cause_names[TCP_CAUSE_COUNT] = {
    [TCP_CAUSE_NONE] = NULL,
    [TCP_CAUSE_RCV_SYN] = "rcv SYN",
    [TCP_CAUSE_RCV_SYN_ACK] = "rcv SYN|ACK",
    [TCP_CAUSE_RCV_ACK_OF_SYN] = "rcv ACK of SYN",
    [TCP_CAUSE_RCV_FIN] = "rcv FIN",
    [TCP_CAUSE_RCV_FIN_ACK] = "rcv FIN|ACK",
    [TCP_CAUSE_RCV_ACK_OF_FIN] = "rcv ACK of FIN",
    [TCP_CAUSE_RCV_RST] = "rcv RST",
    [TCP_CAUSE_APP_LISTEN] = "app LISTEN",
    [TCP_CAUSE_APP_CONNECT] = "app CONNECT",
    [TCP_CAUSE_APP_CLOSE] = "app CLOSE",
    [TCP_CAUSE_APP_ABORT] = "app ABORT",
    [TCP_CAUSE_TIME_WAIT_TIMEOUT] = "2MSL timeout",
    [TCP_CAUSE_FIN_WAIT_2_TIMEOUT] = "FIN_WAIT_2 timeout",
    [TCP_CAUSE_SYN_RETRIES] = "SYN retries exhausted",
    [TCP_CAUSE_SYN_ACK_RETRIES] = "SYN-ACK retries exhausted",
    [TCP_CAUSE_RETRANSMISSIONS] = "retransmissions exhausted",
    [TCP_CAUSE_KERNEL] = "kernel",
    [TCP_CAUSE_RCV_DATA_AFTER_CLOSE] = "rcv data after close",
};

static const char *const call_names[TCP_CALL_COUNT] = {
    "listen", "connect", "send", "shutdown", "close", "abort", "unlisten", "read", "setsockopt",
    "inject",
};

static const char *const result_names[TCP_RESULT_COUNT] = {
    "ok", "ECONNREFUSED", "ETIMEDOUT", "ECONNRESET", "EPIPE", "ENOTCONN", "EADDRINUSE",
    "EADDRNOTAVAIL", "ENOMEM", "ECONNABORTED", "EINVAL", "EOTHER",
};

const char *tcp_state_name(enum tcp_state state)
{
    return (unsigned)state < TCP_STATE_COUNT ? state_names[state] : "UNKNOWN";
}

int tcp_state_from_name(const char *name)
{
    for (int s = 0; s < TCP_STATE_COUNT; s++)
        if (strcmp(name, state_names[s]) == 0)
            return s;
    return -1;
}

const char *tcp_cause_name(enum tcp_cause cause)
{
    return (unsigned)cause < TCP_CAUSE_COUNT ? cause_names[cause] : "unknown";
}

int tcp_cause_from_name(const char *name)
{
    for (int c = 1; c < TCP_CAUSE_COUNT; c++)
        if (strcmp(name, cause_names[c]) == 0)
            return c;
    return -1;
}

static int index_of(const char *const *names, int count, const char *name)
{
    for (int i = 0; i < count; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *tcp_call_name(enum tcp_call call)
{
    return (unsigned)call < TCP_CALL_COUNT ? call_names[call] : "unknown";
}

int tcp_call_from_name(const char *name) { return index_of(call_names, TCP_CALL_COUNT, name); }

const char *tcp_call_result_name(enum tcp_call_result result)
{
    return (unsigned)result < TCP_RESULT_COUNT ? result_names[result] : "EOTHER";
}

int tcp_call_result_from_name(const char *name)
{
    return index_of(result_names, TCP_RESULT_COUNT, name);
}

enum tcp_call_result tcp_call_result_from_errno(int error)
{
    switch (error) {
    case 0: return TCP_RESULT_OK;
    case ECONNREFUSED: return TCP_RESULT_ECONNREFUSED;
    case ETIMEDOUT: return TCP_RESULT_ETIMEDOUT;
    case ECONNRESET: return TCP_RESULT_ECONNRESET;
    case EPIPE: return TCP_RESULT_EPIPE;
    case ENOTCONN: return TCP_RESULT_ENOTCONN;
    case EADDRINUSE: return TCP_RESULT_EADDRINUSE;
    case EADDRNOTAVAIL: return TCP_RESULT_EADDRNOTAVAIL;
    case ENOMEM: return TCP_RESULT_ENOMEM;
    case ECONNABORTED: return TCP_RESULT_ECONNABORTED;
    case EINVAL: return TCP_RESULT_EINVAL;
    default: return TCP_RESULT_EOTHER;
    }
}
