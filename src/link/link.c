/*
 * link.c: the lossy, delaying, rate-limited wire between the two hosts.
 * Which segment a scenario drops by name is the fault module's decision
 * (fault.h); the link asks it first and reports the rule that decided.
 */
#include "link.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

double link_gilbert_elliott_loss_rate(const struct link_direction_config *c)
{
    double to_bad = c->ge_good_to_bad, to_good = c->ge_bad_to_good;
    if (to_bad + to_good <= 0)
        return c->ge_loss_good;
    double share_bad = to_bad / (to_bad + to_good);
    return (1 - share_bad) * c->ge_loss_good + share_bad * c->ge_loss_bad;
}

/* ---- the channel (below) ---- */
/*
 * Each direction is a FIFO line: a segment waits until the line is free,
 * takes (len + header) * 8 / rate to serialize, then travels for delay plus
 * a jitter draw. Fates are decided at transmit time, in this order: drop
 * rules, the drop-tail queue, the loss model, corruption; a delivered
 * segment may then be duplicated. Each random purpose has its own stream,
 * drawn in a fixed pattern (every segment reaching a step draws for it), so
 * one purpose never shifts another's draws.
 */

/* A segment on its way to the receiver; the payload is owned here. Records
 * are kept on a list while in flight (so link_destroy can cancel and free
 * them) and recycled through a free list afterwards. */
struct in_flight {
    struct in_flight *prev, *next;
    sim_event_id event;
    int to;
    struct segment seg;
    uint8_t *payload;
    size_t capacity;
};

/* Departure times of the segments still being serialized, oldest first. */
struct departure_ring {
    sim_time *times;
    size_t head, len, capacity;
};

struct link_direction {
    struct link_direction_config config;
    struct link_direction_stats stats;
    struct rng *loss, *jitter, *duplicate, *corrupt;
    sim_time line_free_at;   /* when the line finishes the last queued segment */
    sim_time last_arrival;   /* for FIFO delivery when reorder is off */
    bool ge_bad;             /* Gilbert-Elliott chain in the bad state */
    struct departure_ring queue;
    sim_lane arrivals;       /* the engine's FIFO lane for this direction's deliveries */
    /* serialization_time() for a bare header and for the last payload length
     * (a 64-bit division per segment otherwise; segments mostly come in two
     * sizes). Filled on first use. */
    bool ser_cached;
    uint32_t ser_len;
    sim_time ser_empty, ser_time;
};

struct link_end {
    char *name;
    link_receive_fn *receive;
    void *context;
};

struct link {
    struct sim *sim;
    struct trace *trace;
    uint64_t seed;
    uint64_t next_id;
    struct link_direction dir[LINK_END_COUNT];
    struct link_end end[LINK_END_COUNT];
    struct fault *fault;     /* the scenario's drop rules; owned */
    struct in_flight *in_flight; /* head of the in-flight list */
    struct in_flight *spare;     /* recycled records */
};

/* An allocation failed: the engine stops the run and the world reports it
 * failed (sim_fail_out_of_memory); what the link holds stays consistent. */
static void link_out_of_memory(const struct link *link) { sim_fail_out_of_memory(link->sim); }

/* ---- creation and streams ---- */

struct link *link_create(struct sim *sim, const struct link_config *config, uint64_t seed,
                         struct trace *trace)
{
    struct link *link = calloc(1, sizeof *link);
    if (!link) {
        fault_destroy(config->fault);
        return NULL;
    }
    link->sim = sim;
    link->trace = trace;
    link->seed = seed;
    for (int d = 0; d < LINK_END_COUNT; d++) {
        link->dir[d].config = config->direction[d];
        /* Arrivals keep send order unless reorder is on: O(1) scheduling. */
        link->dir[d].arrivals = sim_lane_create(sim);
    }
    link->fault = config->fault;
    return link;
}

static void direction_free_streams(struct link_direction *dir)
{
    rng_destroy(dir->loss);
    rng_destroy(dir->jitter);
    rng_destroy(dir->duplicate);
    rng_destroy(dir->corrupt);
    dir->loss = dir->jitter = dir->duplicate = dir->corrupt = NULL;
}

static struct rng *stream_create(const struct link *link, const char *purpose, int from)
{
    const char *sender = link->end[from].name, *receiver = link->end[1 - from].name;
    size_t size = strlen(purpose) + strlen(sender) + strlen(receiver) + 4;
    char *name = malloc(size);
    if (!name) {
        link_out_of_memory(link);
        return NULL;
    }
    snprintf(name, size, "%s %s->%s", purpose, sender, receiver);
    struct rng *rng = rng_create(link->seed, name);
    free(name);
    if (!rng)
        link_out_of_memory(link);
    return rng;
}

/* "loss client->server", "jitter client->server", ... */
static void direction_create_streams(struct link *link, int from)
{
    struct link_direction *dir = &link->dir[from];
    direction_free_streams(dir);
    dir->loss = stream_create(link, "loss", from);
    dir->jitter = stream_create(link, "jitter", from);
    dir->duplicate = stream_create(link, "duplicate", from);
    dir->corrupt = stream_create(link, "corrupt", from);
}

void link_attach(struct link *link, int end, const char *name, link_receive_fn *receive,
                 void *context)
{
    assert(end >= 0 && end < LINK_END_COUNT);
    char *copy = strdup(name);
    if (!copy) {
        link_out_of_memory(link);
        return;
    }
    free(link->end[end].name);
    link->end[end] = (struct link_end){ .name = copy, .receive = receive, .context = context };
    if (link->end[0].name && link->end[1].name)
        for (int d = 0; d < LINK_END_COUNT; d++)
            direction_create_streams(link, d);
}

const struct link_direction_stats *link_stats(const struct link *link, int direction)
{
    assert(direction >= 0 && direction < LINK_END_COUNT);
    return &link->dir[direction].stats;
}

static void records_free(struct in_flight *rec)
{
    while (rec) {
        struct in_flight *next = rec->next;
        free(rec->payload);
        free(rec);
        rec = next;
    }
}

void link_destroy(struct link *link)
{
    if (!link)
        return;
    for (struct in_flight *rec = link->in_flight; rec; rec = rec->next)
        sim_cancel(link->sim, rec->event);
    records_free(link->in_flight);
    records_free(link->spare);
    for (int d = 0; d < LINK_END_COUNT; d++) {
        direction_free_streams(&link->dir[d]);
        free(link->dir[d].queue.times);
        free(link->end[d].name);
    }
    fault_destroy(link->fault);
    free(link);
}

/* ---- the line: serialization and the drop-tail queue ---- */

/* (len + header) * 8 / rate seconds, in ns rounded up; 0 at infinite rate. */
static sim_time serialization_time(const struct link_direction_config *config, uint32_t len)
{
    if (config->rate_bps == 0)
        return 0;
    uint64_t bits = ((uint64_t)len + config->header_bytes) * 8;
    uint64_t rate = config->rate_bps;
    if (bits <= UINT64_MAX / (uint64_t)SIM_S)
        return (sim_time)((bits * (uint64_t)SIM_S + rate - 1) / rate);
    return (sim_time)ceil((double)bits * 1e9 / (double)rate);
}

/* Segments not yet fully serialized at now (the one on the line included). */
static size_t queue_occupancy(struct departure_ring *queue, sim_time now)
{
    while (queue->len > 0 && queue->times[queue->head] <= now) {
        queue->head = (queue->head + 1) % queue->capacity;
        queue->len--;
    }
    return queue->len;
}

static int queue_push(struct departure_ring *queue, sim_time departure, sim_time now)
{
    /* Forget the segments that already left: without a queue limit nothing
     * else drains the ring, and it would grow by 8 bytes per segment sent
     * for the whole run (80 MB over 10^6 connection lifecycles). */
    queue_occupancy(queue, now);
    if (queue->len == queue->capacity) {
        size_t capacity = queue->capacity ? queue->capacity * 2 : 16;
        sim_time *times = malloc(capacity * sizeof *times);
        if (!times)
            return -1;
        for (size_t i = 0; i < queue->len; i++)
            times[i] = queue->times[(queue->head + i) % queue->capacity];
        free(queue->times);
        *queue = (struct departure_ring){ .times = times, .len = queue->len, .capacity = capacity };
    }
    queue->times[(queue->head + queue->len) % queue->capacity] = departure;
    queue->len++;
    return 0;
}

static bool queue_full(struct link_direction *dir, sim_time now)
{
    return dir->config.queue_limit != 0 &&
           queue_occupancy(&dir->queue, now) >= dir->config.queue_limit;
}

/* serialization_time() of this direction, remembered for two lengths. */
static sim_time direction_serialization(struct link_direction *dir, uint32_t len)
{
    if (!dir->ser_cached) {
        dir->ser_empty = serialization_time(&dir->config, 0);
        dir->ser_len = 0;
        dir->ser_time = dir->ser_empty;
        dir->ser_cached = true;
    }
    if (len == 0)
        return dir->ser_empty;
    if (len != dir->ser_len) {
        dir->ser_len = len;
        dir->ser_time = serialization_time(&dir->config, len);
    }
    return dir->ser_time;
}

/* Put the segment on the line; returns when its last bit leaves. */
static sim_time line_send(struct link *link, struct link_direction *dir, sim_time now,
                          uint32_t len)
{
    sim_time start = dir->line_free_at > now ? dir->line_free_at : now;
    sim_time departure = sim_time_add(start, direction_serialization(dir, len));
    dir->line_free_at = departure;
    /* The ring of departure times is read only by queue_full(), i.e. with
     * a queue limit: without one it is not kept (~40 instructions a segment). */
    if (dir->config.queue_limit != 0 && departure > now &&
        queue_push(&dir->queue, departure, now) != 0)
        link_out_of_memory(link);
    return departure;
}

/* ---- the random parts ---- */

static sim_time ns_clamped(double ns)
{
    if (!(ns > 0)) /* also NaN */
        return 0;
    if (ns >= 4e18)
        return (sim_time)4e18;
    return (sim_time)llround(ns);
}

/* A draw from a stream that serves this one purpose and nothing else. With
 * p = 0 every draw says no, so it is skipped: nothing else reads the stream,
 * and p is fixed for the run, so the results are the same as with the draw
 * (for a lossless link the two draws per segment were a tenth of the time). */
static bool own_stream_bernoulli(struct rng *stream, double p)
{
    return p > 0 && rng_bernoulli(stream, p);
}

/* Bernoulli: one draw. Gilbert-Elliott: one draw moves the chain, one
 * decides loss in the state it moved to (never skipped: both share the
 * stream). */
static bool loss_model_loses(struct link_direction *dir)
{
    const struct link_direction_config *c = &dir->config;
    switch (c->loss_model) {
    case LOSS_NONE: return false;
    case LOSS_BERNOULLI: return own_stream_bernoulli(dir->loss, c->loss);
    case LOSS_GILBERT_ELLIOTT:
        if (dir->ge_bad)
            dir->ge_bad = !rng_bernoulli(dir->loss, c->ge_bad_to_good);
        else
            dir->ge_bad = rng_bernoulli(dir->loss, c->ge_good_to_bad);
        return rng_bernoulli(dir->loss, dir->ge_bad ? c->ge_loss_bad : c->ge_loss_good);
    }
    return false;
}

/* Propagation delay plus a jitter draw, clamped at zero. */
static sim_time path_delay(struct link_direction *dir)
{
    /* Without jitter the sum below is the delay itself whenever a double
     * holds it exactly (under 2^53 ns, 104 days): skip the conversions. */
    if (!dir->config.has_jitter && dir->config.delay < ((sim_time)1 << 53))
        return dir->config.delay > 0 ? dir->config.delay : 0;
    double delay = (double)dir->config.delay;
    if (dir->config.has_jitter)
        delay += dist_sample(&dir->config.jitter, dir->jitter);
    return ns_clamped(delay);
}

/* When the segment that left at departure arrives; FIFO unless reorder. */
static sim_time arrival_time(struct link_direction *dir, sim_time departure)
{
    sim_time arrival = sim_time_add(departure, path_delay(dir));
    if (!dir->config.reorder) {
        if (arrival < dir->last_arrival)
            arrival = dir->last_arrival;
        dir->last_arrival = arrival;
    }
    return arrival;
}

/* A duplicate trails the original by an extra jitter draw (>= 0), or by
 * 1 us without jitter. It does not hold back later segments. */
static sim_time duplicate_arrival(struct link_direction *dir, sim_time arrival)
{
    if (!dir->config.has_jitter)
        return sim_time_add(arrival, SIM_US);
    return sim_time_add(arrival, ns_clamped(dist_sample(&dir->config.jitter, dir->jitter)));
}

/* ---- delivery ---- */

static struct in_flight *record_take(struct link *link, const struct segment *seg)
{
    struct in_flight *rec = link->spare;
    if (rec)
        link->spare = rec->next;
    else if (!(rec = calloc(1, sizeof *rec))) {
        link_out_of_memory(link);
        return NULL;
    }
    if (seg->len > rec->capacity) {
        uint8_t *payload = realloc(rec->payload, seg->len);
        if (!payload) {
            rec->next = link->spare; /* kept for later, as a spare */
            link->spare = rec;
            link_out_of_memory(link);
            return NULL;
        }
        rec->payload = payload;
        rec->capacity = seg->len;
    }
    rec->seg = *seg;
    if (seg->len > 0 && seg->data) {
        memcpy(rec->payload, seg->data, seg->len);
        rec->seg.data = rec->payload;
    } else {
        rec->seg.data = NULL;
    }
    return rec;
}

static void record_unlink(struct link *link, struct in_flight *rec)
{
    if (rec->prev)
        rec->prev->next = rec->next;
    else
        link->in_flight = rec->next;
    if (rec->next)
        rec->next->prev = rec->prev;
}

static void deliver(struct sim *sim, void *context, void *argument)
{
    (void)sim;
    struct link *link = context;
    struct in_flight *rec = argument;
    record_unlink(link, rec);
    const struct link_end *end = &link->end[rec->to];
    if (end->receive)
        end->receive(end->context, &rec->seg);
    rec->prev = NULL;
    rec->next = link->spare;
    link->spare = rec;
}

static void schedule_delivery(struct link *link, int to, const struct segment *seg,
                              sim_time arrival)
{
    struct in_flight *rec = record_take(link, seg);
    if (!rec)
        return; /* the run stops here, out of memory */
    rec->to = to;
    rec->prev = NULL;
    rec->next = link->in_flight;
    if (link->in_flight)
        link->in_flight->prev = rec;
    link->in_flight = rec;
    /* The lane of the direction the segment travels (from = 1 - to). */
    rec->event = sim_schedule_lane(link->sim, link->dir[1 - to].arrivals, arrival, deliver, link, rec);
}

static void report(struct link *link, int from, const struct segment *seg, sim_time arrived,
                   enum segment_fate fate, const struct drop_rule *rule)
{
    if (!link->trace)
        return;
    struct trace_segment record = {
        .seg = seg,
        .sender = link->end[from].name,
        .receiver = link->end[1 - from].name,
        .sent_ns = sim_now(link->sim),
        .arrived_ns = arrived,
        .fate = fate,
        .rule_line = rule ? rule->line : 0,
    };
    trace_segment(link->trace, &record);
}

/* ---- transmit ---- */

/* Decide the fate and, for segments that reach the wire, the arrival;
 * *rule is the fault rule that acted, if one did. A rule that delays,
 * duplicates or corrupts leaves the segment to the wire first (queue, loss
 * model), so it acts only on a segment the wire would have carried. */
static enum segment_fate decide_fate(struct link *link, int from, const struct segment *seg,
                                     sim_time *arrival, const struct drop_rule **rule)
{
    struct link_direction *dir = &link->dir[from];
    sim_time now = sim_now(link->sim);
    *arrival = -1;
    *rule = fault_decide(link->fault, from, now, seg);
    if (*rule && (*rule)->action == FAULT_DROP)
        return FATE_DROPPED;
    if (queue_full(dir, now))
        return FATE_QUEUE_FULL;
    sim_time departure = line_send(link, dir, now, seg->len);
    if (loss_model_loses(dir))
        return FATE_LOST;
    *arrival = arrival_time(dir, departure);
    if (*rule && (*rule)->action == FAULT_DELAY)
        *arrival = sim_time_add(*arrival, (*rule)->by);
    if ((*rule && (*rule)->action == FAULT_CORRUPT) || own_stream_bernoulli(dir->corrupt, dir->config.corrupt))
        return FATE_CORRUPTED;
    return FATE_DELIVERED;
}

static void count_fate(struct link_direction_stats *stats, enum segment_fate fate)
{
    switch (fate) {
    case FATE_DELIVERED: stats->delivered++; break;
    case FATE_LOST: stats->lost++; break;
    case FATE_DROPPED: stats->dropped++; break;
    case FATE_DUPLICATED: stats->duplicated++; break;
    case FATE_CORRUPTED: stats->corrupted++; break;
    case FATE_QUEUE_FULL: stats->queue_full++; break;
    }
}

/* The extra copy of a delivered segment: its own id, its own row. A rule
 * that duplicates sets the copy's lag; the link's own duplication draws it. */
static void send_duplicate(struct link *link, int from, const struct segment *seg,
                           sim_time arrival, const struct drop_rule *rule)
{
    struct link_direction *dir = &link->dir[from];
    struct segment copy = *seg;
    copy.id = ++link->next_id;
    sim_time copy_arrival = rule ? sim_time_add(arrival, rule->by) : duplicate_arrival(dir, arrival);
    count_fate(&dir->stats, FATE_DUPLICATED);
    report(link, from, &copy, copy_arrival, FATE_DUPLICATED, rule);
    schedule_delivery(link, 1 - from, &copy, copy_arrival);
}

void link_transmit(struct link *link, int from, struct segment *seg)
{
    assert(from >= 0 && from < LINK_END_COUNT);
    if (sim_out_of_memory(link->sim))
        return; /* the run is void and stopping; the streams may be missing */
    assert(link->end[0].name && link->end[1].name && "attach both ends before transmitting");
    struct link_direction *dir = &link->dir[from];
    seg->id = ++link->next_id;
    dir->stats.sent++;
    sim_time arrival;
    const struct drop_rule *rule;
    enum segment_fate fate = decide_fate(link, from, seg, &arrival, &rule);
    count_fate(&dir->stats, fate);
    report(link, from, seg, arrival, fate, rule);
    if (fate != FATE_DELIVERED)
        return;
    schedule_delivery(link, 1 - from, seg, arrival);
    if (rule && rule->action == FAULT_DUPLICATE)
        send_duplicate(link, from, seg, arrival, rule);
    else if (own_stream_bernoulli(dir->duplicate, dir->config.duplicate))
        send_duplicate(link, from, seg, arrival, NULL);
}
