/*
 * results_study.c: the queries behind `tcpsim sweep` and `tcpsim stats`,
 * turning rows into typed records (results_study.h).
 *
 * Trade-off: the rows come through sink_sqlite_query(), which hands over
 * each column as SQLite's text, and are parsed here, in one place. A REAL
 * column read that way keeps 15 significant digits instead of 17; the
 * statistics printed from it (at most 10 digits) were computed from that
 * text before these readers existed, and reading the same text keeps them
 * byte-identical. A typed reader on sqlite3_column_*() can replace the
 * parsing below without any caller noticing.
 */
#include "results_study.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "results_validate.h"
#include "sink_sqlite.h"

static int64_t to_i64(const char *text)
{
    return text ? strtoll(text, NULL, 10) : 0;
}

static double to_double(const char *text)
{
    return text ? strtod(text, NULL) : 0;
}

static enum results_run_status to_status(const char *text)
{
    static const char *const names[] = {"ok", "failed", "error"};
    for (size_t i = 0; text && i < sizeof names / sizeof names[0]; i++)
        if (strcmp(text, names[i]) == 0)
            return (enum results_run_status)i;
    return RESULTS_RUN_OTHER;
}

/* A record the checks of results_validate.c refuse: why, and where. */
struct refusal {
    bool refused;
    char where[64];              /* "run R, connection C" */
    char why[256];
};

/* Called by a row callback: 1 (stop the query) when the record is refused. */
static int refused(struct refusal *r, int check, const char *table, int64_t run_id,
                   const char *row_id)
{
    if (check == 0)
        return 0;
    r->refused = true;
    snprintf(r->where, sizeof r->where, "run %lld, %s %s", (long long)run_id, table,
             row_id ? row_id : "NULL");
    return 1;
}

/* After the query: the refusal as the error, "DB: run R, connection C: why". */
static int query_result(struct trace_sink *db, int status, const struct refusal *r, char *err,
                        size_t errlen)
{
    if (status == 0 && r->refused) {
        snprintf(err, errlen, "%s: %s: %s", sink_sqlite_path(db), r->where, r->why);
        return -1;
    }
    return status;
}

static void out_of_memory(char *err, size_t errlen)
{
    snprintf(err, errlen, "out of memory");
}

/* ---- for `tcpsim stats` ---- */

struct run_id_reader {
    results_run_id_fn *fn;
    void *context;
};

static int on_run_id(void *context, int n, const char *const *v, const char *const *names)
{
    struct run_id_reader *r = context;
    (void)n;
    (void)names;
    return r->fn(r->context, to_i64(v[0]));
}

int results_completed_runs(struct trace_sink *db, results_run_id_fn *fn, void *context, char *err,
                           size_t errlen)
{
    struct run_id_reader r = {fn, context};
    return sink_sqlite_query(db,
                             "SELECT run_id FROM runs WHERE status IN ('ok', 'failed')"
                             " ORDER BY run_id",
                             NULL, 0, on_run_id, &r, err, errlen);
}

struct run_param_reader {
    results_run_param_fn *fn;
    void *context;
};

static int on_run_param(void *context, int n, const char *const *v, const char *const *names)
{
    struct run_param_reader *r = context;
    (void)n;
    (void)names;
    struct results_run_param p = {to_i64(v[0]), v[1] ? v[1] : "", v[2] ? v[2] : ""};
    return r->fn(r->context, &p);
}

int results_run_params(struct trace_sink *db, results_run_param_fn *fn, void *context, char *err,
                       size_t errlen)
{
    struct run_param_reader r = {fn, context};
    return sink_sqlite_query(db, "SELECT run_id, key, value FROM run_params ORDER BY run_id, key",
                             NULL, 0, on_run_param, &r, err, errlen);
}

struct endpoints {
    char *client, *server;
    size_t client_size, server_size;
};

static int on_endpoints(void *context, int n, const char *const *v, const char *const *names)
{
    struct endpoints *e = context;
    (void)n;
    (void)names;
    snprintf(e->client, e->client_size, "%s", v[0] ? v[0] : "");
    snprintf(e->server, e->server_size, "%s", v[1] ? v[1] : "");
    return 1; /* one row is enough */
}

int results_first_endpoints(struct trace_sink *db, char *client, size_t client_size, char *server,
                            size_t server_size, char *err, size_t errlen)
{
    struct endpoints e = {client, server, client_size, server_size};
    client[0] = server[0] = '\0';
    return sink_sqlite_query(db, "SELECT client, server FROM connections LIMIT 1", NULL, 0,
                             on_endpoints, &e, err, errlen);
}

struct handshake_reader {
    results_handshake_fn *fn;
    void *context;
    struct refusal refusal;
};

static int on_handshake(void *context, int n, const char *const *v, const char *const *names)
{
    struct handshake_reader *r = context;
    (void)n;
    (void)names;
    struct results_handshake h = {to_i64(v[0]), v[1] != NULL, to_i64(v[1])};
    if (refused(&r->refusal, results_validate_handshake(&h, r->refusal.why, sizeof r->refusal.why),
                "connection", h.run_id, v[2]))
        return 1;
    return r->fn(r->context, &h);
}

int results_handshakes(struct trace_sink *db, results_handshake_fn *fn, void *context, char *err,
                       size_t errlen)
{
    struct handshake_reader r = {.fn = fn, .context = context};
    int status = sink_sqlite_query(db,
                                   "SELECT run_id, established_ns - opened_ns, conn_id"
                                   " FROM connections ORDER BY run_id, conn_id",
                                   NULL, 0, on_handshake, &r, err, errlen);
    return query_result(db, status, &r.refusal, err, errlen);
}

struct first_data_reader {
    results_first_data_fn *fn;
    void *context;
    struct refusal refusal;
};

static int on_first_data(void *context, int n, const char *const *v, const char *const *names)
{
    struct first_data_reader *r = context;
    (void)n;
    (void)names;
    struct results_first_data record = {to_i64(v[0]), v[1] != NULL, v[1] ? to_i64(v[1]) : 0};
    if (refused(&r->refusal,
                results_validate_first_data(&record, r->refusal.why, sizeof r->refusal.why),
                "connection", record.run_id, v[2]))
        return 1;
    return r->fn(r->context, &record);
}

int results_first_data(struct trace_sink *db, results_first_data_fn *fn, void *context, char *err,
                       size_t errlen)
{
    /* Sequence numbers wrap at 2^32: ISS + 1 is compared modulo 2^32. */
    struct first_data_reader r = {.fn = fn, .context = context};
    int status = sink_sqlite_query(db,
                             "SELECT c.run_id, (SELECT min(s.arrived_ns) FROM segments s"
                             " WHERE s.run_id = c.run_id AND s.conn_id = c.conn_id"
                             " AND s.sender = c.client AND s.len > 0"
                             " AND s.fate IN ('delivered', 'duplicated')"
                             " AND s.seq = (c.client_isn + 1) % 4294967296) - c.opened_ns,"
                             " c.conn_id FROM connections c ORDER BY c.run_id, c.conn_id",
                             NULL, 0, on_first_data, &r, err, errlen);
    return query_result(db, status, &r.refusal, err, errlen);
}

struct retransmissions_reader {
    results_retransmissions_fn *fn;
    void *context;
};

static int on_retransmissions(void *context, int n, const char *const *v, const char *const *names)
{
    struct retransmissions_reader *r = context;
    (void)n;
    (void)names;
    struct results_retransmissions record = {to_i64(v[0]), (uint64_t)to_i64(v[1])};
    return r->fn(r->context, &record);
}

int results_retransmissions(struct trace_sink *db, results_retransmissions_fn *fn, void *context,
                            char *err, size_t errlen)
{
    struct retransmissions_reader r = {fn, context};
    return sink_sqlite_query(db,
                             "SELECT run_id, count(*) FROM segments"
                             " WHERE retransmission = 1 AND fate <> 'duplicated' GROUP BY run_id",
                             NULL, 0, on_retransmissions, &r, err, errlen);
}

struct stays_reader {
    results_state_stays_fn *fn;
    void *context;
    struct refusal refusal;
};

static int on_stays(void *context, int n, const char *const *v, const char *const *names)
{
    struct stays_reader *r = context;
    (void)n;
    (void)names;
    int state = v[1] ? tcp_state_from_name(v[1]) : -1;
    if (state < 0) /* the query asks for two states by name: what else comes is not a state */
        return 0;
    struct results_state_stays s = {to_i64(v[0]), (enum tcp_state)state, (uint64_t)to_i64(v[2]),
                                     to_double(v[3]), to_double(v[4])};
    if (refused(&r->refusal, results_validate_stays(&s, r->refusal.why, sizeof r->refusal.why),
                "state", s.run_id, v[1]))
        return 1;
    return r->fn(r->context, &s);
}

int results_wait_state_stays(struct trace_sink *db, int64_t window_from_ns, int64_t window_to_ns,
                             results_state_stays_fn *fn, void *context, char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT run_id, state, count(*), sum(duration_ms),"
        " sum(max(0.0, min(left_ms, ?2 / 1e6) - max(entered_ms, ?1 / 1e6)))"
        " FROM state_durations WHERE state IN ('TIME_WAIT', 'CLOSE_WAIT') GROUP BY run_id, state";
    int64_t window[2] = {window_from_ns, window_to_ns};
    struct stays_reader r = {.fn = fn, .context = context};
    int status = sink_sqlite_query(db, sql, window, 2, on_stays, &r, err, errlen);
    return query_result(db, status, &r.refusal, err, errlen);
}

/* ---- for `tcpsim sweep` ---- */

/* The rows of one run gathered until the next run's first row. */
struct identity_reader {
    results_run_identity_fn *fn;
    void *context;
    struct results_run_identity run; /* run_id 0: none yet */
    char sha256[65];
    struct results_setting *settings;
    size_t capacity;
    bool oom, stopped;
};

static void finish_run(struct identity_reader *r)
{
    if (r->run.run_id == 0)
        return;
    r->run.settings = r->settings;
    if (!r->oom && !r->stopped)
        r->stopped = r->fn(r->context, &r->run) != 0;
    for (size_t i = 0; i < r->run.setting_count; i++) {
        free((char *)r->settings[i].key);
        free((char *)r->settings[i].value);
    }
    r->run.setting_count = 0;
    r->run.run_id = 0;
}

static void add_setting(struct identity_reader *r, const char *key, const char *value)
{
    if (r->run.setting_count == r->capacity) {
        size_t capacity = r->capacity ? 2 * r->capacity : 32;
        struct results_setting *grown = realloc(r->settings, capacity * sizeof *grown);
        if (!grown) {
            r->oom = true;
            return;
        }
        r->settings = grown;
        r->capacity = capacity;
    }
    char *k = strdup(key), *v = strdup(value ? value : "");
    if (!k || !v) {
        free(k);
        free(v);
        r->oom = true;
        return;
    }
    r->settings[r->run.setting_count++] = (struct results_setting){k, v};
}

/* Rows: run_id, rep, seed, status, scenario_sha256, key, value. */
static int on_identity_row(void *context, int n, const char *const *v, const char *const *names)
{
    struct identity_reader *r = context;
    (void)n;
    (void)names;
    int64_t run_id = to_i64(v[0]);
    if (run_id != r->run.run_id) {
        finish_run(r);
        snprintf(r->sha256, sizeof r->sha256, "%s", v[4] ? v[4] : "");
        r->run = (struct results_run_identity){run_id, v[1] ? strtoull(v[1], NULL, 10) : 0,
                                               (uint64_t)to_i64(v[2]), to_status(v[3]),
                                               r->sha256, NULL, 0};
    }
    if (v[5])
        add_setting(r, v[5], v[6]);
    return r->oom || r->stopped;
}

int results_run_identities(struct trace_sink *db, results_run_identity_fn *fn, void *context,
                           char *err, size_t errlen)
{
    static const char sql[] =
        "SELECT r.run_id, r.rep, r.seed, r.status, r.scenario_sha256, p.key, p.value"
        " FROM runs AS r LEFT JOIN run_params AS p ON p.run_id = r.run_id"
        " ORDER BY r.run_id, p.key";
    struct identity_reader *r = calloc(1, sizeof *r);
    if (!r) {
        out_of_memory(err, errlen);
        return -1;
    }
    r->fn = fn;
    r->context = context;
    int rc = sink_sqlite_query(db, sql, NULL, 0, on_identity_row, r, err, errlen);
    finish_run(r);
    if (rc == 0 && r->oom) {
        out_of_memory(err, errlen);
        rc = -1;
    }
    free(r->settings);
    free(r);
    return rc;
}

static int on_max_run_id(void *context, int n, const char *const *v, const char *const *names)
{
    (void)n;
    (void)names;
    *(int64_t *)context = to_i64(v[0]);
    return 0;
}

int results_last_run_id(struct trace_sink *db, int64_t *run_id, char *err, size_t errlen)
{
    *run_id = 0;
    return sink_sqlite_query(db, "SELECT max(run_id) FROM runs", NULL, 0, on_max_run_id, run_id,
                             err, errlen);
}
