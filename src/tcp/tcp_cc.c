/*
 * tcp_cc.c: congestion control, one small ops table per algorithm as in
 * Linux's tcp_congestion_ops. The window is c->cwnd in bytes, which
 * tcp_send_window() takes min() with SND.WND; congestion=none leaves it at
 * UINT32_MAX. The TCP calls four hooks: established (the initial window,
 * RFC 6928 / RFC 5681 3.1), new data acknowledged (slow start, then the
 * algorithm's congestion avoidance), fast retransmit (cwnd = ssthresh) and
 * a retransmission timeout (ssthresh, and the loss window of 1 segment,
 * RFC 5681 3.1 eq. 4).
 *
 * Trade-offs, each a simplification of Linux that a scenario can show:
 *  - slow start grows by every byte acknowledged (Linux tcp_slow_start,
 *    RFC 3465 without the L limit), not RFC 5681's min(N, SMSS);
 *  - the window grows only while the sender uses it (Linux
 *    tcp_is_cwnd_limited: in slow start while cwnd < 2 x flight);
 *  - fast recovery keeps cwnd = ssthresh (no inflation, no PRR), and no
 *    HyStart, no undo of spurious reductions, no restart after idle;
 *  - a handshake whose SYN went more than once starts at 1 segment
 *    (Linux tcp_init_transfer);
 *  - the window is kept in bytes but spent in whole segments, as Linux
 *    counts packets (tcp_cc_send_limit).
 */
#include "tcp_internal.h"

#include <math.h>

#define CUBIC_C 0.4       /* RFC 9438 4.1, segments / s^3 */
#define CUBIC_BETA 0.7    /* RFC 9438 4.6 */

struct tcp_cc_ops {
    /* ssthresh after a loss, in bytes */
    uint32_t (*ssthresh)(struct tcp_conn *c);
    /* congestion avoidance: grow for `acked` bytes (cwnd >= ssthresh) */
    void (*cong_avoid)(struct tcp_conn *c, uint32_t acked);
};

static uint32_t flight_size(const struct tcp_conn *c) { return c->snd_nxt - c->snd_una; }

static uint32_t at_least_two_segments(const struct tcp_conn *c, uint64_t bytes)
{
    uint32_t floor = 2u * c->snd_mss;
    return bytes < floor ? floor : (uint32_t)bytes;
}

/* ---- reno (RFC 5681) ---- */

/* Eq. (4): max(FlightSize / 2, 2 * SMSS). */
static uint32_t reno_ssthresh(struct tcp_conn *c) { return at_least_two_segments(c, flight_size(c) / 2); }

/* One SMSS per window of bytes acknowledged (RFC 5681 3.1, byte counted
 * as Linux tcp_cong_avoid_ai counts packets). */
static void reno_cong_avoid(struct tcp_conn *c, uint32_t acked)
{
    c->cc.ca_bytes += acked;
    while (c->cc.ca_bytes >= c->cwnd) {
        c->cc.ca_bytes -= c->cwnd;
        c->cwnd += c->snd_mss;
    }
}

static const struct tcp_cc_ops reno_ops = {reno_ssthresh, reno_cong_avoid};

/* ---- cubic (RFC 9438) ---- */

/* 4.6 and 4.7: remember the window (lower with fast convergence) and
 * multiply it by beta; a new epoch starts at the next congestion
 * avoidance ACK. */
static uint32_t cubic_ssthresh(struct tcp_conn *c)
{
    double cwnd = (double)c->cwnd / c->snd_mss;
    if (cwnd < c->cc.cubic_w_max)
        c->cc.cubic_w_max = cwnd * (1.0 + CUBIC_BETA) / 2.0;
    else
        c->cc.cubic_w_max = cwnd;
    c->cc.cubic_epoch = -1;
    return at_least_two_segments(c, (uint64_t)((double)c->cwnd * CUBIC_BETA));
}

static void cubic_epoch_start(struct tcp_conn *c, double cwnd)
{
    c->cc.cubic_epoch = tcp_now(c);
    c->cc.cubic_w_est = cwnd;
    if (cwnd < c->cc.cubic_w_max) {
        c->cc.cubic_k = cbrt((c->cc.cubic_w_max - cwnd) / CUBIC_C); /* eq. 2 */
        c->cc.cubic_origin = c->cc.cubic_w_max;
    } else {
        c->cc.cubic_k = 0;
        c->cc.cubic_origin = cwnd;
    }
}

/* 4.2-4.4: the target is W_cubic(t + RTT), clamped to [cwnd, 1.5 cwnd];
 * cwnd moves (target - cwnd) / cwnd segments per segment acknowledged,
 * or follows the Reno-friendly estimate when that is larger. */
static void cubic_cong_avoid(struct tcp_conn *c, uint32_t acked)
{
    double mss = c->snd_mss, cwnd = (double)c->cwnd / mss, segs = (double)acked / mss;
    if (c->cc.cubic_epoch < 0)
        cubic_epoch_start(c, cwnd);
    double t = (double)(tcp_now(c) - c->cc.cubic_epoch + c->srtt) / SIM_S - c->cc.cubic_k;
    double target = c->cc.cubic_origin + CUBIC_C * t * t * t;
    if (target < cwnd)
        target = cwnd;
    if (target > 1.5 * cwnd)
        target = 1.5 * cwnd;
    c->cc.cubic_w_est += 3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA) * segs / cwnd; /* eq. 4 */
    double increase = c->cc.cubic_w_est > target ? (c->cc.cubic_w_est - cwnd) * mss
                                                 : (target - cwnd) / cwnd * segs * mss;
    c->cc.cubic_frac += increase > 0 ? increase : 0;
    uint32_t whole = (uint32_t)c->cc.cubic_frac;
    c->cc.cubic_frac -= whole;
    c->cwnd += whole;
}

static const struct tcp_cc_ops cubic_ops = {cubic_ssthresh, cubic_cong_avoid};

/* ---- the hooks ---- */

/* NULL: no congestion window (none; bbr never gets here, world refuses it). */
static const struct tcp_cc_ops *ops_of(const struct tcp_conn *c)
{
    switch (tcp_prof(c)->congestion) {
    case TCP_CC_RENO:
        return &reno_ops;
    case TCP_CC_CUBIC:
        return &cubic_ops;
    default:
        return NULL;
    }
}

/* Linux counts cwnd and the flight in segments (tcp_cwnd_test): a
 * window of 10 lets 10 segments out whatever their sizes, never a sliver
 * of one. The flight is counted as ceil(bytes / MSS), exact when every
 * segment but the last is full. */
uint32_t tcp_cc_send_limit(const struct tcp_conn *c)
{
    if (c->cwnd == UINT32_MAX)
        return UINT32_MAX;
    uint32_t flight = flight_size(c), mss = c->snd_mss;
    uint32_t in_flight = (flight + mss - 1) / mss, allowed = c->cwnd / mss;
    return in_flight < (allowed ? allowed : 1) ? flight + mss : flight;
}

void tcp_cc_init(struct tcp_conn *c)
{
    c->cc.ssthresh = UINT32_MAX;
    c->cc.cubic_epoch = -1;
    if (!ops_of(c))
        return;
    uint32_t segments = c->retransmissions > 1 ? 1 : (uint32_t)tcp_prof(c)->initial_window;
    c->cwnd = segments * c->snd_mss;
}

void tcp_cc_on_ack(struct tcp_conn *c, uint32_t acked, uint32_t flight_before)
{
    const struct tcp_cc_ops *ops = ops_of(c);
    if (!ops)
        return;
    bool slow_start = c->cwnd < c->cc.ssthresh;
    bool limited = slow_start ? c->cwnd < 2 * (uint64_t)flight_before
                              : (uint64_t)flight_before + c->snd_mss >= c->cwnd;
    if (!limited)
        return;
    if (slow_start) {
        uint32_t room = c->cc.ssthresh - c->cwnd, grow = acked < room ? acked : room;
        c->cwnd += grow;
        acked -= grow;
    }
    if (acked > 0 && c->cwnd >= c->cc.ssthresh)
        ops->cong_avoid(c, acked);
}

void tcp_cc_on_fast_retransmit(struct tcp_conn *c)
{
    const struct tcp_cc_ops *ops = ops_of(c);
    if (!ops)
        return;
    c->cc.ssthresh = ops->ssthresh(c);
    c->cwnd = c->cc.ssthresh;
    c->cc.ca_bytes = 0;
}

/* RFC 5681 3.1: ssthresh only at the first timeout of a segment (later
 * ones would halve an already collapsed flight), cwnd = 1 segment always. */
void tcp_cc_on_rto(struct tcp_conn *c)
{
    const struct tcp_cc_ops *ops = ops_of(c);
    if (!ops)
        return;
    if (c->retries == 0)
        c->cc.ssthresh = ops->ssthresh(c);
    c->cwnd = c->snd_mss;
    c->cc.ca_bytes = 0;
}
