/*
 * run_summary.h: the summary `tcpsim run` prints for people after one run,
 * from the results world_run returned.
 */
#ifndef TCPSIM_RUN_SUMMARY_H
#define TCPSIM_RUN_SUMMARY_H

#include <stdio.h>

#include "scenario.h"
#include "world.h"

/* The notes, the totals, the first connections and the expectations. */
void run_summary_print(FILE *out, const struct scenario *sc, const struct world_report *r);
/* Only the notes (application calls the TCP refused), each line after
 * prefix: what -q and replications still print, on stderr. */
void run_summary_print_notes(FILE *out, const char *prefix, const struct scenario *sc,
                             const struct world_report *r);

#endif
