/*
 * tcp_delack.c: delayed ACKs as Linux sends them (RFC 9293 3.8.6.3
 * SHLD-18/MUST-58 allow a delay below 0.5 s and ask for an ACK at least
 * every second full segment). With profile.delayed_ack = 0 every ACK
 * leaves at once, as before.
 *
 *  - Quick-ack mode (Linux tcp_incr_quickack): the first in-order data of
 *    a connection, and data after a silence longer than the RTO, give
 *    min(rcv_buf / (2 MSS), profile.quickack) ACKs that leave at once, so
 *    the peer's slow start is not held back.
 *  - Interactive ("pingpong") mode: a host that sends data within
 *    delayed_ack of receiving some, or that receives the peer's FIN in
 *    ESTABLISHED (Linux tcp_fin), expects its answer to carry the ACK:
 *    quick-ack credit no longer applies.
 *  - Otherwise an ACK waits up to delayed_ack (Linux TCP_DELACK_MIN 40 ms)
 *    unless more than one full segment is unacknowledged; anything sent
 *    with ACK meanwhile pays it. The timer firing ends pingpong mode.
 *
 * Not modelled: Linux's adaptive ATO (it tracks the inter-arrival time
 * and doubles after a missed delayed ACK); out-of-order data, window
 * refusals and the handshake are ACKed at once as before (the callers pass
 * may_wait = false).
 */
#include "tcp_internal.h"

static bool enabled(const struct tcp_conn *c) { return tcp_prof(c)->delayed_ack > 0; }

void tcp_delack_init(struct tcp_conn *c)
{
    c->delack.timer = SIM_NO_EVENT;
    c->delack.last_data = -1;
}

static void give_quick_credit(struct tcp_conn *c)
{
    uint32_t by_window = c->rcv_buf / (2u * c->snd_mss);
    uint32_t credit = (uint32_t)tcp_prof(c)->quickack;
    if (by_window < credit)
        credit = by_window;
    if (credit > c->delack.quick)
        c->delack.quick = (uint16_t)(credit > UINT16_MAX ? UINT16_MAX : credit);
}

void tcp_delack_on_data(struct tcp_conn *c)
{
    if (!enabled(c))
        return;
    sim_time now = tcp_now(c);
    if (c->delack.last_data < 0 || now - c->delack.last_data > tcp_current_rto(c))
        give_quick_credit(c);
    c->delack.last_data = now;
}

void tcp_delack_on_fin(struct tcp_conn *c)
{
    if (enabled(c))
        c->delack.pingpong = true;
}

void tcp_delack_on_data_sent(struct tcp_conn *c)
{
    if (enabled(c) && c->delack.last_data >= 0 &&
        tcp_now(c) - c->delack.last_data < tcp_prof(c)->delayed_ack)
        c->delack.pingpong = true;
}

static void cancel_timer(struct tcp_conn *c)
{
    if (c->delack.timer != SIM_NO_EVENT)
        sim_cancel(c->host->sim, c->delack.timer);
    c->delack.timer = SIM_NO_EVENT;
}

void tcp_delack_on_ack_sent(struct tcp_conn *c, bool was_owed)
{
    c->delack.rcv_acked = c->rcv_nxt;
    if (was_owed && c->delack.quick > 0)
        c->delack.quick--;
    cancel_timer(c);
}

static void on_delack_timeout(struct sim *sim, void *context, void *argument)
{
    struct tcp_conn *c = context;
    (void)sim;
    (void)argument;
    c->delack.timer = SIM_NO_EVENT;
    if (!(c->flags & TCPF_ACK_OWED) || tcp_gone(c))
        return;
    tcp_hold(c);
    c->delack.pingpong = false;
    tcp_send_ack(c);
    tcp_release(c);
}

/* Linux's delayed-ACK timeout is icsk_ack.ato, which the first data a
 * connection receives sets to TCP_ATO_MIN (tcp_event_data_recv). Before any
 * data, ato is 0 and the timer fires on the next jiffy: a FIN that comes
 * before any data is ACKed at once, as the kernel was measured to do
 * (handshake: the ACK of the FIN 4-5 ms after it; docs/fidelity.md). */
static sim_time delack_timeout(const struct tcp_conn *c)
{
    if (c->delack.last_data >= 0)
        return tcp_prof(c)->delayed_ack;
    int hz = tcp_prof(c)->timer_hz;
    return hz > 0 ? SIM_S / hz : 0;
}

bool tcp_delack_defer(struct tcp_conn *c, bool may_wait)
{
    if (!enabled(c) || !may_wait)
        return false;
    if (c->delack.quick > 0 && !c->delack.pingpong)
        return false;
    if (c->rcv_nxt - c->delack.rcv_acked > c->snd_mss)
        return false; /* a second full segment: ACK now (MUST-58) */
    if (c->delack.timer == SIM_NO_EVENT)
        c->delack.timer = sim_schedule(c->host->sim, delack_timeout(c), on_delack_timeout, c, NULL);
    return true;
}

void tcp_delack_stop(struct tcp_conn *c) { cancel_timer(c); }
