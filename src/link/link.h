/*
 * link.h: the wire between the two hosts. One channel per direction, each
 * with propagation delay and jitter, a serialization rate and a drop-tail
 * queue, a loss model (Bernoulli or Gilbert-Elliott), duplication,
 * corruption, and deterministic drop rules a teacher writes by meaning
 * ("the server's first SYN-ACK"). Every transmitted segment's fate is
 * reported through the trace when it is sent; delivery happens later through
 * the engine. The link knows segment headers, not TCP state.
 */
#ifndef TCPSIM_LINK_H
#define TCPSIM_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "rng.h"
#include "segment.h"
#include "trace.h"

/* The link joins end 0 and end 1; direction d carries segments sent by end d. */
enum { LINK_END_COUNT = 2 };

enum loss_model {
    LOSS_NONE,
    LOSS_BERNOULLI,       /* each segment lost independently with probability loss */
    LOSS_GILBERT_ELLIOTT, /* two-state Markov chain, state checked per segment */
};

struct link_direction_config {
    sim_time delay;                /* propagation delay */
    bool has_jitter;
    struct distribution jitter;    /* added to delay per segment; the sum is clamped at 0 */
    bool reorder;                  /* false: arrivals kept in send order (FIFO) despite jitter */
    uint64_t rate_bps;             /* serialization rate; 0 = infinite */
    uint32_t header_bytes;         /* bytes counted per segment besides payload (IP+TCP: 40) */
    uint32_t queue_limit;          /* segments waiting to be serialized; 0 = unlimited */
    enum loss_model loss_model;
    double loss;                   /* LOSS_BERNOULLI */
    double ge_good_to_bad, ge_bad_to_good; /* LOSS_GILBERT_ELLIOTT transition probabilities */
    double ge_loss_good, ge_loss_bad;      /* loss probability in each state */
    double duplicate;              /* probability a delivered segment arrives twice */
    double corrupt;                /* probability a segment arrives damaged (discarded) */
};

/* Fills a direction with: no delay, infinite rate, no loss, FIFO, 40 header bytes. */
void link_direction_defaults(struct link_direction_config *config);

/* The stationary loss rate of a Gilbert-Elliott configuration. */
double link_gilbert_elliott_loss_rate(const struct link_direction_config *config);

/* What a drop rule matches, by meaning. */
enum segment_kind {
    SEGKIND_ANY,     /* any segment */
    SEGKIND_SYN,     /* SYN without ACK */
    SEGKIND_SYN_ACK, /* SYN with ACK */
    SEGKIND_ACK,     /* ACK alone: no SYN, FIN, RST, no payload */
    SEGKIND_DATA,    /* carries payload */
    SEGKIND_FIN,     /* FIN set (with or without ACK) */
    SEGKIND_RST,     /* RST set */
};
const char *segment_kind_name(enum segment_kind kind);
bool segment_kind_matches(enum segment_kind kind, const struct segment *seg);

/* Drop the nth_first..nth_last segments (1-based, counted among the
 * segments sent in `direction` that match `kind` and lie in [from, until))
 * or, with nth_first == 0, every such segment. */
struct drop_rule {
    int direction;
    enum segment_kind kind;
    uint64_t nth_first, nth_last;
    sim_time from, until;          /* until = SIM_TIME_MAX for no end */
    uint64_t conn_id;              /* 0 = any connection */
};

struct link_config {
    struct link_direction_config direction[LINK_END_COUNT];
    const struct drop_rule *drop_rules; /* copied by link_create */
    size_t drop_rule_count;
};

typedef void link_receive_fn(void *context, const struct segment *seg);

struct link_direction_stats {
    uint64_t sent, delivered, lost, dropped, duplicated, corrupted, queue_full;
};

struct link;

/* Random streams are derived from seed and the end names given to
 * link_attach ("loss client->server", ...). */
struct link *link_create(struct sim *sim, const struct link_config *config, uint64_t seed,
                         struct trace *trace);
void link_destroy(struct link *link);

/* Name an end and say who receives the segments that arrive there. Both ends
 * must be attached before the first link_transmit. */
void link_attach(struct link *link, int end, const char *name, link_receive_fn *receive,
                 void *context);

/* Send a segment from end `from`. Assigns seg->id (1, 2, ... per link),
 * copies the payload, decides the fate, reports it to the trace, and
 * schedules delivery. The caller keeps ownership of seg and its data. */
void link_transmit(struct link *link, int from, struct segment *seg);

const struct link_direction_stats *link_stats(const struct link *link, int direction);

#endif
