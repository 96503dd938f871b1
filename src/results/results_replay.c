/*
 * results_replay.c: a recorded run fed back into trace sinks, so anything a
 * sink makes of a live run (a capture, a text log, another database) can be
 * made later from the database alone. Transitions and segments share one
 * record count (transitions.seq, segments.trace_seq), so two cursors merged
 * by it give back the order the run reported them in, without a sort.
 */
#include "results_internal.h"

#include <inttypes.h>

static struct trace_segment trace_segment_of(const struct results_segment *s)
{
    return (struct trace_segment){
        .seg = &s->seg, .sender = s->sender, .receiver = s->receiver,
        .sent_ns = s->sent_ns, .arrived_ns = s->arrived_ns, .fate = s->fate,
    };
}

/* Transitions and segments, the lower record number first. */
static int replay_records(struct results_db *db, int64_t run_id, struct trace *trace)
{
    struct results_cursor tc, sc;
    struct results_transition t;
    struct results_segment s;
    if (results_open_transitions(db, run_id, 0, &tc) != 0)
        return -1;
    if (results_open_segments(db, run_id, 0, &sc) != 0) {
        results_close_cursor(&tc);
        return -1;
    }
    int have_t = results_next_transition(&tc, &t), have_s = results_next_segment(&sc, &s);
    while (have_t > 0 || have_s > 0) {
        if (have_t < 0 || have_s < 0)
            break;
        if (have_t > 0 && (have_s == 0 || t.record < s.record)) {
            trace_transition(trace, &t.tr);
            have_t = results_next_transition(&tc, &t);
        } else {
            struct trace_segment ts = trace_segment_of(&s);
            trace_segment(trace, &ts);
            have_s = results_next_segment(&sc, &s);
        }
    }
    results_close_cursor(&tc);
    results_close_cursor(&sc);
    return have_t < 0 || have_s < 0 ? -1 : 0;
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

int results_replay(struct results_db *db, int64_t run_id, struct trace *trace)
{
    struct results_run run;
    struct trace_sink *failed = NULL;
    int found = results_run(db, run_id, &run);
    if (found <= 0)
        return found == 0 ? results_fail(db, "no run %" PRId64, run_id) : -1;
    struct trace_run_info info = {run.scenario, run.scenario_sha256[0] ? run.scenario_sha256 : NULL,
                                  run.seed, run.rep, NULL, 0, NULL};
    if (trace_run_start(trace, &info, &failed) != 0)
        return sink_failed(db, failed, "cannot start the run");
    if (replay_records(db, run_id, trace) != 0 ||
        results_connections(db, run_id, 0, replay_connection, trace) != 0 ||
        replay_expectations(db, run_id, trace) != 0) {
        trace_run_abort(trace);
        return -1;
    }
    struct trace_run_result result = {run.status, run.sim_end_ns, run.events, run.wall_s, 0};
    if (trace_run_end(trace, &result, &failed) != 0)
        return sink_failed(db, failed, "cannot end the run");
    return 0;
}
