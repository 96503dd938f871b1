/*
 * test_rng.c: named streams reproduce from (seed, name), differ between
 * names and seeds, never shift each other, and every distribution's sample
 * mean agrees with dist_mean.
 */
#include <CUnit/Basic.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rng.h"

enum { SEQ_LEN = 1000 };

static void fill(struct rng *rng, uint32_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rng_u32(rng);
}

static size_t count_equal(const uint32_t *x, const uint32_t *y, size_t n)
{
    size_t same = 0;
    for (size_t i = 0; i < n; i++)
        same += x[i] == y[i];
    return same;
}

static void test_same_seed_and_name_reproduce(void)
{
    uint32_t first[SEQ_LEN], second[SEQ_LEN];
    struct rng *a = rng_create(42, "loss client->server");
    struct rng *b = rng_create(42, "loss client->server");
    CU_ASSERT_PTR_NOT_NULL_FATAL(a);
    CU_ASSERT_PTR_NOT_NULL_FATAL(b);
    fill(a, first, SEQ_LEN);
    fill(b, second, SEQ_LEN);
    CU_ASSERT_EQUAL(memcmp(first, second, sizeof first), 0);
    rng_destroy(a);
    rng_destroy(b);
}

static void test_different_names_and_seeds_differ(void)
{
    uint32_t base[SEQ_LEN], other_name[SEQ_LEN], other_seed[SEQ_LEN];
    struct rng *a = rng_create(42, "loss client->server");
    struct rng *b = rng_create(42, "loss server->client");
    struct rng *c = rng_create(43, "loss client->server");
    fill(a, base, SEQ_LEN);
    fill(b, other_name, SEQ_LEN);
    fill(c, other_seed, SEQ_LEN);
    /* Two independent 32-bit streams agree at a position with chance 2^-32. */
    CU_ASSERT(count_equal(base, other_name, SEQ_LEN) <= 1);
    CU_ASSERT(count_equal(base, other_seed, SEQ_LEN) <= 1);
    rng_destroy(a);
    rng_destroy(b);
    rng_destroy(c);
}

static void test_seed_zero_and_empty_name_work(void)
{
    uint32_t x[SEQ_LEN], y[SEQ_LEN];
    struct rng *a = rng_create(0, "");
    struct rng *b = rng_create(0, "x");
    fill(a, x, SEQ_LEN);
    fill(b, y, SEQ_LEN);
    CU_ASSERT(count_equal(x, y, SEQ_LEN) <= 1);
    rng_destroy(a);
    rng_destroy(b);
}

/* Draws on "jitter" between draws on "loss" leave the loss sequence as it
 * would be alone: common random numbers across parameter points. */
static void test_draws_on_one_stream_do_not_shift_another(void)
{
    uint32_t alone[SEQ_LEN], interleaved[SEQ_LEN];
    struct rng *loss = rng_create(7, "loss");
    fill(loss, alone, SEQ_LEN);
    rng_destroy(loss);

    loss = rng_create(7, "loss");
    struct rng *jitter = rng_create(7, "jitter");
    struct distribution normal = { DIST_NORMAL, 0, 1e6 };
    for (size_t i = 0; i < SEQ_LEN; i++) {
        for (size_t k = 0; k < i % 5; k++)
            (void)dist_sample(&normal, jitter);
        interleaved[i] = rng_u32(loss);
    }
    CU_ASSERT_EQUAL(memcmp(alone, interleaved, sizeof alone), 0);
    rng_destroy(loss);
    rng_destroy(jitter);
}

static void test_uniform_and_bernoulli(void)
{
    enum { N = 100000 };
    struct rng *rng = rng_create(1, "uniform");
    double sum = 0;
    int in_range = 1, hits = 0;
    for (int i = 0; i < N; i++) {
        double u = rng_uniform(rng);
        in_range &= u >= 0 && u < 1;
        sum += u;
    }
    CU_ASSERT_TRUE(in_range);
    /* mean 1/2, sd of the mean sqrt(1/12 / N) ~ 0.00091; allow 5 sd */
    CU_ASSERT_DOUBLE_EQUAL(sum / N, 0.5, 5 * sqrt(1.0 / 12 / N));
    for (int i = 0; i < N; i++)
        hits += rng_bernoulli(rng, 0.3);
    CU_ASSERT_DOUBLE_EQUAL(hits / (double)N, 0.3, 5 * sqrt(0.3 * 0.7 / N));
    CU_ASSERT_FALSE(rng_bernoulli(rng, 0));
    CU_ASSERT_TRUE(rng_bernoulli(rng, 1));
    rng_destroy(rng);
}

static void test_below_is_in_range_and_even(void)
{
    enum { N = 100000, BINS = 10 };
    struct rng *rng = rng_create(3, "below");
    int counts[BINS] = { 0 };
    for (int i = 0; i < N; i++)
        counts[rng_below(rng, BINS)]++;
    for (int b = 0; b < BINS; b++) /* expected 10000, sd ~ 95 */
        CU_ASSERT(abs(counts[b] - N / BINS) < 5 * sqrt(N * 0.1 * 0.9));
    CU_ASSERT_EQUAL(rng_below(rng, 1), 0);

    /* n beyond 32 bits: values stay below n and use the high half too. */
    uint64_t n = (UINT64_C(3) << 40) + 12345;
    int high_half = 0, below = 1;
    for (int i = 0; i < 10000; i++) {
        uint64_t x = rng_below(rng, n);
        below &= x < n;
        high_half += x >= n / 2;
    }
    CU_ASSERT_TRUE(below);
    CU_ASSERT(abs(high_half - 5000) < 5 * 50);
    rng_destroy(rng);
}

/* The sample mean of 100k draws lies within 5 standard errors of dist_mean. */
static void check_mean(struct distribution dist, double sd, const char *name)
{
    enum { N = 100000 };
    struct rng *rng = rng_create(2024, name);
    double sum = 0;
    for (int i = 0; i < N; i++)
        sum += dist_sample(&dist, rng);
    double mean = sum / N, expected = dist_mean(&dist);
    double tolerance = sd > 0 ? 5 * sd / sqrt(N) : 1e-9;
    CU_ASSERT_DOUBLE_EQUAL(mean, expected, tolerance);
    if (fabs(mean - expected) > tolerance)
        fprintf(stderr, "\n  %s: sample mean %g, dist_mean %g, tolerance %g\n", name, mean,
                expected, tolerance);
    rng_destroy(rng);
}

static void test_distribution_means(void)
{
    const double ms = 1e6;
    check_mean((struct distribution){ DIST_CONSTANT, 5 * ms, 0 }, 0, "constant");
    check_mean((struct distribution){ DIST_UNIFORM, 2 * ms, 8 * ms }, 6 * ms / sqrt(12), "uniform");
    check_mean((struct distribution){ DIST_NORMAL, 10 * ms, 2 * ms }, 2 * ms, "normal");
    check_mean((struct distribution){ DIST_NORMAL, 0, 2 * ms }, 2 * ms, "normal around zero");
    check_mean((struct distribution){ DIST_EXPONENTIAL, 3 * ms, 0 }, 3 * ms, "exponential");
    /* Pareto scale 1 ms, shape 3: mean 1.5 ms, variance scale^2*shape/((shape-1)^2 (shape-2)). */
    check_mean((struct distribution){ DIST_PARETO, 1 * ms, 3 }, 1 * ms * sqrt(3.0 / 4), "pareto");
    check_mean((struct distribution){ DIST_LOGNORMAL, 20 * ms, 5 * ms }, 5 * ms, "lognormal");
}

static void test_distribution_values(void)
{
    struct distribution pareto = { DIST_PARETO, 1e6, 2.5 };
    struct distribution uniform = { DIST_UNIFORM, 100, 200 };
    struct distribution expo = { DIST_EXPONENTIAL, 1e6, 0 };
    struct rng *rng = rng_create(9, "values");
    int ok = 1;
    for (int i = 0; i < 10000; i++) {
        ok &= dist_sample(&pareto, rng) >= 1e6;
        double u = dist_sample(&uniform, rng);
        ok &= u >= 100 && u <= 200;
        ok &= dist_sample(&expo, rng) >= 0;
    }
    CU_ASSERT_TRUE(ok);
    CU_ASSERT_DOUBLE_EQUAL(dist_mean(&pareto), 2.5 * 1e6 / 1.5, 1e-6);
    struct distribution heavy = { DIST_PARETO, 1e6, 1 };
    CU_ASSERT_TRUE(isinf(dist_mean(&heavy)));
    rng_destroy(rng);
}

static void test_kind_names(void)
{
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_CONSTANT), "constant");
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_UNIFORM), "uniform");
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_NORMAL), "normal");
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_EXPONENTIAL), "exponential");
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_PARETO), "pareto");
    CU_ASSERT_STRING_EQUAL(dist_kind_name(DIST_LOGNORMAL), "lognormal");
}

int main(void)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return CU_get_error();
    CU_pSuite suite = CU_add_suite("rng", NULL, NULL);
    if (!suite) {
        CU_cleanup_registry();
        return CU_get_error();
    }
    CU_add_test(suite, "same seed and name reproduce", test_same_seed_and_name_reproduce);
    CU_add_test(suite, "different names and seeds differ", test_different_names_and_seeds_differ);
    CU_add_test(suite, "seed 0 and an empty name work", test_seed_zero_and_empty_name_work);
    CU_add_test(suite, "draws on one stream do not shift another",
                test_draws_on_one_stream_do_not_shift_another);
    CU_add_test(suite, "uniform and bernoulli rates", test_uniform_and_bernoulli);
    CU_add_test(suite, "rng_below is in range and even", test_below_is_in_range_and_even);
    CU_add_test(suite, "sample means match dist_mean", test_distribution_means);
    CU_add_test(suite, "distribution supports and means", test_distribution_values);
    CU_add_test(suite, "distribution kind names", test_kind_names);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    int failed = CU_get_number_of_failures() != 0 || CU_get_number_of_tests_failed() != 0;
    CU_cleanup_registry();
    return failed;
}
