/*
 * stats.h: the statistics of `tcpsim stats` and of the validation: summary
 * of a sample (mean, Student-t confidence interval, quantiles), binomial
 * bounds for observed frequencies, and the handshake-latency model of
 * Cardwell, Savage and Anderson, "Modeling TCP Latency" (INFOCOM 2000):
 * its mean and its exact distribution (model A of
 * shared/reference/tcp-reference.md section 4). Built on GSL; no I/O.
 */
#ifndef TCPSIM_STATS_H
#define TCPSIM_STATS_H

#include <stddef.h>
#include <stdint.h>

struct stats_summary {
    size_t n;
    double mean, sd;        /* sd: sample standard deviation (n - 1); NAN when n < 2 */
    double ci_half;         /* half-width of the Student-t confidence interval; NAN when n < 2 */
    double min, median, p95, p99, max; /* linear interpolation between order statistics */
};

/* Summarizes data[0..n) (sorting it in place) with a confidence interval
 * at `level` (0.95 for 95%). Every field is NAN when n is 0. */
void stats_summarize(double *data, size_t n, double level, struct stats_summary *out);

/* Half-width of the Student-t interval for a mean: t(1-(1-level)/2, n-1) *
 * sd / sqrt(n). NAN when n < 2. */
double stats_t_half_width(double sd, size_t n, double level);

/* The central `level` range of a Binomial(n, p) count: lo is the smallest
 * k with P(X <= k) >= (1-level)/2, hi the smallest k with P(X <= k) >=
 * 1-(1-level)/2. So P(X < lo) and P(X > hi) are each at most (1-level)/2. */
void stats_binomial_bounds(uint64_t n, double p, double level, uint64_t *lo, uint64_t *hi);

/* P(X >= chi2) for a chi-square variable with `dof` degrees of freedom: the
 * p-value of a goodness-of-fit test. */
double stats_chisq_p_value(double chi2, double dof);

/* The two-sample Kolmogorov-Smirnov test: D = sup |F_a(x) - F_b(x)| of the
 * empirical distribution functions of a[0..na) and b[0..nb), both sorted
 * ascending (ties, within or across the samples, are stepped over
 * together), and its p-value from the asymptotic Kolmogorov distribution
 * with Stephens' small-sample correction: lambda = (sqrt(ne) + 0.12 +
 * 0.11 / sqrt(ne)) D, ne = na nb / (na + nb). For data with ties (discrete
 * distributions) the p-value is conservative: too large, never too small.
 * Both NAN when a sample is empty. */
struct stats_ks {
    double d, p_value;
};
void stats_ks_two_sample(const double *a, size_t na, const double *b, size_t nb, struct stats_ks *out);

/* Q_KS(lambda) = 2 sum_{j>=1} (-1)^(j-1) exp(-2 j^2 lambda^2): P(K > lambda)
 * for Kolmogorov's limiting distribution; 1 for lambda <= 0. */
double stats_kolmogorov_q(double lambda);

/* The q-quantile (0 <= q <= 1) of sorted[0..n), linearly interpolated
 * between order statistics as in stats_summarize; NAN when n is 0. */
double stats_quantile_sorted(const double *sorted, size_t n, double q);

/* Orders two parameter values as people expect: by their leading number
 * ("20ms" < "100ms", "0.05" < "0.1"), then as text. Like strcmp. */
int stats_compare_values(const char *a, const char *b);

/* ---- the CSA handshake model (model A) ----
 * A SYN is lost with p_forward, a SYN-ACK with p_reverse, independently; a
 * lost SYN costs Ts, 2Ts, 4Ts, ... (doubling, no limit), a lost SYN-ACK the
 * same on the server's own timer. With I SYNs and J SYN-ACKs lost the
 * client reaches ESTABLISHED RTT + Ts (2^I - 1) + Ts (2^J - 1) after its
 * active OPEN. */
struct csa_params {
    int64_t rtt_ns, ts_ns;
    double p_forward, p_reverse;
};

/* E[T] = RTT + Ts ((1-pr)/(1-2pr) + (1-pf)/(1-2pf) - 2), in ns; INFINITY
 * when a loss rate is 1/2 or more. */
double csa_mean_ns(const struct csa_params *m);
/* Var[T] in ns^2; INFINITY when a loss rate is 1/4 or more. */
double csa_variance_ns2(const struct csa_params *m);

struct csa_bin {
    int64_t latency_ns;     /* RTT + Ts * units */
    uint64_t units;         /* 2^i + 2^j - 2 */
    double probability;     /* P(T = latency_ns) */
};

/* The distribution of T as bins sorted by latency, every (i, j) whose
 * probability is at least 1e-16 and whose latency fits in int64. Returns
 * the number of bins (*bins malloc'd; the caller frees) and the probability
 * left out in *tail (may be NULL); -1 when out of memory. */
long csa_distribution(const struct csa_params *m, struct csa_bin **bins, double *tail);

#endif
