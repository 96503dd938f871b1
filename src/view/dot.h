/*
 * dot.h: the state diagram that recorded runs actually went through, as
 * Graphviz DOT (`tcpsim dot`): a node per state, an edge per (from, to) and
 * role (clients blue, servers, the hosts that LISTEN, orange) labelled with
 * each cause and how often it happened ("rcv FIN ×3"). With all_states the
 * states and RFC 9293 Figure 5 edges no run took are drawn too, in grey, so
 * the picture is the RFC's whole diagram with the unused parts faded.
 *
 *   struct dot_options o = {.run_id = 0};          // the latest run
 *   if (dot_write(db, &o, err, sizeof err) != DOT_OK) ...
 */
#ifndef TCPSIM_DOT_H
#define TCPSIM_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct results_db;

struct dot_options {
    int64_t run_id;            /* 0: the latest run */
    bool all_runs;             /* every run, counts added up (run_id must be 0) */
    bool all_states;           /* also the states never visited, in grey */
    const char *out_path;      /* NULL: standard output */
};

enum dot_status {
    DOT_OK,
    DOT_BAD_INPUT,             /* no such run, a database error, out of memory */
    DOT_WRITE_FAILED,          /* the output could not be written */
};

/* Reads the transitions of the run (or every run) and writes the graph to
 * o->out_path, which is not created when reading fails. On failure err says
 * why (for DOT_BAD_INPUT without the database's name). */
enum dot_status dot_write(struct results_db *db, const struct dot_options *o, char *err,
                          size_t errlen);

#endif
