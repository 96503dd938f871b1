/*
 * test_engine.c: the event engine keeps time order, breaks ties by schedule
 * order, cancels and reschedules by handle (stale handles are harmless),
 * stops where it is told, and two engines never share state; FIFO lanes
 * change none of that.
 */
#include <CUnit/Basic.h>
#include <stdlib.h>

#include "engine.h"

/* A log of which events ran and when. */
struct log {
    int ids[64];
    sim_time times[64];
    size_t len;
};

static void record(struct sim *sim, void *context, void *argument)
{
    struct log *log = context;
    if (log->len < 64) {
        log->ids[log->len] = (int)(intptr_t)argument;
        log->times[log->len] = sim_now(sim);
        log->len++;
    }
}

static void *tag(int id) { return (void *)(intptr_t)id; }

static void test_runs_events_in_time_order(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_schedule(sim, 30 * SIM_MS, record, &log, tag(3));
    sim_schedule(sim, 10 * SIM_MS, record, &log, tag(1));
    sim_schedule_at(sim, 20 * SIM_MS, record, &log, tag(2));
    CU_ASSERT_EQUAL(sim_pending_count(sim), 3);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 3);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[0], 1);
    CU_ASSERT_EQUAL(log.ids[1], 2);
    CU_ASSERT_EQUAL(log.ids[2], 3);
    CU_ASSERT_EQUAL(log.times[0], 10 * SIM_MS);
    CU_ASSERT_EQUAL(log.times[2], 30 * SIM_MS);
    CU_ASSERT_EQUAL(sim_now(sim), 30 * SIM_MS); /* SIM_TIME_MAX: clock stays at the last event */
    CU_ASSERT_EQUAL(sim_pending_count(sim), 0);
    sim_destroy(sim);
}

static void test_equal_times_run_in_schedule_order(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    for (int i = 0; i < 20; i++)
        sim_schedule(sim, 5 * SIM_MS, record, &log, tag(i));
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(log.len, 20);
    for (int i = 0; i < 20; i++)
        CU_ASSERT_EQUAL(log.ids[i], i);
    sim_destroy(sim);
}

/* An event scheduled from a handler for "now" runs after the events already
 * queued for this instant. */
static void schedule_now(struct sim *sim, void *context, void *argument)
{
    (void)argument;
    record(sim, context, tag(100));
    sim_schedule(sim, 0, record, context, tag(101));
}

static void test_zero_delay_from_handler_runs_after_queued_peers(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_schedule(sim, SIM_MS, schedule_now, &log, NULL);
    sim_schedule(sim, SIM_MS, record, &log, tag(1));
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[0], 100);
    CU_ASSERT_EQUAL(log.ids[1], 1);
    CU_ASSERT_EQUAL(log.ids[2], 101);
    CU_ASSERT_EQUAL(log.times[2], SIM_MS);
    sim_destroy(sim);
}

static void test_cancel_pending_and_stale_handles(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_event_id a = sim_schedule(sim, 1 * SIM_MS, record, &log, tag(1));
    sim_event_id b = sim_schedule(sim, 2 * SIM_MS, record, &log, tag(2));
    sim_event_id c = sim_schedule(sim, 3 * SIM_MS, record, &log, tag(3));
    CU_ASSERT_NOT_EQUAL(a, SIM_NO_EVENT);
    CU_ASSERT_TRUE(sim_is_pending(sim, b));
    CU_ASSERT_TRUE(sim_cancel(sim, b));
    CU_ASSERT_FALSE(sim_is_pending(sim, b));
    CU_ASSERT_FALSE(sim_cancel(sim, b)); /* second cancel: stale, no-op */
    CU_ASSERT_EQUAL(sim_pending_count(sim), 2);

    /* The freed slot is reused; the old handle must not reach the new event. */
    sim_event_id d = sim_schedule(sim, 4 * SIM_MS, record, &log, tag(4));
    CU_ASSERT_NOT_EQUAL(d, b);
    CU_ASSERT_FALSE(sim_cancel(sim, b));
    CU_ASSERT_TRUE(sim_is_pending(sim, d));

    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[0], 1);
    CU_ASSERT_EQUAL(log.ids[1], 3);
    CU_ASSERT_EQUAL(log.ids[2], 4);
    /* After running, every handle is stale. */
    CU_ASSERT_FALSE(sim_is_pending(sim, a));
    CU_ASSERT_FALSE(sim_cancel(sim, c));
    CU_ASSERT_FALSE(sim_cancel(sim, SIM_NO_EVENT));
    CU_ASSERT_FALSE(sim_is_pending(sim, SIM_NO_EVENT));
    sim_destroy(sim);
}

/* A handler that cancels the event whose handle is stored in its context. */
struct canceller {
    sim_event_id victim;
    bool cancelled;
};

static void cancel_other(struct sim *sim, void *context, void *argument)
{
    (void)argument;
    struct canceller *c = context;
    c->cancelled = sim_cancel(sim, c->victim);
}

static void test_handler_can_cancel_a_later_event(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    struct canceller c = { .victim = SIM_NO_EVENT };
    sim_schedule(sim, SIM_MS, cancel_other, &c, NULL);
    c.victim = sim_schedule(sim, 2 * SIM_MS, record, &log, tag(1));
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 1);
    CU_ASSERT_TRUE(c.cancelled);
    CU_ASSERT_EQUAL(log.len, 0);
    sim_destroy(sim);
}

static void test_reschedule_moves_event(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_event_id a = sim_schedule(sim, 10 * SIM_MS, record, &log, tag(1));
    sim_schedule(sim, 20 * SIM_MS, record, &log, tag(2));
    sim_event_id c = sim_schedule(sim, 30 * SIM_MS, record, &log, tag(3));

    /* Later: a moves behind b, and orders after b at the same instant. */
    a = sim_reschedule_at(sim, a, 20 * SIM_MS);
    CU_ASSERT_TRUE(sim_is_pending(sim, a));
    /* Earlier: c moves to the front. */
    c = sim_reschedule_at(sim, c, 5 * SIM_MS);
    CU_ASSERT_TRUE(sim_is_pending(sim, c));
    CU_ASSERT_EQUAL(sim_pending_count(sim), 3);

    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[0], 3);
    CU_ASSERT_EQUAL(log.times[0], 5 * SIM_MS);
    CU_ASSERT_EQUAL(log.ids[1], 2);
    CU_ASSERT_EQUAL(log.ids[2], 1);
    CU_ASSERT_EQUAL(log.times[2], 20 * SIM_MS);
    /* Rescheduling an event that already ran gives no handle. */
    CU_ASSERT_EQUAL(sim_reschedule_at(sim, a, 40 * SIM_MS), SIM_NO_EVENT);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 0);
    sim_destroy(sim);
}

static void test_run_until_stops_clock_at_until(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_schedule(sim, 1 * SIM_S, record, &log, tag(1));
    sim_schedule(sim, 2 * SIM_S, record, &log, tag(2));
    sim_schedule(sim, 3 * SIM_S, record, &log, tag(3));

    CU_ASSERT_EQUAL(sim_run(sim, 2 * SIM_S), 2); /* an event exactly at until runs */
    CU_ASSERT_EQUAL(sim_now(sim), 2 * SIM_S);
    CU_ASSERT_EQUAL(sim_run(sim, 2500 * SIM_MS), 0);
    CU_ASSERT_EQUAL(sim_now(sim), 2500 * SIM_MS);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 1);
    /* Relative delays count from the stopped clock. */
    sim_schedule(sim, 100 * SIM_MS, record, &log, tag(4));
    CU_ASSERT_EQUAL(sim_run(sim, 10 * SIM_S), 2);
    CU_ASSERT_EQUAL(sim_now(sim), 10 * SIM_S); /* queue ran dry: clock still ends at until */
    CU_ASSERT_EQUAL(sim_last_event_time(sim), 3 * SIM_S); /* ... but the last event ran at 3 s */
    CU_ASSERT_EQUAL(log.len, 4);
    CU_ASSERT_EQUAL(log.ids[2], 4);
    CU_ASSERT_EQUAL(log.times[2], 2600 * SIM_MS);
    CU_ASSERT_EQUAL(log.ids[3], 3);
    sim_destroy(sim);
}

static void stop_here(struct sim *sim, void *context, void *argument)
{
    record(sim, context, argument);
    sim_stop(sim);
}

static void test_stop_ends_run_after_handler(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_schedule(sim, 1 * SIM_MS, record, &log, tag(1));
    sim_schedule(sim, 2 * SIM_MS, stop_here, &log, tag(2));
    sim_schedule(sim, 2 * SIM_MS, record, &log, tag(3));
    sim_schedule(sim, 3 * SIM_MS, record, &log, tag(4));
    CU_ASSERT_EQUAL(sim_run(sim, 10 * SIM_MS), 2);
    CU_ASSERT_EQUAL(sim_now(sim), 2 * SIM_MS);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 2);
    /* A new run carries on where the stop left off. */
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 2);
    CU_ASSERT_EQUAL(log.len, 4);
    CU_ASSERT_EQUAL(log.ids[2], 3);
    CU_ASSERT_EQUAL(log.ids[3], 4);
    sim_destroy(sim);
}

static void nothing(struct sim *sim, void *context, void *argument)
{
    (void)sim, (void)context, (void)argument;
}

static void test_events_executed_counts_every_run(void)
{
    struct sim *sim = sim_create();
    for (int i = 0; i < 1000; i++)
        sim_schedule(sim, i * SIM_US, nothing, NULL, NULL);
    sim_event_id cancelled = sim_schedule(sim, 5 * SIM_US, nothing, NULL, NULL);
    sim_cancel(sim, cancelled);
    CU_ASSERT_EQUAL(sim_run(sim, 499 * SIM_US), 500);
    CU_ASSERT_EQUAL(sim_events_executed(sim), 500);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 500);
    CU_ASSERT_EQUAL(sim_events_executed(sim), 1000);
    sim_destroy(sim);
}

/* A million events at pseudo-random times come out in non-decreasing time
 * order, with ties in schedule order. */
struct order_check {
    sim_time last_time;
    uint64_t last_seq;
    uint64_t violations;
    uint64_t count;
};

static void check_order(struct sim *sim, void *context, void *argument)
{
    struct order_check *check = context;
    uint64_t seq = (uint64_t)(uintptr_t)argument;
    sim_time now = sim_now(sim);
    if (now < check->last_time || (now == check->last_time && seq < check->last_seq))
        check->violations++;
    check->last_time = now;
    check->last_seq = seq;
    check->count++;
}

static uint64_t xorshift64(uint64_t *state)
{
    uint64_t x = *state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *state = x;
}

static void test_million_random_events_pop_in_order(void)
{
    enum { N = 1000000 };
    struct sim *sim = sim_create();
    struct order_check check = { .last_time = 0 };
    uint64_t state = 88172645463325252ull;
    sim_event_id *ids = malloc(N * sizeof *ids);
    CU_ASSERT_FATAL(ids != NULL);
    for (uintptr_t i = 0; i < N; i++) /* few distinct times: many ties */
        ids[i] = sim_schedule(sim, (sim_time)(xorshift64(&state) % 100000), check_order, &check,
                              (void *)i);
    /* Cancel every tenth, from the middle of the heap. */
    size_t cancelled = 0;
    for (size_t i = 0; i < N; i += 10)
        cancelled += sim_cancel(sim, ids[i]);
    CU_ASSERT_EQUAL(cancelled, N / 10);
    CU_ASSERT_EQUAL(sim_pending_count(sim), N - N / 10);
    sim_run(sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(check.count, N - N / 10);
    CU_ASSERT_EQUAL(check.violations, 0);
    free(ids);
    sim_destroy(sim);
}

/* ---- FIFO lanes (sim_schedule_lane, and sim_schedule's lanes by delay) ---- */

static void test_lane_cancel_head_and_queued_entries(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_lane lane = sim_lane_create(sim);
    CU_ASSERT_NOT_EQUAL_FATAL(lane, SIM_NO_LANE);
    sim_event_id a = sim_schedule_lane(sim, lane, 10 * SIM_MS, record, &log, tag(1));
    sim_event_id b = sim_schedule_lane(sim, lane, 20 * SIM_MS, record, &log, tag(2));
    sim_event_id c = sim_schedule_lane(sim, lane, 30 * SIM_MS, record, &log, tag(3));
    sim_schedule_at(sim, 15 * SIM_MS, record, &log, tag(4));
    /* Out of the lane's order: still runs at its time. */
    sim_schedule_lane(sim, lane, 12 * SIM_MS, record, &log, tag(5));
    CU_ASSERT_EQUAL(sim_pending_count(sim), 5);
    CU_ASSERT_TRUE(sim_cancel(sim, a)); /* the lane's head */
    CU_ASSERT_TRUE(sim_cancel(sim, c)); /* queued behind it */
    CU_ASSERT_FALSE(sim_cancel(sim, c));
    CU_ASSERT_FALSE(sim_is_pending(sim, a));
    CU_ASSERT_TRUE(sim_is_pending(sim, b));
    CU_ASSERT_EQUAL(sim_pending_count(sim), 3);
    b = sim_reschedule_at(sim, b, 40 * SIM_MS);
    CU_ASSERT_TRUE(sim_is_pending(sim, b));
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 3);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[0], 5);
    CU_ASSERT_EQUAL(log.ids[1], 4);
    CU_ASSERT_EQUAL(log.ids[2], 2);
    CU_ASSERT_EQUAL(log.times[2], 40 * SIM_MS);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 0);
    sim_destroy(sim);
}

/* Events scheduled every way at once -- the heap, two caller lanes whose
 * times mostly grow, sim_schedule with a few repeating delays, from outside
 * and from handlers -- with random cancels, run in (time, schedule order). */
struct mixed {
    struct sim *sim;
    sim_lane lanes[2];
    sim_time lane_last[2];
    uint64_t state, scheduled, ran, violations;
    sim_time last_time;
    uint64_t last_order;
};

static void mixed_event(struct sim *sim, void *context, void *argument);

static uint64_t mixed_next(struct mixed *m)
{
    uint64_t x = m->state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return m->state = x;
}

static sim_event_id mixed_schedule(struct mixed *m)
{
    static const sim_time delays[] = { 0, 7 * SIM_MS, 60 * SIM_S, 220 * SIM_MS };
    uint64_t r = mixed_next(m);
    void *order = (void *)(uintptr_t)++m->scheduled;
    sim_time now = sim_now(m->sim);
    switch (r % 4) {
    case 0:
        return sim_schedule_at(m->sim, now + (sim_time)(r >> 8) % (100 * SIM_MS), mixed_event, m,
                               order);
    case 1:
    case 2: {
        int l = (int)(r % 4) - 1;
        /* Mostly later than the lane's last event; one in eight earlier. */
        sim_time when = m->lane_last[l] + (sim_time)((r >> 8) % (5 * SIM_MS));
        if ((r >> 40) % 8 == 0)
            when -= 3 * SIM_MS;
        if (when < now)
            when = now;
        if (when > m->lane_last[l])
            m->lane_last[l] = when;
        return sim_schedule_lane(m->sim, m->lanes[l], when, mixed_event, m, order);
    }
    default:
        return sim_schedule(m->sim, delays[(r >> 8) % 4], mixed_event, m, order);
    }
}

static void mixed_event(struct sim *sim, void *context, void *argument)
{
    struct mixed *m = context;
    uint64_t order = (uint64_t)(uintptr_t)argument;
    if (sim_now(sim) < m->last_time || (sim_now(sim) == m->last_time && order < m->last_order))
        m->violations++;
    m->last_time = sim_now(sim);
    m->last_order = order;
    m->ran++;
    if (m->scheduled < 60000 && mixed_next(m) % 4 == 0)
        mixed_schedule(m);
}

static void test_lanes_and_heap_run_in_exact_order(void)
{
    enum { N = 40000 };
    struct mixed m = { .sim = sim_create(), .state = 2463534242ull };
    m.lanes[0] = sim_lane_create(m.sim);
    m.lanes[1] = sim_lane_create(m.sim);
    sim_event_id *ids = malloc(N * sizeof *ids);
    CU_ASSERT_FATAL(ids != NULL);
    for (size_t i = 0; i < N; i++)
        ids[i] = mixed_schedule(&m);
    uint64_t cancelled = 0;
    for (size_t i = 0; i < N; i += 7)
        cancelled += sim_cancel(m.sim, ids[(i * 7919) % N]);
    CU_ASSERT_EQUAL(sim_pending_count(m.sim), N - cancelled);
    sim_run(m.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(m.violations, 0);
    CU_ASSERT_EQUAL(m.ran, m.scheduled - cancelled);
    CU_ASSERT_EQUAL(sim_pending_count(m.sim), 0);
    free(ids);
    sim_destroy(m.sim);
}

/* Durations come from scenarios and may be as large as 2^63-1 ns: sums of
 * times saturate at SIM_TIME_MAX ("never") instead of overflowing, and an
 * event scheduled from far in the future still runs, at the right time. */
static void test_huge_delays_saturate_instead_of_overflowing(void)
{
    CU_ASSERT_EQUAL(sim_time_add(SIM_TIME_MAX, 1), SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_time_add(SIM_TIME_MAX - 5, 10), SIM_TIME_MAX);
    CU_ASSERT_EQUAL(sim_time_add(5, -10), 0);
    CU_ASSERT_EQUAL(sim_time_add(5, 10), 15);

    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    sim_schedule_at(sim, SIM_TIME_MAX - SIM_S, record, &log, tag(1));
    sim_run(sim, SIM_TIME_MAX - SIM_S);
    sim_schedule(sim, SIM_TIME_MAX, record, &log, tag(2)); /* now + 2^63-1: saturates */
    sim_schedule(sim, -5, record, &log, tag(3));           /* a negative delay means now */
    CU_ASSERT_EQUAL(sim_run(sim, SIM_TIME_MAX), 2);
    CU_ASSERT_EQUAL(log.len, 3);
    CU_ASSERT_EQUAL(log.ids[1], 3);
    CU_ASSERT_EQUAL(log.times[1], SIM_TIME_MAX - SIM_S);
    CU_ASSERT_EQUAL(log.ids[2], 2);
    CU_ASSERT_EQUAL(log.times[2], SIM_TIME_MAX);
    CU_ASSERT_FALSE(sim_out_of_memory(sim));
    sim_destroy(sim);
}

static void test_two_engines_are_independent(void)
{
    struct sim *one = sim_create();
    struct sim *two = sim_create();
    struct log log_one = { .len = 0 }, log_two = { .len = 0 };
    sim_event_id a = sim_schedule(one, 5 * SIM_MS, record, &log_one, tag(1));
    sim_event_id b = sim_schedule(two, 7 * SIM_MS, record, &log_two, tag(2));
    sim_schedule(two, 9 * SIM_MS, record, &log_two, tag(3));
    /* The first handles of two fresh engines are equal; each names its own event. */
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_TRUE(sim_cancel(one, a));
    CU_ASSERT_TRUE(sim_is_pending(two, b));
    CU_ASSERT_EQUAL(sim_run(one, SIM_TIME_MAX), 0);
    CU_ASSERT_EQUAL(sim_now(one), 0);
    CU_ASSERT_EQUAL(sim_run(two, 8 * SIM_MS), 1);
    CU_ASSERT_EQUAL(sim_now(two), 8 * SIM_MS);
    CU_ASSERT_EQUAL(sim_now(one), 0);
    CU_ASSERT_EQUAL(log_one.len, 0);
    CU_ASSERT_EQUAL(log_two.len, 1);
    CU_ASSERT_EQUAL(sim_events_executed(one), 0);
    CU_ASSERT_EQUAL(sim_events_executed(two), 1);
    sim_destroy(one);
    sim_destroy(two);
}

/* An event limit stops the run after that many events in all, the clock
 * at the last one; raising it runs on from there; a run that ends on its
 * own at the limit is not "stopped by the limit". */
static void test_event_limit_stops_and_resumes(void)
{
    struct sim *sim = sim_create();
    struct log log = { .len = 0 };
    for (int i = 1; i <= 5; i++)
        sim_schedule(sim, i * SIM_MS, record, &log, tag(i));
    sim_set_event_limit(sim, 3);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_S), 3);
    CU_ASSERT_TRUE(sim_event_limit_reached(sim));
    CU_ASSERT_EQUAL(sim_now(sim), 3 * SIM_MS);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 2);
    sim_set_event_limit(sim, 5);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_S), 2);
    CU_ASSERT_FALSE(sim_event_limit_reached(sim));
    CU_ASSERT_EQUAL(sim_now(sim), SIM_S);
    CU_ASSERT_EQUAL(log.len, 5);
    CU_ASSERT_EQUAL(log.ids[4], 5);
    sim_destroy(sim);
}

/* Each event charges 1000 bytes: with a limit of 2500, the third passes it
 * and is the last to run; releasing does not resume a stopped run. */
static void charge_1000(struct sim *sim, void *context, void *argument)
{
    (void)context;
    (void)argument;
    sim_memory_charge(sim, 1000);
}

static void test_memory_limit_stops_after_the_charge(void)
{
    struct sim *sim = sim_create();
    for (int i = 1; i <= 5; i++)
        sim_schedule(sim, i * SIM_MS, charge_1000, NULL, NULL);
    uint64_t engine_own = sim_memory_used(sim); /* the event pool's growth */
    sim_set_memory_limit(sim, engine_own + 2500);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_S), 3);
    CU_ASSERT_TRUE(sim_memory_limit_reached(sim));
    CU_ASSERT_EQUAL(sim_memory_used(sim), engine_own + 3000);
    CU_ASSERT_EQUAL(sim_now(sim), 3 * SIM_MS);
    sim_memory_release(sim, 3000);
    CU_ASSERT_EQUAL(sim_memory_used(sim), engine_own);
    CU_ASSERT_EQUAL(sim_run(sim, SIM_S), 0);
    CU_ASSERT_EQUAL(sim_pending_count(sim), 2);
    sim_destroy(sim);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite = CU_add_suite("engine", NULL, NULL);
    if (!suite) {
        CU_cleanup_registry();
        return CU_get_error();
    }
    CU_add_test(suite, "events run in time order", test_runs_events_in_time_order);
    CU_add_test(suite, "equal times run in schedule order", test_equal_times_run_in_schedule_order);
    CU_add_test(suite, "zero delay from a handler runs after queued peers",
                test_zero_delay_from_handler_runs_after_queued_peers);
    CU_add_test(suite, "cancel pending and stale handles", test_cancel_pending_and_stale_handles);
    CU_add_test(suite, "a handler can cancel a later event", test_handler_can_cancel_a_later_event);
    CU_add_test(suite, "reschedule moves an event", test_reschedule_moves_event);
    CU_add_test(suite, "run until stops the clock at until", test_run_until_stops_clock_at_until);
    CU_add_test(suite, "sim_stop ends the run after the handler", test_stop_ends_run_after_handler);
    CU_add_test(suite, "events executed counts every run", test_events_executed_counts_every_run);
    CU_add_test(suite, "a million random events pop in order", test_million_random_events_pop_in_order);
    CU_add_test(suite, "two engines are independent", test_two_engines_are_independent);
    CU_add_test(suite, "huge delays saturate instead of overflowing",
                test_huge_delays_saturate_instead_of_overflowing);
    CU_add_test(suite, "a lane cancels its head and queued entries",
                test_lane_cancel_head_and_queued_entries);
    CU_add_test(suite, "lanes and the heap run in exact order", test_lanes_and_heap_run_in_exact_order);
    CU_add_test(suite, "an event limit stops the run and resumes", test_event_limit_stops_and_resumes);
    CU_add_test(suite, "a memory limit stops the run after the charge that passes it",
                test_memory_limit_stops_after_the_charge);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
