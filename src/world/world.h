/*
 * world.h: one run of a scenario. Builds the engine, the link, the two
 * hosts' TCP and the applications that follow the scenario's timeline and
 * workloads; runs until the scenario's stop time; checks its expectations;
 * reports everything through the trace. A world is a value: several can
 * exist in one process.
 */
#ifndef TCPSIM_WORLD_H
#define TCPSIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "trace.h"

struct world_report {
    const char *status;          /* "ok", "failed" (an expectation failed), "error" */
    sim_time sim_end_ns;
    uint64_t events;
    double wall_s;
    size_t expectations_passed, expectations_failed;
    uint64_t connections, established;
    uint64_t segments, retransmissions, lost;
    char error[512];             /* when status is "error" */
};

struct world_options {
    uint64_t seed;
    uint32_t rep;
    FILE *summary;               /* per-run summary for people; NULL = quiet */
    bool skip_expectations;      /* do not check the scenario's expectations */
    sim_time progress_interval;  /* unused when 0 */
};

/* Runs the scenario once. The trace's run is started and ended (committed)
 * here, or aborted when the run cannot be recorded. Returns 0 when the run
 * happened (report->status says whether expectations held), -1 on an error
 * (report->error). */
int world_run(const struct scenario *scenario, const struct world_options *options,
              struct trace *trace, struct world_report *report);

/* The same recorder and expectation checks over a run another backend
 * makes (tcpsim kernel): attach the observer's sink to the trace the run
 * reports to, call advance as the run's clock moves (for `expect HOST
 * connections in STATE at T`), and conclude at the end: it fills the
 * report's counters and status, prints the summary to `summary` (NULL =
 * quiet) and reports each expectation to the trace. The caller sets
 * report->sim_end_ns, events and wall_s first. */
struct world_observer;
struct world_observer *world_observer_create(const struct scenario *scenario, FILE *summary);
struct trace_sink *world_observer_sink(struct world_observer *obs);
void world_observer_advance(struct world_observer *obs, sim_time now);
void world_observer_add_bytes_received(struct world_observer *obs, int host, uint64_t bytes);
void world_observer_conclude(struct world_observer *obs, bool skip_expectations,
                             struct trace *trace, struct world_report *report);
void world_observer_destroy(struct world_observer *obs);

#endif
