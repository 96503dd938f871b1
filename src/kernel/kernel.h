/*
 * kernel.h: a scenario run on the running Linux kernel's TCP instead of the
 * simulator's (`tcpsim kernel`). Each host gets a network namespace with a
 * TUN device; tcpsim's own link model, on a real-time clock, carries the IP
 * packets between the two TUNs (so delay, rate, jitter, loss, duplication
 * and drop rules mean what they mean in the simulator, with the same random
 * streams); the applications are real sockets driven on the scenario's
 * timeline. Segments come from the link, state transitions from the
 * tracepoint sock:inet_sock_set_state and sock_diag, and everything goes to
 * the same trace interface as a simulated run: same database, ladder, pcap.
 */
#ifndef TCPSIM_KERNEL_H
#define TCPSIM_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "scenario.h"
#include "trace.h"
#include "world.h"

struct kernel_options {
    uint64_t seed;
    uint32_t rep;
    bool details;                 /* fill the report's per-connection list (world_options) */
    FILE *progress;               /* a progress line, rewritten in place; NULL = none */
    bool skip_expectations;
    bool lenient;                 /* run even when settings cannot be applied (recorded) */
};

/* 0 when the process may create namespaces and tracing instances; else -1
 * with one line saying what is missing. */
int kernel_check_privileges(char *error, size_t size);

/* 0 when the kernel can run the scenario as written. Otherwise -1 and a
 * message naming every setting it cannot take; with lenient such settings
 * are returned as 0 (the run records them) but what the kernel cannot do
 * at all (workloads) stays -1. */
int kernel_check_scenario(const struct scenario *scenario, bool lenient, char *error, size_t size);

/* Runs the scenario once on the kernel, in real time, bounded by its `run
 * until=` and by SIGINT/SIGTERM (the run is then aborted, not recorded).
 * Returns as world_run does: 0 when the run happened, -1 on an error. */
int kernel_run(const struct scenario *scenario, const struct kernel_options *options,
               struct trace *trace, struct world_report *report);

#endif
