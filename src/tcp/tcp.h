/*
 * tcp.h: one host's TCP. Listeners and connections driven by application
 * calls (the user interface of RFC 9293 section 3.9.1: OPEN, SEND, RECEIVE,
 * CLOSE, ABORT) and by arriving segments, through the eleven states of the
 * RFC, with the retransmission, TIME-WAIT and FIN-WAIT-2 timers.
 *
 * Every state change goes through one function that reports it to the trace
 * with time, host, connection, from, to, cause and triggering segment.
 * Segments leave through the host's output function (the world hands them to
 * the link). A struct tcp_network numbers connections across the hosts of one
 * simulation so both ends of a connection share one conn_id.
 */
#ifndef TCPSIM_TCP_H
#define TCPSIM_TCP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "tcp_base.h"
#include "rng.h"
#include "segment.h"
#include "tcp_config.h"
#include "trace.h"

enum tcp_error {
    TCP_OK = 0,
    TCP_ERR_EXISTS,         /* "connection already exists" */
    TCP_ERR_NO_CONNECTION,  /* "connection does not exist" */
    TCP_ERR_CLOSING,        /* "connection closing" */
    TCP_ERR_REFUSED,        /* RST in SYN_SENT: connection refused */
    TCP_ERR_RESET,          /* RST in a synchronized state: connection reset */
    TCP_ERR_TIMEOUT,        /* retransmissions exhausted */
    TCP_ERR_NO_PORTS,       /* no free ephemeral port for this destination */
    TCP_ERR_NO_MEMORY,
    TCP_ERR_ABORTED,        /* the local application aborted */
};
const char *tcp_error_name(enum tcp_error error);
/* The errno name a socket call returns for it (the calls table). */
enum tcp_call_result tcp_error_result(enum tcp_error error);

struct tcp_conn;   /* a TCB: a listener or a connection */
struct tcp_host;
struct tcp_network;

/* What the application above a host is told. Any pointer may be NULL. */
struct tcp_app_ops {
    /* An active OPEN reached ESTABLISHED. */
    void (*connected)(void *app, struct tcp_conn *conn);
    /* A connection born from `listener` reached ESTABLISHED. */
    void (*accepted)(void *app, struct tcp_conn *listener, struct tcp_conn *conn);
    /* In-order data is waiting: tcp_receive() takes it. */
    void (*readable)(void *app, struct tcp_conn *conn, size_t bytes);
    /* A write that blocked for want of send buffer handed over its last
     * byte (tcp_write_pending() is 0 again). */
    void (*written)(void *app, struct tcp_conn *conn);
    /* The peer's FIN arrived after all its data: end of stream. */
    void (*peer_closed)(void *app, struct tcp_conn *conn);
    /* The TCB is deleted (normal end, reset, refusal, timeout, abort). The
     * conn pointer is invalid once this returns. */
    void (*closed)(void *app, struct tcp_conn *conn, enum tcp_error why);
};

/* Segments leave a host through this function; seg is valid during the call. */
typedef void tcp_output_fn(void *context, struct segment *seg);

/* One per simulation: hands out conn_ids and reports struct
 * trace_connection when both ends of a connection are gone. */
struct tcp_network *tcp_network_create(struct sim *sim, struct trace *trace);
/* Reports the connections still open as not closed, then frees. */
void tcp_network_finish(struct tcp_network *network);
void tcp_network_destroy(struct tcp_network *network);

/* isn_rng is used for TCP_ISN_RANDOM and as the secret of TCP_ISN_RFC6528;
 * the host does not own it. It may be NULL with TCP_ISN_FIXED. */
struct tcp_host *tcp_host_create(struct tcp_network *network, const struct tcp_host_config *config,
                                 struct rng *isn_rng, tcp_output_fn *output, void *output_context,
                                 const struct tcp_app_ops *app_ops, void *app);
void tcp_host_destroy(struct tcp_host *host);

/* A segment arrived at this host (RFC 9293 3.10.7 SEGMENT ARRIVES). */
void tcp_on_segment(struct tcp_host *host, const struct segment *seg);

/* User calls (RFC 9293 3.10.1 - 3.10.5). */
struct tcp_conn *tcp_listen(struct tcp_host *host, uint16_t port, int backlog, enum tcp_error *error);
/* local_addr 0 and local_port 0 choose from the host's addresses and
 * ephemeral range. */
struct tcp_conn *tcp_connect(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                             uint32_t remote_addr, uint16_t remote_port, enum tcp_error *error);
/* A blocking write(2) of len bytes that repeat `pattern` (period bytes;
 * NULL: zeros): what fits in the free send buffer is queued now, the rest
 * as ACKs free room, and app_ops.written tells when the last byte is
 * queued. The pattern must stay valid until then. A CLOSE or SHUT_WR
 * meanwhile sends its FIN after the whole write. TCP_OK or an error. */
enum tcp_error tcp_write(struct tcp_conn *conn, const uint8_t *pattern, size_t period, uint64_t len);
/* Queues all len bytes of data now, even past the send buffer (the
 * caller keeps no copy); TCP_ERR_NO_MEMORY while a tcp_write is blocked. */
enum tcp_error tcp_send(struct tcp_conn *conn, const uint8_t *data, size_t len);
/* Bytes of the application's writes not yet in the send buffer. */
uint64_t tcp_write_pending(const struct tcp_conn *conn);
/* Takes up to max in-order bytes; returns how many. */
size_t tcp_receive(struct tcp_conn *conn, uint8_t *buf, size_t max);
/* close(): orphans the socket (the linux profile's orphan rules apply);
 * resets instead with unread data (rst_on_close_unread) or SO_LINGER 0. */
enum tcp_error tcp_close(struct tcp_conn *conn);
/* shutdown(): SHUT_RD (reading), SHUT_WR (writing: RFC 9293's CLOSE, a
 * half-close that keeps receiving), or both. */
enum tcp_error tcp_shutdown(struct tcp_conn *conn, bool reading, bool writing);
/* SO_LINGER with l_linger 0: close() aborts with RST. */
void tcp_set_linger_abort(struct tcp_conn *conn, bool abort);
/* SO_RCVBUF: the receive window is at most `bytes` (at most 65535: no
 * window scaling). Connections accepted by a listener inherit it, as they
 * inherit SO_LINGER and TCP_USER_TIMEOUT. */
void tcp_set_rcv_buf(struct tcp_conn *conn, uint32_t bytes);
/* SO_SNDBUF: the send buffer holds at most `bytes` octets of payload
 * (sent and unacknowledged, or not yet sent), and autotuning (the linux
 * profile's snd_buf_max) stops; children inherit it. */
void tcp_set_snd_buf(struct tcp_conn *conn, uint32_t bytes);
/* TCP_USER_TIMEOUT: once synchronized, the connection is aborted
 * (ETIMEDOUT) when data stays unacknowledged, or a zero window stays
 * closed while probed, this long; the retransmission timer is clamped to
 * fire then. 0 restores the retry counts (data_retries). */
void tcp_set_user_timeout(struct tcp_conn *conn, sim_time timeout);
enum tcp_error tcp_abort(struct tcp_conn *conn);

/* Looking at a TCB. */
enum tcp_state tcp_conn_state(const struct tcp_conn *conn);
uint64_t tcp_conn_id(const struct tcp_conn *conn);   /* 0 for a listener */
bool tcp_conn_is_listener(const struct tcp_conn *conn);
void tcp_conn_set_app_data(struct tcp_conn *conn, void *data);
void *tcp_conn_app_data(const struct tcp_conn *conn);
struct tcp_conn_info {
    uint32_t local_addr, remote_addr;
    uint16_t local_port, remote_port;
    uint32_t iss, irs;           /* irs valid once a SYN was received */
    uint32_t snd_una, snd_nxt, rcv_nxt;
    uint32_t snd_wnd, rcv_wnd;
    sim_time srtt, rttvar, rto;  /* srtt 0 until the first sample */
    uint32_t retransmissions;    /* segments this TCB retransmitted */
    uint64_t bytes_sent, bytes_received; /* payload handed by/to the application */
};
void tcp_conn_info(const struct tcp_conn *conn, struct tcp_conn_info *info);
/* The TCB of a 4-tuple (not a listener), or NULL: how the scenario's
 * inject and `expect HOST sends` read a connection's variables. */
struct tcp_conn *tcp_conn_find(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                               uint32_t remote_addr, uint16_t remote_port);

struct tcp_host_stats {
    uint64_t segments_sent, segments_received, retransmissions;
    uint64_t resets_sent, connections_opened, connections_failed;
    uint64_t tcbs;                        /* TCBs alive now, listeners included */
    uint64_t in_state[TCP_STATE_COUNT];   /* TCBs in each state now */
    uint64_t unlisted_transitions;        /* made but not in tcp_state.c's table: a bug */
};
const struct tcp_host_stats *tcp_host_stats(const struct tcp_host *host);
/* What one connection alive on both hosts (two TCBs with their buffer
 * headers, one record) charges to the run's memory budget, data not
 * counted: for projecting a workload's memory (tcpsim check). */
size_t tcp_connection_footprint(void);
const char *tcp_host_name(const struct tcp_host *host);

#endif
