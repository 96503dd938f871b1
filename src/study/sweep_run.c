/*
 * sweep_run.c: running a sweep (sweep_run.h): every point of the grid
 * (sweep.h) N times in JOBS worker processes, all runs in one database.
 *
 * How it goes:
 *  1. The grid's points are checked (each point's settings must apply) and
 *     the output database is read: runs already there with the same
 *     scenario digest, settings, rep and seed (status ok or failed) are not
 *     run again, so an interrupted sweep started again runs only what is
 *     missing. Part files a killed sweep left behind are read the same way.
 *  2. The missing (point, rep) slots become tasks (a point and a range of
 *     reps). Workers are forked; the parent hands out tasks one at a time
 *     over a pipe per worker and each worker answers, over its own pipe,
 *     with one message per finished run. A worker records into its own part
 *     file (DB.partK): never two writers on one SQLite file.
 *  3. The parent copies the runs of the part files into the output, one
 *     transaction per file, numbering them in (point, rep) order: the same
 *     sweep gives the same run_ids whatever JOBS is and whichever worker
 *     finished first. Then it removes the part files.
 *
 * Rep r of every point runs with seed BASE + r (common random numbers
 * across points). --shard K/N keeps the points whose number modulo N is
 * K-1; `tcpsim merge` combines the shards' databases (docs/sweeps.md).
 *
 * Trade-off: processes, not threads. A worker that crashes or is killed
 * loses only its part file's open transaction, and each worker has its
 * own SQLite connection and its own address space for the simulation; the
 * price is a fork per worker and a pipe protocol of fixed-size messages.
 */
#include "sweep_run.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "results_study.h"
#include "scenario.h"
#include "sink_sqlite.h"
#include "sweep.h"
#include "trace.h"
#include "world.h"

#define MAX_SLOTS 50000000ULL   /* points x reps */
#define PROGRESS_PERIOD_S 0.1
#define WORKER_EXIT_OK 0
#define WORKER_EXIT_FAILED 1    /* the parent reads messages, not exit statuses */

/* The only mutable global: set by SIGINT/SIGTERM, read by the parent's
 * loop. A signal handler can reach nothing else. */
static volatile sig_atomic_t interrupted;

/* Where the run of one (point, rep) is: source 0 is the output itself,
 * 1.. part files. run_id 0: not run yet. */
struct slot {
    int64_t run_id;
    uint32_t source;
};

struct source {
    char *path;
    struct sink_sqlite_run_map *map;
    size_t map_count;
};

struct identity {
    char *text;
    uint64_t point;
};

struct sweep {
    const struct sweep_run_request *o;
    struct sweep_run_result *result; /* counters and the error message */
    const char *db_path;        /* o->db_path or the default in result->db_path */
    FILE *diagnostics;
    char *text;                 /* the scenario file's bytes */
    size_t text_length;
    char sha256[65];
    uint64_t seed;
    uint32_t reps;
    uint64_t max_memory;        /* each run's budget (sweep_run_request) */
    struct slot *slots;         /* point * reps + rep */
    struct identity *identities; /* of the shard's points, sorted by text */
    size_t identity_count;
    struct source *sources;
    size_t source_count;
};

/* ---- the scenario of a point ---- */

static int read_file(const char *path, char **text, size_t *length)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    size_t capacity = 0;
    *text = NULL;
    *length = 0;
    for (;;) {
        if (*length == capacity) {
            capacity = capacity ? 2 * capacity : 65536;
            char *grown = realloc(*text, capacity);
            if (!grown)
                break;
            *text = grown;
        }
        size_t got = fread(*text + *length, 1, capacity - *length, f);
        *length += got;
        if (got == 0)
            break;
    }
    bool ok = !ferror(f) && feof(f);
    fclose(f);
    return ok ? 0 : -1;
}

/* The scenario with the fixed settings and the point's values applied.
 * NULL with a message in err. */
static struct scenario *point_scenario(const struct sweep *s, uint64_t point, char *err,
                                       size_t errlen)
{
    struct scenario_error e;
    char message[1024];
    const struct sweep_run_request *o = s->o;
    struct scenario *sc = scenario_parse_string(s->text, s->text_length, o->scenario_path, &e);
    if (!sc) {
        scenario_error_format(&e, message, sizeof message);
        snprintf(err, errlen, "%s", message);
        return NULL;
    }
    for (size_t i = 0; i < o->fixed_count; i++)
        if (scenario_set_assignment(sc, o->fixed[i], &e) != 0) {
            snprintf(err, errlen, "--set %s: %s", o->fixed[i], e.message);
            scenario_free(sc);
            return NULL;
        }
    for (size_t a = 0; a < o->grid->axis_count; a++) {
        const char *key = o->grid->axes[a].key, *value = sweep_point_value(o->grid, point, a);
        if (scenario_set(sc, key, value, &e) != 0) {
            snprintf(err, errlen, "--vary %s=%s: %s", key, value, e.message);
            scenario_free(sc);
            return NULL;
        }
    }
    return sc;
}

static bool in_shard(const struct sweep_run_request *o, uint64_t point)
{
    return o->shard_n == 0 || sweep_point_in_shard(point, o->shard_k, o->shard_n);
}

/* ---- identities: which recorded run is which slot ---- */

static int compare_identities(const void *a, const void *b)
{
    return strcmp(((const struct identity *)a)->text, ((const struct identity *)b)->text);
}

static char *point_identity(const struct sweep *s, uint64_t point)
{
    const struct sweep_run_request *o = s->o;
    size_t n = o->fixed_count + o->grid->axis_count;
    struct sweep_pair *pairs = malloc((n + 1) * sizeof *pairs);
    char (*keys)[64] = malloc((o->fixed_count + 1) * sizeof *keys);
    char *id = NULL;
    if (pairs && keys) {
        for (size_t i = 0; i < o->fixed_count; i++) {
            const char *eq = strchr(o->fixed[i], '=');
            snprintf(keys[i], sizeof keys[i], "%.*s", (int)(eq - o->fixed[i]), o->fixed[i]);
            pairs[i] = (struct sweep_pair){keys[i], eq + 1};
        }
        for (size_t a = 0; a < o->grid->axis_count; a++)
            pairs[o->fixed_count + a] =
                (struct sweep_pair){o->grid->axes[a].key, sweep_point_value(o->grid, point, a)};
        id = sweep_identity(s->sha256, pairs, n);
    }
    free(pairs);
    free(keys);
    return id;
}

/* Checks every point of the shard and notes its identity. */
static int prepare_points(struct sweep *s)
{
    uint64_t points = s->o->grid->point_count;
    s->identities = calloc(points, sizeof *s->identities);
    if (!s->identities) {
        snprintf(s->result->error, sizeof s->result->error, "out of memory");
        return -1;
    }
    for (uint64_t p = 0; p < points; p++) {
        if (!in_shard(s->o, p))
            continue;
        struct scenario *sc = point_scenario(s, p, s->result->error, sizeof s->result->error);
        if (!sc)
            return -1;
        scenario_free(sc);
        char *id = point_identity(s, p);
        if (!id) {
            snprintf(s->result->error, sizeof s->result->error, "out of memory");
            return -1;
        }
        s->identities[s->identity_count++] = (struct identity){id, p};
    }
    qsort(s->identities, s->identity_count, sizeof *s->identities, compare_identities);
    return 0;
}

static long find_point(const struct sweep *s, const char *identity)
{
    struct identity key = {(char *)identity, 0};
    struct identity *hit = bsearch(&key, s->identities, s->identity_count, sizeof key,
                                   compare_identities);
    return hit ? (long)hit->point : -1;
}

/* Which slot a run of a database being scanned fills. */
struct run_scan {
    struct sweep *s;
    uint32_t source;
    uint64_t matched;
    bool oom;
};

static int on_run_identity(void *context, const struct results_run_identity *run)
{
    struct run_scan *r = context;
    struct sweep *s = r->s;
    struct sweep_pair *pairs = malloc((run->setting_count + 1) * sizeof *pairs);
    for (size_t i = 0; pairs && i < run->setting_count; i++)
        pairs[i] = (struct sweep_pair){run->settings[i].key, run->settings[i].value};
    char *id = pairs ? sweep_identity(run->scenario_sha256, pairs, run->setting_count) : NULL;
    free(pairs);
    if (!id) {
        r->oom = true;
        return 1;
    }
    long point = find_point(s, id);
    free(id);
    bool usable = run->status == RESULTS_RUN_OK || run->status == RESULTS_RUN_FAILED;
    if (point >= 0 && usable && run->rep < s->reps && run->seed == s->seed + run->rep) {
        struct slot *slot = &s->slots[(uint64_t)point * s->reps + run->rep];
        if (slot->run_id == 0) {
            *slot = (struct slot){run->run_id, r->source};
            r->matched++;
        }
    }
    return 0;
}

/* Notes which slots the database's runs fill. Returns runs matched or -1. */
static int64_t scan_database(struct sweep *s, struct trace_sink *db, uint32_t source)
{
    struct run_scan r = {s, source, 0, false};
    int rc = results_run_identities(db, on_run_identity, &r, s->result->error,
                                    sizeof s->result->error);
    if (r.oom)
        snprintf(s->result->error, sizeof s->result->error, "out of memory");
    return rc == 0 && !r.oom ? (int64_t)r.matched : -1;
}

/* ---- sources: the output and the part files ---- */

static int add_source(struct sweep *s, const char *path)
{
    struct source *grown = realloc(s->sources, (s->source_count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    s->sources = grown;
    s->sources[s->source_count] = (struct source){strdup(path), NULL, 0};
    if (!s->sources[s->source_count].path)
        return -1;
    s->source_count++;
    return 0;
}

static void remove_part_file(const char *path)
{
    size_t n = strlen(path);
    char *journal = malloc(n + sizeof "-journal");
    remove(path);
    if (journal) {
        memcpy(journal, path, n);
        memcpy(journal + n, "-journal", sizeof "-journal");
        remove(journal);
    }
    free(journal);
}

/* Part files of an earlier sweep into the same output that was killed:
 * DB.part1, DB.part2, ... beside DB. Their complete runs count. */
static int recover_part_files(struct sweep *s)
{
    char dir[4096], prefix[512];
    const char *slash = strrchr(s->db_path, '/');
    snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - s->db_path) : 1,
             slash ? s->db_path : ".");
    snprintf(prefix, sizeof prefix, "%s.part", slash ? slash + 1 : s->db_path);
    DIR *d = opendir(dir[0] ? dir : "/");
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t n = strlen(prefix);
        if (strncmp(e->d_name, prefix, n) != 0 || e->d_name[n] < '0' || e->d_name[n] > '9' ||
            strspn(e->d_name + n, "0123456789") != strlen(e->d_name + n))
            continue;
        char path[4600], err[512];
        snprintf(path, sizeof path, "%s/%s", dir[0] ? dir : "", e->d_name);
        struct trace_sink *db = sink_sqlite_open(path, err, sizeof err); /* rolls back a torn run */
        if (!db || add_source(s, path) != 0) {
            if (db)
                db->ops->destroy(db);
            continue;
        }
        int64_t matched = scan_database(s, db, (uint32_t)(s->source_count - 1));
        db->ops->destroy(db);
        if (matched > 0)
            s->result->runs_recovered += (uint64_t)matched;
    }
    if (d)
        closedir(d);
    return 0;
}

/* Reads the output's runs (creating the file when missing). */
static int scan_output(struct sweep *s)
{
    struct trace_sink *db = sink_sqlite_open(s->db_path, s->result->error, sizeof s->result->error);
    if (!db)
        return -1;
    int64_t matched = add_source(s, s->db_path) == 0 ? scan_database(s, db, 0) : -1;
    db->ops->destroy(db);
    if (matched < 0)
        return -1;
    s->result->runs_present = (uint64_t)matched;
    return 0;
}

/* ---- tasks ---- */

struct task {
    uint64_t point;
    uint32_t rep_begin, rep_end;
};

struct task_list {
    struct task *tasks;
    size_t count, next;
    uint64_t runs;
};

static int add_task(struct task_list *t, uint64_t point, uint32_t begin, uint32_t end)
{
    struct task *grown = realloc(t->tasks, (t->count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    t->tasks = grown;
    t->tasks[t->count++] = (struct task){point, begin, end};
    return 0;
}

static uint64_t missing_runs(const struct sweep *s)
{
    uint64_t missing = 0;
    for (uint64_t p = 0; p < s->o->grid->point_count; p++)
        for (uint32_t r = 0; in_shard(s->o, p) && r < s->reps; r++)
            missing += s->slots[p * s->reps + r].run_id == 0;
    return missing;
}

/* Missing reps of each point, in runs of at most `chunk` consecutive reps:
 * chunks small enough to keep every worker busy to the end. */
static int plan_tasks(const struct sweep *s, uint32_t jobs, struct task_list *t)
{
    uint64_t missing = missing_runs(s);
    uint64_t chunk = (missing + 4 * jobs - 1) / (4 * jobs);
    chunk = chunk < 1 ? 1 : chunk > s->reps ? s->reps : chunk;
    t->runs = missing;
    for (uint64_t p = 0; p < s->o->grid->point_count; p++) {
        if (!in_shard(s->o, p))
            continue;
        for (uint32_t r = 0; r < s->reps;) {
            if (s->slots[p * s->reps + r].run_id != 0) {
                r++;
                continue;
            }
            uint32_t end = r;
            while (end < s->reps && end - r < chunk && s->slots[p * s->reps + end].run_id == 0)
                end++;
            if (add_task(t, p, r, end) != 0)
                return -1;
            r = end;
        }
    }
    return 0;
}

/* ---- workers ---- */

enum message_kind { MSG_RUN, MSG_TASK_DONE };
enum run_outcome { RUN_OK, RUN_FAILED, RUN_ERROR };

struct message {
    uint32_t kind, outcome;
    uint64_t point;
    uint32_t rep, pad;
    int64_t run_id;
};

struct worker {
    pid_t pid;
    int task_fd;                /* parent writes tasks; -1 once closed */
    int result_fd;              /* parent reads messages; -1 at EOF */
    uint32_t source;
    unsigned char buffer[sizeof(struct message)];
    size_t buffered;
};

static int write_all(int fd, const void *data, size_t size)
{
    const char *p = data;
    while (size > 0) {
        ssize_t n = write(fd, p, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        size -= (size_t)n;
    }
    return 0;
}

/* 1 read, 0 at EOF, -1 on error. */
static int read_all(int fd, void *data, size_t size)
{
    char *p = data;
    size_t got = 0;
    while (got < size) {
        ssize_t n = read(fd, p + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n == 0 && got == 0 ? 0 : -1;
        got += (size_t)n;
    }
    return 1;
}

static void send_message(int fd, uint32_t kind, uint32_t outcome, uint64_t point, uint32_t rep,
                         int64_t run_id)
{
    struct message m = {kind, outcome, point, rep, 0, run_id};
    if (write_all(fd, &m, sizeof m) != 0)
        _exit(WORKER_EXIT_FAILED); /* the parent is gone */
}

static void worker_run_task(const struct sweep *s, const struct task *t, struct trace *trace,
                            struct trace_sink *db, int out)
{
    char err[1024];
    struct scenario *sc = point_scenario(s, t->point, err, sizeof err);
    for (uint32_t rep = t->rep_begin; rep < t->rep_end; rep++) {
        struct world_report report;
        struct world_options options = {.seed = s->seed + rep, .rep = rep,
                                        .max_memory = s->max_memory};
        if (!sc || world_run(sc, &options, trace, &report) != 0) {
            fprintf(s->diagnostics, "\ntcpsim: sweep point %" PRIu64 " rep %" PRIu32 ": %s\n", t->point,
                    rep, sc ? report.error : err);
            send_message(out, MSG_RUN, RUN_ERROR, t->point, rep, 0);
            continue;
        }
        bool ok = strcmp(report.status, "ok") == 0;
        send_message(out, MSG_RUN, ok ? RUN_OK : RUN_FAILED, t->point, rep,
                     sink_sqlite_last_run_id(db));
    }
    scenario_free(sc);
    send_message(out, MSG_TASK_DONE, 0, t->point, 0, 0);
}

/* The child: tasks in, messages out, runs into its own part file. */
static void worker_main(const struct sweep *s, const char *part_path, int in, int out)
{
    char err[512];
    struct trace trace;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGPIPE, SIG_DFL);
    trace_init(&trace);
    struct trace_sink *db = sink_sqlite_open(part_path, err, sizeof err);
    if (!db) {
        fprintf(s->diagnostics, "\ntcpsim: %s\n", err);
        _exit(WORKER_EXIT_FAILED);
    }
    trace_add_sink(&trace, db);
    struct task t;
    while (read_all(in, &t, sizeof t) == 1)
        worker_run_task(s, &t, &trace, db, out);
    trace_destroy_sinks(&trace);
    _exit(WORKER_EXIT_OK);
}

struct pool {
    struct worker workers[SWEEP_RUN_MAX_JOBS];
    uint32_t count;
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int start_worker(struct sweep *s, struct pool *pool, uint32_t index)
{
    char part[4200];
    snprintf(part, sizeof part, "%s.part%" PRIu32, s->db_path, index + 1);
    remove_part_file(part);
    int tasks[2], results[2];
    if (add_source(s, part) != 0 || pipe(tasks) != 0) {
        snprintf(s->result->error, sizeof s->result->error, "cannot start a worker: %s", strerror(errno));
        return -1;
    }
    if (pipe(results) != 0) {
        close(tasks[0]);
        close(tasks[1]);
        snprintf(s->result->error, sizeof s->result->error, "cannot start a worker: %s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        /* The other workers' pipe ends stay with the parent, so each worker
         * sees the end of its own task pipe. */
        for (uint32_t i = 0; i < pool->count; i++) {
            close_fd(&pool->workers[i].task_fd);
            close_fd(&pool->workers[i].result_fd);
        }
        close(tasks[1]);
        close(results[0]);
        worker_main(s, part, tasks[0], results[1]);
    }
    close(tasks[0]);
    close(results[1]);
    if (pid < 0) {
        close(tasks[1]);
        close(results[0]);
        snprintf(s->result->error, sizeof s->result->error, "cannot fork a worker: %s", strerror(errno));
        return -1;
    }
    pool->workers[pool->count++] = (struct worker){pid, tasks[1], results[0],
                                                   (uint32_t)(s->source_count - 1), {0}, 0};
    return 0;
}

/* Gives the worker its next task, or closes its task pipe: no more work. */
static void dispatch(struct worker *w, struct task_list *t)
{
    if (w->task_fd < 0)
        return;
    if (interrupted || t->next == t->count ||
        write_all(w->task_fd, &t->tasks[t->next], sizeof t->tasks[0]) != 0) {
        close_fd(&w->task_fd);
        return;
    }
    t->next++;
}

/* ---- progress ---- */

struct progress {
    FILE *out;                  /* NULL: no bar */
    uint64_t total, done;
    double start, last;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void format_duration(double seconds, char *buf, size_t size)
{
    long s = seconds < 0 || seconds > 359999 ? 359999 : (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, size, "%ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, size, "%ld:%02ld", s / 60, s % 60);
}

static void progress_draw(struct progress *p, bool final)
{
    double t = now_s();
    if (!p->out || (!final && t - p->last < PROGRESS_PERIOD_S))
        return;
    p->last = t;
    double elapsed = t - p->start, rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    double fraction = p->total ? (double)p->done / (double)p->total : 1;
    char left[32] = "--:--";
    if (rate > 0)
        format_duration((double)(p->total - p->done) / rate, left, sizeof left);
    char bar[31];
    int filled = (int)(fraction * 30);
    for (int i = 0; i < 30; i++)
        bar[i] = i < filled ? '#' : '.';
    bar[30] = '\0';
    fprintf(p->out, "\r[%s] %" PRIu64 "/%" PRIu64 " runs %3.0f%%  %.1f runs/s  %s left ", bar,
            p->done, p->total, 100 * fraction, rate, left);
    if (final)
        fputc('\n', p->out);
    fflush(p->out);
}

/* ---- the parent's loop ---- */

static void on_message(struct sweep *s, struct worker *w, const struct message *m,
                       struct task_list *t, struct progress *p)
{
    if (m->kind == MSG_TASK_DONE) {
        dispatch(w, t);
        return;
    }
    p->done++;
    if (m->outcome == RUN_ERROR) {
        s->result->runs_error++;
        return;
    }
    s->result->runs_failed += m->outcome == RUN_FAILED;
    s->result->runs_done++;
    if (m->point < s->o->grid->point_count && m->rep < s->reps)
        s->slots[m->point * s->reps + m->rep] = (struct slot){m->run_id, w->source};
}

static void read_messages(struct sweep *s, struct worker *w, struct task_list *t,
                          struct progress *p)
{
    ssize_t n = read(w->result_fd, w->buffer + w->buffered, sizeof w->buffer - w->buffered);
    if (n < 0 && errno == EINTR)
        return;
    if (n <= 0) {
        close_fd(&w->result_fd);
        close_fd(&w->task_fd);
        return;
    }
    w->buffered += (size_t)n;
    if (w->buffered == sizeof w->buffer) {
        struct message m;
        memcpy(&m, w->buffer, sizeof m);
        w->buffered = 0;
        on_message(s, w, &m, t, p);
    }
}

static void stop_workers(struct pool *pool)
{
    for (uint32_t i = 0; i < pool->count; i++)
        if (pool->workers[i].result_fd >= 0)
            kill(pool->workers[i].pid, SIGTERM);
}

static void run_pool(struct sweep *s, struct pool *pool, struct task_list *t, struct progress *p)
{
    struct pollfd fds[SWEEP_RUN_MAX_JOBS];
    bool stopping = false;
    for (uint32_t i = 0; i < pool->count; i++)
        dispatch(&pool->workers[i], t);
    for (;;) {
        if (interrupted && !stopping) {
            stopping = true;
            stop_workers(pool);
        }
        nfds_t n = 0;
        for (uint32_t i = 0; i < pool->count; i++)
            if (pool->workers[i].result_fd >= 0)
                fds[n++] = (struct pollfd){pool->workers[i].result_fd, POLLIN, 0};
        if (n == 0)
            break;
        if (poll(fds, n, 200) <= 0)
            continue;
        for (uint32_t i = 0; i < pool->count; i++) {
            struct worker *w = &pool->workers[i];
            for (nfds_t f = 0; f < n && w->result_fd >= 0; f++)
                if (fds[f].fd == w->result_fd && fds[f].revents)
                    read_messages(s, w, t, p);
        }
        progress_draw(p, false);
    }
    for (uint32_t i = 0; i < pool->count; i++) {
        int status;
        while (waitpid(pool->workers[i].pid, &status, 0) < 0 && errno == EINTR)
            ;
    }
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int run_workers(struct sweep *s, struct task_list *t)
{
    struct pool pool = {.count = 0};
    uint32_t jobs = s->o->jobs < t->count ? s->o->jobs : (uint32_t)t->count;
    struct progress p = {s->o->progress, t->runs, 0, now_s(), 0};
    struct sigaction sa = {0}, old_int, old_term, old_pipe;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &old_pipe);
    int rc = 0;
    for (uint32_t i = 0; i < jobs && rc == 0; i++)
        rc = start_worker(s, &pool, i);
    if (rc != 0)
        interrupted = 1;
    run_pool(s, &pool, t, &p);
    progress_draw(&p, true);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGPIPE, &old_pipe, NULL);
    return rc;
}

/* ---- merging the part files into the output ---- */

static int add_to_map(struct source *src, int64_t from, int64_t to)
{
    struct sink_sqlite_run_map *grown = realloc(src->map, (src->map_count + 1) * sizeof *grown);
    if (!grown)
        return -1;
    src->map = grown;
    src->map[src->map_count++] = (struct sink_sqlite_run_map){from, to};
    return 0;
}

/* New run_ids in (point, rep) order after the output's last run. */
static int number_new_runs(struct sweep *s, struct trace_sink *out)
{
    int64_t next;
    if (results_last_run_id(out, &next, s->result->error, sizeof s->result->error) != 0)
        return -1;
    uint64_t slots = s->o->grid->point_count * s->reps;
    for (uint64_t i = 0; i < slots; i++) {
        const struct slot *slot = &s->slots[i];
        if (slot->run_id != 0 && slot->source != 0 &&
            add_to_map(&s->sources[slot->source], slot->run_id, ++next) != 0) {
            snprintf(s->result->error, sizeof s->result->error, "out of memory");
            return -1;
        }
    }
    return 0;
}

/* After a merge the runs are in the output: source 0. */
static void forget_part_files(struct sweep *s)
{
    uint64_t slots = s->o->grid->point_count * s->reps;
    for (uint64_t i = 0; i < slots; i++)
        s->slots[i].source = 0;
    for (size_t i = 1; i < s->source_count; i++) {
        remove_part_file(s->sources[i].path);
        free(s->sources[i].path);
        free(s->sources[i].map);
    }
    s->source_count = s->source_count ? 1 : 0;
}

/* Copies the runs of the part files into the output, one transaction per
 * file, then removes the files. On failure the part files stay, and the
 * next sweep recovers their runs. */
static int merge_sources(struct sweep *s)
{
    if (s->source_count <= 1)
        return 0;
    struct trace_sink *out = sink_sqlite_open(s->db_path, s->result->error, sizeof s->result->error);
    if (!out)
        return -1;
    int rc = number_new_runs(s, out);
    for (size_t i = 1; i < s->source_count && rc == 0; i++) {
        struct source *src = &s->sources[i];
        if (src->map_count > 0 && sink_sqlite_copy_runs(out, src->path, src->map, src->map_count,
                                                        s->result->error, sizeof s->result->error) < 0)
            rc = -1;
    }
    out->ops->destroy(out);
    if (rc == 0)
        forget_part_files(s);
    return rc;
}

/* ---- the sweep ---- */

static int default_db_path(struct sweep *s)
{
    if (mkdir("results", 0777) != 0 && errno != EEXIST) {
        snprintf(s->result->error, sizeof s->result->error,
                 "cannot create directory results/: %s", strerror(errno));
        return -1;
    }
    snprintf(s->result->db_path, sizeof s->result->db_path, "results/%s.db",
             s->result->scenario_name);
    return 0;
}

/* Reads and checks the scenario and every point; sets seed and reps. */
static int load_sweep(struct sweep *s)
{
    const struct sweep_run_request *o = s->o;
    if (read_file(o->scenario_path, &s->text, &s->text_length) != 0) {
        snprintf(s->result->error, sizeof s->result->error, "%s: cannot read: %s",
                 o->scenario_path, strerror(errno));
        return -1;
    }
    struct scenario *base = point_scenario(s, 0, s->result->error, sizeof s->result->error);
    if (!base)
        return -1;
    snprintf(s->sha256, sizeof s->sha256, "%s", base->sha256);
    snprintf(s->result->scenario_name, sizeof s->result->scenario_name, "%s", base->name);
    s->seed = o->has_seed ? o->seed : base->run.seed;
    s->max_memory = o->max_memory;
    s->reps = s->result->reps = o->has_reps ? o->reps : base->run.reps;
    scenario_free(base);
    if (o->db_path)
        snprintf(s->result->db_path, sizeof s->result->db_path, "%s", o->db_path);
    else if (default_db_path(s) != 0)
        return -1;
    s->db_path = s->result->db_path;
    if (o->grid->point_count * s->reps > MAX_SLOTS) {
        snprintf(s->result->error, sizeof s->result->error,
                 "%" PRIu64 " points x %" PRIu32 " reps: more than %llu runs",
                 o->grid->point_count, s->reps, MAX_SLOTS);
        return -1;
    }
    s->slots = calloc(o->grid->point_count * s->reps, sizeof *s->slots);
    if (!s->slots) {
        snprintf(s->result->error, sizeof s->result->error, "out of memory");
        return -1;
    }
    return prepare_points(s);
}

static void free_sweep(struct sweep *s)
{
    for (size_t i = 0; i < s->identity_count; i++)
        free(s->identities[i].text);
    for (size_t i = 0; i < s->source_count; i++) {
        free(s->sources[i].path);
        free(s->sources[i].map);
    }
    free(s->identities);
    free(s->sources);
    free(s->slots);
    free(s->text);
}

void sweep_run_print_summary(FILE *out, const struct sweep_run_request *o,
                             const struct sweep_run_result *r)
{
    fprintf(out, "%s: %" PRIu64 " points x %" PRIu32 " reps", r->scenario_name, r->points, r->reps);
    if (o->shard_n)
        fprintf(out, " (shard %" PRIu32 "/%" PRIu32 " of %" PRIu64 " points)", o->shard_k,
                o->shard_n, o->grid->point_count);
    fprintf(out, ": %" PRIu64 " runs recorded", r->runs_done + r->runs_recovered);
    if (r->runs_present)
        fprintf(out, ", %" PRIu64 " already there", r->runs_present);
    if (r->runs_recovered)
        fprintf(out, " (%" PRIu64 " recovered from part files)", r->runs_recovered);
    if (r->runs_failed)
        fprintf(out, ", %" PRIu64 " failed their expectations", r->runs_failed);
    if (r->runs_error)
        fprintf(out, ", %" PRIu64 " could not run", r->runs_error);
    if (r->runs_not_run)
        fprintf(out, ", %" PRIu64 " not run (interrupted: run the same command again to finish)",
                r->runs_not_run);
    fprintf(out, "\nrecorded in %s\n", r->db_path);
}

/* A failure once runs have started: reported, and the sweep goes on to
 * merge what it has. */
static void diagnose(const struct sweep *s)
{
    fprintf(s->diagnostics, "tcpsim: %s\n", s->result->error);
}

enum sweep_run_outcome sweep_run(const struct sweep_run_request *request,
                                 struct sweep_run_result *result)
{
    struct sweep s = {.o = request, .result = result,
                      .diagnostics = request->diagnostics ? request->diagnostics : stderr};
    struct task_list t = {0};
    memset(result, 0, sizeof *result);
    interrupted = 0;
    int rc = load_sweep(&s);
    result->points = s.identity_count;
    if (rc == 0)
        rc = scan_output(&s);
    if (rc == 0)
        rc = recover_part_files(&s);
    if (rc == 0)
        rc = merge_sources(&s); /* what a killed sweep left, before new part files */
    if (rc == 0)
        rc = plan_tasks(&s, request->jobs, &t);
    if (rc != 0) {
        free_sweep(&s);
        free(t.tasks);
        return SWEEP_RUN_BAD_INPUT;
    }
    bool incomplete = false;
    if (t.count > 0 && run_workers(&s, &t) != 0) {
        diagnose(&s);
        incomplete = true;
    }
    if (merge_sources(&s) != 0) {
        diagnose(&s);
        incomplete = true;
    }
    uint64_t ran = result->runs_done + result->runs_error;
    result->runs_not_run = t.runs > ran ? t.runs - ran : 0;
    if (result->runs_failed || result->runs_error || interrupted || result->runs_not_run)
        incomplete = true;
    free_sweep(&s);
    free(t.tasks);
    return incomplete ? SWEEP_RUN_INCOMPLETE : SWEEP_RUN_DONE;
}
