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

#include "id_map.h"
#include "results_internal.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* ---- prepared statements ---- */

enum stmt_id {
    STMT_BEGIN,
    STMT_COMMIT,
    STMT_ROLLBACK,
    STMT_INSERT_RUN,
    STMT_UPDATE_RUN,
    STMT_INSERT_PARAM,
    STMT_INSERT_HOST,
    STMT_INSERT_ENDPOINT,
    STMT_INSERT_CONNECTION,
    STMT_INSERT_STAY,
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
    [STMT_INSERT_PARAM] =
        "INSERT OR REPLACE INTO run_params (run_id, key, value, number) VALUES (?1, ?2, ?3, ?4)",
    [STMT_INSERT_HOST] = "INSERT OR FAIL INTO hosts (run_id, host_id, name) VALUES (?1, ?2, ?3)",
    [STMT_INSERT_ENDPOINT] =
        "INSERT OR FAIL INTO endpoints (run_id, endpoint_id, host_id, addr, port)"
        " VALUES (?1, ?2, ?3, ?4, ?5)",
    [STMT_INSERT_CONNECTION] =
        "INSERT OR REPLACE INTO connection_rows (run_id, conn_id, client_end, server_end,"
        " client_isn, server_isn, opened_ns, established_ns, closed_ns)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    /* OR FAIL: a failing row fails the run, which is then rolled back whole,
     * so SQLite need not be able to undo a half-done statement: no statement
     * journal (a temporary file the 64-row statements would otherwise fill;
     * a fifth of the insert time). */
    [STMT_INSERT_STAY] =
        "INSERT OR FAIL INTO stays (run_id, seq, t_ns, host_id, conn_id, from_state, state, cause,"
        " seg_id, left_ns, exit_cause) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
    [STMT_INSERT_SEGMENT] =
        "INSERT OR FAIL INTO segment_rows (run_id, seg_id, trace_seq, conn_id, src_end, dst_end,"
        " sent_ns, arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission, injected,"
        " rule_line, options, tsval, tsecr, wscale)"
        " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19,"
        " ?20, ?21, ?22)",
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
enum { BATCH_ROWS = 64, BATCH_MAX_COLUMNS = 22, BATCH_BUFFERS = 16 };

enum cell_type { CELL_NULL, CELL_INT, CELL_TEXT };

struct cell {
    int64_t value;            /* CELL_INT: the integer; CELL_TEXT: offset in text */
    uint32_t len;             /* CELL_TEXT: bytes */
    uint8_t type;
};

enum batch_id {
    BATCH_HOSTS, BATCH_ENDPOINTS, BATCH_CONNECTIONS, BATCH_STAYS, BATCH_SEGMENTS, BATCH_CALLS,
    BATCH_COUNT
};

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

/* ---- a run's dictionaries: hosts, endpoints, open stays ---- */
/*
 * Schema version 2 stores a host, an endpoint (host, address, port) once per
 * run and refers to it by a small id; the ids are given in the order the
 * records first name them, so they are as deterministic as the records.
 * A stay is written when it ends (the TCB's next transition, or the run's
 * end), so the transition that begins it waits here until then; a stay in
 * CLOSED of a connection is its last (the TCB is gone) and is written at
 * once. The listener's stays (conn_id 0) wait like the others.
 */
struct open_stay {
    uint64_t key;              /* host_id << 48 | conn_id: the TCB */
    int64_t seq, t_ns, host_id, conn_id, seg_id;
    int from_state, state, cause;
};

struct run_dictionary {
    char **hosts;              /* host_id - 1 -> name */
    size_t host_count, host_cap;
    struct id_map endpoints;   /* host_id << 48 | addr << 16 | port -> endpoint_id */
    int64_t endpoint_count;
    struct id_map stay_of;     /* open_stay.key -> index in stays */
    struct open_stay *stays;
    size_t stay_count, stay_cap;
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
    struct run_dictionary dict;
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
        [BATCH_HOSTS] = 3, [BATCH_ENDPOINTS] = 5, [BATCH_CONNECTIONS] = 9, [BATCH_STAYS] = 11,
        [BATCH_SEGMENTS] = 22, [BATCH_CALLS] = 7,
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

/* ---- the run's dictionaries (see struct run_dictionary) ---- */

static void out_of_memory(struct sqlite_sink *s)
{
    if (s->failed)
        return;
    s->failed = true;
    results_set_error(s->base.error, sizeof s->base.error, "%s: out of memory", s->path);
}

/* A record without a host name (version 1's NOT NULL constraint). */
static void no_host(struct sqlite_sink *s, const char *what)
{
    if (s->failed)
        return;
    s->failed = true;
    results_set_error(s->base.error, sizeof s->base.error, "%s: %s: it names no host", s->path,
                      what);
}

static void dictionary_clear(struct run_dictionary *d)
{
    for (size_t i = 0; i < d->host_count; i++)
        free(d->hosts[i]);
    d->host_count = 0;
    d->endpoint_count = 0;
    d->stay_count = 0;
    id_map_clear(&d->endpoints);
    id_map_clear(&d->stay_of);
}

static void dictionary_free(struct run_dictionary *d)
{
    dictionary_clear(d);
    free(d->hosts);
    free(d->stays);
    id_map_free(&d->endpoints);
    id_map_free(&d->stay_of);
}

/* The run's id of a host name (1, 2, ...), recording a new one; 0 when out
 * of memory. A scenario has a handful of hosts: a linear search. */
static int64_t host_id(struct sqlite_sink *s, const char *name)
{
    struct run_dictionary *d = &s->dict;
    for (size_t i = 0; i < d->host_count; i++)
        if (strcmp(d->hosts[i], name) == 0)
            return (int64_t)i + 1;
    if (d->host_count == d->host_cap) {
        size_t cap = d->host_cap ? d->host_cap * 2 : 8;
        char **grown = realloc(d->hosts, cap * sizeof *grown);
        if (!grown)
            return 0;
        d->hosts = grown;
        d->host_cap = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return 0;
    d->hosts[d->host_count++] = copy;
    struct batch *b = s->filling[BATCH_HOSTS];
    cell_int(b, s->run_id);
    cell_int(b, (int64_t)d->host_count);
    cell_text(b, copy);
    row_end(s, b);
    return (int64_t)d->host_count;
}

/* The run's id of the endpoint (host, addr, port), recording a new one; 0
 * when out of memory (the run then fails). */
static int64_t endpoint_id(struct sqlite_sink *s, const char *host_name, uint32_t addr,
                           uint16_t port)
{
    struct run_dictionary *d = &s->dict;
    int64_t host = host_id(s, host_name), id;
    if (host == 0) {
        out_of_memory(s);
        return 0;
    }
    uint64_t key = (uint64_t)host << 48 | (uint64_t)addr << 16 | port;
    if (id_map_get(&d->endpoints, key, &id))
        return id;
    id = d->endpoint_count + 1;
    if (!id_map_put(&d->endpoints, key, id)) {
        out_of_memory(s);
        return 0;
    }
    d->endpoint_count = id;
    struct batch *b = s->filling[BATCH_ENDPOINTS];
    cell_int(b, s->run_id);
    cell_int(b, id);
    cell_int(b, host);
    cell_int(b, addr);
    cell_int(b, port);
    row_end(s, b);
    return id;
}

/* Writes a stay: left at left_ns (-1: NULL) for exit_cause (-1: still in
 * the state at the run's end). */
static void write_stay(struct sqlite_sink *s, const struct open_stay *o, int64_t left_ns,
                       int exit_cause)
{
    struct batch *b = s->filling[BATCH_STAYS];
    cell_int(b, s->run_id);
    cell_int(b, o->seq);
    cell_int(b, o->t_ns);
    cell_int(b, o->host_id);
    cell_int_or_null(b, o->conn_id, 0);
    cell_int(b, o->from_state);
    cell_int(b, o->state);
    cell_int(b, o->cause);
    cell_int_or_null(b, o->seg_id, 0);
    cell_int_or_null(b, left_ns, -1);
    cell_int_or_null(b, exit_cause, -1);
    row_end(s, b);
}

/* Removes stays[i], moving the last one into its place. */
static void forget_stay(struct run_dictionary *d, size_t i)
{
    id_map_remove(&d->stay_of, d->stays[i].key);
    if (i + 1 < d->stay_count) {
        d->stays[i] = d->stays[d->stay_count - 1];
        id_map_put(&d->stay_of, d->stays[i].key, (int64_t)i); /* replaces: no allocation */
    }
    d->stay_count--;
}

/* The slot of the TCB's open stay, a new one when it has none; NULL when
 * out of memory. */
static struct open_stay *stay_slot(struct run_dictionary *d, uint64_t key, bool *is_new)
{
    int64_t i;
    *is_new = !id_map_get(&d->stay_of, key, &i);
    if (!*is_new)
        return &d->stays[i];
    if (d->stay_count == d->stay_cap) {
        size_t cap = d->stay_cap ? d->stay_cap * 2 : 256;
        struct open_stay *grown = realloc(d->stays, cap * sizeof *grown);
        if (!grown)
            return NULL;
        d->stays = grown;
        d->stay_cap = cap;
    }
    if (!id_map_put(&d->stay_of, key, (int64_t)d->stay_count))
        return NULL;
    return &d->stays[d->stay_count++];
}

/* At the run's end: every stay still open ends there (a final CLOSED is
 * no stay: NULL), in the order the TCBs' last transitions came. */
static void close_open_stays(struct sqlite_sink *s, int64_t end_ns)
{
    struct run_dictionary *d = &s->dict;
    for (size_t i = 0; i < d->stay_count; i++)
        write_stay(s, &d->stays[i], d->stays[i].state == TCP_CLOSED ? -1 : end_ns, -1);
    d->stay_count = 0;
    id_map_clear(&d->stay_of);
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
        double number;
        if (results_param_number(run->params[i].value, &number) == 0)
            sqlite3_bind_double(st, 4, number);
        else
            sqlite3_bind_null(st, 4);
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
    dictionary_clear(&s->dict);
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
    if (recording(s))
        close_open_stays(s, result->until_ns > 0 ? result->until_ns : result->sim_end_ns);
    flush_all(s);
    s->in_run = false;
    dictionary_clear(&s->dict);
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
    dictionary_clear(&s->dict);
    if (!sqlite3_get_autocommit(s->db))
        step_done(s->stmt[STMT_ROLLBACK]);
}

/* ---- records ---- */

static void sqlite_connection(struct trace_sink *sink, const struct trace_connection *c)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    if (!c->client || !c->server) {
        no_host(s, "cannot record a connection");
        return;
    }
    int64_t client_end = endpoint_id(s, c->client, c->client_addr, c->client_port);
    int64_t server_end = endpoint_id(s, c->server, c->server_addr, c->server_port);
    if (!recording(s))
        return;
    struct batch *b = s->filling[BATCH_CONNECTIONS];
    cell_int(b, s->run_id);
    cell_int(b, (int64_t)c->conn_id);
    cell_int(b, client_end);
    cell_int(b, server_end);
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

/* Ends the TCB's open stay with this transition, which begins the next. */
static void sqlite_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    if (!tr->host) {
        no_host(s, "cannot record a transition");
        return;
    }
    int64_t host = host_id(s, tr->host);
    bool is_new = false;
    struct open_stay *o =
        host ? stay_slot(&s->dict, (uint64_t)host << 48 | tr->conn_id, &is_new) : NULL;
    if (!o) {
        out_of_memory(s);
        return;
    }
    if (!is_new)
        write_stay(s, o, tr->t_ns, tr->cause);
    *o = (struct open_stay){
        .key = (uint64_t)host << 48 | tr->conn_id, .seq = s->next_record++, .t_ns = tr->t_ns,
        .host_id = host, .conn_id = (int64_t)tr->conn_id, .seg_id = (int64_t)tr->seg_id,
        .from_state = tr->from_state, .state = tr->to_state, .cause = tr->cause,
    };
    if (tr->to_state == TCP_CLOSED && tr->conn_id != 0) {
        write_stay(s, o, -1, -1);
        forget_stay(&s->dict, (size_t)(o - s->dict.stays));
    }
}

static void sqlite_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct sqlite_sink *s = as_sqlite_sink(sink);
    if (!recording(s))
        return;
    const struct segment *seg = ts->seg;
    if (!ts->sender || !ts->receiver) {
        no_host(s, "cannot record a segment");
        return;
    }
    int64_t src_end = endpoint_id(s, ts->sender, seg->src_addr, seg->src_port);
    int64_t dst_end = endpoint_id(s, ts->receiver, seg->dst_addr, seg->dst_port);
    if (!recording(s))
        return;
    struct batch *b = s->filling[BATCH_SEGMENTS];
    cell_int(b, s->run_id);
    cell_int(b, (int64_t)seg->id);
    cell_int(b, s->next_record++);
    cell_int_or_null(b, (int64_t)seg->conn_id, 0);
    cell_int(b, src_end);
    cell_int(b, dst_end);
    cell_int(b, ts->sent_ns);
    cell_int_or_null(b, ts->arrived_ns, -1);
    cell_int(b, seg->flags & 0x3f); /* the six flags flag_names names */
    cell_int(b, seg->seq);
    cell_int(b, seg->ack);
    cell_int(b, seg->len);
    cell_int(b, seg->wnd);
    cell_int_or_null(b, seg->mss, 0);
    cell_int(b, ts->fate);
    cell_int(b, seg->retransmission ? 1 : 0);
    cell_int(b, seg->injected ? 1 : 0);
    cell_int_or_null(b, ts->rule_line, 0);
    /* The options as numbers (the view writes segment_options_string's text
     * again): a timestamp option as text was a third of a row. */
    cell_int(b, seg->options & (TCP_OPT_SACK_PERM | TCP_OPT_TIMESTAMPS | TCP_OPT_WSCALE));
    bool has_ts = (seg->options & TCP_OPT_TIMESTAMPS) != 0;
    cell_int_or_null(b, has_ts ? (int64_t)seg->tsval : -1, -1);
    cell_int_or_null(b, has_ts ? (int64_t)seg->tsecr : -1, -1);
    cell_int_or_null(b, seg->options & TCP_OPT_WSCALE ? seg->wscale : -1, -1);
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
    dictionary_free(&s->dict);
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

/* 16 KiB pages: shallower trees, a sixth faster inserts than 4 KiB. Takes
 * effect only in a database that has no pages yet. */
static int set_page_size(sqlite3 *db)
{
    return results_exec(db, "PRAGMA page_size = 16384");
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
        rc = 0;
    } else if (application_id == 0 && objects == 0) {
        if (results_create_schema(s->db) != 0) {
            results_set_error(err, errlen, "%s: cannot create the schema: %s", s->path,
                      sqlite3_errmsg(s->db));
            rc = -1;
        }
    } else if (application_id == SINK_SQLITE_APPLICATION_ID) {
        results_refuse_version(s->path, application_id, user_version, err, errlen);
        rc = -1;
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
    if (prepare_batch(s, BATCH_HOSTS, STMT_INSERT_HOST, 3, "cannot record a host") != 0 ||
        prepare_batch(s, BATCH_ENDPOINTS, STMT_INSERT_ENDPOINT, 5, "cannot record an endpoint") != 0 ||
        prepare_batch(s, BATCH_CONNECTIONS, STMT_INSERT_CONNECTION, 9,
                      "cannot record a connection") != 0 ||
        prepare_batch(s, BATCH_STAYS, STMT_INSERT_STAY, 11, "cannot record a transition") != 0 ||
        prepare_batch(s, BATCH_SEGMENTS, STMT_INSERT_SEGMENT, 22, "cannot record a segment") != 0 ||
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
    enum results_file_kind kind = results_classify_path(path, err, errlen);
    if (kind != RESULTS_FILE_NEW && kind != RESULTS_FILE_TCPSIM)
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
 * the source's primary key. Hosts and endpoints are numbered per run, so
 * they copy as they are. */
static const char *const copy_sql[] = {
    "INSERT INTO main.runs (run_id, scenario, scenario_sha256, seed, rep, params, status,"
    " sim_end_ns, events, wall_s, tcpsim_version, stack, until_ns)"
    " SELECT m.dst_id, r.scenario, r.scenario_sha256, r.seed, r.rep, r.params, r.status,"
    " r.sim_end_ns, r.events, r.wall_s, r.tcpsim_version, r.stack, r.until_ns"
    " FROM temp.copy_map AS m CROSS JOIN src.runs AS r ON r.run_id = m.src_id",
    "INSERT INTO main.run_params (run_id, key, value, number)"
    " SELECT m.dst_id, p.key, p.value, p.number"
    " FROM temp.copy_map AS m CROSS JOIN src.run_params AS p ON p.run_id = m.src_id",
    "INSERT INTO main.hosts (run_id, host_id, name)"
    " SELECT m.dst_id, h.host_id, h.name"
    " FROM temp.copy_map AS m CROSS JOIN src.hosts AS h ON h.run_id = m.src_id",
    "INSERT INTO main.endpoints (run_id, endpoint_id, host_id, addr, port)"
    " SELECT m.dst_id, e.endpoint_id, e.host_id, e.addr, e.port"
    " FROM temp.copy_map AS m CROSS JOIN src.endpoints AS e ON e.run_id = m.src_id",
    "INSERT INTO main.connection_rows (run_id, conn_id, client_end, server_end, client_isn,"
    " server_isn, opened_ns, established_ns, closed_ns)"
    " SELECT m.dst_id, c.conn_id, c.client_end, c.server_end, c.client_isn, c.server_isn,"
    " c.opened_ns, c.established_ns, c.closed_ns"
    " FROM temp.copy_map AS m CROSS JOIN src.connection_rows AS c ON c.run_id = m.src_id",
    "INSERT INTO main.stays (run_id, seq, t_ns, host_id, conn_id, from_state, state, cause,"
    " seg_id, left_ns, exit_cause)"
    " SELECT m.dst_id, t.seq, t.t_ns, t.host_id, t.conn_id, t.from_state, t.state, t.cause,"
    " t.seg_id, t.left_ns, t.exit_cause"
    " FROM temp.copy_map AS m CROSS JOIN src.stays AS t ON t.run_id = m.src_id",
    "INSERT INTO main.segment_rows (run_id, seg_id, trace_seq, conn_id, src_end, dst_end,"
    " sent_ns, arrived_ns, flags, seq, ack, len, wnd, mss, fate, retransmission, injected,"
    " rule_line, options, tsval, tsecr, wscale)"
    " SELECT m.dst_id, s.seg_id, s.trace_seq, s.conn_id, s.src_end, s.dst_end, s.sent_ns,"
    " s.arrived_ns, s.flags, s.seq, s.ack, s.len, s.wnd, s.mss, s.fate, s.retransmission,"
    " s.injected, s.rule_line, s.options, s.tsval, s.tsecr, s.wscale"
    " FROM temp.copy_map AS m CROSS JOIN src.segment_rows AS s ON s.run_id = m.src_id",
    "INSERT INTO main.expectations (run_id, seq, expectation, passed, detail)"
    " SELECT m.dst_id, e.seq, e.expectation, e.passed, e.detail"
    " FROM temp.copy_map AS m CROSS JOIN src.expectations AS e ON e.run_id = m.src_id",
    "INSERT INTO main.calls (run_id, seq, t_ns, host, conn_id, call, result)"
    " SELECT m.dst_id, c.seq, c.t_ns, c.host, c.conn_id, c.call, c.result"
    " FROM temp.copy_map AS m CROSS JOIN src.calls AS c ON c.run_id = m.src_id",
};

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
    int64_t application_id = results_pragma_int(s->db, "PRAGMA src.application_id");
    int64_t user_version = results_pragma_int(s->db, "PRAGMA src.user_version");
    if (application_id != SINK_SQLITE_APPLICATION_ID || user_version != SINK_SQLITE_SCHEMA_VERSION) {
        results_refuse_version(src_path, application_id, user_version, err, errlen);
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
    for (size_t i = 0; i < sizeof copy_sql / sizeof copy_sql[0]; i++) {
        if (results_exec(s->db, copy_sql[i]) != 0) {
            results_set_error(err, errlen, "%s: copying runs from %s: %s", s->path, src_path,
                      sqlite3_errmsg(s->db));
            return -1;
        }
        if (i == 0)
            copied = sqlite3_changes(s->db);
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
