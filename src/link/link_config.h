/*
 * link_config.h: what one direction of the link is, as plain data: delay
 * and jitter, rate, queue, loss model, duplication, corruption. The parser
 * fills it and the link consumes it; this leaf header includes no function
 * of the link, so the parser (and its fuzz target) need not link the wire.
 */
#ifndef TCPSIM_LINK_CONFIG_H
#define TCPSIM_LINK_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "engine.h"
#include "rng.h"

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

/* Fills a direction with: no delay, infinite rate, no loss, FIFO, 40 header
 * bytes. Inline so that the defaults stay plain data next to the struct. */
static inline void link_direction_defaults(struct link_direction_config *config)
{
    memset(config, 0, sizeof *config);
    config->loss_model = LOSS_NONE;
    config->header_bytes = 40;
    config->jitter.kind = DIST_CONSTANT;
}

#endif
