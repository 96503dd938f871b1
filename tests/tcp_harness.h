/*
 * tcp_harness.h: two TCP hosts wired directly through the engine, for the
 * TCP tests. Each host's output schedules delivery to the other host after
 * a one-way delay, unless a drop rule or a cut wire says otherwise. Segment
 * ids are assigned as the link does (incrementing per harness). A recording
 * trace sink and the output function write one readable line per record:
 *
 *   0.010000000 client CLOSED -> SYN_SENT (app CONNECT)
 *   0.010000000 client:40000 > server:80 SYN seq=1000 ack=0 len=0 win=65535
 *
 * so tests can assert on the log; the same records are kept as structs.
 * An injector puts a crafted segment into a host at a given time.
 */
#ifndef TCPSIM_TCP_HARNESS_H
#define TCPSIM_TCP_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp.h"

enum { H_CLIENT = 0, H_SERVER = 1, H_HOSTS = 2, H_INJECTED = -1 };

#define H_CLIENT_ADDR 0x0a000001u /* 10.0.0.1 */
#define H_SERVER_ADDR 0x0a000002u /* 10.0.0.2 */

/* What a drop rule matches (like the link's kinds, without the link). */
enum h_kind { HK_ANY, HK_SYN, HK_SYN_ACK, HK_ACK, HK_DATA, HK_FIN, HK_RST, HK_COUNT };

struct h_segment {          /* a segment some host sent, as the harness saw it */
    sim_time t;
    int from;               /* H_CLIENT, H_SERVER or H_INJECTED */
    struct segment seg;     /* data pointer cleared */
    bool dropped;
};

struct h_transition {
    sim_time t;
    int host;
    uint64_t conn_id;
    enum tcp_state from, to;
    enum tcp_cause cause;
    uint64_t seg_id;
};

struct harness;

struct h_app {              /* the application on one host */
    struct harness *h;
    int index;
    bool auto_read;         /* read everything when readable (default true) */
    bool close_on_peer_closed;
    bool close_on_readable;     /* CLOSE (or ABORT) right after reading */
    bool abort_on_readable;
    int connected, accepted, readable, peer_closed, closed;
    enum tcp_error last_error;
    struct tcp_conn *last_conn; /* last connected or accepted, NULL once closed */
    uint8_t *received;      /* every byte read, in order (all connections) */
    size_t received_len, received_cap;
};

struct harness_config {
    struct tcp_host_config host[H_HOSTS];
    sim_time delay;         /* one-way, both directions */
};

/* client 10.0.0.1 isn 1000 ports 40000..40099, server 10.0.0.2 isn 5000,
 * both with the named profile ("rfc9293" or "linux"), delay 10 ms. */
void harness_config_defaults(struct harness_config *cfg, const char *profile);

struct harness {
    struct sim *sim;
    struct trace trace;
    struct tcp_network *net;
    struct tcp_host *host[H_HOSTS];
    struct h_app app[H_HOSTS];
    struct harness_config cfg;
    sim_time delay[H_HOSTS];    /* one-way delay of what host i sends; may change mid-run */
    bool cut;                   /* drop everything sent from now on */
    bool record;                /* keep log, segments and transitions (default true) */
    uint64_t next_seg_id;
    uint64_t kind_count[H_HOSTS][HK_COUNT];
    struct h_drop { int from; enum h_kind kind; uint64_t nth, every; } drops[16];
    size_t drop_count;
    char *log;
    size_t log_len, log_cap;
    struct h_segment *sent;
    size_t sent_count, sent_cap;
    struct h_transition *tr;
    size_t tr_count, tr_cap;
    struct trace_connection *conns;
    size_t conn_count, conn_cap;
    struct h_flight *flight;    /* deliveries not yet made */
    struct h_sink { struct trace_sink sink; struct harness *h; } sink;
};

struct harness *harness_create(const struct harness_config *cfg);
void harness_destroy(struct harness *h);

/* Runs the engine up to absolute time t (the clock ends at t). */
void harness_run_until(struct harness *h, sim_time t);

/* Drop the nth (1-based) segment of `kind` sent by host `from`, or with
 * harness_drop_every every nth one. */
void harness_drop(struct harness *h, int from, enum h_kind kind, uint64_t nth);
void harness_drop_every(struct harness *h, int from, enum h_kind kind, uint64_t every);

/* Delivers a copy of seg (and its data) to host `to` at absolute time at. */
void harness_inject(struct harness *h, int to, sim_time at, const struct segment *seg);

/* The log so far, and whether some line contains `text`. */
const char *harness_log(const struct harness *h);
bool harness_log_has(const struct harness *h, const char *text);

/* Segments host `from` sent at or after `since`: how many, and the i-th. */
size_t harness_sent_since(const struct harness *h, int from, sim_time since);
const struct h_segment *harness_sent_nth(const struct harness *h, int from, sim_time since,
                                         size_t i);
/* The path of a connection on a host: its first from-state then every
 * to-state. Returns how many states were written. */
size_t harness_path(const struct harness *h, int host, uint64_t conn_id, enum tcp_state *states,
                    size_t max);
/* Writes the path as "CLOSED SYN_SENT ..." into buf. */
char *harness_path_string(const struct harness *h, int host, uint64_t conn_id, char *buf,
                          size_t size);
/* The time of the transition of conn_id on host into `to` (the n-th such, 1-based), or -1. */
sim_time harness_transition_time(const struct harness *h, int host, uint64_t conn_id,
                                 enum tcp_state to, int nth);
const struct h_transition *harness_last_transition(const struct harness *h, int host,
                                                   uint64_t conn_id);

/* Fills buf with the reference byte pattern starting at stream offset. */
void harness_pattern(uint8_t *buf, size_t offset, size_t len);

#endif
