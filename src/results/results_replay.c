/*
 * results_replay.c: a recorded run fed back into trace sinks, so anything a
 * sink makes of a live run (a capture, a text log, another database) can be
 * made later from the database alone. Transitions, segments and calls share
 * one record count (transitions.seq, segments.trace_seq, calls.seq), so
 * three cursors merged by it give back the order the run reported them in,
 * without a sort.
 */
#include "results_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* The run's params, copied out of the rows for run_start. */
struct replay_params {
    struct trace_param *items;
    size_t count;
    bool out_of_memory;
};

static int collect_param(void *context, const struct trace_param *param)
{
    struct replay_params *p = context;
    struct trace_param *grown = realloc(p->items, (p->count + 1) * sizeof *grown);
    char *key = strdup(param->key), *value = strdup(param->value);
    if (grown)
        p->items = grown;
    if (!grown || !key || !value) {
        free(key);
        free(value);
        p->out_of_memory = true;
        return 1;
    }
    p->items[p->count++] = (struct trace_param){key, value};
    return 0;
}

static void free_params(struct replay_params *p)
{
    for (size_t i = 0; i < p->count; i++) {
        free((char *)p->items[i].key);
        free((char *)p->items[i].value);
    }
    free(p->items);
}

static struct trace_segment trace_segment_of(const struct results_segment *s)
{
    return (struct trace_segment){
        .seg = &s->seg, .sender = s->sender, .receiver = s->receiver,
        .sent_ns = s->sent_ns, .arrived_ns = s->arrived_ns, .fate = s->fate,
        .rule_line = s->rule_line,
    };
}

/* Transitions, segments and calls, the lowest record number first. */
struct replay_cursors {
    struct results_cursor tc, sc, cc;
    struct results_transition t;
    struct results_segment s;
    struct results_call c;
    int have_t, have_s, have_c;   /* 1 a row, 0 done, -1 an error */
};

/* Whether this stream's record goes next. Records are numbered from one
 * sequence across the tables, so a tie only comes from a hand-edited or
 * damaged file: it goes to the stream asked first (transitions, then
 * segments), so the loop below always takes a row it has. (With `<` a tie
 * fell through to the calls, which stepped their finished cursor: SQLite
 * restarts a statement stepped after SQLITE_DONE, and the replay never
 * ended; found by tests/fuzz/fuzz_db.c.) */
static bool first_of(int have, int64_t record, int have_a, int64_t a, int have_b, int64_t b)
{
    return have > 0 && (have_a <= 0 || record <= a) && (have_b <= 0 || record <= b);
}

static int replay_records(struct results_db *db, int64_t run_id, struct trace *trace)
{
    struct replay_cursors r;
    if (results_open_transitions(db, run_id, 0, &r.tc) != 0)
        return -1;
    if (results_open_segments(db, run_id, 0, &r.sc) != 0) {
        results_close_cursor(&r.tc);
        return -1;
    }
    if (results_open_calls(db, run_id, &r.cc) != 0) {
        results_close_cursor(&r.tc);
        results_close_cursor(&r.sc);
        return -1;
    }
    r.have_t = results_next_transition(&r.tc, &r.t);
    r.have_s = results_next_segment(&r.sc, &r.s);
    r.have_c = results_next_call(&r.cc, &r.c);
    while (r.have_t >= 0 && r.have_s >= 0 && r.have_c >= 0 && (r.have_t || r.have_s || r.have_c)) {
        if (first_of(r.have_t, r.t.record, r.have_s, r.s.record, r.have_c, r.c.record)) {
            trace_transition(trace, &r.t.tr);
            r.have_t = results_next_transition(&r.tc, &r.t);
        } else if (first_of(r.have_s, r.s.record, r.have_t, r.t.record, r.have_c, r.c.record)) {
            struct trace_segment ts = trace_segment_of(&r.s);
            trace_segment(trace, &ts);
            r.have_s = results_next_segment(&r.sc, &r.s);
        } else {
            trace_call(trace, &r.c.call);
            r.have_c = results_next_call(&r.cc, &r.c);
        }
    }
    results_close_cursor(&r.tc);
    results_close_cursor(&r.sc);
    results_close_cursor(&r.cc);
    return r.have_t < 0 || r.have_s < 0 || r.have_c < 0 ? -1 : 0;
}

static int replay_connection(void *context, const struct trace_connection *c)
{
    trace_connection(context, c);
    return 0;
}

static int replay_expectations(struct results_db *db, int64_t run_id, struct trace *trace)
{
    struct results_cursor c;
    struct trace_expectation e;
    if (results_open_expectations(db, run_id, &c) != 0)
        return -1;
    int rc;
    while ((rc = results_next_expectation(&c, &e)) > 0)
        trace_expectation(trace, &e);
    results_close_cursor(&c);
    return rc;
}

static int sink_failed(struct results_db *db, struct trace_sink *failed, const char *what)
{
    return results_fail(db, "%s", failed ? failed->error : what);
}

/* run_start with the run's row and params. */
static int replay_start(struct results_db *db, const struct results_run *run, struct trace *trace)
{
    struct replay_params params = {NULL, 0, false};
    struct trace_sink *failed = NULL;
    if (results_params(db, run->run_id, collect_param, &params) != 0 || params.out_of_memory) {
        free_params(&params);
        return params.out_of_memory ? results_fail(db, "out of memory") : -1;
    }
    struct trace_run_info info = {run->scenario,
                                  run->scenario_sha256[0] ? run->scenario_sha256 : NULL,
                                  run->seed, run->rep, params.items, params.count, run->stack};
    int rc = trace_run_start(trace, &info, &failed);
    free_params(&params);
    return rc == 0 ? 0 : sink_failed(db, failed, "cannot start the run");
}

int results_replay(struct results_db *db, int64_t run_id, struct trace *trace)
{
    struct results_run run;
    struct trace_sink *failed = NULL;
    int found = results_run(db, run_id, &run);
    if (found <= 0)
        return found == 0 ? results_fail(db, "no run %" PRId64, run_id) : -1;
    if (replay_start(db, &run, trace) != 0)
        return -1;
    if (replay_records(db, run_id, trace) != 0 ||
        results_connections(db, run_id, 0, replay_connection, trace) != 0 ||
        replay_expectations(db, run_id, trace) != 0) {
        trace_run_abort(trace);
        return -1;
    }
    struct trace_run_result result = {run.status, run.sim_end_ns, run.events, run.wall_s,
                                      run.until_ns};
    if (trace_run_end(trace, &result, &failed) != 0)
        return sink_failed(db, failed, "cannot end the run");
    return 0;
}
