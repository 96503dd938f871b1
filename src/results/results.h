/*
 * results.h: reading a results database as typed records. The one way the
 * views and the commands read what sink_sqlite.h wrote: a run, its
 * connections, transitions and segments, each row parsed at this edge into
 * the enums and numbers the simulation reported (states, causes, fates,
 * flags as a bitmask, addresses in host byte order), and a replay that
 * feeds a recorded run into any trace sink. A row whose text does not parse
 * is refused, with a message naming the run and the row, to which the
 * caller prefixes the database: "x.db: run 3, segment 17: fate 'vanished'
 * is not a segment fate".
 *
 *   char err[512];
 *   struct results_db *db = results_open("results/x.db", err, sizeof err);
 *   if (!db) { fprintf(stderr, "tcpsim: %s\n", err); ... }
 *   if (results_segments(db, run_id, 0, on_segment, &context) != 0)
 *       fprintf(stderr, "tcpsim: %s: %s\n", path, results_error(db));
 *   results_close(db);
 *
 * Records reach a callback one at a time, in record order (the order the
 * run reported them); their strings live until the callback returns. A
 * callback returns 0 to go on, non-zero to stop early (not an error).
 */
#ifndef TCPSIM_RESULTS_H
#define TCPSIM_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "segment.h"
#include "trace.h"

struct results_db;

/* Opens an existing tcpsim database read-only, of this schema version or
 * version 1. NULL with a message naming the file in err when it is
 * missing, empty or not such a database. (sink_sqlite_reader reads what a sink is writing.) */
struct results_db *results_open(const char *path, char *err, size_t errlen);
void results_close(struct results_db *db);

/* Whether a message of this layer (results_error, or the err of an open or
 * a copy) says the environment failed, not the input: the database is
 * locked by another process (busy, locked), the disk is full, an I/O error,
 * out of memory. The commands exit 1 for those (the output could not be
 * written: the same command may work later) and 2 for the others (the file
 * is not a tcpsim database, is damaged, no such run). */
#include <stdbool.h>
bool results_message_is_environment(const char *message);

/* Why the last call on db failed, without the database's name (callers
 * print "PATH: " before it). */
const char *results_error(const struct results_db *db);

/* One row of runs. Text is copied in, cut at the array sizes. */
struct results_run {
    int64_t run_id;
    char scenario[256], scenario_sha256[65], status[16];
    char stack[64];              /* the TCP that ran it: "tcpsim VERSION", "linux 6.18.0" */
    uint64_t seed;
    uint32_t rep;
    sim_time sim_end_ns;
    uint64_t events;
    double wall_s;
    int64_t connection_count;    /* rows in connections */
    sim_time until_ns;           /* `run until=`; 0 when not recorded (older files) */
};

/* The highest run_id in *run_id, 0 when the database holds no runs.
 * Returns 0 or -1. */
int results_latest_run(struct results_db *db, int64_t *run_id);
/* How many runs the database holds. Returns 0 or -1. */
int results_run_count(struct results_db *db, int64_t *count);
/* Reads run run_id into *run: 1 found, 0 no such run, -1 error. */
int results_run(struct results_db *db, int64_t run_id, struct results_run *run);
/* Whether a host of that name sent, received or changed state in the run:
 * 1 yes, 0 no, -1 error. */
int results_run_has_host(struct results_db *db, int64_t run_id, const char *host);

/* The settings run run_id ran with that differ from its scenario file
 * (--set, a sweep's point: run_params), by key. Their strings live until
 * the callback returns. Returns 0 or -1. */
typedef int results_param_fn(void *context, const struct trace_param *param);
int results_params(struct results_db *db, int64_t run_id, results_param_fn *fn, void *context);

/* A connection is the record the simulation reported: struct
 * trace_connection (ISNs with has_*_isn, times -1 for never). conn_id 0:
 * every connection of the run in conn_id order; else that one. */
typedef int results_connection_fn(void *context, const struct trace_connection *c);
int results_connections(struct results_db *db, int64_t run_id, int64_t conn_id,
                        results_connection_fn *fn, void *context);

/* A transition: the record reported, and its place in the run's records. */
/* An application call and its outcome (the calls table). */
struct results_call {
    int64_t record;              /* calls.seq: one count with transitions' and segments' */
    struct trace_call call;
};

struct results_transition {
    int64_t record;              /* transitions.seq: one count with segments' */
    struct trace_transition tr;  /* conn_id 0: a listener's; seg_id 0: no trigger */
};

/* A segment as sent: the wire fields (flags a TCP_FLAG_* bitmask, mss 0 when
 * absent), its id, connection (0: none), retransmission and injected marks
 * (injected false in files older than segments.injected). The
 * payload is not recorded: seg.data is NULL, seg.len its length. */
struct results_segment {
    int64_t record;              /* segments.trace_seq: one count with transitions' */
    struct segment seg;
    const char *sender, *receiver;
    sim_time sent_ns, arrived_ns; /* arrived -1: never */
    enum segment_fate fate;
    int rule_line;               /* the fault rule's scenario line; 0 = none (or an older file) */
};

/* conn_id 0: every record of the run; conn_id > 0: that connection's and
 * those of no connection (listeners, a RST answering a stray segment),
 * which the caller sorts out. */
typedef int results_transition_fn(void *context, const struct results_transition *t);
typedef int results_segment_fn(void *context, const struct results_segment *s);
typedef int results_call_fn(void *context, const struct results_call *c);
/* Every call of the run in record order (none in a file without the table). */
int results_calls(struct results_db *db, int64_t run_id, results_call_fn *fn, void *context);
int results_transitions(struct results_db *db, int64_t run_id, int64_t conn_id,
                        results_transition_fn *fn, void *context);
int results_segments(struct results_db *db, int64_t run_id, int64_t conn_id,
                     results_segment_fn *fn, void *context);

/* How often each (from, to, cause) happened. */
struct results_transition_count {
    enum tcp_state from, to;
    enum tcp_cause cause;        /* TCP_CAUSE_NONE: recorded without a cause */
    int64_t count;
};
/* RESULTS_ALL_RUNS as run_id counts over every run. */
#define RESULTS_ALL_RUNS INT64_C(0)
typedef int results_transition_count_fn(void *context, const struct results_transition_count *n);
int results_transition_counts(struct results_db *db, int64_t run_id,
                              results_transition_count_fn *fn, void *context);

/* Reads every record of every run through the checks above and
 * results_validate.h, for readers that query aggregates (tcpsim stats):
 * 0, or -1 naming the first bad row (results_error). */
int results_check_runs(struct results_db *db);

/* Feeds run run_id into trace's sinks as the simulation reported it:
 * run_start (scenario, digest, seed, rep and the params), the
 * transitions and segments in record order, then the connections in
 * conn_id order (the database keeps no position for them among the
 * records), the expectations, and run_end with the recorded status, end
 * time, events and wall time. Segments carry no payload bytes. A sink that
 * fails, or a row that does not parse, aborts the run in every sink.
 * Returns 0, or -1 (results_error). */
int results_replay(struct results_db *db, int64_t run_id, struct trace *trace);

/* Converts the schema version 1 database at path to this version in place
 * (results_upgrade.c): a new file beside it (PATH.upgrade), fsynced and
 * renamed over it, so a kill leaves the old file or the new one, whole.
 * Returns 1 upgraded, 0 already this version (untouched), -1 with a message
 * naming the file in err. */
int results_upgrade(const char *path, char *err, size_t errlen);

/* "a.b.c.d:port" as the database writes an endpoint; buf needs 22 bytes. */
char *results_endpoint_string(uint32_t addr, uint16_t port, char *buf);

#endif
