/*
 * tcp_timer.c: time in the TCP. The RFC 6298 round-trip estimator with
 * Karn's rule, the retransmission timer (SYN, SYN-ACK, data and FIN, with
 * exponential backoff and retry limits), the persist timer for a zero
 * window, and the TIME-WAIT (2MSL) and FIN-WAIT-2 timers.
 *
 * Each TCB has two engine timers: rexmit_timer (retransmission, or persist
 * while TCPF_PERSIST is set: the two never run together) and state_timer
 * (TIME-WAIT or FIN-WAIT-2, one state at a time).
 *
 * SYN schedule: the first profile.syn_linear_timeouts timeouts keep
 * rto_initial, later ones double; the connection gives up after
 * syn_retries + syn_linear_timeouts retransmissions, as Linux 6.5+ counts
 * them. linux: SYNs at 0,1,2,3,4,5,7,11,19,35,67 s, failure at 131 s;
 * rfc9293 (timeouts doubling from 1 s, clamped at rto_max = 60 s): SYNs at
 * 0,1,3,7,15,31,63,123 s, failure at 183 s.
 *
 * The FIN-WAIT-2 timer measures idle time: it starts when our FIN is
 * acknowledged and restarts whenever text or a FIN arrives (tcp_input.c).
 */
#include "tcp_internal.h"

#define BACKOFF_MAX 63

/* ---- RFC 6298 estimator ---- */

/* (2.2)-(2.4): RTO = SRTT + max(G, K*RTTVAR), K = 4, G = 1 ns, then the
 * floor: flat (rfc9293: max(RTO, rto_min)) or Linux's, on the variance
 * term (SRTT + max(rto_min, 4*RTTVAR)); then the ceiling rto_max (2.5). */
static sim_time rto_from_estimate(const struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    sim_time var = 4 * c->rttvar;
    if (var < 1)
        var = 1;
    sim_time rto;
    if (p->rto_min_on_variance)
        rto = c->srtt + (var > p->rto_min ? var : p->rto_min);
    else
        rto = c->srtt + var < p->rto_min ? p->rto_min : c->srtt + var;
    return rto > p->rto_max ? p->rto_max : rto;
}

void tcp_rtt_sample(struct tcp_conn *c, sim_time r)
{
    if (r < 0)
        r = 0;
    if (!(c->flags & TCPF_HAVE_RTT)) { /* (2.2) first measurement */
        c->srtt = r;
        c->rttvar = r / 2;
        c->flags |= TCPF_HAVE_RTT;
    } else { /* (2.3) RTTVAR first, with the old SRTT; beta = 1/4, alpha = 1/8 */
        sim_time delta = c->srtt > r ? c->srtt - r : r - c->srtt;
        c->rttvar = (3 * c->rttvar + delta) / 4;
        c->srtt = (7 * c->srtt + r) / 8;
    }
    c->rto = rto_from_estimate(c);
    c->backoff = 0; /* a new measurement ends the backoff */
}

/* Karn's rule (RFC 6298 3): time one segment at a time, and never from a
 * segment that was retransmitted: any retransmission drops the timing. */
void tcp_rtt_on_send(struct tcp_conn *c, uint32_t end, bool retransmission)
{
    if (retransmission) {
        c->flags &= (uint16_t)~TCPF_RTT_TIMING;
        return;
    }
    if (c->flags & TCPF_RTT_TIMING)
        return;
    c->flags |= TCPF_RTT_TIMING;
    c->rtt_seq = end;
    c->rtt_start = tcp_now(c);
}

/* The TSecr sample is Linux's (tcp_ack_update_rtt): taken only when no
 * segment is timed, which after a retransmitted SYN gives the RTT the
 * handshake measured and so spares RFC 6298 5.7's 3 s (RFC 7323 4.1). */
void tcp_rtt_on_ack(struct tcp_conn *c, const struct segment *seg)
{
    sim_time rtt;
    if (!(c->flags & TCPF_RTT_TIMING)) {
        if (tcp_options_ts_rtt(c, seg, &rtt))
            tcp_rtt_sample(c, rtt);
        return;
    }
    if (seq_lt(seg->ack, c->rtt_seq))
        return;
    c->flags &= (uint16_t)~TCPF_RTT_TIMING;
    tcp_rtt_sample(c, tcp_now(c) - c->rtt_start);
}

sim_time tcp_current_rto(const struct tcp_conn *c)
{
    sim_time max = tcp_prof(c)->rto_max;
    sim_time t = c->rto;
    for (int i = 0; i < c->backoff && t < max; i++)
        t = t > max / 2 ? max : t * 2;
    return t < max ? t : max;
}

/* RFC 6298 (5.7): the SYN or SYN-ACK timed out and no RTT sample came from
 * the handshake: data starts with RTO = 3 s. Backoff ends either way. */
void tcp_rto_after_handshake(struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    c->backoff = 0;
    c->retries = 0;
    if ((c->flags & TCPF_SYN_REXMIT) && !(c->flags & TCPF_HAVE_RTT) &&
        c->rto < p->rto_after_handshake_loss)
        c->rto = p->rto_after_handshake_loss;
}

/* ---- timeouts ---- */

static bool retries_exhausted(const struct tcp_conn *c, int limit)
{
    return limit >= 0 && c->retries >= limit;
}

/* TCP_USER_TIMEOUT (Linux tcp_write_timeout, retransmits_timed_out): the
 * oldest unacknowledged data (or the SYN, or the zero window probed) has
 * waited that long since it last made progress. */
static bool user_timeout_passed(const struct tcp_conn *c)
{
    return c->user_timeout > 0 && tcp_now(c) - c->stalled_since >= c->user_timeout;
}

static void syn_timeout(struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    int limit = p->syn_retries < 0 ? -1 : p->syn_retries + p->syn_linear_timeouts;
    if (retries_exhausted(c, limit) || user_timeout_passed(c)) {
        tcp_enter_closed(c, TCP_CAUSE_SYN_RETRIES, NULL, TCP_ERR_TIMEOUT);
        return;
    }
    c->retries++;
    if (c->retries > p->syn_linear_timeouts && c->backoff < BACKOFF_MAX)
        c->backoff++;
    tcp_retransmit_oldest(c);
    tcp_timer_rexmit_start(c);
}

/* A passive child that gives up was never seen by the application: it
 * goes quietly (no RST, no callback). */
static void synack_timeout(struct tcp_conn *c)
{
    if (retries_exhausted(c, tcp_prof(c)->synack_retries) || user_timeout_passed(c)) {
        tcp_enter_closed(c, TCP_CAUSE_SYN_ACK_RETRIES, NULL, TCP_ERR_TIMEOUT);
        return;
    }
    c->retries++;
    if (c->backoff < BACKOFF_MAX)
        c->backoff++;
    tcp_retransmit_oldest(c);
    tcp_timer_rexmit_start(c);
}

/* RFC 6298 (5.4)-(5.6): retransmit the oldest, double the RTO, restart.
 * Partial ACKs then resend the following holes at once (TCPF_RECOVERY). */
static void data_timeout(struct tcp_conn *c)
{
    if (c->snd_una == c->snd_nxt)
        return;
    /* Linux: a user timeout replaces the retry count here (the deadline
     * is all retransmits_timed_out() looks at). */
    if (c->user_timeout > 0 ? user_timeout_passed(c) : retries_exhausted(c, tcp_data_retry_limit(c))) {
        tcp_enter_closed(c, TCP_CAUSE_RETRANSMISSIONS, NULL, TCP_ERR_TIMEOUT);
        return;
    }
    tcp_cc_on_rto(c);
    c->retries++;
    if (c->backoff < BACKOFF_MAX)
        c->backoff++;
    c->recover = c->snd_nxt;
    c->flags |= TCPF_RECOVERY;
    c->dupacks = 0;
    tcp_retransmit_oldest(c);
    tcp_timer_rexmit_start(c);
}

/* Zero window: probe with one byte, backing off; retries counts probes
 * left unanswered (any ACK resets it), so a live peer never times out. */
static void persist_timeout(struct tcp_conn *c)
{
    if (c->snd_wnd > 0) {
        c->flags &= (uint16_t)~TCPF_PERSIST;
        tcp_output(c);
        return;
    }
    /* Linux tcp_probe_timer: the user timeout counts from the first probe,
     * answered or not, so a window that stays shut ends the connection. */
    if (retries_exhausted(c, tcp_prof(c)->data_retries) || user_timeout_passed(c)) {
        tcp_enter_closed(c, TCP_CAUSE_RETRANSMISSIONS, NULL, TCP_ERR_TIMEOUT);
        return;
    }
    c->retries++;
    tcp_send_probe(c);
    if (c->backoff < BACKOFF_MAX)
        c->backoff++;
    tcp_timer_rexmit_start(c);
}

static void on_rexmit_timeout(struct sim *sim, void *context, void *argument)
{
    struct tcp_conn *c = context;
    (void)sim;
    (void)argument;
    c->rexmit_timer = SIM_NO_EVENT;
    tcp_hold(c);
    if (c->tlp.armed)
        tcp_tlp_fire(c);
    else if (c->flags & TCPF_PERSIST)
        persist_timeout(c);
    else if (c->state == TCP_SYN_SENT)
        syn_timeout(c);
    else if (c->state == TCP_SYN_RECEIVED)
        synack_timeout(c);
    else
        data_timeout(c);
    tcp_release(c);
}

static void on_state_timeout(struct sim *sim, void *context, void *argument)
{
    struct tcp_conn *c = context;
    (void)sim;
    (void)argument;
    c->state_timer = SIM_NO_EVENT;
    tcp_hold(c);
    if (c->state == TCP_TIME_WAIT)
        tcp_enter_closed(c, TCP_CAUSE_TIME_WAIT_TIMEOUT, NULL, TCP_OK);
    else if (c->state == TCP_FIN_WAIT_2)
        tcp_enter_closed(c, TCP_CAUSE_FIN_WAIT_2_TIMEOUT, NULL, TCP_ERR_TIMEOUT);
    tcp_release(c);
}

/* ---- arming ---- */

static void cancel(struct tcp_conn *c, sim_event_id *timer)
{
    if (*timer != SIM_NO_EVENT)
        sim_cancel(c->host->sim, *timer);
    *timer = SIM_NO_EVENT;
}

/* Linux's timer wheel (kernel/time/timer.c calc_wheel_index): a timeout
 * of d jiffies lands in level L, the first with d < 63 << 3L (level 0: d
 * < 63), whose buckets are 8^L jiffies wide, and fires at the next bucket
 * boundary strictly after its expiry: late by 1 jiffy up to 8^L. At HZ =
 * 250 a 1 s RTO (250 jiffies, level 1) fires up to 32 ms late, 32 s (level
 * 3) up to 2.048 s. tcpsim's jiffies count from time 0 (the kernel's from
 * boot, so its buckets are shifted by an unknown phase); the timeout is
 * rounded up to whole jiffies like usecs_to_jiffies. profile.timer_hz 0
 * fires at the exact time. */
#define WHEEL_LEVELS 9
static sim_time wheel_delay(const struct tcp_conn *c, sim_time delay)
{
    int hz = tcp_prof(c)->timer_hz;
    if (hz <= 0)
        return delay;
    if (delay > SIM_TIME_MAX / 4)
        return delay; /* centuries away: rounding to a bucket changes nothing, and would overflow */
    sim_time jiffy = SIM_S / hz, now = tcp_now(c);
    int64_t clk = now / jiffy, timeout = (delay + jiffy - 1) / jiffy, expires = clk + timeout;
    int level = 0;
    while (level + 1 < WHEEL_LEVELS && timeout >= (int64_t)63 << (3 * level))
        level++;
    int shift = 3 * level;
    int64_t bucket = ((expires >> shift) + 1) << shift;
    return bucket * jiffy - now;
}

/* The retransmission timer (also the tail loss probe's, tcp_tlp.c), on
 * the timer wheel of the profile. */
void tcp_timer_rexmit_after(struct tcp_conn *c, sim_time delay)
{
    cancel(c, &c->rexmit_timer);
    c->rexmit_timer = sim_schedule(c->host->sim, wheel_delay(c, delay), on_rexmit_timeout, c, NULL);
}

/* A fresh timer (progress, no timeout since) starts the user timeout's
 * clock; with one set, the timer fires no later than its deadline (Linux
 * tcp_clamp_rto_to_user_timeout), so the abort comes on time rather than
 * at the next backed-off RTO. */
static void rexmit_arm(struct tcp_conn *c, bool progress)
{
    sim_time rto = tcp_current_rto(c);
    if (progress)
        c->stalled_since = tcp_now(c);
    if (c->user_timeout > 0) {
        sim_time remaining = c->stalled_since + c->user_timeout - tcp_now(c);
        if (remaining < rto)
            rto = remaining > 0 ? remaining : 1;
    }
    tcp_timer_rexmit_after(c, rto);
    c->tlp.armed = false;
    c->tlp.rto_due = sim_time_add(tcp_now(c), rto);
}

void tcp_timer_rexmit_start(struct tcp_conn *c)
{
    rexmit_arm(c, c->retries == 0 && !(c->flags & TCPF_PERSIST));
}

/* After a tail loss probe: nothing was acknowledged, the clock runs on. */
void tcp_timer_rexmit_after_probe(struct tcp_conn *c)
{
    rexmit_arm(c, false);
}

void tcp_timer_rexmit_ensure(struct tcp_conn *c)
{
    if (c->rexmit_timer == SIM_NO_EVENT)
        tcp_timer_rexmit_start(c);
}

void tcp_timer_rexmit_stop(struct tcp_conn *c)
{
    cancel(c, &c->rexmit_timer);
    c->tlp.armed = false;
}

void tcp_timer_persist_ensure(struct tcp_conn *c)
{
    if (c->flags & TCPF_PERSIST)
        return;
    c->flags |= TCPF_PERSIST;
    c->stalled_since = tcp_now(c);
    tcp_timer_rexmit_start(c);
}

void tcp_timer_time_wait(struct tcp_conn *c)
{
    cancel(c, &c->state_timer);
    c->state_timer =
        sim_schedule(c->host->sim, tcp_prof(c)->time_wait, on_state_timeout, c, NULL);
}

/* (Re)start: FIN_WAIT_2 may stay silent this long (decision 12); in Linux
 * (fin_wait_2_orphans_only) only a socket the application closed. */
void tcp_timer_fin_wait_2(struct tcp_conn *c)
{
    sim_time timeout = tcp_prof(c)->fin_wait_2_timeout;
    if (tcp_prof(c)->fin_wait_2_orphans_only && !(c->flags & TCPF_ORPHAN))
        timeout = 0;
    cancel(c, &c->state_timer);
    if (timeout > 0)
        c->state_timer = sim_schedule(c->host->sim, timeout, on_state_timeout, c, NULL);
}

void tcp_timers_stop(struct tcp_conn *c)
{
    cancel(c, &c->rexmit_timer);
    cancel(c, &c->state_timer);
    tcp_delack_stop(c);
}
