/*
 * world.h: one run of a scenario. Builds the engine, the link, the two
 * hosts' TCP and the applications that follow the scenario's timeline and
 * workloads; runs until the scenario's stop time; checks its expectations
 * once; reports everything through the trace and returns the results (the
 * command line prints them). A world is a value: several can exist in one
 * process.
 */
#ifndef TCPSIM_WORLD_H
#define TCPSIM_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario.h"
#include "tcp.h"
#include "trace.h"

/* An application call that failed: worth telling, not an input error. */
struct world_note {
    sim_time t;
    int host;                    /* index into the scenario's hosts */
    enum tcp_call call;
    enum tcp_call_result result; /* never TCP_RESULT_OK */
};

#define WORLD_DETAIL_MAX 1200

struct world_expectation {
    const char *text;            /* as written: the scenario's text, valid while it lives */
    bool passed;
    char detail[WORLD_DETAIL_MAX]; /* expected against actual, for people and the database */
};

/* One host's side of a connection. */
struct world_conn_side {
    bool present;                /* the host's records hold this connection */
    enum tcp_state *path;        /* from the state it was created in (CLOSED or LISTEN) on */
    size_t path_length;
    uint64_t segments_sent, retransmissions, lost;
};

/* A connection as the summary lists it: the active side and its peer. */
struct world_connection {
    uint64_t conn_id;
    int client;                  /* the host that did the active OPEN */
    uint32_t client_addr;
    uint16_t client_port;
    sim_time handshake_ns;       /* active OPEN to ESTABLISHED; -1 = never established */
    struct world_conn_side side[SCENARIO_HOSTS];
};

/* What a run produced. Counters always; with world_options.details also the
 * notes, the expectations one by one and the first connections, which
 * world_report_free releases. */
struct world_report {
    const char *status;          /* "ok", "failed" (an expectation failed), "error" */
    sim_time sim_end_ns;
    uint64_t events;
    double wall_s;
    size_t expectations_passed, expectations_failed;
    uint64_t connections, established;
    uint64_t segments, retransmissions, lost;
    uint64_t unlisted_transitions; /* transitions outside tcp_state.c's table: a tcpsim bug */
    sim_time until_ns;           /* `run until`: where the run ends for every purpose */
    uint64_t open_at_until;      /* connection TCBs not CLOSED at the end (listeners not counted):
                                    their stays count up to until_ns */
    char error[512];             /* when status is "error", or why a "failed" run
                                    stopped (out of memory, the memory limit) */
    bool memory_limit_reached;   /* world_options.max_memory stopped the run */

    struct world_note *notes; size_t note_count;                     /* details or notes */
    struct world_expectation *expectations; size_t expectation_count; /* details */
    struct world_connection *listed; size_t listed_count;   /* details: the first connections
                                                               (WORLD_LISTED_CONNS per host) */
};

#define WORLD_LISTED_CONNS 20

struct world_options {
    uint64_t seed;
    uint32_t rep;
    bool details;                /* keep notes, expectations and connections for a summary */
    bool notes;                  /* keep the notes (failed calls) even without details */
    bool skip_expectations;      /* do not check the scenario's expectations */
    sim_time progress_interval;  /* unused when 0 */
    uint64_t max_events;         /* stop after this many simulated events; 0 = no cap. A run the
                                    cap stops is "failed" with report->error saying so, since
                                    its results are incomplete */
    uint64_t max_memory;         /* bytes the run may account (sim_memory_charge: events, TCBs,
                                    buffers, connection records); a run that would pass it
                                    stops there, "failed" with report->error saying so; 0 = no
                                    limit */
};

/* What a workload connection alive on both hosts charges to the memory
 * budget (TCP's part and the world's), its data not counted: what tcpsim
 * check multiplies by a workload's projected live connections. */
size_t world_connection_footprint(void);

/* Runs the scenario once. The trace's run is started and ended (committed)
 * here, or aborted when the run cannot be recorded. Returns 0 when the run
 * happened (report->status says whether expectations held), -1 on an error
 * (report->error). */
int world_run(const struct scenario *scenario, const struct world_options *options,
              struct trace *trace, struct world_report *report);
/* How many of the scenario's workload connections can be alive at once at
 * most: per workload, the count, or with server_close=never all of them,
 * else the arrival rate times a connection's lifetime (its close delay, the
 * handshake and TIME_WAIT); summed over workloads, saturating. */
uint64_t world_projected_live_connections(const struct scenario *scenario);
/* Frees the details of a report (safe on any report world_run filled). */
void world_report_free(struct world_report *report);

/* "CLOSED SYN_SENT ESTABLISHED ...", cut short to fit size. */
void world_path_format(const struct world_conn_side *side, char *buf, size_t size);

/* The scenario's link (both directions and its drop rules) on an engine:
 * what world_run uses, and what tcpsim kernel runs on a real-time engine.
 * NULL when out of memory. */
struct link;
struct sim;
struct link *world_link_create(const struct scenario *scenario, struct sim *sim, uint64_t seed,
                               struct trace *trace);

/* The same recorder and expectation checks over a run another backend
 * makes (tcpsim kernel): attach the observer's sink to the trace the run
 * reports to, call advance as the run's clock moves (for `expect HOST
 * connections in STATE at T`), and conclude at the end: it fills the
 * report's counters, status and (with details) the connections' paths, and
 * reports each expectation to the trace. The caller sets report->sim_end_ns
 * and events first, and prints the report (run_summary_print). */
struct world_observer;
struct world_observer *world_observer_create(const struct scenario *scenario, bool details);
struct trace_sink *world_observer_sink(struct world_observer *obs);
void world_observer_advance(struct world_observer *obs, sim_time now);
void world_observer_add_bytes_received(struct world_observer *obs, int host, uint64_t bytes);
void world_observer_conclude(struct world_observer *obs, bool skip_expectations,
                             struct trace *trace, struct world_report *report);
void world_observer_destroy(struct world_observer *obs);

#endif
