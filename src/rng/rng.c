/*
 * rng.c: named random streams on top of GSL. Each stream is its own
 * MT19937 generator whose seed is mixed from the run seed and the stream's
 * name, so a stream's draws depend on nothing but (seed, name): adding a
 * draw to one purpose never shifts another. The distributions of rng.h are
 * sampled through gsl_ran_*.
 */
#include "rng.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

struct rng {
    gsl_rng *gen;
};

/* FNV-1a, 64-bit: spreads the stream name over a 64-bit word. */
static uint64_t fnv1a64(const char *text)
{
    uint64_t hash = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        hash ^= *p;
        hash *= 0x100000001b3ull;
    }
    return hash;
}

/* splitmix64's finaliser (Steele, Lea, Flood 2014): a bijective avalanche
 * mix, so nearby seeds and names give unrelated generator seeds. */
static uint64_t splitmix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* MT19937 takes a 32-bit seed and treats 0 as "the default seed 4357";
 * fold the 64-bit mix into 32 bits and keep clear of 0. */
static unsigned long generator_seed(uint64_t seed, const char *name)
{
    uint64_t mixed = splitmix64(splitmix64(seed) ^ fnv1a64(name ? name : ""));
    uint32_t folded = (uint32_t)(mixed ^ (mixed >> 32));
    return folded ? folded : 0x6a09e667u;
}

struct rng *rng_create(uint64_t seed, const char *stream_name)
{
    struct rng *rng = malloc(sizeof *rng);
    if (!rng)
        return NULL;
    /* GSL's default error handler aborts when gsl_rng_alloc cannot
     * allocate; the NULL it returns with the handler off is the answer this
     * function gives (issue 14: never abort). The handler is GSL's process
     * setting; turning it off is idempotent, and tcpsim checks every GSL
     * result it uses. */
    gsl_set_error_handler_off();
    rng->gen = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng->gen) {
        free(rng);
        return NULL;
    }
    gsl_rng_set(rng->gen, generator_seed(seed, stream_name));
    return rng;
}

void rng_destroy(struct rng *rng)
{
    if (!rng)
        return;
    gsl_rng_free(rng->gen);
    free(rng);
}

double rng_uniform(struct rng *rng) { return gsl_rng_uniform(rng->gen); }

/* Always one draw, whatever p, so the stream advances the same way for
 * every call. */
bool rng_bernoulli(struct rng *rng, double p) { return gsl_rng_uniform(rng->gen) < p; }

/* MT19937 yields exactly 32 random bits per draw (min 0, max 2^32-1). */
uint32_t rng_u32(struct rng *rng) { return (uint32_t)gsl_rng_get(rng->gen); }

static uint64_t rng_u64(struct rng *rng)
{
    uint64_t high = rng_u32(rng);
    return (high << 32) | rng_u32(rng);
}

/* Small n: GSL's own unbiased method. Larger n: 64-bit draws with the
 * biased low end rejected (2^64 mod n values), then reduced mod n. */
uint64_t rng_below(struct rng *rng, uint64_t n)
{
    if (n <= 1)
        return 0;
    if (n <= 0xffffffffull)
        return gsl_rng_uniform_int(rng->gen, (unsigned long)n);
    uint64_t reject_below = (0 - n) % n;
    uint64_t x;
    do
        x = rng_u64(rng);
    while (x < reject_below);
    return x % n;
}

const char *dist_kind_name(enum dist_kind kind)
{
    switch (kind) {
    case DIST_CONSTANT: return "constant";
    case DIST_UNIFORM: return "uniform";
    case DIST_NORMAL: return "normal";
    case DIST_EXPONENTIAL: return "exponential";
    case DIST_PARETO: return "pareto";
    case DIST_LOGNORMAL: return "lognormal";
    }
    return "unknown";
}

/* The underlying normal's (mu, sigma) for a lognormal variable with the
 * given mean and standard deviation: sigma^2 = ln(1 + sd^2/mean^2),
 * mu = ln(mean) - sigma^2/2. */
static double lognormal_sample(double mean, double sd, struct rng *rng)
{
    if (mean <= 0)
        return 0;
    double sigma2 = log1p((sd * sd) / (mean * mean));
    double mu = log(mean) - sigma2 / 2;
    return gsl_ran_lognormal(rng->gen, mu, sqrt(sigma2));
}

double dist_sample(const struct distribution *dist, struct rng *rng)
{
    double a = dist->a, b = dist->b;
    switch (dist->kind) {
    case DIST_CONSTANT: return a;
    case DIST_UNIFORM: return gsl_ran_flat(rng->gen, a, b);
    case DIST_NORMAL: return a + gsl_ran_gaussian(rng->gen, b);
    case DIST_EXPONENTIAL: return gsl_ran_exponential(rng->gen, a);
    case DIST_PARETO: return gsl_ran_pareto(rng->gen, b, a); /* GSL: (shape, scale) */
    case DIST_LOGNORMAL: return lognormal_sample(a, b, rng);
    }
    return 0;
}

double dist_mean(const struct distribution *dist)
{
    double a = dist->a, b = dist->b;
    switch (dist->kind) {
    case DIST_CONSTANT: return a;
    case DIST_UNIFORM: return (a + b) / 2;
    case DIST_NORMAL: return a;
    case DIST_EXPONENTIAL: return a;
    case DIST_PARETO: return b > 1 ? b * a / (b - 1) : INFINITY;
    case DIST_LOGNORMAL: return a > 0 ? a : 0;
    }
    return 0;
}
