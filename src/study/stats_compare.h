/*
 * stats_compare.h: `tcpsim stats A.db --compare B.db`: the handshake plus
 * first-data time (results_first_data) of two databases side by side, for
 * instance the same scenario on the simulator and on the kernel: n, mean,
 * quantiles, and the two-sample Kolmogorov-Smirnov test at a given level.
 */
#ifndef TCPSIM_STATS_COMPARE_H
#define TCPSIM_STATS_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Prints the comparison of the connections of path_a and path_b to out;
 * *differ is set when the test rejects "same distribution" at `level`
 * (0.01 for 1%). With resolution_ms > 0 the test sees every time rounded
 * down to a multiple of it (the table shows them as measured): the
 * kernel's fraction of a millisecond per segment in namespaces, TUN and
 * the user-space link, which the simulator does not have, then no longer
 * decides the test alone. Returns 0, or -1 with a message in err. */
int stats_compare_first_data(const char *path_a, const char *path_b, double level,
                             double resolution_ms, bool csv, FILE *out, bool *differ, char *err,
                             size_t errlen);

#endif
