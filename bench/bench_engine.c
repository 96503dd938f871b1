/*
 * bench_engine.c: throughput of the event engine under the classic "hold"
 * model: pop the earliest event and schedule one at now + an exponential
 * delay, so the number of pending events stays constant. Prints events per
 * second for a small (1 000) and a large (1 000 000) pending set, plus the
 * cost of cancel-heavy timer use (schedule, cancel, reschedule).
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "engine.h"
#include "rng.h"

enum { DELAY_TABLE = 1 << 16 };

/* Exponential delays drawn up front, so the figure measures the engine and
 * not the random number generator. */
struct hold {
    sim_time delays[DELAY_TABLE];
    uint64_t next_delay;
    uint64_t remaining;
};

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static sim_time next_delay(struct hold *h)
{
    return h->delays[h->next_delay++ & (DELAY_TABLE - 1)];
}

static void hold_event(struct sim *sim, void *context, void *argument)
{
    struct hold *h = context;
    if (--h->remaining == 0) {
        sim_stop(sim);
        return;
    }
    sim_schedule(sim, next_delay(h), hold_event, h, argument);
}

static void fill_delays(struct hold *h, double mean_ns)
{
    struct rng *rng = rng_create(1, "bench delays");
    struct distribution expo = { DIST_EXPONENTIAL, mean_ns, 0 };
    for (size_t i = 0; i < DELAY_TABLE; i++)
        h->delays[i] = (sim_time)dist_sample(&expo, rng);
    rng_destroy(rng);
}

static void bench_hold(size_t pending, uint64_t events)
{
    struct hold *h = calloc(1, sizeof *h);
    struct sim *sim = sim_create();
    if (!h || !sim) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    fill_delays(h, 1e6);
    for (size_t i = 0; i < pending; i++)
        sim_schedule(sim, next_delay(h), hold_event, h, NULL);
    /* Warm up: let the heap reach its steady shape. */
    h->remaining = pending;
    sim_run(sim, SIM_TIME_MAX);
    sim_schedule(sim, next_delay(h), hold_event, h, NULL); /* replace the one that stopped */

    h->remaining = events;
    double start = seconds_now();
    uint64_t ran = sim_run(sim, SIM_TIME_MAX);
    double elapsed = seconds_now() - start;
    printf("hold model, %8zu pending: %10llu events in %.3f s = %6.2f million events/s\n", pending,
           (unsigned long long)ran, elapsed, (double)ran / elapsed / 1e6);
    sim_destroy(sim);
    free(h);
}

/* A retransmission-timer pattern: every event re-arms a timer far ahead and
 * cancels or moves it, as TCP does on each ACK. */
struct timers {
    struct hold hold;
    sim_event_id timer;
    uint64_t moved;
};

static void timer_fires(struct sim *sim, void *context, void *argument)
{
    (void)sim, (void)context, (void)argument;
}

static void ack_arrives(struct sim *sim, void *context, void *argument)
{
    struct timers *t = context;
    if (--t->hold.remaining == 0) {
        sim_stop(sim);
        return;
    }
    sim_time rto = sim_now(sim) + 200 * SIM_MS;
    if (t->moved++ % 2)
        t->timer = sim_reschedule_at(sim, t->timer, rto);
    else {
        sim_cancel(sim, t->timer);
        t->timer = sim_schedule_at(sim, rto, timer_fires, t, NULL);
    }
    sim_schedule(sim, next_delay(&t->hold), ack_arrives, t, argument);
}

static void bench_timers(size_t pending, uint64_t events)
{
    struct timers *t = calloc(1, sizeof *t);
    struct sim *sim = sim_create();
    if (!t || !sim) {
        fputs("out of memory\n", stderr);
        exit(1);
    }
    fill_delays(&t->hold, 1e6);
    for (size_t i = 0; i < pending; i++)
        sim_schedule(sim, next_delay(&t->hold), ack_arrives, t, NULL);
    t->timer = sim_schedule(sim, 200 * SIM_MS, timer_fires, t, NULL);
    t->hold.remaining = events;
    double start = seconds_now();
    uint64_t ran = sim_run(sim, SIM_TIME_MAX);
    double elapsed = seconds_now() - start;
    printf("ack + timer re-arm, %5zu pending: %10llu events in %.3f s = %6.2f million events/s\n",
           pending, (unsigned long long)ran, elapsed, (double)ran / elapsed / 1e6);
    sim_destroy(sim);
    free(t);
}

int main(void)
{
    bench_hold(1000, 30000000);
    bench_hold(1000000, 5000000);
    bench_timers(1000, 10000000);
    return 0;
}
