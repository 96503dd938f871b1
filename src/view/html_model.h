/*
 * html_model.h: what the HTML page sink keeps of one run, and the row
 * layout of one connection's ladder. Internal to the view layer: html.c
 * collects the records and writes the page, html_ladder.c lays out and
 * draws the ladders, html_diagram.c the state diagrams.
 *
 * Hosts are small integers into run->hosts; segments and transitions
 * remember the order the trace reported them in (order), which is the
 * causal order at equal times.
 */
#ifndef TCPSIM_HTML_MODEL_H
#define TCPSIM_HTML_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace.h"

#define HTML_NONE SIZE_MAX

struct html_segment {
    struct segment seg;          /* wire fields; seg.data is not kept */
    size_t sender, receiver;     /* host indexes */
    sim_time sent_ns, arrived_ns;
    enum segment_fate fate;
    uint64_t order;              /* place among all records of the run */
};

struct html_transition {
    sim_time t_ns;
    size_t host;
    uint64_t conn_id;            /* 0: a listener */
    enum tcp_state from_state, to_state;
    enum tcp_cause cause;
    uint64_t seg_id;
    uint64_t order;              /* place among all records of the run */
};

struct html_connection {
    struct trace_connection conn; /* the strings in it are not kept: see client, server */
    size_t client, server;        /* host indexes */
};

struct html_expectation {
    char *text;
    bool passed;
};

struct html_run {
    char *scenario;
    uint64_t seed;
    uint32_t rep;
    char **params;                /* "key=value" */
    size_t param_count;
    char **hosts;
    size_t host_count;
    struct html_segment *segments;
    size_t segment_count, segment_cap;
    struct html_transition *transitions;
    size_t transition_count, transition_cap;
    struct html_connection *connections;
    size_t connection_count, connection_cap;
    struct html_expectation *expectations;
    size_t expectation_count, expectation_cap;
    uint64_t next_order;
    /* Indexes of segments and transitions sorted by conn_id (then order):
     * a ladder finds its records by binary search (html_run_index). */
    size_t *segments_by_conn, *transitions_by_conn;
    const char *status;           /* of the run's end: "ok", "failed", "error" */
    sim_time sim_end_ns;
};

/* ---- one connection's ladder (html_ladder.c) ---- */

enum html_row_kind { ROW_SEND, ROW_ARRIVAL, ROW_TRANSITION };

/* One event, one row of the ladder, in time order. A transition that the
 * arrival of a segment caused shares its row with that arrival. */
struct html_row {
    enum html_row_kind kind;
    size_t slot;                  /* the segment's index in ladder->segments, or HTML_NONE */
    sim_time t_ns;
    size_t segment;               /* index, or HTML_NONE */
    size_t transition;            /* index, or HTML_NONE */
    uint64_t sort_key;            /* order at equal times: arrivals first, then reports */
};

struct html_ladder_segment {
    size_t segment;               /* index in run->segments */
    size_t send_row, arrival_row; /* arrival_row: HTML_NONE when it never arrived */
};

struct html_ladder {
    const struct html_connection *connection; /* NULL: records outside any connection */
    size_t hosts[2];              /* left (client), right (server) */
    enum tcp_state initial[2];    /* each side's state before the first row */
    struct html_row *rows;
    size_t row_count;
    struct html_ladder_segment *segments; /* the ladder's segments, in report order */
    size_t segment_count;
};

/* Fills run->segments_by_conn and transitions_by_conn. Returns 0, or -1
 * out of memory. */
int html_run_index(struct html_run *run);
/* Lays out the ladder of connection, or with connection NULL of the records
 * outside every connection (conn_id 0). listener_taken (one flag per host,
 * may be NULL): the ladder also takes the listener (conn_id 0) transitions
 * of its hosts whose flag is still false, and sets it. Returns 0, or -1 out
 * of memory. */
int html_ladder_build(struct html_ladder *ladder, const struct html_run *run,
                      const struct html_connection *connection, bool *listener_taken);
/* The <defs> the ladders share (arrow heads), in a hidden <svg>. */
void html_ladder_write_defs(FILE *out);
void html_ladder_free(struct html_ladder *ladder);
/* 0 for the client's (left) side, 1 for the server's, -1 for neither. */
int html_ladder_side(const struct html_ladder *ladder, size_t host);
/* The ladder as one <svg> element. */
void html_ladder_write_svg(const struct html_ladder *ladder, const struct html_run *run, FILE *out);

/* ---- the RFC 9293 state diagram (html_diagram.c) ---- */

/* One diagram for a host; side 0 client colours, 1 server colours. */
void html_diagram_write_svg(int side, const char *host, FILE *out);
/* The diagram edge a transition lights: "FROM>TO" (from the fixed list or
 * drawn as an extra edge). */
void html_diagram_edge_id(enum tcp_state from, enum tcp_state to, char *buf, size_t size);

/* ---- escaping (html.c) ---- */

/* Writes s with & < > " escaped for HTML text and attribute values. */
#include "xml_text.h" /* xml_write_escaped: text into the page */
/* Writes s as a JSON string (with quotes), safe inside <script>. */
void html_write_json_string(FILE *out, const char *s);

#endif
