/*
 * results_study.h: the queries of `tcpsim sweep` and `tcpsim stats`, as typed
 * records: numbers as integers and doubles, run statuses and TCP states as
 * enums. The study layer reads a results database only through these (and
 * sink_sqlite.h to open one), so it holds no SQL and no column positions.
 *
 * Each reader calls fn once per record, in the order stated, and stops early
 * (not an error) when fn returns non-zero. Strings in a record live until fn
 * returns. Readers return 0, or -1 with a message in err.
 */
#ifndef TCPSIM_RESULTS_STUDY_H
#define TCPSIM_RESULTS_STUDY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tcp_base.h"
#include "trace.h"

/* runs.status (docs/schema.md). */
enum results_run_status {
    RESULTS_RUN_OK,         /* every expectation held */
    RESULTS_RUN_FAILED,     /* an expectation failed */
    RESULTS_RUN_ERROR,      /* the run could not complete */
    RESULTS_RUN_OTHER,      /* anything else ('running' is never committed) */
};

/* ---- for `tcpsim stats` ---- */

/* The runs whose status is ok or failed, by run_id ascending. */
typedef int results_run_id_fn(void *context, int64_t run_id);
int results_completed_runs(struct trace_sink *db, results_run_id_fn *fn, void *context, char *err,
                           size_t errlen);

/* One row of run_params: a setting a run ran with, by run_id then key. */
struct results_run_param {
    int64_t run_id;
    const char *key, *value;
};
typedef int results_run_param_fn(void *context, const struct results_run_param *param);
int results_run_params(struct trace_sink *db, results_run_param_fn *fn, void *context, char *err,
                       size_t errlen);

/* The host names of the database's first connection (client, server); both
 * "" when it has none. */
int results_first_endpoints(struct trace_sink *db, char *client, size_t client_size, char *server,
                            size_t server_size, char *err, size_t errlen);

/* A connection's handshake: its latency from the client's active OPEN to
 * ESTABLISHED, exact in ns (handshake_latency.latency_ms is the same in
 * ms). By run_id then conn_id. */
struct results_handshake {
    int64_t run_id;
    bool established;
    int64_t latency_ns;     /* 0 when not established */
};
typedef int results_handshake_fn(void *context, const struct results_handshake *handshake);
int results_handshakes(struct trace_sink *db, results_handshake_fn *fn, void *context, char *err,
                       size_t errlen);

/* A connection's handshake plus its first data: from the client's active
 * OPEN to the arrival at the server of the first intact segment carrying
 * the client's first data byte (SEG.SEQ = ISS + 1), exact in ns. The
 * validation of docs/validation.md section 3 sends less than one MSS, so
 * that segment holds all of it. By run_id then conn_id; delivered false
 * (latency 0) when no such segment arrived before the run ended. */
struct results_first_data {
    int64_t run_id;
    bool delivered;
    int64_t latency_ns;
};
typedef int results_first_data_fn(void *context, const struct results_first_data *first);
int results_first_data(struct trace_sink *db, results_first_data_fn *fn, void *context, char *err,
                       size_t errlen);

/* Retransmitted segments sent per run (the link's duplicate copies are not
 * sends); runs without any are left out. */
struct results_retransmissions {
    int64_t run_id;
    uint64_t count;
};
typedef int results_retransmissions_fn(void *context, const struct results_retransmissions *r);
int results_retransmissions(struct trace_sink *db, results_retransmissions_fn *fn, void *context,
                            char *err, size_t errlen);

/* The stays of a run's connections in TIME_WAIT and in CLOSE_WAIT (the
 * states whose populations a study watches), one record per run and state:
 * how many, their total time, and their time within the simulated window
 * [window_from_ns, window_to_ns). */
struct results_state_stays {
    int64_t run_id;
    enum tcp_state state;
    uint64_t count;
    double total_ms, window_ms;
};
typedef int results_state_stays_fn(void *context, const struct results_state_stays *stays);
int results_wait_state_stays(struct trace_sink *db, int64_t window_from_ns, int64_t window_to_ns,
                             results_state_stays_fn *fn, void *context, char *err, size_t errlen);

/* ---- for `tcpsim sweep` ---- */

struct results_setting {
    const char *key, *value;
};

/* What identifies a run for a sweep's resume: every run (any status), by
 * run_id, with its settings sorted by key. */
struct results_run_identity {
    int64_t run_id;
    uint64_t rep, seed;
    enum results_run_status status;
    const char *scenario_sha256;    /* "" when not recorded */
    const struct results_setting *settings;
    size_t setting_count;
};
typedef int results_run_identity_fn(void *context, const struct results_run_identity *run);
int results_run_identities(struct trace_sink *db, results_run_identity_fn *fn, void *context,
                           char *err, size_t errlen);

/* The largest run_id in the database, 0 when it holds no run. */
int results_last_run_id(struct trace_sink *db, int64_t *run_id, char *err, size_t errlen);

#endif
