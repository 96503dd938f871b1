/*
 * bench_link.c: segments per second through the link: link_transmit (drop
 * rules, queue, loss, jitter, payload copy, trace fan-out) and the delivery
 * event that hands the segment to the receiver. A sender event transmits a
 * 1000-byte segment every 10 us across a 1 Gbps, 10 ms link with 1% loss
 * and normal jitter, in both directions at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "link.h"

struct bench {
    struct sim *sim;
    struct link *link;
    uint64_t to_send;
    uint64_t received;
    uint8_t payload[1000];
};

static double seconds_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void receive(void *context, const struct segment *seg)
{
    struct bench *b = context;
    b->received += seg->len > 0;
}

static void send_next(struct sim *sim, void *context, void *argument)
{
    struct bench *b = context;
    int from = (int)(intptr_t)argument;
    struct segment seg = { .flags = TCP_FLAG_ACK, .seq = (uint32_t)b->to_send, .len = sizeof b->payload,
                           .data = b->payload, .conn_id = 1 };
    link_transmit(b->link, from, &seg);
    if (--b->to_send > 1)
        sim_schedule(sim, 10 * SIM_US, send_next, b, argument);
}

static void bench_link(uint64_t segments, bool reorder)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 10 * SIM_MS;
    dir.has_jitter = true;
    dir.jitter = (struct distribution){ DIST_NORMAL, 0, 1e6 };
    dir.reorder = reorder;
    dir.rate_bps = 1000000000;
    dir.loss_model = LOSS_BERNOULLI;
    dir.loss = 0.01;
    struct drop_rule rule = { .direction = 0, .kind = SEGKIND_SYN, .nth_first = 1, .nth_last = 1,
                              .from = 0, .until = SIM_TIME_MAX };
    struct link_config config = { .fault = fault_create() };
    if (!config.fault || fault_add_rule(config.fault, &rule) != 0)
        exit(1);
    config.direction[0] = dir;
    config.direction[1] = dir;

    struct trace trace;
    trace_init(&trace);
    struct bench *b = calloc(1, sizeof *b);
    if (!b)
        exit(1);
    b->sim = sim_create();
    b->link = link_create(b->sim, &config, 1, &trace);
    if (!b->sim || !b->link)
        exit(1);
    link_attach(b->link, 0, "client", receive, b);
    link_attach(b->link, 1, "server", receive, b);
    b->to_send = segments;
    sim_schedule(b->sim, 0, send_next, b, (void *)(intptr_t)0);
    sim_schedule(b->sim, 5 * SIM_US, send_next, b, (void *)(intptr_t)1);

    double start = seconds_now();
    sim_run(b->sim, SIM_TIME_MAX);
    double elapsed = seconds_now() - start;
    const struct link_direction_stats *s0 = link_stats(b->link, 0), *s1 = link_stats(b->link, 1);
    uint64_t sent = s0->sent + s1->sent;
    printf("link, loss 1%%, jitter normal(0,1ms), %-7s: %8llu segments (%llu delivered) in %.3f s"
           " = %5.2f million segments/s\n",
           reorder ? "reorder" : "FIFO", (unsigned long long)sent, (unsigned long long)b->received,
           elapsed, (double)sent / elapsed / 1e6);
    link_destroy(b->link);
    sim_destroy(b->sim);
    free(b);
}

int main(void)
{
    bench_link(4000000, false);
    bench_link(4000000, true);
    return 0;
}
