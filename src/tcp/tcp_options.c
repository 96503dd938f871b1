/*
 * tcp_options.c: the TCP options beyond MSS, as the linux profile uses
 * them (each one a profile field, all off in rfc9293): SACK-permitted
 * (RFC 2018; tcpsim sends no SACK blocks yet), timestamps and window
 * scaling (RFC 7323). What a SYN offers, what a connection agrees on from
 * the peer's SYN, the window field every segment carries, TS.Recent, and
 * the RTT sample a TSecr gives when Karn's rule allows no other.
 *
 * Simplifications (docs/fidelity.md): the timestamp clock ticks in
 * milliseconds (Linux's TCP_TS_HZ) from the simulation's start, offset per
 * address pair by an unkeyed hash (Linux: a keyed one). No PAWS:
 * an old TSval is not a reason to drop a segment. TS.Recent follows RFC
 * 7323 4.3 with RCV.NXT standing in for Last.ACK.sent.
 */
#include "tcp_internal.h"

/* RFC 7323 3.2: 10 octets plus two NOPs, on every segment once agreed. */
#define TS_OPTION_SPACE 12
#define WSCALE_MAX 14

/* TSval now: milliseconds, offset per address pair (as Linux's
 * secure_tcp_ts_off, unkeyed), so a new connection between the same hosts
 * continues the old one's clock: what lets a SYN in TIME-WAIT prove that
 * it is newer (tcp_input.c). */
static uint32_t ts_clock(const struct tcp_conn *c)
{
    uint32_t offset = (uint32_t)tcp_tuple_hash(c->local_addr, 0, c->remote_addr, 0);
    return (uint32_t)(tcp_now(c) / SIM_MS) + offset;
}

/* What our SYN offers: everything the profile enables. A SYN-ACK answers
 * with what the peer's SYN offered too (c->opts, set by
 * tcp_options_on_syn). */
static uint8_t syn_offer(const struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    if (c->state == TCP_SYN_RECEIVED)
        return c->opts;
    return (uint8_t)((p->sack_permitted ? TCP_OPT_SACK_PERM : 0) |
                     (p->timestamps ? TCP_OPT_TIMESTAMPS : 0) |
                     (p->window_scale >= 0 ? TCP_OPT_WSCALE : 0));
}

void tcp_options_on_syn(struct tcp_conn *c, const struct segment *syn)
{
    const struct tcp_profile *p = tcp_prof(c);
    uint8_t agreed = 0;
    if (p->sack_permitted && (syn->options & TCP_OPT_SACK_PERM))
        agreed |= TCP_OPT_SACK_PERM;
    if (p->timestamps && (syn->options & TCP_OPT_TIMESTAMPS)) {
        agreed |= TCP_OPT_TIMESTAMPS;
        c->ts_recent = syn->tsval;
        if (c->snd_mss > TS_OPTION_SPACE)
            c->snd_mss -= TS_OPTION_SPACE; /* Linux's mss_cache: 1460 - 12 = 1448 */
    }
    if (p->window_scale >= 0 && (syn->options & TCP_OPT_WSCALE)) {
        agreed |= TCP_OPT_WSCALE;
        c->snd_wscale = syn->wscale > WSCALE_MAX ? WSCALE_MAX : syn->wscale; /* RFC 7323 2.3 */
        c->rcv_wscale = (uint8_t)p->window_scale;
    }
    c->opts = agreed;
}

void tcp_options_on_segment(struct tcp_conn *c, const struct segment *seg)
{
    if ((c->opts & TCP_OPT_TIMESTAMPS) && (seg->options & TCP_OPT_TIMESTAMPS) &&
        seq_leq(seg->seq, c->rcv_nxt) && seq_geq(seg->tsval, c->ts_recent))
        c->ts_recent = seg->tsval;
}

bool tcp_options_ts_rtt(const struct tcp_conn *c, const struct segment *seg, sim_time *rtt)
{
    if (!(c->opts & TCP_OPT_TIMESTAMPS) || !(seg->options & TCP_OPT_TIMESTAMPS) || seg->tsecr == 0)
        return false;
    int32_t ms = (int32_t)(ts_clock(c) - seg->tsecr);
    if (ms < 0)
        return false;
    *rtt = (sim_time)(ms ? ms : 1) * SIM_MS; /* Linux counts a 0 ms sample as 1 tick */
    return true;
}

/* The window field: SYNs are never scaled (RFC 7323 2.2) and, with
 * syn_window_mss_multiple, hold whole segments of the size the peer will
 * send (Linux tcp_select_initial_window: 44 x 1460 = 64240 on a SYN, 45 x
 * 1448 = 65160 on a SYN-ACK with timestamps); later ones are shifted. */
static uint16_t window_field(const struct tcp_conn *c, uint8_t flags, uint32_t wnd)
{
    if (flags & TCP_FLAG_SYN) {
        if (wnd > 65535)
            wnd = 65535;
        uint32_t mss = tcp_prof(c)->mss;
        if ((c->opts & TCP_OPT_TIMESTAMPS) && mss > TS_OPTION_SPACE)
            mss -= TS_OPTION_SPACE;
        if (tcp_prof(c)->syn_window_mss_multiple && wnd >= mss)
            wnd -= wnd % mss;
        return (uint16_t)wnd;
    }
    if (c->opts & TCP_OPT_WSCALE)
        wnd >>= c->rcv_wscale;
    return (uint16_t)(wnd > 65535 ? 65535 : wnd);
}

uint32_t tcp_options_window_advertised(const struct tcp_conn *c, const struct segment *s)
{
    if (!(s->flags & TCP_FLAG_SYN) && (c->opts & TCP_OPT_WSCALE))
        return (uint32_t)s->wnd << c->rcv_wscale;
    return s->wnd;
}

uint32_t tcp_options_peer_window(const struct tcp_conn *c, const struct segment *seg)
{
    if (!(seg->flags & TCP_FLAG_SYN) && (c->opts & TCP_OPT_WSCALE))
        return (uint32_t)seg->wnd << c->snd_wscale;
    return seg->wnd;
}

void tcp_options_build(const struct tcp_conn *c, struct segment *s, uint32_t wnd)
{
    /* A bare RST advertises nothing; Linux's RST|ACK of an abort carries
     * the window like any segment (tcp_send_active_reset). */
    bool bare_rst = (s->flags & (TCP_FLAG_RST | TCP_FLAG_ACK)) == TCP_FLAG_RST;
    s->wnd = bare_rst ? 0 : window_field(c, s->flags, wnd);
    uint8_t opts = (s->flags & TCP_FLAG_SYN) ? syn_offer(c) : (c->opts & TCP_OPT_TIMESTAMPS);
    if (s->flags & TCP_FLAG_SYN)
        s->mss = (uint16_t)tcp_prof(c)->mss;
    s->options = opts;
    if (opts & TCP_OPT_WSCALE)
        s->wscale = (uint8_t)tcp_prof(c)->window_scale;
    if (opts & TCP_OPT_TIMESTAMPS) {
        s->tsval = ts_clock(c);
        s->tsecr = (s->flags & TCP_FLAG_ACK) ? c->ts_recent : 0; /* RFC 7323 3.2 */
    }
}
