/*
 * bench_lifecycles.c: connection lifecycles per wall-second, the figure the
 * performance issue compares with ns-3 (docs/performance.md).
 *
 * Runs the workload of bench/scenarios/lifecycles-*.tcpsim -- connect, send
 * 1000 bytes, close, the server closes on the client's FIN, the client
 * waits out TIME_WAIT -- for several N, shapes and loss rates, with the
 * results database off and on. Each run is a child process (fork), so its
 * peak resident memory (its own getrusage ru_maxrss) is its own and the wall time
 * covers everything a `tcpsim run` does but starting the program: reading
 * the scenario, the run, writing and committing the database. Prints one
 * line per run and, for each pair of runs with and without the database,
 * the cost of logging. Nothing is asserted.
 *
 *   bench_lifecycles            N = 10^3, 10^4 (and 10^5 without loss); a minute or so
 *   bench_lifecycles --scale    N = 10^5, 10^6; 10^6 connections alive at once; linearity
 *   bench_lifecycles --quick    N = 10^3 only (a smoke test)
 * Options: --reps R (run each case R times and keep the fastest: this
 * machine is shared and noisy), --scenarios DIR (default: the source
 * tree's bench/scenarios), --db-dir DIR (where the databases are written,
 * default $TMPDIR or /tmp).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "scenario.h"
#include "sink_sqlite.h"
#include "trace.h"
#include "world.h"

#ifndef TOP_SRCDIR
#define TOP_SRCDIR "."
#endif

struct bench_case {
    const char *shape;        /* bench/scenarios/lifecycles-SHAPE.tcpsim */
    uint64_t count;           /* workload.count; 0 = the file's own */
    const char *loss;         /* link.loss, as --set writes it */
    bool db;
};

/* What the child reports through a pipe. */
struct child_report {
    int ok;                   /* the run happened (status ok or failed) */
    char status[16];
    uint64_t connections, events, segments;
    double world_wall_s;      /* world_run alone, as `tcpsim run` prints it */
    long peak_rss_kib;        /* getrusage(RUSAGE_SELF) ru_maxrss at the end */
};

struct result {
    struct bench_case c;
    struct child_report r;
    double wall_s;            /* fork to exit: reading, running, committing */
    long peak_rss_kib;
    uint64_t rows;            /* database rows written (db runs) */
    off_t db_bytes;
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void scenario_path(const char *dir, const char *shape, char *path, size_t size)
{
    snprintf(path, size, "%s/lifecycles-%s.tcpsim", dir, shape);
}

/* ---- the child: one run, as `tcpsim run FILE --quiet --set ...` ---- */

static int set(struct scenario *sc, const char *assignment)
{
    struct scenario_error err;
    if (scenario_set_assignment(sc, assignment, &err) != 0) {
        fprintf(stderr, "bench_lifecycles: --set %s: %s\n", assignment, err.message);
        return -1;
    }
    return 0;
}

static void child_run(const struct bench_case *c, const char *scenarios, const char *db_path,
                      int fd)
{
    struct child_report report = {0};
    char path[4096], message[1024], assignment[64];
    struct scenario_error err;
    scenario_path(scenarios, c->shape, path, sizeof path);
    struct scenario *sc = scenario_parse_file(path, &err);
    if (!sc) {
        scenario_error_format(&err, message, sizeof message);
        fprintf(stderr, "bench_lifecycles: %s\n", message);
        _exit(1);
    }
    snprintf(assignment, sizeof assignment, "workload.count=%" PRIu64, c->count);
    if ((c->count && set(sc, assignment) != 0))
        _exit(1);
    snprintf(assignment, sizeof assignment, "link.loss=%s", c->loss);
    if (set(sc, assignment) != 0)
        _exit(1);
    struct trace trace;
    trace_init(&trace);
    if (c->db) {
        struct trace_sink *db = sink_sqlite_open(db_path, message, sizeof message);
        if (!db) {
            fprintf(stderr, "bench_lifecycles: %s\n", message);
            _exit(1);
        }
        trace_add_sink(&trace, db);
    }
    struct world_options options = {.seed = sc->run.seed};
    struct world_report r;
    report.ok = world_run(sc, &options, &trace, &r) == 0;
    if (!report.ok)
        fprintf(stderr, "bench_lifecycles: %s: %s\n", path, r.error);
    trace_destroy_sinks(&trace); /* closes the database */
    snprintf(report.status, sizeof report.status, "%s", r.status);
    report.connections = r.connections;
    report.events = r.events;
    report.segments = r.segments;
    report.world_wall_s = r.wall_s;
    scenario_free(sc);
    struct rusage usage;
    if (getrusage(RUSAGE_SELF, &usage) == 0)
        report.peak_rss_kib = usage.ru_maxrss;
    ssize_t n = write(fd, &report, sizeof report);
    _exit(n == (ssize_t)sizeof report ? 0 : 1);
}

/* ---- the parent ---- */

static int take_u64(void *context, int count, const char *const *values, const char *const *names)
{
    (void)names;
    if (count > 0 && values[0])
        *(uint64_t *)context = strtoull(values[0], NULL, 10);
    return 0;
}

static uint64_t count_rows(const char *db_path)
{
    char err[256];
    uint64_t rows = 0;
    struct trace_sink *db = sink_sqlite_open_read(db_path, err, sizeof err);
    if (!db)
        return 0;
    sink_sqlite_query(db,
                      "SELECT (SELECT count(*) FROM transitions) + (SELECT count(*) FROM segments)"
                      " + (SELECT count(*) FROM connections)",
                      NULL, 0, take_u64, &rows, err, sizeof err);
    db->ops->destroy(db);
    return rows;
}

static int run_case(const struct bench_case *c, const char *scenarios, const char *db_dir,
                    struct result *out)
{
    char db_path[4096];
    snprintf(db_path, sizeof db_path, "%s/bench_lifecycles.%ld.db", db_dir, (long)getpid());
    unlink(db_path);
    int fds[2];
    if (pipe(fds) != 0)
        return -1;
    fflush(NULL);
    double t0 = now_s();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(fds[0]);
        child_run(c, scenarios, db_path, fds[1]);
    }
    close(fds[1]);
    memset(out, 0, sizeof *out);
    out->c = *c;
    ssize_t n = read(fds[0], &out->r, sizeof out->r);
    close(fds[0]);
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    out->wall_s = now_s() - t0;
    out->peak_rss_kib = out->r.peak_rss_kib;
    if (n != (ssize_t)sizeof out->r || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        !out->r.ok)
        return -1;
    if (c->db) {
        struct stat st;
        out->db_bytes = stat(db_path, &st) == 0 ? st.st_size : 0;
        out->rows = count_rows(db_path);
        unlink(db_path);
    }
    return 0;
}

static void print_header(void)
{
    printf("%-11s %8s %5s %3s %8s %13s %12s %9s %11s %8s %s\n", "shape", "N", "loss", "db",
           "wall_s", "lifecycles/s", "events/s", "peak_MiB", "rows/s", "db_MiB", "status");
}

static void print_result(const struct result *x)
{
    double n = (double)x->r.connections;
    printf("%-11s %8" PRIu64 " %5s %3s %8.3f %13.0f %12.0f %9.1f", x->c.shape, x->r.connections,
           x->c.loss, x->c.db ? "on" : "off", x->wall_s, n / x->wall_s,
           (double)x->r.events / x->wall_s, x->peak_rss_kib / 1024.0);
    if (x->c.db)
        printf(" %11.0f %8.1f", (double)x->rows / x->wall_s, x->db_bytes / 1048576.0);
    else
        printf(" %11s %8s", "-", "-");
    printf(" %s\n", x->r.status);
    fflush(stdout);
}

/* The fastest of reps runs of the case. */
static int run_best(const struct bench_case *c, const char *scenarios, const char *db_dir,
                    int reps, struct result *best)
{
    for (int r = 0; r < reps; r++) {
        struct result x;
        if (run_case(c, scenarios, db_dir, &x) != 0)
            return -1;
        if (r == 0 || x.wall_s < best->wall_s)
            *best = x;
    }
    return 0;
}

/* Runs the cases; after each pair with the database off then on, the cost
 * of logging. Returns the number of failed runs. */
static int run_cases(const struct bench_case *cases, size_t count, const char *scenarios,
                     const char *db_dir, int reps, struct result *results)
{
    int failed = 0;
    for (size_t i = 0; i < count; i++) {
        if (run_best(&cases[i], scenarios, db_dir, reps, &results[i]) != 0) {
            printf("%-11s %8" PRIu64 " %5s %3s   run failed\n", cases[i].shape, cases[i].count,
                   cases[i].loss, cases[i].db ? "on" : "off");
            results[i].wall_s = 0;
            failed++;
            continue;
        }
        print_result(&results[i]);
        if (i > 0 && cases[i].db && !cases[i - 1].db && results[i - 1].wall_s > 0)
            printf("%-11s %8s   logging: the database makes this run %.2fx as long"
                   " (%.1f us more per lifecycle)\n", "", "",
                   results[i].wall_s / results[i - 1].wall_s,
                   (results[i].wall_s - results[i - 1].wall_s) * 1e6 /
                       (double)results[i].r.connections);
    }
    return failed;
}

/* Every shape x N x loss, the database off then on. */
static size_t grid(struct bench_case *cases, const uint64_t *ns, size_t n_count, bool db_with_loss,
                   uint64_t no_loss_only_from)
{
    static const char *const shapes[] = {"sequential", "concurrent"};
    static const char *const losses[] = {"0", "1%"};
    size_t k = 0;
    for (size_t s = 0; s < 2; s++)
        for (size_t n = 0; n < n_count; n++)
            for (size_t l = 0; l < 2; l++) {
                if (l == 1 && ns[n] >= no_loss_only_from)
                    continue;
                cases[k++] = (struct bench_case){shapes[s], ns[n], losses[l], false};
                if (l == 0 || db_with_loss)
                    cases[k++] = (struct bench_case){shapes[s], ns[n], losses[l], true};
            }
    return k;
}

static void linearity(const char *scenarios, const char *db_dir, int reps)
{
    static const struct bench_case pair[] = {
        {"thousand", 0, "0", false},
        {"million", 0, "0", false},
    };
    struct result r[2];
    printf("\nlinear: the same 10^6 lifecycles (one per 200 us), about 10^3 or 10^6 alive at once\n");
    print_header();
    if (run_cases(pair, 2, scenarios, db_dir, reps, r) != 0 || r[0].wall_s <= 0 ||
        r[1].wall_s <= 0)
        return;
    printf("linear: %.2f us per lifecycle with ~10^3 alive, %.2f us with 10^6 alive: %.2fx\n",
           r[0].wall_s * 1e6 / (double)r[0].r.connections,
           r[1].wall_s * 1e6 / (double)r[1].r.connections, r[1].wall_s / r[0].wall_s);
    printf("memory: %.1f MiB peak resident with 10^6 connections alive\n",
           r[1].peak_rss_kib / 1024.0);
}

int main(int argc, char **argv)
{
    const char *scenarios = TOP_SRCDIR "/bench/scenarios";
    const char *db_dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    enum { DEFAULT, QUICK, SCALE } mode = DEFAULT;
    int reps = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--scale") == 0)
            mode = SCALE;
        else if (strcmp(argv[i], "--quick") == 0)
            mode = QUICK;
        else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc && atoi(argv[i + 1]) > 0)
            reps = atoi(argv[++i]);
        else if (strcmp(argv[i], "--scenarios") == 0 && i + 1 < argc)
            scenarios = argv[++i];
        else if (strcmp(argv[i], "--db-dir") == 0 && i + 1 < argc)
            db_dir = argv[++i];
        else {
            fprintf(stderr, "usage: bench_lifecycles [--quick | --scale] [--reps R]"
                            " [--scenarios DIR] [--db-dir DIR]\n");
            return 2;
        }
    }
    struct bench_case cases[64];
    size_t count;
    if (mode == QUICK) {
        static const uint64_t ns[] = {1000};
        count = grid(cases, ns, 1, true, UINT64_MAX);
    } else if (mode == DEFAULT) {
        static const uint64_t ns[] = {1000, 10000, 100000};
        count = grid(cases, ns, 3, true, 100000);
    } else {
        static const uint64_t ns[] = {100000, 1000000};
        count = grid(cases, ns, 2, false, UINT64_MAX);
    }
    struct result results[64];
    printf("connection lifecycles (bench/scenarios/lifecycles-*.tcpsim): wall_s from fork to exit"
           " of a child that reads the scenario, runs it and commits the database;"
           " best of %d\n", reps);
    print_header();
    int failed = run_cases(cases, count, scenarios, db_dir, reps, results);
    if (mode == SCALE)
        linearity(scenarios, db_dir, reps);
    return failed ? 1 : 0;
}
