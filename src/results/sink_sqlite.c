/*
 * sink_sqlite.c: the writer of the results database. A trace sink that
 * writes each run in one SQLite transaction through statements prepared
 * once per sink, batched and executed by a writer thread; creates the
 * schema and views of docs/schema.md in a new file; appends to a tcpsim
 * database; refuses, without writing a byte, any file that is not one
 * (results_file.c judges). Also copies runs between databases, and keeps
 * the legacy generic query. Reading is results_read.c's.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "sink_sqlite.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include "results_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* ---- schema ---- */

static const char schema_sql[] =
    "CREATE TABLE runs ("
    " run_id INTEGER PRIMARY KEY,"
    " scenario TEXT NOT NULL,"
    " scenario_sha256 TEXT,"
    " seed INTEGER NOT NULL,"
    " rep INTEGER NOT NULL,"
    " params TEXT NOT NULL DEFAULT '{}',"
    " status TEXT NOT NULL,"
    " sim_end_ns INTEGER,"
    " events INTEGER,"
    " wall_s REAL,"
    " tcpsim_version TEXT NOT NULL,"
    " stack TEXT NOT NULL,"
    " until_ns INTEGER);"

    "CREATE TABLE run_params ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " key TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " PRIMARY KEY (run_id, key)) WITHOUT ROWID;"

    "CREATE TABLE connections ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " conn_id INTEGER NOT NULL,"
    " client TEXT NOT NULL,"
    " client_addr TEXT NOT NULL,"
    " client_port INTEGER NOT NULL,"
    " server TEXT NOT NULL,"
    " server_addr TEXT NOT NULL,"
    " server_port INTEGER NOT NULL,"
    " client_isn INTEGER,"
    " server_isn INTEGER,"
    " opened_ns INTEGER NOT NULL,"
    " established_ns INTEGER,"
    " closed_ns INTEGER,"
    " PRIMARY KEY (run_id, conn_id)) WITHOUT ROWID;"

    "CREATE TABLE transitions ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " host TEXT NOT NULL,"
    " conn_id INTEGER,"
    " from_state TEXT NOT NULL,"
    " to_state TEXT NOT NULL,"
    " cause TEXT,"
    " seg_id INTEGER,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX transitions_by_conn ON transitions (run_id, conn_id, seq);"

    "CREATE TABLE segments ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seg_id INTEGER NOT NULL,"
    " conn_id INTEGER,"
    " sender TEXT NOT NULL,"
    " receiver TEXT NOT NULL,"
    " src TEXT NOT NULL,"
    " dst TEXT NOT NULL,"
    " sent_ns INTEGER NOT NULL,"
    " arrived_ns INTEGER,"
    " flags TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " ack INTEGER NOT NULL,"
    " len INTEGER NOT NULL,"
    " wnd INTEGER NOT NULL,"
    " mss INTEGER,"
    " fate TEXT NOT NULL,"
    " retransmission INTEGER NOT NULL,"
    " trace_seq INTEGER NOT NULL,"
    " injected INTEGER NOT NULL DEFAULT 0,"
    " rule_line INTEGER,"
    " options TEXT,"
    " PRIMARY KEY (run_id, seg_id, trace_seq)) WITHOUT ROWID;"

    "CREATE TABLE expectations ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " expectation TEXT NOT NULL,"
    " passed INTEGER NOT NULL,"
    " detail TEXT,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;";

/* The application calls and their outcomes; seq is one count with
 * transitions.seq and segments.trace_seq. Created with the schema, and
 * added to a version 1 file from before it (see SINK_SQLITE_SCHEMA_VERSION). */
static const char calls_sql[] =
    "CREATE TABLE IF NOT EXISTS calls ("
    " run_id INTEGER NOT NULL REFERENCES runs(run_id),"
    " seq INTEGER NOT NULL,"
    " t_ns INTEGER NOT NULL,"
    " host TEXT NOT NULL,"
    " conn_id INTEGER,"
    " call TEXT NOT NULL,"
    " result TEXT NOT NULL,"
    " PRIMARY KEY (run_id, seq)) WITHOUT ROWID;";

/* Views: times in milliseconds (REAL) for people. */
static const char views_sql[] =
    "CREATE VIEW handshake_latency AS"
    " SELECT c.run_id, c.conn_id, c.client, c.server,"
    "  c.opened_ns / 1e6 AS opened_ms,"
    "  c.established_ns / 1e6 AS established_ms,"
    "  (c.established_ns - c.opened_ns) / 1e6 AS latency_ms,"
    "  COALESCE(r.n, 0) AS syn_retransmissions"
    " FROM connections AS c"
    " LEFT JOIN (SELECT run_id, conn_id, count(*) AS n FROM segments"
    "            WHERE flags = 'SYN' AND retransmission = 1 AND fate <> 'duplicated'"
    "            GROUP BY run_id, conn_id) AS r"
    "  ON r.run_id = c.run_id AND r.conn_id = c.conn_id;"

    ;

/* Each stay in a state: entered by one transition, left by the next one of
 * the same (run, host, conn); the last stay lasts until the run's end --
 * `run until=` (runs.until_ns), or the last event in a file from before
 * that column -- except a final CLOSED, which is no connection at all.
 * Kept apart so an older file gets them anew with runs.until_ns. */
static const char state_views_sql[] =
    "CREATE VIEW state_durations AS"
    " WITH stays AS ("
    "  SELECT run_id, host, conn_id, seq, to_state AS state, t_ns AS entered_ns,"
    "   LEAD(t_ns) OVER (PARTITION BY run_id, host, conn_id ORDER BY seq) AS left_ns"
    "  FROM transitions)"
    " SELECT s.run_id, s.host, s.conn_id, s.state,"
    "  s.entered_ns / 1e6 AS entered_ms,"
    "  COALESCE(s.left_ns, r.until_ns, r.sim_end_ns) / 1e6 AS left_ms,"
    "  (COALESCE(s.left_ns, r.until_ns, r.sim_end_ns) - s.entered_ns) / 1e6 AS duration_ms,"
    "  (s.left_ns IS NULL) AS open_at_end"
    " FROM stays AS s JOIN runs AS r ON r.run_id = s.run_id"
    " WHERE NOT (s.left_ns IS NULL AND s.state = 'CLOSED');"

    "CREATE VIEW time_in_state AS"
    " SELECT run_id, host, state, count(*) AS visits,"
    "  sum(duration_ms) AS total_ms, avg(duration_ms) AS mean_ms"
    " FROM state_durations GROUP BY run_id, host, state;";

static const char more_views_sql[] =

    /* Transitions, sends and arrivals in one order. At equal times a record
     * keeps its reporting order (2 * record number); an arrival goes right
     * after its own send's position (2 * record number + 1). The link's
     * duplicate copies were never sent: they only arrive. */
    "CREATE VIEW timeline AS"
    " WITH events AS ("
    "  SELECT run_id, t_ns, 2 * seq AS ord, 'transition' AS kind, host, conn_id, seg_id,"
    "   from_state || ' -> ' || to_state || COALESCE(' (' || cause || ')', '') AS description"
    "  FROM transitions"
    "  UNION ALL"
    "  SELECT run_id, sent_ns, 2 * trace_seq, 'send', sender, conn_id, seg_id,"
    "   flags || ' seq=' || seq || ' ack=' || ack || ' len=' || len || ' wnd=' || wnd"
    "   || ' to ' || receiver || ' [' || fate"
    "   || CASE WHEN retransmission THEN ', retransmission' ELSE '' END || ']'"
    "  FROM segments WHERE fate <> 'duplicated'"
    "  UNION ALL"
    "  SELECT run_id, arrived_ns, 2 * trace_seq + 1, 'arrive', receiver, conn_id, seg_id,"
    "   flags || ' seq=' || seq || ' ack=' || ack || ' len=' || len || ' wnd=' || wnd"
    "   || ' from ' || sender"
    "   || CASE fate WHEN 'corrupted' THEN ' [corrupted]' WHEN 'duplicated' THEN ' [duplicate]'"
    "      ELSE '' END"
    "  FROM segments WHERE arrived_ns IS NOT NULL)"
    " SELECT run_id,"
    "  ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY t_ns, ord) AS step,"
    "  t_ns / 1e6 AS t_ms, t_ns, kind, host, conn_id, seg_id, description"
    " FROM events ORDER BY run_id, step;"

    "CREATE VIEW retransmitted_segments AS"
    " SELECT run_id, seg_id, conn_id, sender, receiver, flags, seq, ack, len,"
    "  sent_ns / 1e6 AS sent_ms, arrived_ns / 1e6 AS arrived_ms, fate"
    " FROM segments WHERE retransmission = 1 AND fate <> 'duplicated';"

    "CREATE VIEW lost_segments AS"
    " SELECT run_id, seg_id, conn_id, sender, receiver, flags, seq, ack, len,"
    "  sent_ns / 1e6 AS sent_ms, fate, retransmission"
    " FROM segments WHERE fate IN ('lost', 'dropped', 'queue_full', 'corrupted');"

    "CREATE VIEW run_summary AS"
    " SELECT r.run_id, r.scenario, r.seed, r.rep, r.status,"
    "  (SELECT count(*) FROM connections AS c WHERE c.run_id = r.run_id) AS connections,"
    "  (SELECT count(*) FROM connections AS c"
    "   WHERE c.run_id = r.run_id AND c.established_ns IS NOT NULL) AS established,"
    "  (SELECT avg(c.established_ns - c.opened_ns) / 1e6 FROM connections AS c"
    "   WHERE c.run_id = r.run_id AND c.established_ns IS NOT NULL) AS mean_handshake_ms,"
    "  (SELECT count(*) FROM segments AS s"
    "   WHERE s.run_id = r.run_id AND s.fate <> 'duplicated') AS segments,"
    "  (SELECT count(*) FROM segments AS s WHERE s.run_id = r.run_id"
    "   AND s.retransmission = 1 AND s.fate <> 'duplicated') AS retransmissions,"
    "  (SELECT count(*) FROM segments AS s WHERE s.run_id = r.run_id"
    "   AND s.fate IN ('lost', 'dropped', 'queue_full', 'corrupted')) AS lost,"
    "  r.params"
    " FROM runs AS r;";

/* ---- prepared statements ---- */

enum stmt_id {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_INSERT_RUN,
    STMT_UPDATE_RUN,
    STMT_INSERT_PARAM,
    STMT_INSERT_CONNECTION,
    STMT_INSERT_TRANSITION,
    STMT_INSERT_SEGMENT,
    STMT_INSERT_EXPECTATION,
    STMT_INSERT_CALL,
    STMT_COUNT
};

static const char *const stmt_sql[STMT_COUNT] = {
    [STMT_BEGIN] = "BEGIN IMMEDIATE",
    [STMT_COMMIT] = "COMMIT",
    [STMT_ROLLBACK] = "ROLLBACK",
    [STMT_INSERT_RUN] =
        "INSERT INTO runs (scenario, scenario_sha256, seed, rep, params, status, tcpsim_version,"
        " stack) VALUES (?1, ?2, ?3, ?4, ?5, 'running', ?6, ?7)",
    [STMT_UPDATE_RUN] =
        "UPDATE runs SET status = ?2, sim_end_ns = ?3, events = ?4, wall_s = ?5, until_ns = ?6"
        " WHERE run_id = ?1",
    [STMT_INSERT_PARAM] = "INSERT OR REPLACE INTO run_params (run_id, key, value) VALUES (?1, ?2, ?3)",
    [STMT_INSERT_CONNECTION] =
        "INSERT OR REPLACE INTO connections (run_id, conn_id, client, client_addr, client_port,"
        " server, server_addr, server_port, client_isn, server_isn, opened_ns, established_ns,"
        " closed_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    /* OR FAIL: a failing row fails the run, which is then rolled back whole,
     * so SQLite need not be able to undo a half-done statement: no statement
     * journal (a temporary file the 64-row statements would otherwise fill;
     * a fifth of the insert time). */
    [STMT_INSERT_TRANSITION] =
        "INSERT OR FAIL INTO transitions (run_id, seq, t_ns, host, conn_id, from_state, to_state, cause,"
        " seg_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [STMT_INSERT_SEGMENT] =
        "INSERT OR FAIL INTO segments (run_id, seg_id, conn_id, sender, receiver, src, dst, sent_ns,"
        " arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission, trace_seq, injected,"
        " rule_line, options)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
        " ?20, ?21)",
    [STMT_INSERT_EXPECTATION] =
        "INSERT INTO expectations (run_id, seq, expectation, passed, detail)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_INSERT_CALL] =
        "INSERT OR FAIL INTO calls (run_id, seq, t_ns, host, conn_id, call, result)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

/* ---- batches: many rows per INSERT, written by a second thread ---- */
/*
 * Transitions, segments and connections are kept as cells in memory and
 * written BATCH_ROWS at a time by one INSERT ... VALUES (...), (...), ...
 * statement: one statement execution (and one B-tree cursor) for many rows
 * instead of one each, which takes about 40% off the cost of a row (14 000
 * instructions a segment or transition row with the one-row statement,
 * 8 300 with 64 rows). Text is copied into the batch, so a record's strings
 * need to live only while the sink is called.
 *
 * During a run a writer thread executes the full batches while the
 * simulation goes on filling the next ones (the database is most of a
 * logged run's time, so this is up to a fifth off the wall time on two
 * cores). The batches go through one FIFO queue, so every table receives
 * its rows in the order they were reported and the file is the same as
 * with one thread. The writer alone uses the SQLite connection from
 * run_start until the run's first expectation or its end; the caller's
 * thread stops it (writer_stop: it writes what is queued, then exits)
 * before it touches the connection again for the expectations, the run's
 * last incomplete batches, the runs row, COMMIT or ROLLBACK, and queries.
 * Without a thread (pthread_create failed) batches are written in place.
 */
enum { BATCH_ROWS = 64, BATCH_MAX_COLUMNS = 21, BATCH_BUFFERS = 16 };

enum cell_type { CELL_NULL, CELL_INT, CELL_TEXT };

struct cell {
    int64_t value;            /* CELL_INT: the integer; CELL_TEXT: offset in text */
    uint32_t len;             /* CELL_TEXT: bytes */
    uint8_t type;
};

enum batch_id { BATCH_CONNECTIONS, BATCH_TRANSITIONS, BATCH_SEGMENTS, BATCH_CALLS, BATCH_COUNT };

/* How one table's rows are inserted. */
struct batch_table {
    const char *what;         /* for the error message: "cannot record a segment" */
    sqlite3_stmt *one, *many; /* one row; BATCH_ROWS rows */
    int columns;
};

/* Rows of one table waiting to be inserted. */
struct batch {
    struct batch *next;       /* in the writer's queue or the free list */
    enum batch_id table;
    int rows, used;           /* complete rows; cells of the row being added */
    struct cell cells[BATCH_ROWS * BATCH_MAX_COLUMNS];
    char *text;
    size_t text_len, text_cap;
    bool oom;
};

struct writer {
    pthread_t thread;
    bool running;             /* the thread exists (from run_start to run_end) */
    pthread_mutex_t lock;
    pthread_cond_t work;      /* the queue got a batch, or stop */
    pthread_cond_t room;      /* a batch came back to the free list */
    struct batch *queue_head, *queue_tail, *free_list;
    int free_count;
    bool caller_waiting;      /* the caller's thread waits for room */
    bool stop;
    bool failed;              /* a batch failed (error says why); later ones are skipped */
    char error[256];
};

/* ---- the sink ---- */

struct sqlite_sink {
    struct trace_sink base;    /* first: the trace sees this */
    sqlite3 *db;
    char *path;
    bool read_only;
    sqlite3_stmt *stmt[STMT_COUNT];
    bool in_run;               /* between run_start and run_end/run_abort */
    bool failed;               /* a record of the current run was not written */
    int64_t run_id;            /* the current or last run's runs.run_id */
    int64_t last_run_id;
    int64_t next_record;       /* transitions.seq and segments.trace_seq */
    int64_t next_expectation;  /* expectations.seq */
    struct batch_table table[BATCH_COUNT];
    struct batch *filling[BATCH_COUNT]; /* being filled by the caller's thread */
    struct writer writer;
    bool writer_ready;         /* lock and condition variables initialised */
};

static const struct trace_sink_ops sqlite_sink_ops;

static struct sqlite_sink *as_sqlite_sink(struct trace_sink *sink)
{
    return (struct sqlite_sink *)sink;
}

/* Keeps the first failure of a run; the run then fails at run_end. */
static void record_failure(struct sqlite_sink *s, const char *what)
{
    if (s->failed)
        return;
    s->failed = true;
    results_set_error(s->base.error, sizeof s->base.error, "%s: %s: %s", s->path, what,
              sqlite3_errmsg(s->db));
}

/* Runs a prepared statement that returns no rows, then resets it. */
static int step_done(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    sqlite3_clear_bindings(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

static void bind_text(sqlite3_stmt *stmt, int i, const char *text)
{
    if (text)
        sqlite3_bind_text(stmt, i, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(stmt, i);
}

/* ---- the params of a run as a JSON object ---- */

struct strbuf {
    char *data;
    size_t len, cap;
    bool oom;
};

static void sb_putc(struct strbuf *sb, char c)
{
    if (sb->oom)
        return;
    if (sb->len + 2 > sb->cap) {
        size_t cap = sb->cap ? sb->cap * 2 : 64;
        char *data = realloc(sb->data, cap);
        if (!data) {
            sb->oom = true;
            return;
        }
        sb->data = data;
        sb->cap = cap;
    }
    sb->data[sb->len++] = c;
    sb->data[sb->len] = '\0';
}

static void sb_puts(struct strbuf *sb, const char *s)
{
    while (*s)
        sb_putc(sb, *s++);
}

/* A JSON string literal (RFC 8259 section 7). */
static void sb_put_json_string(struct strbuf *sb, const char *s)
{
    sb_putc(sb, '"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            sb_putc(sb, '\\');
            sb_putc(sb, (char)c);
        } else if (c < 0x20) {
            char esc[8];
            snprintf(esc, sizeof esc, "\\u%04x", c);
            sb_puts(sb, esc);
        } else {
            sb_putc(sb, (char)c);
        }
    }
    sb_putc(sb, '"');
}

/* True when a later param sets the same key (the later one wins). */
static bool param_overridden(const struct trace_run_info *run, size_t i)
{
    for (size_t j = i + 1; j < run->param_count; j++)
        if (strcmp(run->params[i].key, run->params[j].key) == 0)
            return true;
    return false;
}

/* {"key":"value",...} in the order given, values as written. NULL when out
 * of memory; the caller frees. */
static char *params_json(const struct trace_run_info *run)
{
    struct strbuf sb = {0};
    bool first = true;
    sb_putc(&sb, '{');
    for (size_t i = 0; i < run->param_count; i++) {
        if (param_overridden(run, i))
            continue;
        if (!first)
            sb_putc(&sb, ',');
        first = false;
        sb_put_json_string(&sb, run->params[i].key);
        sb_putc(&sb, ':');
        sb_put_json_string(&sb, run->params[i].value);
    }
    sb_putc(&sb, '}');
    if (sb.oom) {
        free(sb.data);
        return NULL;
    }
    return sb.data;
}

/* ---- batches (see above) ---- */

static bool recording(const struct sqlite_sink *s)
{
    return s->in_run && !s->failed;
}

/* The column count of a batch's table (kept here so cells need no sink). */
static int columns_of(const struct batch *b)
{
    static const int columns[BATCH_COUNT] = {
        [BATCH_CONNECTIONS] = 13, [BATCH_TRANSITIONS] = 9, [BATCH_SEGMENTS] = 21, [BATCH_CALLS] = 7,
    };
    return columns[b->table];
}

static void cell_int(struct batch *b, int64_t value)
{
    b->cells[b->rows * columns_of(b) + b->used++] = (struct cell){ .value = value, .type = CELL_INT };
}

static void cell_null(struct batch *b)
{
    b->cells[b->rows * columns_of(b) + b->used++] = (struct cell){ .type = CELL_NULL };
}

/* An id or time, or NULL when it equals `none`. */
static void cell_int_or_null(struct batch *b, int64_t value, int64_t none)
{
    if (value == none)
        cell_null(b);
    else
        cell_int(b, value);
}

static void cell_text(struct batch *b, const char *text)
{
    if (!text) {
        cell_null(b);
        return;
    }
    size_t len = strlen(text);
    if (b->text_len + len > b->text_cap) {
        size_t cap = b->text_cap ? b->text_cap : 4096;
        while (cap < b->text_len + len)
            cap *= 2;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            b->oom = true;
            cell_null(b);
            return;
        }
        b->text = grown;
        b->text_cap = cap;
    }
    memcpy(b->text + b->text_len, text, len);
    b->cells[b->rows * columns_of(b) + b->used++] =
        (struct cell){ .value = (int64_t)b->text_len, .len = (uint32_t)len, .type = CELL_TEXT };
    b->text_len += len;
}

static void bind_cells(const struct batch *b, sqlite3_stmt *st, const struct cell *cells,
                       int count)
{
    for (int i = 0; i < count; i++) {
        const struct cell *c = &cells[i];
        if (c->type == CELL_INT)
            sqlite3_bind_int64(st, i + 1, c->value);
        else if (c->type == CELL_TEXT)
            sqlite3_bind_text(st, i + 1, b->text + c->value, (int)c->len, SQLITE_STATIC);
        else
            sqlite3_bind_null(st, i + 1);
    }
}

/* Runs a statement whose parameters are all bound (none is left over from
 * an earlier row, so no clear_bindings). */
static int step_bound(sqlite3_stmt *stmt)
{
    int rc = sqlite3_step(stmt);
    sqlite3_reset(stmt);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Inserts the batch's rows: all at once when it is full, else one by one.
 * Returns 0, or -1 with the message in error (on the thread that failed,
 * which is the one that may ask SQLite why). */
static int batch_write(struct sqlite_sink *s, const struct batch *b, char *error, size_t size)
{
    const struct batch_table *t = &s->table[b->table];
    int rc = 0;
    if (b->oom) {
        results_set_error(error, size, "%s: %s: out of memory", s->path, t->what);
        return -1;
    }
    if (b->rows == BATCH_ROWS) {
        bind_cells(b, t->many, b->cells, b->rows * t->columns);
        rc = step_bound(t->many);
    } else {
        for (int r = 0; r < b->rows && rc == 0; r++) {
            bind_cells(b, t->one, b->cells + r * t->columns, t->columns);
            rc = step_bound(t->one);
        }
    }
    if (rc != 0)
        results_set_error(error, size, "%s: %s: %s", s->path, t->what, sqlite3_errmsg(s->db));
    return rc;
}

static void batch_clear(struct batch *b)
{
    b->rows = b->used = 0;
    b->text_len = 0;
    b->oom = false;
}

/* ---- the writer thread ---- */

static void *writer_main(void *arg)
{
    struct sqlite_sink *s = arg;
    struct writer *w = &s->writer;
    char error[sizeof w->error];
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->queue_head && !w->stop)
            pthread_cond_wait(&w->work, &w->lock);
        struct batch *b = w->queue_head;
        if (!b)
            break; /* stop, and nothing left */
        w->queue_head = b->next;
        if (!w->queue_head)
            w->queue_tail = NULL;
        bool skip = w->failed;
        pthread_mutex_unlock(&w->lock);
        int rc = skip ? 0 : batch_write(s, b, error, sizeof error);
        batch_clear(b);
        pthread_mutex_lock(&w->lock);
        if (rc != 0 && !w->failed) {
            w->failed = true;
            memcpy(w->error, error, sizeof error);
        }
        b->next = w->free_list;
        w->free_list = b;
        w->free_count++;
        /* Wake the caller only once half the batches are free: a wake-up
         * per batch cost more system time than the rows took to write. */
        if (w->caller_waiting && (w->free_count >= BATCH_BUFFERS / 2 || !w->queue_head))
            pthread_cond_signal(&w->room);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

/* Under the lock: a failure the writer met becomes the run's failure. */
static void writer_take_failure(struct sqlite_sink *s)
{
    if (s->writer.failed && !s->failed) {
        s->failed = true;
        memcpy(s->base.error, s->writer.error, sizeof s->base.error);
    }
}

static void writer_start(struct sqlite_sink *s)
{
    struct writer *w = &s->writer;
    w->stop = w->failed = false;
    w->running = s->writer_ready && pthread_create(&w->thread, NULL, writer_main, s) == 0;
}

/* Waits until the writer has written every queued batch and stopped. */
static void writer_stop(struct sqlite_sink *s)
{
    struct writer *w = &s->writer;
    if (!w->running)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->work);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    w->running = false;
    writer_take_failure(s);
}

/* A full batch: to the writer (taking an empty one in exchange, waiting
 * while all are in use), or written here when there is no writer. */
static void batch_submit(struct sqlite_sink *s, enum batch_id id)
{
    struct batch *b = s->filling[id];
    struct writer *w = &s->writer;
    if (!w->running) {
        char error[sizeof s->base.error];
        if (recording(s) && batch_write(s, b, error, sizeof error) != 0) {
            s->failed = true;
            memcpy(s->base.error, error, sizeof error);
        }
        batch_clear(b);
        return;
    }
    pthread_mutex_lock(&w->lock);
    b->next = NULL;
    if (w->queue_tail)
        w->queue_tail->next = b;
    else
        w->queue_head = b;
    w->queue_tail = b;
    pthread_cond_signal(&w->work);
    while (!w->free_list) {
        w->caller_waiting = true;
        pthread_cond_wait(&w->room, &w->lock);
    }
    w->caller_waiting = false;
    struct batch *empty = w->free_list;
    w->free_list = empty->next;
    w->free_count--;
    writer_take_failure(s);
    pthread_mutex_unlock(&w->lock);
    empty->table = id;
    s->filling[id] = empty;
}

static void row_end(struct sqlite_sink *s, struct batch *b)
{
    b->used = 0;
    if (++b->rows == BATCH_ROWS)
        batch_submit(s, b->table);
}

/* Stops the writer, then writes what is left of every table's batch. */
static void flush_all(struct sqlite_sink *s)
{
    writer_stop(s);
    for (int i = 0; i < BATCH_COUNT; i++)
        if (s->filling[i])
            batch_submit(s, (enum batch_id)i);
}

/* A run that will be rolled back: its queued batches are skipped. */
static void discard_all(struct sqlite_sink *s)
{
    struct writer *w = &s->writer;
    if (w->running) {
        pthread_mutex_lock(&w->lock);
        w->failed = true;
        pthread_mutex_unlock(&w->lock);
        writer_stop(s);
    }
    for (int i = 0; i < BATCH_COUNT; i++)
        if (s->filling[i])
            batch_clear(s->filling[i]);
}

/* The batches and the writer's lock, once per sink; false when out of
 * memory (the sink then refuses to open). */
static bool batches_create(struct sqlite_sink *s)
{
    struct writer *w = &s->writer;
    for (int i = 0; i < BATCH_BUFFERS + BATCH_COUNT; i++) {
        struct batch *b = calloc(1, sizeof *b);
        if (!b)
            return false;
        if (i < BATCH_COUNT) {
            b->table = (enum batch_id)i;
            s->filling[i] = b;
        } else {
            b->next = w->free_list;
            w->free_list = b;
            w->free_count++;
        }
    }
    if (pthread_mutex_init(&w->lock, NULL) != 0)
        return false;
    if (pthread_cond_init(&w->work, NULL) != 0) {
        pthread_mutex_destroy(&w->lock);
        return false;
    }
    if (pthread_cond_init(&w->room, NULL) != 0) {
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        return false;
    }
    s->writer_ready = true;
    return true;
}

static void batch_free(struct batch *b)
{
    if (b)
        free(b->text);
    free(b);
}

static void batches_destroy(struct sqlite_sink *s)
{
    struct writer *w = &s->writer;
    for (int i = 0; i < BATCH_COUNT; i++)
        batch_free(s->filling[i]);
    while (w->free_list) {
        struct batch *next = w->free_list->next;
        batch_free(w->free_list);
        w->free_list = next;
    }
    if (s->writer_ready) {
        pthread_cond_destroy(&w->room);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
    }
}

/* ---- run_start / run_end / run_abort ---- */

static int insert_run_row(struct sqlite_sink *s, const struct trace_run_info *run)
{
    char *json = params_json(run);
    if (!json) {
        results_set_error(s->base.error, sizeof s->base.error, "%s: out of memory", s->path);
        return -1;
    }
    sqlite3_stmt *st = s->stmt[STMT_INSERT_RUN];
    bind_text(st, 1, run->scenario);
    bind_text(st, 2, run->scenario_sha256);
    sqlite3_bind_int64(st, 3, (sqlite3_int64)run->seed);
    sqlite3_bind_int64(st, 4, run->rep);
    bind_text(st, 5, json);
    bind_text(st, 6, PACKAGE_VERSION);
    bind_text(st, 7, run->stack ? run->stack : "tcpsim " PACKAGE_VERSION);
    int rc = step_done(st);
    free(json);
    if (rc != 0) {
        record_failure(s, "cannot record the run");
        return -1;
    }
    s->run_id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

static int insert_run_params(struct sqlite_sink *s, const struct trace_run_info *run)
{
    sqlite3_stmt *st = s->stmt[STMT_INSERT_PARAM];
    for (size_t i = 0; i < run->param_count; i++) {
        sqlite3_bind_int64(st, 1, s->run_id);
        bind_text(st, 2, run->params[i].key);
        bind_text(st, 3, run->params[i].value);
        if (step_done(st) != 0) {
            record_failure(s, "cannot record the run's parameters");
            return -1;
        }
    }
    return 0;
}

static int sqlite_run_start(struct trace_sink *sink, const struct trace_run_info *run)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (s->read_only || s->in_run) {
        results_set_error(sink->error, sizeof sink->error, "%s: %s", s->path,
                  s->read_only ? "opened read-only" : "a run is already being recorded");
        return -1;
    }
    s->failed = false;
    s->last_run_id = 0;
    if (step_done(s->stmt[STMT_BEGIN]) != 0) {
        record_failure(s, "cannot start the run's transaction");
        return -1;
    }
    if (insert_run_row(s, run) != 0 || insert_run_params(s, run) != 0) {
        step_done(s->stmt[STMT_ROLLBACK]);
        return -1;
    }
    s->in_run = true;
    s->next_record = 1;
    s->next_expectation = 1;
    writer_start(s);
    return 0;
}

static int update_run_row(struct sqlite_sink *s, const struct trace_run_result *result)
{
    sqlite3_stmt *st = s->stmt[STMT_UPDATE_RUN];
    sqlite3_bind_int64(st, 1, s->run_id);
    bind_text(st, 2, result->status);
    sqlite3_bind_int64(st, 3, result->sim_end_ns);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)result->events);
    sqlite3_bind_double(st, 5, result->wall_s);
    if (result->until_ns > 0)
        sqlite3_bind_int64(st, 6, result->until_ns);
    else
        sqlite3_bind_null(st, 6);
    return step_done(st);
}

static int sqlite_run_end(struct trace_sink *sink, const struct trace_run_result *result)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!s->in_run) {
        results_set_error(sink->error, sizeof sink->error, "%s: no run is being recorded", s->path);
        return -1;
    }
    flush_all(s);
    s->in_run = false;
    if (!s->failed && update_run_row(s, result) != 0)
        record_failure(s, "cannot record the run's result");
    if (!s->failed && step_done(s->stmt[STMT_COMMIT]) != 0)
        record_failure(s, "cannot commit the run");
    if (s->failed) {
        if (!sqlite3_get_autocommit(s->db))
            step_done(s->stmt[STMT_ROLLBACK]);
        return -1;
    }
    s->last_run_id = s->run_id;
    return 0;
}

static void sqlite_run_abort(struct trace_sink *sink)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!s->in_run)
        return;
    discard_all(s);
    s->in_run = false;
    s->last_run_id = 0;
    if (!sqlite3_get_autocommit(s->db))
        step_done(s->stmt[STMT_ROLLBACK]);
}

/* ---- records ---- */

static void sqlite_connection(struct trace_sink *sink, const struct trace_connection *c)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    char client_addr[16], server_addr[16];
    struct batch *b = s->filling[BATCH_CONNECTIONS];
    cell_int(b, s->run_id);
    cell_int(b, (int64_t)c->conn_id);
    cell_text(b, c->client);
    cell_text(b, results_format_addr(c->client_addr, client_addr));
    cell_int(b, c->client_port);
    cell_text(b, c->server);
    cell_text(b, results_format_addr(c->server_addr, server_addr));
    cell_int(b, c->server_port);
    if (c->has_client_isn)
        cell_int(b, c->client_isn);
    else
        cell_null(b);
    if (c->has_server_isn)
        cell_int(b, c->server_isn);
    else
        cell_null(b);
    cell_int(b, c->opened_ns);
    cell_int_or_null(b, c->established_ns, -1);
    cell_int_or_null(b, c->closed_ns, -1);
    row_end(s, b);
}

static void sqlite_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    struct batch *b = s->filling[BATCH_TRANSITIONS];
    cell_int(b, s->run_id);
    cell_int(b, s->next_record++);
    cell_int(b, tr->t_ns);
    cell_text(b, tr->host);
    cell_int_or_null(b, (int64_t)tr->conn_id, 0);
    cell_text(b, tcp_state_name(tr->from_state));
    cell_text(b, tcp_state_name(tr->to_state));
    cell_text(b, tcp_cause_name(tr->cause));
    cell_int_or_null(b, (int64_t)tr->seg_id, 0);
    row_end(s, b);
}

static void sqlite_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    const struct segment *seg = ts->seg;
    char src[22], dst[22], flags[32], options[SEGMENT_OPTIONS_MAX];
    struct batch *b = s->filling[BATCH_SEGMENTS];
    cell_int(b, s->run_id);
    cell_int(b, (int64_t)seg->id);
    cell_int_or_null(b, (int64_t)seg->conn_id, 0);
    cell_text(b, ts->sender);
    cell_text(b, ts->receiver);
    cell_text(b, results_format_endpoint(seg->src_addr, seg->src_port, src));
    cell_text(b, results_format_endpoint(seg->dst_addr, seg->dst_port, dst));
    cell_int(b, ts->sent_ns);
    cell_int_or_null(b, ts->arrived_ns, -1);
    cell_text(b, segment_flags_string(seg->flags, flags));
    cell_int(b, seg->seq);
    cell_int(b, seg->ack);
    cell_int(b, seg->len);
    cell_int(b, seg->wnd);
    cell_int_or_null(b, seg->mss, 0);
    cell_text(b, segment_fate_name(ts->fate));
    cell_int(b, seg->retransmission ? 1 : 0);
    cell_int(b, s->next_record++);
    cell_int(b, seg->injected ? 1 : 0);
    cell_int_or_null(b, ts->rule_line, 0);
    segment_options_string(seg, options);
    cell_text(b, options[0] ? options : NULL); /* NULL: no options at all */
    row_end(s, b);
}

static void sqlite_expectation(struct trace_sink *sink, const struct trace_expectation *e)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    /* Expectations come after the simulation: the writer is done for this
     * run, and this thread takes the connection back. */
    writer_stop(s);
    if (!recording(s))
        return;
    sqlite3_stmt *st = s->stmt[STMT_INSERT_EXPECTATION];
    sqlite3_bind_int64(st, 1, s->run_id);
    sqlite3_bind_int64(st, 2, s->next_expectation++);
    bind_text(st, 3, e->text);
    sqlite3_bind_int(st, 4, e->passed ? 1 : 0);
    bind_text(st, 5, e->detail);
    if (step_done(st) != 0)
        record_failure(s, "cannot record an expectation");
}

static void sqlite_destroy(struct trace_sink *sink)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!s)
        return;
    sqlite_run_abort(sink);
    for (int i = 0; i < STMT_COUNT; i++)
        sqlite3_finalize(s->stmt[i]);
    for (int i = 0; i < BATCH_COUNT; i++)
        sqlite3_finalize(s->table[i].many);
    batches_destroy(s);
    sqlite3_close(s->db);
    free(s->path);
    free(s);
}

static void sqlite_call(struct trace_sink *sink, const struct trace_call *call)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    struct batch *b = s->filling[BATCH_CALLS];
    cell_int(b, s->run_id);
    cell_int(b, s->next_record++); /* one count with transitions and segments: replay order */
    cell_int(b, call->t_ns);
    cell_text(b, call->host);
    cell_int_or_null(b, (int64_t)call->conn_id, 0);
    cell_text(b, tcp_call_name(call->call));
    cell_text(b, tcp_call_result_name(call->result));
    row_end(s, b);
}

static const struct trace_sink_ops sqlite_sink_ops = {
    .run_start = sqlite_run_start,
    .connection = sqlite_connection,
    .transition = sqlite_transition,
    .segment = sqlite_segment,
    .expectation = sqlite_expectation,
    .call = sqlite_call,
    .run_end = sqlite_run_end,
    .run_abort = sqlite_run_abort,
    .destroy = sqlite_destroy,
};

static int create_schema(sqlite3 *db)
{
    char pragmas[128];
    snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;",
             SINK_SQLITE_APPLICATION_ID, SINK_SQLITE_SCHEMA_VERSION);
    if (results_exec(db, schema_sql) != 0 || results_exec(db, calls_sql) != 0 ||
        results_exec(db, views_sql) != 0 || results_exec(db, state_views_sql) != 0 ||
        results_exec(db, more_views_sql) != 0)
        return -1;
    return results_exec(db, pragmas);
}

/* 16 KiB pages: shallower trees, a sixth faster inserts than 4 KiB. Takes
 * effect only in a database that has no pages yet. */
static int set_page_size(sqlite3 *db)
{
    return results_exec(db, "PRAGMA page_size = 16384");
}

/* 1 when `table` of schema `db` ("main", "src") has `column`. */
static int has_column(sqlite3 *db, const char *schema, const char *table, const char *column)
{
    char sql[160];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM pragma_table_info('%s', '%s') WHERE name = '%s'",
             table, schema, column);
    return results_pragma_int(db, sql) > 0;
}

static int has_stack_column(sqlite3 *db, const char *schema)
{
    return has_column(db, schema, "runs", "stack");
}

/* See SINK_SQLITE_SCHEMA_VERSION: a version 1 file from before runs.stack,
 * runs.until_ns, segments.injected, segments.rule_line, segments.options or
 * the calls table. */
static int add_later_columns(sqlite3 *db)
{
    if (results_exec(db, calls_sql) != 0)
        return -1;
    if (!has_column(db, "main", "runs", "until_ns") &&
        (results_exec(db, "ALTER TABLE runs ADD COLUMN until_ns INTEGER;"
                          "DROP VIEW IF EXISTS time_in_state; DROP VIEW IF EXISTS state_durations") != 0 ||
         results_exec(db, state_views_sql) != 0))
        return -1;
    if (!has_column(db, "main", "segments", "injected") &&
        results_exec(db, "ALTER TABLE segments ADD COLUMN injected INTEGER NOT NULL DEFAULT 0;"
                         "ALTER TABLE segments ADD COLUMN rule_line INTEGER") != 0)
        return -1;
    if (!has_column(db, "main", "segments", "options") &&
        results_exec(db, "ALTER TABLE segments ADD COLUMN options TEXT") != 0)
        return -1;
    if (has_stack_column(db, "main"))
        return 0;
    return results_exec(db, "ALTER TABLE runs ADD COLUMN stack TEXT NOT NULL DEFAULT '';"
                            "UPDATE runs SET stack = 'tcpsim ' || tcpsim_version");
}

/* 1 when schema `db` ("main", "src") has the calls table. */
static int has_calls_table(sqlite3 *db, const char *schema)
{
    char sql[96];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s.sqlite_master WHERE name = 'calls'", schema);
    return results_pragma_int(db, sql) > 0;
}

/* Under the write lock: an empty database gets the schema, a tcpsim one is
 * kept, anything else (a file that changed since it was classified) is
 * refused with nothing written. */
static int ensure_schema(struct sqlite_sink *s, char *err, size_t errlen)
{
    if (results_exec(s->db, "BEGIN IMMEDIATE") != 0) {
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    int64_t application_id = results_pragma_int(s->db, "PRAGMA application_id");
    int64_t user_version = results_pragma_int(s->db, "PRAGMA user_version");
    int64_t objects = results_pragma_int(s->db, "SELECT count(*) FROM sqlite_master");
    int rc = 0;
    if (application_id < 0 || user_version < 0 || objects < 0) {
        /* Out of memory or an I/O error: not a verdict on the file. */
        results_set_error(err, errlen, "%s: cannot read the database: %s", s->path,
                          sqlite3_errmsg(s->db));
        rc = -1;
    } else if (application_id == SINK_SQLITE_APPLICATION_ID && user_version == SINK_SQLITE_SCHEMA_VERSION) {
        rc = add_later_columns(s->db);
        if (rc != 0)
            results_set_error(err, errlen, "%s: cannot add the later columns: %s", s->path,
                              sqlite3_errmsg(s->db));
    } else if (application_id == 0 && objects == 0) {
        if (create_schema(s->db) != 0) {
            results_set_error(err, errlen, "%s: cannot create the schema: %s", s->path,
                      sqlite3_errmsg(s->db));
            rc = -1;
        }
    } else {
        results_set_error(err, errlen, "%s: not a tcpsim database; refusing to write to it", s->path);
        rc = -1;
    }
    if (rc == 0 && results_exec(s->db, "COMMIT") != 0) {
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        rc = -1;
    }
    if (rc != 0)
        results_exec(s->db, "ROLLBACK");
    return rc;
}

/* "INSERT ... VALUES (?, ...), (?, ...), ..." with BATCH_ROWS groups, from
 * the one-row statement's text up to VALUES. */
static char *batch_sql(const char *one_row, int columns)
{
    const char *values = strstr(one_row, " VALUES ");
    size_t prefix = (size_t)(values - one_row) + strlen(" VALUES ");
    size_t group = 2 + 3 * (size_t)columns; /* "(?, ?)," */
    char *sql = malloc(prefix + group * BATCH_ROWS + 1);
    if (!sql)
        return NULL;
    char *p = sql + prefix;
    memcpy(sql, one_row, prefix);
    for (int r = 0; r < BATCH_ROWS; r++) {
        *p++ = r ? ',' : '(';
        if (r)
            *p++ = '(';
        for (int c = 0; c < columns; c++) {
            *p++ = '?';
            if (c + 1 < columns)
                *p++ = ',';
        }
        *p++ = ')';
    }
    *p = '\0';
    return sql;
}

static int prepare_batch(struct sqlite_sink *s, enum batch_id id, enum stmt_id one, int columns,
                         const char *what)
{
    struct batch_table *t = &s->table[id];
    t->what = what;
    t->one = s->stmt[one];
    t->columns = columns;
    char *sql = batch_sql(stmt_sql[one], columns);
    int rc = sql && sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &t->many,
                                       NULL) == SQLITE_OK
                 ? 0
                 : -1;
    free(sql);
    return rc;
}

static int prepare_statements(struct sqlite_sink *s, char *err, size_t errlen)
{
    for (int i = 0; i < STMT_COUNT; i++) {
        if (sqlite3_prepare_v3(s->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &s->stmt[i],
                               NULL) != SQLITE_OK) {
            results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
            return -1;
        }
    }
    if (prepare_batch(s, BATCH_CONNECTIONS, STMT_INSERT_CONNECTION, 13,
                      "cannot record a connection") != 0 ||
        prepare_batch(s, BATCH_TRANSITIONS, STMT_INSERT_TRANSITION, 9,
                      "cannot record a transition") != 0 ||
        prepare_batch(s, BATCH_SEGMENTS, STMT_INSERT_SEGMENT, 21, "cannot record a segment") != 0 ||
        prepare_batch(s, BATCH_CALLS, STMT_INSERT_CALL, 7, "cannot record a call") != 0) {
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (!batches_create(s)) {
        results_set_error(err, errlen, "%s: out of memory", s->path);
        return -1;
    }
    return 0;
}

static struct sqlite_sink *sink_new(const char *path, char *err, size_t errlen)
{
    struct sqlite_sink *s = calloc(1, sizeof *s);
    if (s)
        s->path = malloc(strlen(path) + 1);
    if (!s || !s->path) {
        free(s);
        results_set_error(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    strcpy(s->path, path);
    s->base.ops = &sqlite_sink_ops;
    return s;
}

struct trace_sink *sink_sqlite_open(const char *path, char *err, size_t errlen)
{
    if (errlen)
        err[0] = '\0';
    if (results_classify_path(path, err, errlen) == RESULTS_FILE_REFUSED)
        return NULL;
    struct sqlite_sink *s = sink_new(path, err, errlen);
    if (!s)
        return NULL;
    if (results_connect(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &s->db, err, errlen) != 0 ||
        results_exec(s->db, "PRAGMA synchronous = NORMAL") != 0 || set_page_size(s->db) != 0 ||
        /* A run is one transaction: a large page cache keeps it from spilling to the
         * file before the commit (the default is 2 MiB). */
        results_exec(s->db, "PRAGMA cache_size = -65536") != 0 ||
        ensure_schema(s, err, errlen) != 0 || prepare_statements(s, err, errlen) != 0) {
        if (errlen && !err[0]) /* a PRAGMA failed: every message names the file and why */
            results_set_error(err, errlen, "%s: cannot set up the database: %s", path,
                              s->db ? sqlite3_errmsg(s->db) : "out of memory");
        sqlite_destroy(&s->base);
        return NULL;
    }
    return &s->base;
}

struct trace_sink *sink_sqlite_open_read(const char *path, char *err, size_t errlen)
{
    sqlite3 *db = results_connect_existing(path, err, errlen);
    struct sqlite_sink *s = db ? sink_new(path, err, errlen) : NULL;
    if (!s) {
        sqlite3_close(db);
        return NULL;
    }
    s->read_only = true;
    s->db = db;
    return &s->base;
}

struct results_db *sink_sqlite_reader(struct trace_sink *sink, char *err, size_t errlen)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (s->in_run) {
        results_set_error(err, errlen, "%s: a run is being recorded", s->path);
        return NULL;
    }
    return results_borrow(s->db, s->path, err, errlen);
}

int64_t sink_sqlite_last_run_id(struct trace_sink *sink)
{
    return as_sqlite_sink(sink)->last_run_id;
}

const char *sink_sqlite_path(struct trace_sink *sink) { return as_sqlite_sink(sink)->path; }

/* ---- reading ---- */

static int query_rows(sqlite3_stmt *st, sink_sqlite_row_fn *row, void *context)
{
    int n = sqlite3_column_count(st);
    const char **values = calloc((size_t)n + 1, sizeof *values);
    const char **names = calloc((size_t)n + 1, sizeof *names);
    int rc = (values && names) ? SQLITE_ROW : SQLITE_NOMEM;
    for (int i = 0; i < n && rc == SQLITE_ROW; i++)
        names[i] = sqlite3_column_name(st, i);
    while (rc == SQLITE_ROW && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            values[i] = (const char *)sqlite3_column_text(st, i);
        if (row && row(context, n, values, names) != 0)
            rc = SQLITE_DONE;
    }
    free(values);
    free(names);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sink_sqlite_query(struct trace_sink *sink, const char *sql, const int64_t *params,
                      size_t param_count, sink_sqlite_row_fn *row, void *context, char *err,
                      size_t errlen)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    sqlite3_stmt *st = NULL;
    if (s->in_run) {
        flush_all(s); /* the query sees every record so far */
        writer_start(s);
    }
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (!st) {
        results_set_error(err, errlen, "%s: empty query", s->path);
        return -1;
    }
    for (size_t i = 0; i < param_count; i++)
        sqlite3_bind_int64(st, (int)i + 1, params[i]);
    int rc = query_rows(st, row, context);
    if (rc != 0)
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
    sqlite3_finalize(st);
    return rc;
}

/* ---- copying runs between databases (merge, sweep) ---- */

/* Each table's rows of the mapped runs, renumbered. The map is the outer
 * loop (CROSS JOIN keeps it there) so each run's rows are a range scan of
 * the source's primary key. */
/* The runs of a source with or without the later columns (stack, until_ns). */
static void copy_runs_sql(bool has_stack, bool has_until, char *sql, size_t size)
{
    snprintf(sql, size,
             "INSERT INTO main.runs (run_id, scenario, scenario_sha256, seed, rep, params, status,"
             " sim_end_ns, events, wall_s, tcpsim_version, stack, until_ns)"
             " SELECT m.dst_id, r.scenario, r.scenario_sha256, r.seed, r.rep, r.params, r.status,"
             " r.sim_end_ns, r.events, r.wall_s, r.tcpsim_version, %s, %s"
             " FROM temp.copy_map AS m CROSS JOIN src.runs AS r ON r.run_id = m.src_id",
             has_stack ? "r.stack" : "'tcpsim ' || r.tcpsim_version", has_until ? "r.until_ns" : "NULL");
}

/* The segments of a source with or without the later columns: a source from
 * before segments.injected injected nothing and kept no rule line; one from
 * before segments.options recorded none. */
static void copy_segments_sql(bool has_injected, bool has_options, char *sql, size_t size)
{
    snprintf(sql, size,
             "INSERT INTO main.segments (run_id, seg_id, conn_id, sender, receiver, src, dst, sent_ns,"
             " arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission, trace_seq, injected,"
             " rule_line, options)"
             " SELECT m.dst_id, s.seg_id, s.conn_id, s.sender, s.receiver, s.src, s.dst, s.sent_ns,"
             " s.arrived_ns, s.flags, s.seq, s.ack, s.len, s.wnd, s.mss, s.fate, s.retransmission,"
             " s.trace_seq, %s, %s"
             " FROM temp.copy_map AS m CROSS JOIN src.segments AS s ON s.run_id = m.src_id",
             has_injected ? "s.injected, s.rule_line" : "0, NULL", has_options ? "s.options" : "NULL");
}

static const char *const copy_sql[] = {
    NULL, /* the runs: copy_runs_sql */
    "INSERT INTO main.run_params (run_id, key, value)"
    " SELECT m.dst_id, p.key, p.value"
    " FROM temp.copy_map AS m CROSS JOIN src.run_params AS p ON p.run_id = m.src_id",
    "INSERT INTO main.connections (run_id, conn_id, client, client_addr, client_port, server,"
    " server_addr, server_port, client_isn, server_isn, opened_ns, established_ns, closed_ns)"
    " SELECT m.dst_id, c.conn_id, c.client, c.client_addr, c.client_port, c.server,"
    " c.server_addr, c.server_port, c.client_isn, c.server_isn, c.opened_ns, c.established_ns,"
    " c.closed_ns"
    " FROM temp.copy_map AS m CROSS JOIN src.connections AS c ON c.run_id = m.src_id",
    "INSERT INTO main.transitions (run_id, seq, t_ns, host, conn_id, from_state, to_state, cause,"
    " seg_id)"
    " SELECT m.dst_id, t.seq, t.t_ns, t.host, t.conn_id, t.from_state, t.to_state, t.cause,"
    " t.seg_id"
    " FROM temp.copy_map AS m CROSS JOIN src.transitions AS t ON t.run_id = m.src_id",
    NULL, /* the segments: copy_segments_sql */
    "INSERT INTO main.expectations (run_id, seq, expectation, passed, detail)"
    " SELECT m.dst_id, e.seq, e.expectation, e.passed, e.detail"
    " FROM temp.copy_map AS m CROSS JOIN src.expectations AS e ON e.run_id = m.src_id",
};
/* Only when the source has the table (a version 1 file may predate it). */
static const char copy_calls_sql[] =
    "INSERT INTO main.calls (run_id, seq, t_ns, host, conn_id, call, result)"
    " SELECT m.dst_id, c.seq, c.t_ns, c.host, c.conn_id, c.call, c.result"
    " FROM temp.copy_map AS m CROSS JOIN src.calls AS c ON c.run_id = m.src_id";

static int attach_source(struct sqlite_sink *s, const char *src_path, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(s->db, "ATTACH DATABASE ?1 AS src", -1, &st, NULL);
    if (rc == SQLITE_OK) {
        sqlite3_bind_text(st, 1, src_path, -1, SQLITE_STATIC);
        rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_OK) {
        results_set_error(err, errlen, "%s: %s", src_path, sqlite3_errmsg(s->db));
        return -1;
    }
    if (results_pragma_int(s->db, "PRAGMA src.application_id") != SINK_SQLITE_APPLICATION_ID ||
        results_pragma_int(s->db, "PRAGMA src.user_version") != SINK_SQLITE_SCHEMA_VERSION) {
        results_set_error(err, errlen, "%s: not a tcpsim database of schema version %d", src_path,
                  SINK_SQLITE_SCHEMA_VERSION);
        results_exec(s->db, "DETACH DATABASE src");
        return -1;
    }
    return 0;
}

/* Fills temp.copy_map from the caller's map, or with every source run
 * numbered after the sink's last run. Returns the number of entries. */
static int64_t fill_copy_map(struct sqlite_sink *s, const struct sink_sqlite_run_map *map,
                             size_t count)
{
    if (results_exec(s->db, "CREATE TEMP TABLE IF NOT EXISTS copy_map ("
                        " src_id INTEGER PRIMARY KEY, dst_id INTEGER NOT NULL UNIQUE);"
                        "DELETE FROM temp.copy_map") != 0)
        return -1;
    if (!map) {
        if (results_exec(s->db, "INSERT INTO temp.copy_map (src_id, dst_id)"
                            " SELECT run_id, (SELECT COALESCE(max(run_id), 0) FROM main.runs)"
                            "  + ROW_NUMBER() OVER (ORDER BY run_id)"
                            " FROM src.runs WHERE status <> 'running'") != 0)
            return -1;
        return results_pragma_int(s->db, "SELECT count(*) FROM temp.copy_map");
    }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, "INSERT INTO temp.copy_map (src_id, dst_id) VALUES (?1, ?2)",
                           -1, &st, NULL) != SQLITE_OK)
        return -1;
    int rc = 0;
    for (size_t i = 0; i < count && rc == 0; i++) {
        sqlite3_bind_int64(st, 1, map[i].from);
        sqlite3_bind_int64(st, 2, map[i].to);
        rc = step_done(st);
    }
    sqlite3_finalize(st);
    return rc == 0 ? (int64_t)count : -1;
}

/* Inside the transaction: the map, then every table. Returns runs copied. */
static int64_t copy_mapped_runs(struct sqlite_sink *s, const struct sink_sqlite_run_map *map,
                                size_t count, const char *src_path, char *err, size_t errlen)
{
    int64_t mapped = fill_copy_map(s, map, count);
    if (mapped < 0) {
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        return -1;
    }
    int64_t copied = 0;
    char runs_sql[768], segments_sql[1024];
    copy_runs_sql(has_stack_column(s->db, "src"), has_column(s->db, "src", "runs", "until_ns"), runs_sql,
                  sizeof runs_sql);
    copy_segments_sql(has_column(s->db, "src", "segments", "injected"),
                      has_column(s->db, "src", "segments", "options"), segments_sql,
                      sizeof segments_sql);
    for (size_t i = 0; i < sizeof copy_sql / sizeof copy_sql[0]; i++) {
        const char *sql = copy_sql[i];
        if (!sql)
            sql = i == 0 ? runs_sql : segments_sql;
        if (results_exec(s->db, sql) != 0) {
            results_set_error(err, errlen, "%s: copying runs from %s: %s", s->path, src_path,
                      sqlite3_errmsg(s->db));
            return -1;
        }
        if (i == 0)
            copied = sqlite3_changes(s->db);
    }
    if (has_calls_table(s->db, "src") && results_exec(s->db, copy_calls_sql) != 0) {
        results_set_error(err, errlen, "%s: copying calls from %s: %s", s->path, src_path,
                          sqlite3_errmsg(s->db));
        return -1;
    }
    if (copied != mapped) {
        results_set_error(err, errlen, "%s: %" PRId64 " of the %" PRId64 " runs asked for are not there",
                  src_path, mapped - copied, mapped);
        return -1;
    }
    return copied;
}

int64_t sink_sqlite_copy_runs(struct trace_sink *sink, const char *src_path,
                              const struct sink_sqlite_run_map *map, size_t count, char *err,
                              size_t errlen)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (s->read_only || s->in_run) {
        results_set_error(err, errlen, "%s: %s", s->path,
                  s->read_only ? "opened read-only" : "a run is being recorded");
        return -1;
    }
    if (results_is_memory_path(src_path)) {
        results_set_error(err, errlen, "%s: nothing to copy from a new in-memory database", src_path);
        return -1;
    }
    enum results_file_kind kind = results_classify_path(src_path, err, errlen);
    if (kind != RESULTS_FILE_TCPSIM) {
        if (kind == RESULTS_FILE_NEW)
            results_set_error(err, errlen, "%s: missing or empty, not a tcpsim database", src_path);
        return -1;
    }
    if (attach_source(s, src_path, err, errlen) != 0)
        return -1;
    int64_t copied = -1;
    if (results_exec(s->db, "BEGIN IMMEDIATE") != 0)
        results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
    else if ((copied = copy_mapped_runs(s, map, count, src_path, err, errlen)) < 0 ||
             results_exec(s->db, "DELETE FROM temp.copy_map; COMMIT") != 0) {
        if (copied >= 0)
            results_set_error(err, errlen, "%s: %s", s->path, sqlite3_errmsg(s->db));
        copied = -1;
        results_exec(s->db, "ROLLBACK");
    }
    results_exec(s->db, "DETACH DATABASE src");
    return copied;
}
