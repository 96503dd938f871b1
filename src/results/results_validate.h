/*
 * results_validate.h: what a row of a results database must satisfy after
 * it is decoded into its typed record, beyond parsing: times that a run
 * can have (0 to 2^63-1 ns, an arrival not before its send), names that
 * are there, a run status tcpsim writes. The readers (results_read.c,
 * results_study.c) call these on every record before a view sees it, so a
 * hand-edited database is refused with "run R, segment S: why" instead of
 * drawing nonsense or reaching undefined behaviour in a view's arithmetic.
 *
 * Trade-off: the checks work on the typed records, not on SQL, so they do
 * not depend on the schema's columns or version; a reader of another
 * schema decodes its rows into the same records and calls the same checks.
 * Each returns 0, or -1 with the reason (without the run and row, which
 * the reader prefixes) in why.
 */
#ifndef TCPSIM_RESULTS_VALIDATE_H
#define TCPSIM_RESULTS_VALIDATE_H

#include <stddef.h>

#include "results.h"
#include "results_study.h"

int results_validate_run(const struct results_run *run, char *why, size_t size);
int results_validate_connection(const struct trace_connection *c, char *why, size_t size);
int results_validate_transition(const struct trace_transition *tr, char *why, size_t size);
int results_validate_segment(const struct results_segment *s, char *why, size_t size);
int results_validate_call(const struct trace_call *c, char *why, size_t size);
/* The study reader's records (tcpsim stats, tcpsim sweep). */
int results_validate_handshake(const struct results_handshake *h, char *why, size_t size);
int results_validate_first_data(const struct results_first_data *f, char *why, size_t size);
int results_validate_stays(const struct results_state_stays *s, char *why, size_t size);

#endif
