/*
 * sweep_run.h: running a sweep: every point of a grid (sweep.h), N reps
 * each, in worker processes, into one results database, resuming what an
 * earlier sweep into the same database recorded. `tcpsim sweep` is this
 * call and an exit status; docs/sweeps.md describes what users see.
 *
 *   struct sweep_run_request q = {.scenario_path = "x.tcpsim", .grid = &grid, .jobs = 2};
 *   struct sweep_run_result r;
 *   enum sweep_run_outcome o = sweep_run(&q, &r);
 *   sweep_run_print_summary(stdout, &q, &r);
 */
#ifndef TCPSIM_SWEEP_RUN_H
#define TCPSIM_SWEEP_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "sweep.h"

#define SWEEP_RUN_MAX_JOBS 256

struct sweep_run_request {
    const char *scenario_path;
    const char *db_path;        /* NULL: results/SCENARIO-NAME.db (results/ is created) */
    const char *const *fixed;   /* KEY=VALUE settings of every point, applied in order */
    size_t fixed_count;
    const struct sweep_grid *grid;
    bool has_seed, has_reps;    /* else the scenario's run seed= and reps= */
    uint64_t seed;              /* rep r of every point runs with seed + r */
    uint32_t reps;
    uint32_t jobs;              /* worker processes, 1..SWEEP_RUN_MAX_JOBS */
    uint32_t shard_k, shard_n;  /* shard_n 0: the whole grid */
    uint64_t max_memory;        /* bytes each run may account (world_options); 0 = no limit */
    FILE *progress;             /* where a progress bar is drawn; NULL: none */
    FILE *diagnostics;          /* runs that could not run, a worker or merge that failed */
};

enum sweep_run_outcome {
    SWEEP_RUN_DONE,             /* every run of the shard recorded, every expectation held */
    SWEEP_RUN_INCOMPLETE,       /* a run failed or could not run, or the sweep was
                                 * interrupted (SIGINT/SIGTERM): running it again finishes it */
    SWEEP_RUN_BAD_INPUT,        /* nothing ran: the message is in result.error */
};

struct sweep_run_result {
    char scenario_name[SCENARIO_NAME_MAX];
    char db_path[4096];         /* the database the runs are in */
    uint64_t points;            /* points of the shard */
    uint32_t reps;
    uint64_t runs_present;      /* already in the database */
    uint64_t runs_recovered;    /* from part files an interrupted sweep left */
    uint64_t runs_done;         /* run now: ok or failed */
    uint64_t runs_failed;       /* of those, failed an expectation */
    uint64_t runs_error;        /* could not run */
    uint64_t runs_not_run;      /* planned but not run: interrupted */
    char error[512];
};

enum sweep_run_outcome sweep_run(const struct sweep_run_request *request,
                                 struct sweep_run_result *result);

/* "NAME: P points x R reps: N runs recorded, ...\nrecorded in DB\n". */
void sweep_run_print_summary(FILE *out, const struct sweep_run_request *request,
                             const struct sweep_run_result *result);

#endif
