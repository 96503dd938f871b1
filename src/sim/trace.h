/*
 * trace.h: the observer interface between the simulation and its outputs.
 * The simulation reports runs, connections, state transitions and segments
 * here; sinks (SQLite database, pcap capture, text log) implement
 * struct trace_sink_ops and know nothing of TCP internals: states and causes
 * arrive as the enums of the leaf header tcp_base.h (each sink names them
 * with tcp_state_name / tcp_cause_name), segments as wire fields.
 *
 * A struct trace fans every record out to its sinks in the order they were
 * added. With no sinks every call is a cheap loop over nothing.
 */
#ifndef TCPSIM_TRACE_H
#define TCPSIM_TRACE_H

#include <stddef.h>
#include <stdint.h>

#include "engine.h"
#include "segment.h"
#include "tcp_base.h"

#define TRACE_MAX_SINKS 8

enum segment_fate {
    FATE_DELIVERED,   /* arrived intact */
    FATE_LOST,        /* lost by the loss model (Bernoulli, Gilbert-Elliott) */
    FATE_DROPPED,     /* dropped by a deterministic drop rule of the scenario */
    FATE_DUPLICATED,  /* an extra copy made by the link; the original has its own row */
    FATE_CORRUPTED,   /* arrived damaged; the receiver discarded it */
    FATE_QUEUE_FULL,  /* tail-dropped at the sender's full link queue */
};
const char *segment_fate_name(enum segment_fate fate);

struct trace_param {
    const char *key;   /* dotted key as accepted by --set, e.g. "link.loss" */
    const char *value; /* as written, e.g. "0.05" or "20ms" */
};

struct trace_run_info {
    const char *scenario;        /* scenario name */
    const char *scenario_sha256; /* hex digest of the scenario file's bytes */
    uint64_t seed;
    uint32_t rep;                /* replication index, 0-based */
    const struct trace_param *params; /* the settings that differ from the file (--set, sweep) */
    size_t param_count;
    const char *stack;           /* the TCP that ran it: NULL = this simulator ("tcpsim VERSION"),
                                    else e.g. "linux 6.18.0" */
};

struct trace_run_result {
    const char *status;          /* "ok", "failed" (an expectation failed), "error" */
    sim_time sim_end_ns;         /* the last event, or `run until` when events were still due */
    uint64_t events;
    double wall_s;
    sim_time until_ns;           /* `run until`: where every stay still open ends; 0 = unknown */
};

struct trace_expectation {
    const char *text;            /* the expectation as written in the scenario */
    int passed;                  /* 1 passed, 0 failed */
    const char *detail;          /* expected against actual, for people */
};

struct trace_connection {
    uint64_t conn_id;
    const char *client, *server; /* host names; the client did the active OPEN */
    uint32_t client_addr, server_addr;
    uint16_t client_port, server_port;
    uint32_t client_isn, server_isn;
    int has_client_isn, has_server_isn;
    sim_time opened_ns;          /* the active OPEN */
    sim_time established_ns;     /* client reached ESTABLISHED; -1 = never */
    sim_time closed_ns;          /* the last TCB of the connection was deleted; -1 = not by the end */
};

struct trace_transition {
    sim_time t_ns;
    const char *host;            /* host name, e.g. "client" */
    uint64_t conn_id;            /* 0 = a listener, not a connection */
    enum tcp_state from_state, to_state;
    enum tcp_cause cause;        /* tcp_cause_name(): "rcv SYN", "app CLOSE", "2MSL timeout" */
    uint64_t seg_id;             /* the segment that triggered it; 0 = timer or application */
};

struct trace_segment {
    const struct segment *seg;   /* wire fields, id, conn_id, retransmission */
    const char *sender, *receiver; /* host names */
    sim_time sent_ns;
    sim_time arrived_ns;         /* -1 = never arrived */
    enum segment_fate fate;
    int rule_line;               /* the scenario line of the fault rule that acted on it
                                    (drop, delay, duplicate, corrupt); 0 = none */
};

/* One application call and its outcome (the calls table). */
struct trace_call {
    sim_time t_ns;
    const char *host;
    uint64_t conn_id;            /* 0 = no connection (a listener, or none to name) */
    enum tcp_call call;
    enum tcp_call_result result;
};

struct trace_sink;
struct trace_sink_ops {
    /* Returns 0, or -1 with a message in sink->error. */
    int (*run_start)(struct trace_sink *sink, const struct trace_run_info *run);
    void (*connection)(struct trace_sink *sink, const struct trace_connection *conn);
    void (*transition)(struct trace_sink *sink, const struct trace_transition *tr);
    void (*segment)(struct trace_sink *sink, const struct trace_segment *seg);
    void (*expectation)(struct trace_sink *sink, const struct trace_expectation *exp);
    /* Commit what the run recorded. Returns 0, or -1 with sink->error. */
    int (*run_end)(struct trace_sink *sink, const struct trace_run_result *result);
    /* Throw away what the run recorded (failed or interrupted run). */
    void (*run_abort)(struct trace_sink *sink);
    void (*destroy)(struct trace_sink *sink);
    /* Last, so that sinks initialised by position need not name it. */
    void (*call)(struct trace_sink *sink, const struct trace_call *call);
};

struct trace_sink {
    const struct trace_sink_ops *ops;
    char error[256];
};

struct trace {
    struct trace_sink *sinks[TRACE_MAX_SINKS];
    size_t sink_count;
};

void trace_init(struct trace *trace);
/* Returns 0, or -1 when TRACE_MAX_SINKS are already attached. */
int trace_add_sink(struct trace *trace, struct trace_sink *sink);
/* Detaches a sink without destroying it. */
void trace_remove_sink(struct trace *trace, struct trace_sink *sink);

/* Fan-out. run_start/run_end stop at the first failing sink and return its
 * index's error through *failed (may be NULL). */
int trace_run_start(struct trace *trace, const struct trace_run_info *run, struct trace_sink **failed);
void trace_connection(struct trace *trace, const struct trace_connection *conn);
void trace_transition(struct trace *trace, const struct trace_transition *tr);
void trace_segment(struct trace *trace, const struct trace_segment *seg);
void trace_expectation(struct trace *trace, const struct trace_expectation *exp);
void trace_call(struct trace *trace, const struct trace_call *call);
int trace_run_end(struct trace *trace, const struct trace_run_result *result, struct trace_sink **failed);
void trace_run_abort(struct trace *trace);
/* Destroys every sink. */
void trace_destroy_sinks(struct trace *trace);

#endif
