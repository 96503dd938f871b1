/*
 * test_link.c: the channel between the two ends. Loss rates (Bernoulli and
 * Gilbert-Elliott) match their models, serialization and queuing time come
 * out to the nanosecond, the drop-tail queue overflows where it should,
 * jitter keeps FIFO order unless reordering is on, duplication and
 * corruption happen at their rates, drop rules hit exactly the segment they
 * name, and the trace sees every segment with its fate.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "link.h"

/* ---- an in-test trace sink recording every segment row ---- */

struct row {
    uint64_t id;
    int from_client; /* sender is "client" */
    sim_time sent, arrived;
    enum segment_fate fate;
    uint8_t flags;
    int rule_line;
};

struct recording_sink {
    struct trace_sink sink;
    struct row *rows;
    size_t len, capacity;
};

static void record_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct recording_sink *rs = (struct recording_sink *)sink;
    if (rs->len == rs->capacity) {
        rs->capacity = rs->capacity ? rs->capacity * 2 : 1024;
        rs->rows = realloc(rs->rows, rs->capacity * sizeof *rs->rows);
    }
    rs->rows[rs->len++] = (struct row){
        .id = ts->seg->id,
        .from_client = strcmp(ts->sender, "client") == 0 && strcmp(ts->receiver, "server") == 0,
        .sent = ts->sent_ns,
        .arrived = ts->arrived_ns,
        .fate = ts->fate,
        .flags = ts->seg->flags,
        .rule_line = ts->rule_line,
    };
}

static const struct trace_sink_ops recording_ops = { .segment = record_segment };

/* ---- a receiving end that logs arrivals ---- */

struct receiver {
    struct sim *sim;
    uint64_t count;
    uint64_t last_id;
    uint64_t out_of_order; /* arrivals with a smaller id than the one before */
    sim_time last_time;
    sim_time times[16];
    uint64_t ids[16];
    uint8_t first_byte[16];
};

static void receive(void *context, const struct segment *seg)
{
    struct receiver *r = context;
    if (r->count < 16) {
        r->times[r->count] = sim_now(r->sim);
        r->ids[r->count] = seg->id;
        r->first_byte[r->count] = seg->len ? seg->data[0] : 0;
    }
    if (seg->id < r->last_id)
        r->out_of_order++;
    r->last_id = seg->id;
    r->last_time = sim_now(r->sim);
    r->count++;
}

/* ---- the fixture: a link client(0) <-> server(1) ---- */

struct fixture {
    struct sim *sim;
    struct link *link;
    struct trace trace;
    struct recording_sink rec;
    struct receiver at[LINK_END_COUNT];
};

static void fixture_open(struct fixture *f, const struct link_config *config, uint64_t seed)
{
    memset(f, 0, sizeof *f);
    f->sim = sim_create();
    f->rec.sink.ops = &recording_ops;
    trace_init(&f->trace);
    trace_add_sink(&f->trace, &f->rec.sink);
    f->link = link_create(f->sim, config, seed, &f->trace);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f->link);
    for (int e = 0; e < LINK_END_COUNT; e++) {
        f->at[e].sim = f->sim;
        link_attach(f->link, e, e == 0 ? "client" : "server", receive, &f->at[e]);
    }
}

static void fixture_close(struct fixture *f)
{
    link_destroy(f->link);
    sim_destroy(f->sim);
    free(f->rec.rows);
}

static struct link_config symmetric(const struct link_direction_config *dir)
{
    struct link_config config = { .fault = NULL };
    config.direction[0] = *dir;
    config.direction[1] = *dir;
    return config;
}

static struct segment data_segment(uint32_t len)
{
    static const uint8_t payload[1500] = { 0x5a };
    return (struct segment){ .flags = TCP_FLAG_ACK | TCP_FLAG_PSH, .len = len,
                             .data = len ? payload : NULL, .conn_id = 1 };
}

static struct segment flag_segment(uint8_t flags)
{
    return (struct segment){ .flags = flags, .conn_id = 1 };
}

static size_t count_fate(const struct fixture *f, enum segment_fate fate)
{
    size_t n = 0;
    for (size_t i = 0; i < f->rec.len; i++)
        n += f->rec.rows[i].fate == fate;
    return n;
}

static const struct row *row_of(const struct fixture *f, uint64_t id)
{
    for (size_t i = 0; i < f->rec.len; i++)
        if (f->rec.rows[i].id == id)
            return &f->rec.rows[i];
    return NULL;
}

/* ---- loss models ---- */

static void test_bernoulli_loss_rate(void)
{
    enum { N = 100000 };
    const double p = 0.1;
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.loss_model = LOSS_BERNOULLI;
    dir.loss = p;
    dir.delay = 1 * SIM_MS;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    for (int i = 0; i < N; i++) {
        struct segment seg = data_segment(100);
        link_transmit(f.link, 0, &seg);
    }
    sim_run(f.sim, SIM_TIME_MAX);
    const struct link_direction_stats *s = link_stats(f.link, 0);
    double measured = (double)s->lost / N;
    double sigma = sqrt(p * (1 - p) / N);
    CU_ASSERT_EQUAL(s->sent, N);
    CU_ASSERT(fabs(measured - p) < 3 * sigma);
    CU_ASSERT_EQUAL(s->delivered + s->lost, N);
    CU_ASSERT_EQUAL(f.at[1].count, s->delivered);
    CU_ASSERT_EQUAL(f.at[0].count, 0);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_LOST), s->lost);
    fixture_close(&f);
}

/* Asymptotic variance per segment of the loss indicator of a two-state
 * chain: p(1-p) + 2 (lb-lg)^2 pi_g pi_b lambda / (1 - lambda), where
 * lambda = 1 - g2b - b2g is the chain's second eigenvalue. */
static double ge_variance(const struct link_direction_config *c, double p)
{
    double pi_b = c->ge_good_to_bad / (c->ge_good_to_bad + c->ge_bad_to_good);
    double lambda = 1 - c->ge_good_to_bad - c->ge_bad_to_good;
    double gap = c->ge_loss_bad - c->ge_loss_good;
    return p * (1 - p) + 2 * gap * gap * pi_b * (1 - pi_b) * lambda / (1 - lambda);
}

static void test_gilbert_elliott_loss_rate(void)
{
    enum { N = 1000000 };
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.loss_model = LOSS_GILBERT_ELLIOTT;
    dir.ge_good_to_bad = 0.01;
    dir.ge_bad_to_good = 0.1;
    dir.ge_loss_good = 0.001;
    dir.ge_loss_bad = 0.5;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 7);
    trace_init(&f.trace); /* a million rows: count through stats only */
    for (int i = 0; i < N; i++) {
        struct segment seg = data_segment(0);
        link_transmit(f.link, 1, &seg);
    }
    sim_run(f.sim, SIM_TIME_MAX);
    double expected = link_gilbert_elliott_loss_rate(&dir);
    double measured = (double)link_stats(f.link, 1)->lost / N;
    double sigma = sqrt(ge_variance(&dir, expected) / N);
    CU_ASSERT_DOUBLE_EQUAL(expected, 0.909090909 * 0.001 + 0.090909091 * 0.5, 1e-6);
    /* 4 sigma here is about 5% of the rate. */
    CU_ASSERT(fabs(measured - expected) < 4 * sigma);
    CU_ASSERT(4 * sigma < 0.06 * expected);
    CU_ASSERT_EQUAL(f.at[0].count, link_stats(f.link, 1)->delivered);
    fixture_close(&f);
}

/* Losses come in bursts under Gilbert-Elliott: the chance that a loss
 * follows a loss is far above the average rate. */
static void test_gilbert_elliott_losses_are_bursty(void)
{
    enum { N = 200000 };
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.loss_model = LOSS_GILBERT_ELLIOTT;
    dir.ge_good_to_bad = 0.01;
    dir.ge_bad_to_good = 0.1;
    dir.ge_loss_good = 0;
    dir.ge_loss_bad = 1;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 11);
    for (int i = 0; i < N; i++) {
        struct segment seg = data_segment(0);
        link_transmit(f.link, 0, &seg);
    }
    uint64_t losses = 0, loss_after_loss = 0;
    for (size_t i = 0; i < f.rec.len; i++) {
        bool lost = f.rec.rows[i].fate == FATE_LOST;
        losses += lost;
        loss_after_loss += lost && i > 0 && f.rec.rows[i - 1].fate == FATE_LOST;
    }
    /* P(loss | previous loss) = 1 - b2g = 0.9 against an average of 0.09. */
    double conditional = (double)loss_after_loss / (double)losses;
    CU_ASSERT(fabs(conditional - 0.9) < 0.02);
    CU_ASSERT(fabs((double)losses / N - 1.0 / 11) < 0.01);
    fixture_close(&f);
}

/* ---- timing ---- */

static void test_serialization_and_back_to_back_queuing(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.rate_bps = 10000000; /* 10 Mbps */
    dir.delay = 10 * SIM_MS;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    /* (1000 + 40) * 8 bits at 10 Mbps = 832 us each, sent back to back at t=0. */
    for (int i = 0; i < 3; i++) {
        struct segment seg = data_segment(1000);
        link_transmit(f.link, 0, &seg);
    }
    sim_run(f.sim, 100 * SIM_MS);
    /* The line is idle again: no queuing delay for this one. */
    struct segment seg = data_segment(1000);
    link_transmit(f.link, 0, &seg);
    /* A bare ACK: 40 bytes = 32 us. */
    struct segment ack = flag_segment(TCP_FLAG_ACK);
    link_transmit(f.link, 1, &ack);
    sim_run(f.sim, SIM_TIME_MAX);

    CU_ASSERT_EQUAL(f.at[1].count, 4);
    CU_ASSERT_EQUAL(f.at[1].times[0], 10 * SIM_MS + 832 * SIM_US);
    CU_ASSERT_EQUAL(f.at[1].times[1], 10 * SIM_MS + 2 * 832 * SIM_US);
    CU_ASSERT_EQUAL(f.at[1].times[2], 10 * SIM_MS + 3 * 832 * SIM_US);
    CU_ASSERT_EQUAL(f.at[1].times[3], 110 * SIM_MS + 832 * SIM_US);
    CU_ASSERT_EQUAL(f.at[0].count, 1);
    CU_ASSERT_EQUAL(f.at[0].times[0], 110 * SIM_MS + 32 * SIM_US);
    /* The trace has sent = transmit time and the same arrivals. */
    CU_ASSERT_EQUAL(f.rec.rows[2].sent, 0);
    CU_ASSERT_EQUAL(f.rec.rows[2].arrived, 10 * SIM_MS + 3 * 832 * SIM_US);
    fixture_close(&f);
}

static void test_serialization_rounds_up(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.rate_bps = 3000000; /* 41 bytes = 328 bits: 109333.33 ns -> 109334 */
    dir.header_bytes = 40;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    struct segment seg = data_segment(1);
    link_transmit(f.link, 0, &seg);
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(f.at[1].times[0], 109334);
    fixture_close(&f);
}

static void test_queue_full_when_limit_exceeded(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.rate_bps = 1000000; /* 1040 B = 8.32 ms each */
    dir.queue_limit = 3;
    dir.delay = 5 * SIM_MS;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    for (int i = 0; i < 10; i++) {
        struct segment seg = data_segment(1000);
        link_transmit(f.link, 0, &seg);
    }
    const struct link_direction_stats *s = link_stats(f.link, 0);
    CU_ASSERT_EQUAL(s->delivered, 3);
    CU_ASSERT_EQUAL(s->queue_full, 7);
    CU_ASSERT_EQUAL(f.rec.rows[3].fate, FATE_QUEUE_FULL);
    CU_ASSERT_EQUAL(f.rec.rows[3].arrived, -1);

    /* After the first segment leaves (8.32 ms) there is room for one more. */
    sim_run(f.sim, 8320 * SIM_US);
    struct segment fits = data_segment(1000), overflows = data_segment(1000);
    link_transmit(f.link, 0, &fits);
    link_transmit(f.link, 0, &overflows);
    CU_ASSERT_EQUAL(row_of(&f, fits.id)->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(row_of(&f, overflows.id)->fate, FATE_QUEUE_FULL);
    /* It waits behind the two still queued: leaves at 4 * 8.32 ms. */
    CU_ASSERT_EQUAL(row_of(&f, fits.id)->arrived, 4 * 8320 * SIM_US + 5 * SIM_MS);
    /* The other direction has its own queue. */
    struct segment back = data_segment(1000);
    link_transmit(f.link, 1, &back);
    CU_ASSERT_EQUAL(row_of(&f, back.id)->fate, FATE_DELIVERED);
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(f.at[1].count, 4);
    CU_ASSERT_EQUAL(s->sent, 12);
    CU_ASSERT_EQUAL(s->queue_full, 8);
    fixture_close(&f);
}

/* ---- jitter and ordering ---- */

static void send_spaced(struct fixture *f, int from, int n, sim_time gap)
{
    for (int i = 0; i < n; i++) {
        sim_run(f->sim, i * gap);
        struct segment seg = data_segment(100);
        link_transmit(f->link, from, &seg);
    }
    sim_run(f->sim, SIM_TIME_MAX);
}

static void test_jitter_keeps_fifo_without_reorder(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 10 * SIM_MS;
    dir.has_jitter = true;
    dir.jitter = (struct distribution){ DIST_NORMAL, 0, 5e6 }; /* sd 5 ms >> 100 us spacing */
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 3);
    send_spaced(&f, 0, 2000, 100 * SIM_US);
    CU_ASSERT_EQUAL(f.at[1].count, 2000);
    CU_ASSERT_EQUAL(f.at[1].out_of_order, 0);
    /* Arrivals in the trace never go backwards, and never precede departure. */
    int monotonic = 1, causal = 1, varied = 0;
    for (size_t i = 1; i < f.rec.len; i++) {
        monotonic &= f.rec.rows[i].arrived >= f.rec.rows[i - 1].arrived;
        causal &= f.rec.rows[i].arrived >= f.rec.rows[i].sent;
        varied |= f.rec.rows[i].arrived - f.rec.rows[i].sent != 10 * SIM_MS;
    }
    CU_ASSERT_TRUE(monotonic);
    CU_ASSERT_TRUE(causal);
    CU_ASSERT_TRUE(varied);
    fixture_close(&f);
}

static void test_jitter_with_reorder_reorders(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 10 * SIM_MS;
    dir.has_jitter = true;
    dir.jitter = (struct distribution){ DIST_NORMAL, 0, 5e6 };
    dir.reorder = true;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 3);
    send_spaced(&f, 0, 2000, 100 * SIM_US);
    CU_ASSERT_EQUAL(f.at[1].count, 2000);
    CU_ASSERT(f.at[1].out_of_order > 100);
    /* delay + jitter is clamped at zero: nothing arrives before it is sent. */
    int causal = 1;
    for (size_t i = 0; i < f.rec.len; i++)
        causal &= f.rec.rows[i].arrived >= f.rec.rows[i].sent;
    CU_ASSERT_TRUE(causal);
    fixture_close(&f);
}

/* ---- duplication and corruption ---- */

static void test_duplication_rate(void)
{
    enum { N = 100000 };
    const double p = 0.05;
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 1 * SIM_MS;
    dir.duplicate = p;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 5);
    for (int i = 0; i < N; i++) {
        struct segment seg = data_segment(10);
        link_transmit(f.link, 0, &seg);
    }
    sim_run(f.sim, SIM_TIME_MAX);
    const struct link_direction_stats *s = link_stats(f.link, 0);
    CU_ASSERT_EQUAL(s->delivered, N);
    CU_ASSERT(fabs((double)s->duplicated / N - p) < 3 * sqrt(p * (1 - p) / N));
    CU_ASSERT_EQUAL(f.at[1].count, N + s->duplicated);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DUPLICATED), s->duplicated);
    /* A copy has its own id, follows its original, and arrives 1 us later. */
    const struct row *copy = NULL;
    for (size_t i = 0; i < f.rec.len && !copy; i++)
        if (f.rec.rows[i].fate == FATE_DUPLICATED)
            copy = &f.rec.rows[i];
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    const struct row *original = copy - 1;
    CU_ASSERT_EQUAL(original->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(copy->id, original->id + 1);
    CU_ASSERT_EQUAL(copy->arrived, original->arrived + SIM_US);
    fixture_close(&f);
}

static void test_corruption_rate_and_no_delivery(void)
{
    enum { N = 100000 };
    const double p = 0.02;
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 2 * SIM_MS;
    dir.corrupt = p;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 6);
    for (int i = 0; i < N; i++) {
        struct segment seg = data_segment(10);
        link_transmit(f.link, 1, &seg);
    }
    sim_run(f.sim, SIM_TIME_MAX);
    const struct link_direction_stats *s = link_stats(f.link, 1);
    CU_ASSERT(fabs((double)s->corrupted / N - p) < 3 * sqrt(p * (1 - p) / N));
    CU_ASSERT_EQUAL(s->delivered + s->corrupted, N);
    CU_ASSERT_EQUAL(f.at[0].count, s->delivered); /* corrupted ones never reach the receiver */
    int has_arrival = 1;
    for (size_t i = 0; i < f.rec.len; i++)
        if (f.rec.rows[i].fate == FATE_CORRUPTED)
            has_arrival &= f.rec.rows[i].arrived == 2 * SIM_MS;
    CU_ASSERT_TRUE(has_arrival);
    fixture_close(&f);
}

/* ---- drop rules ---- */

/* The rules as a fault module; the link the config is given to owns it. */
static struct fault *fault_of(const struct drop_rule *rules, size_t n)
{
    struct fault *fault = fault_create();
    CU_ASSERT_PTR_NOT_NULL_FATAL(fault);
    for (size_t i = 0; i < n; i++)
        CU_ASSERT_EQUAL(fault_add_rule(fault, &rules[i]), 0);
    return fault;
}

static struct link_config rules_config(const struct drop_rule *rules, size_t n)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 1 * SIM_MS;
    struct link_config config = symmetric(&dir);
    config.fault = fault_of(rules, n);
    return config;
}

static void test_drop_first_synack_from_end_1(void)
{
    const struct drop_rule rule = { .direction = 1, .kind = SEGKIND_SYN_ACK, .nth_first = 1,
                                    .nth_last = 1, .from = 0, .until = SIM_TIME_MAX };
    struct link_config config = rules_config(&rule, 1);
    struct fixture f;
    fixture_open(&f, &config, 1);
    struct segment syn = flag_segment(TCP_FLAG_SYN);
    struct segment synack_client = flag_segment(TCP_FLAG_SYN | TCP_FLAG_ACK);
    struct segment ack = flag_segment(TCP_FLAG_ACK);
    struct segment synack1 = flag_segment(TCP_FLAG_SYN | TCP_FLAG_ACK);
    struct segment synack2 = flag_segment(TCP_FLAG_SYN | TCP_FLAG_ACK);
    link_transmit(f.link, 0, &syn);
    link_transmit(f.link, 0, &synack_client); /* wrong direction: not counted */
    link_transmit(f.link, 1, &ack);           /* wrong kind: not counted */
    link_transmit(f.link, 1, &synack1);
    link_transmit(f.link, 1, &synack2);
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DROPPED), 1);
    CU_ASSERT_EQUAL(row_of(&f, synack1.id)->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(row_of(&f, synack1.id)->arrived, -1);
    CU_ASSERT_EQUAL(row_of(&f, synack2.id)->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(row_of(&f, synack_client.id)->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(link_stats(f.link, 1)->dropped, 1);
    CU_ASSERT_EQUAL(f.at[0].count, 2);
    fixture_close(&f);
}

/* delay, duplicate and corrupt act on the picked segment only, and each
 * row names the rule's line. */
static void test_delay_duplicate_corrupt_rules(void)
{
    const struct drop_rule rules[] = {
        {.action = FAULT_DELAY, .by = 10 * SIM_MS, .direction = 0, .kind = SEGKIND_DATA, .nth_first = 1,
         .nth_last = 1, .until = SIM_TIME_MAX, .line = 7},
        {.action = FAULT_DUPLICATE, .by = 3 * SIM_MS, .direction = 0, .kind = SEGKIND_DATA, .nth_first = 2,
         .nth_last = 2, .until = SIM_TIME_MAX, .line = 8},
        {.action = FAULT_CORRUPT, .direction = 0, .kind = SEGKIND_DATA, .nth_first = 3, .nth_last = 3,
         .until = SIM_TIME_MAX, .line = 9},
    };
    struct link_config config = rules_config(rules, 3);
    struct fixture f;
    fixture_open(&f, &config, 1);
    struct segment first = data_segment(10), second = data_segment(10), third = data_segment(10),
                   fourth = data_segment(10);
    link_transmit(f.link, 0, &first);
    link_transmit(f.link, 0, &second);
    link_transmit(f.link, 0, &third);
    link_transmit(f.link, 0, &fourth);
    sim_run(f.sim, SIM_TIME_MAX);
    /* The delayed first one arrives after the others: reordering on purpose. */
    CU_ASSERT_EQUAL(row_of(&f, first.id)->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(row_of(&f, first.id)->rule_line, 7);
    CU_ASSERT_EQUAL(row_of(&f, first.id)->arrived, row_of(&f, fourth.id)->arrived - row_of(&f, fourth.id)->sent +
                                                   row_of(&f, first.id)->sent + 10 * SIM_MS);
    CU_ASSERT_EQUAL(f.at[1].ids[f.at[1].count - 1], first.id);
    /* The second one and its copy, 3 ms later, with the rule's line. */
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DUPLICATED), 1);
    const struct row *copy = row_of(&f, second.id + 1); /* the copy takes the next id */
    CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
    CU_ASSERT_EQUAL(copy->fate, FATE_DUPLICATED);
    CU_ASSERT_EQUAL(copy->rule_line, 8);
    CU_ASSERT_EQUAL(copy->arrived, row_of(&f, second.id)->arrived + 3 * SIM_MS);
    /* The third arrives damaged and is not handed over. */
    CU_ASSERT_EQUAL(row_of(&f, third.id)->fate, FATE_CORRUPTED);
    CU_ASSERT_EQUAL(row_of(&f, third.id)->rule_line, 9);
    CU_ASSERT_EQUAL(row_of(&f, fourth.id)->rule_line, 0);
    CU_ASSERT_EQUAL(f.at[1].count, 4); /* first, second, its copy, fourth */
    fixture_close(&f);
}

static void test_drop_third_segment_from_end_0(void)
{
    const struct drop_rule rule = { .direction = 0, .kind = SEGKIND_ANY, .nth_first = 3,
                                    .nth_last = 3, .from = 0, .until = SIM_TIME_MAX };
    struct link_config config = rules_config(&rule, 1);
    struct fixture f;
    fixture_open(&f, &config, 1);
    uint64_t ids[5];
    for (int i = 0; i < 5; i++) {
        struct segment seg = data_segment(100), reply = flag_segment(TCP_FLAG_ACK);
        link_transmit(f.link, 0, &seg);
        link_transmit(f.link, 1, &reply);
        ids[i] = seg.id;
    }
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DROPPED), 1);
    CU_ASSERT_EQUAL(row_of(&f, ids[2])->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(ids[2], 5); /* link-wide ids: the 5th segment on the link */
    CU_ASSERT_EQUAL(f.at[1].count, 4);
    CU_ASSERT_EQUAL(f.at[0].count, 5);
    fixture_close(&f);
}

static void test_drop_every_segment_from_end_0_in_window(void)
{
    const struct drop_rule rule = { .direction = 0, .kind = SEGKIND_ANY, .nth_first = 0,
                                    .nth_last = 0, .from = 1 * SIM_S, .until = 2 * SIM_S };
    struct link_config config = rules_config(&rule, 1);
    struct fixture f;
    fixture_open(&f, &config, 1);
    const sim_time at[] = { 500 * SIM_MS, 1 * SIM_S, 1500 * SIM_MS, 2 * SIM_S - 1, 2 * SIM_S,
                            2500 * SIM_MS };
    const enum segment_fate want[] = { FATE_DELIVERED, FATE_DROPPED, FATE_DROPPED, FATE_DROPPED,
                                       FATE_DELIVERED, FATE_DELIVERED };
    uint64_t ids[6], back_ids[6];
    for (int i = 0; i < 6; i++) {
        sim_run(f.sim, at[i]);
        struct segment seg = data_segment(100), back = data_segment(100);
        link_transmit(f.link, 0, &seg);
        link_transmit(f.link, 1, &back);
        ids[i] = seg.id;
        back_ids[i] = back.id;
    }
    sim_run(f.sim, SIM_TIME_MAX);
    for (int i = 0; i < 6; i++) {
        CU_ASSERT_EQUAL(row_of(&f, ids[i])->fate, want[i]);
        CU_ASSERT_EQUAL(row_of(&f, back_ids[i])->fate, FATE_DELIVERED);
        CU_ASSERT_EQUAL(row_of(&f, ids[i])->sent, at[i]);
    }
    CU_ASSERT_EQUAL(f.at[1].count, 3);
    CU_ASSERT_EQUAL(f.at[0].count, 6);
    fixture_close(&f);
}

static void test_drop_rule_range_and_connection(void)
{
    /* The 2nd..3rd data segments of connection 2 only. */
    const struct drop_rule rule = { .direction = 0, .kind = SEGKIND_DATA, .nth_first = 2,
                                    .nth_last = 3, .from = 0, .until = SIM_TIME_MAX,
                                    .conn_id = 2 };
    struct link_config config = rules_config(&rule, 1);
    struct fixture f;
    fixture_open(&f, &config, 1);
    uint64_t conn2[5];
    for (int i = 0; i < 5; i++) {
        struct segment other = data_segment(10), seg = data_segment(10);
        seg.conn_id = 2;
        link_transmit(f.link, 0, &other);
        link_transmit(f.link, 0, &seg);
        conn2[i] = seg.id;
    }
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DROPPED), 2);
    CU_ASSERT_EQUAL(row_of(&f, conn2[1])->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(row_of(&f, conn2[2])->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(row_of(&f, conn2[3])->fate, FATE_DELIVERED);
    fixture_close(&f);
}

/* Two rules claim the same segment: the first one added decides, and its
 * scenario line travels with the segment's record; both count it. */
static void test_deciding_rule_line_in_the_record(void)
{
    const struct drop_rule rules[] = {
        { .direction = 0, .kind = SEGKIND_DATA, .nth_first = 2, .nth_last = 2, .from = 0,
          .until = SIM_TIME_MAX, .line = 7 },
        { .direction = 0, .kind = SEGKIND_ANY, .nth_first = 2, .nth_last = 3, .from = 0,
          .until = SIM_TIME_MAX, .line = 9 },
    };
    struct link_config config = rules_config(rules, 2);
    struct fixture f;
    fixture_open(&f, &config, 1);
    uint64_t ids[4];
    for (int i = 0; i < 4; i++) {
        struct segment seg = data_segment(10);
        link_transmit(f.link, 0, &seg);
        ids[i] = seg.id;
    }
    CU_ASSERT_EQUAL(row_of(&f, ids[0])->rule_line, 0);
    CU_ASSERT_EQUAL(row_of(&f, ids[1])->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(row_of(&f, ids[1])->rule_line, 7);
    CU_ASSERT_EQUAL(row_of(&f, ids[2])->fate, FATE_DROPPED);
    CU_ASSERT_EQUAL(row_of(&f, ids[2])->rule_line, 9);
    CU_ASSERT_EQUAL(row_of(&f, ids[3])->fate, FATE_DELIVERED);
    CU_ASSERT_EQUAL(row_of(&f, ids[3])->rule_line, 0);
    fixture_close(&f);
}

/* ---- the trace and the payload ---- */

static void test_trace_sees_every_fate_and_names(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 3 * SIM_MS;
    dir.loss_model = LOSS_BERNOULLI;
    dir.loss = 0.2;
    dir.duplicate = 0.2;
    dir.corrupt = 0.1;
    dir.rate_bps = 100000000;
    dir.queue_limit = 50;
    const struct drop_rule rule = { .direction = 0, .kind = SEGKIND_ANY, .nth_first = 10,
                                    .nth_last = 19, .from = 0, .until = SIM_TIME_MAX };
    struct link_config config = symmetric(&dir);
    config.fault = fault_of(&rule, 1);
    struct fixture f;
    fixture_open(&f, &config, 99);
    for (int i = 0; i < 1000; i++) {
        struct segment seg = data_segment(1400);
        link_transmit(f.link, 0, &seg);
    }
    sim_run(f.sim, SIM_TIME_MAX);
    const struct link_direction_stats *s = link_stats(f.link, 0);
    CU_ASSERT_EQUAL(s->sent, 1000);
    CU_ASSERT_EQUAL(s->delivered + s->lost + s->dropped + s->corrupted + s->queue_full, s->sent);
    CU_ASSERT_EQUAL(s->dropped, 10);
    CU_ASSERT(s->queue_full > 0 && s->lost > 0 && s->corrupted > 0 && s->duplicated > 0);
    CU_ASSERT_EQUAL(f.rec.len, s->sent + s->duplicated);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DELIVERED), s->delivered);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_LOST), s->lost);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DROPPED), s->dropped);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_CORRUPTED), s->corrupted);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_QUEUE_FULL), s->queue_full);
    CU_ASSERT_EQUAL(count_fate(&f, FATE_DUPLICATED), s->duplicated);
    CU_ASSERT_EQUAL(f.at[1].count, s->delivered + s->duplicated);
    int ids_ok = 1, arrivals_ok = 1, names_ok = 1;
    for (size_t i = 0; i < f.rec.len; i++) {
        const struct row *r = &f.rec.rows[i];
        ids_ok &= r->id == i + 1;
        names_ok &= r->from_client;
        bool never = r->fate == FATE_LOST || r->fate == FATE_DROPPED || r->fate == FATE_QUEUE_FULL;
        arrivals_ok &= never ? r->arrived == -1 : r->arrived >= r->sent + 3 * SIM_MS;
    }
    CU_ASSERT_TRUE(ids_ok);
    CU_ASSERT_TRUE(arrivals_ok);
    CU_ASSERT_TRUE(names_ok);
    CU_ASSERT_EQUAL(link_stats(f.link, 1)->sent, 0);
    fixture_close(&f);
}

static void test_payload_is_copied_and_ids_assigned(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 1 * SIM_MS;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    uint8_t buffer[64];
    memset(buffer, 0x11, sizeof buffer);
    struct segment seg = { .flags = TCP_FLAG_ACK, .len = sizeof buffer, .data = buffer };
    link_transmit(f.link, 0, &seg);
    CU_ASSERT_EQUAL(seg.id, 1);
    memset(buffer, 0x22, sizeof buffer); /* the caller reuses its buffer at once */
    link_transmit(f.link, 0, &seg);
    CU_ASSERT_EQUAL(seg.id, 2);
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(f.at[1].count, 2);
    CU_ASSERT_EQUAL(f.at[1].first_byte[0], 0x11);
    CU_ASSERT_EQUAL(f.at[1].first_byte[1], 0x22);
    CU_ASSERT_EQUAL(f.at[1].ids[0], 1);
    fixture_close(&f);
}

static void test_destroy_with_segments_in_flight(void)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.delay = 1 * SIM_S;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1);
    for (int i = 0; i < 10; i++) {
        struct segment seg = data_segment(500);
        link_transmit(f.link, i % 2, &seg);
    }
    CU_ASSERT_EQUAL(sim_pending_count(f.sim), 10);
    link_destroy(f.link);
    CU_ASSERT_EQUAL(sim_pending_count(f.sim), 0); /* nothing left to call into freed memory */
    f.link = NULL;
    sim_run(f.sim, SIM_TIME_MAX);
    CU_ASSERT_EQUAL(f.at[0].count + f.at[1].count, 0);
    fixture_close(&f);
}

/* ---- determinism and independent streams ---- */

static void fates_of_run(double duplicate, enum segment_fate *fates, size_t n)
{
    struct link_direction_config dir;
    link_direction_defaults(&dir);
    dir.loss_model = LOSS_BERNOULLI;
    dir.loss = 0.3;
    dir.duplicate = duplicate;
    struct link_config config = symmetric(&dir);
    struct fixture f;
    fixture_open(&f, &config, 1234);
    for (size_t i = 0; i < n; i++) {
        struct segment seg = data_segment(10);
        link_transmit(f.link, 0, &seg);
        fates[i] = row_of(&f, seg.id)->fate;
    }
    fixture_close(&f);
}

static void test_same_seed_same_fates_and_streams_independent(void)
{
    enum { N = 2000 };
    static enum segment_fate a[N], b[N], c[N];
    fates_of_run(0, a, N);
    fates_of_run(0, b, N);
    fates_of_run(0.5, c, N); /* more duplicate draws, same loss draws */
    CU_ASSERT_EQUAL(memcmp(a, b, sizeof a), 0);
    CU_ASSERT_EQUAL(memcmp(a, c, sizeof a), 0);
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite = CU_add_suite("link", NULL, NULL);
    if (!suite) {
        CU_cleanup_registry();
        return CU_get_error();
    }
    CU_add_test(suite, "Bernoulli loss rate within 3 sigma", test_bernoulli_loss_rate);
    CU_add_test(suite, "Gilbert-Elliott loss rate matches the stationary rate",
                test_gilbert_elliott_loss_rate);
    CU_add_test(suite, "Gilbert-Elliott losses are bursty", test_gilbert_elliott_losses_are_bursty);
    CU_add_test(suite, "serialization and back-to-back queuing",
                test_serialization_and_back_to_back_queuing);
    CU_add_test(suite, "serialization time rounds up", test_serialization_rounds_up);
    CU_add_test(suite, "queue_full when the limit is exceeded", test_queue_full_when_limit_exceeded);
    CU_add_test(suite, "jitter keeps FIFO without reorder", test_jitter_keeps_fifo_without_reorder);
    CU_add_test(suite, "jitter with reorder reorders", test_jitter_with_reorder_reorders);
    CU_add_test(suite, "duplication rate", test_duplication_rate);
    CU_add_test(suite, "corruption rate, corrupted never delivered",
                test_corruption_rate_and_no_delivery);
    CU_add_test(suite, "drop the first SYN-ACK from end 1", test_drop_first_synack_from_end_1);
    CU_add_test(suite, "drop the 3rd segment from end 0", test_drop_third_segment_from_end_0);
    CU_add_test(suite, "drop every segment from end 0 between 1 s and 2 s",
                test_drop_every_segment_from_end_0_in_window);
    CU_add_test(suite, "drop a range on one connection", test_drop_rule_range_and_connection);
    CU_add_test(suite, "delay, duplicate and corrupt rules", test_delay_duplicate_corrupt_rules);
    CU_add_test(suite, "the deciding rule's line is in the record", test_deciding_rule_line_in_the_record);
    CU_add_test(suite, "trace sees every fate and the end names", test_trace_sees_every_fate_and_names);
    CU_add_test(suite, "payload copied, ids assigned", test_payload_is_copied_and_ids_assigned);
    CU_add_test(suite, "destroy with segments in flight", test_destroy_with_segments_in_flight);
    CU_add_test(suite, "same seed same fates; streams independent",
                test_same_seed_same_fates_and_streams_independent);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
