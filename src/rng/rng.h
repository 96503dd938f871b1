/*
 * rng.h: independent random streams and the distributions drawn from them.
 * Each stream is one GSL generator seeded from (run seed, stream name), so
 * the draws of one purpose (loss client->server, jitter, workload arrivals)
 * never shift another's: a sweep compares parameter points with common
 * random numbers. This is the only module that includes GSL's RNG headers.
 */
#ifndef TCPSIM_RNG_H
#define TCPSIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct rng;

/* A stream named e.g. "loss client->server"; the same (seed, name) always
 * yields the same sequence. Returns NULL only when out of memory. */
struct rng *rng_create(uint64_t seed, const char *stream_name);
void rng_destroy(struct rng *rng);

double rng_uniform(struct rng *rng);             /* [0, 1) */
bool rng_bernoulli(struct rng *rng, double p);   /* true with probability p */
uint32_t rng_u32(struct rng *rng);               /* uniform over 0 .. 2^32-1 */
uint64_t rng_below(struct rng *rng, uint64_t n); /* uniform over 0 .. n-1, n >= 1 */

/* A distribution of a quantity in ns (delays, jitter, inter-arrival times).
 * Only NORMAL can draw negative values (jitter around zero); users of the
 * draw clamp the resulting delay at zero ("truncated at zero"). */
enum dist_kind {
    DIST_CONSTANT,    /* a                                   */
    DIST_UNIFORM,     /* uniform on [a, b]                   */
    DIST_NORMAL,      /* mean a, standard deviation b (may draw negative: jitter) */
    DIST_EXPONENTIAL, /* mean a                              */
    DIST_PARETO,      /* scale (minimum) a, shape b          */
    DIST_LOGNORMAL,   /* mean a, standard deviation b of the variable itself */
};

struct distribution {
    enum dist_kind kind;
    double a, b;
};

const char *dist_kind_name(enum dist_kind kind);
/* One draw. */
double dist_sample(const struct distribution *dist, struct rng *rng);
/* The distribution's mean (for NORMAL: of the untruncated normal). */
double dist_mean(const struct distribution *dist);

#endif
