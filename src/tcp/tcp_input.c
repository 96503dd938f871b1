/*
 * tcp_input.c: SEGMENT ARRIVES (RFC 9293 3.10.7). tcp_on_segment finds the
 * TCB and makes ONE dispatch on its state: CLOSED (no TCB, 3.10.7.1),
 * LISTEN (3.10.7.2), SYN-SENT (3.10.7.3), and SYN-RECEIVED plus the
 * synchronized states (3.10.7.4), which run the RFC's steps in order:
 * (1) sequence number, (2) RST, (4) SYN, (5) ACK, (7) text, (8) FIN. The
 * security check (3) and URG (6) do not exist in the simulator.
 *
 * Choices where the RFC leaves room (docs/transitions.md lists them all):
 *  - RFC 5961 (profile.rfc5961): RST must match RCV.NXT exactly, any other
 *    in-window RST and any SYN draw a challenge ACK; otherwise RFC 793's
 *    window-based RST acceptance and RST on an in-window SYN.
 *  - A retransmitted FIN in TIME-WAIT fails step 1; it is re-ACKed AND
 *    restarts the 2MSL timer (the intent of 3.10.7.4, as Linux does).
 *  - A duplicate SYN in SYN-RECEIVED draws a bare ACK (step 1), or a new
 *    SYN-ACK with profile.synack_on_duplicate_syn (Linux tcp_check_req).
 *  - A SYN in TIME-WAIT draws a challenge ACK, unless
 *    profile.time_wait_syn_reopens and it is newer (Linux, RFC 6191).
 *  - SYN|FIN in LISTEN is dropped (Linux); data on a SYN is not kept.
 *  - Every segment carrying text or FIN is ACKed at once, after the
 *    application has read it (one ACK, with the reopened window), unless
 *    profile.delayed_ack lets tcp_delack.c hold the ACK of in-order text
 *    or of a FIN in ESTABLISHED.
 *  - FIN_WAIT_2 (profile.fin_wait_2_timeout): the timer restarts whenever
 *    text or a FIN arrives, so it bounds silence, not the half-close.
 */
#include "tcp_internal.h"

#include <stdlib.h>
#include <string.h>

/* A segment's text and FIN after trimming to the receive window. */
struct seg_text {
    uint32_t seq, len;
    const uint8_t *data;
    bool fin;
};

/* What processing one segment decided. */
struct rx {
    const struct segment *seg;
    struct seg_text text;
    bool ack_now;       /* an ACK is owed: text, FIN, or refused text */
    bool ack_may_wait;  /* ... for in-order text or a FIN: a delayed ACK may pay it */
    bool fin_in_order;  /* the peer's FIN is next in sequence (step 8) */
};

static bool has(const struct segment *seg, uint8_t flag) { return (seg->flags & flag) != 0; }

/* ---- helpers shared by the states ---- */

static void become_established(struct tcp_conn *c, enum tcp_cause cause, const struct segment *seg)
{
    tcp_rto_after_handshake(c);
    tcp_cc_init(c);
    tcp_set_state(c, TCP_ESTABLISHED, cause, seg);
    c->notify |= NOTIFY_CONNECTED;
    if (c->flags & TCPF_CLOSE_QUEUED) /* CLOSE issued in SYN-RECEIVED (3.10.4) */
        tcp_set_state(c, TCP_FIN_WAIT_1, TCP_CAUSE_APP_CLOSE, NULL);
}

static void enter_time_wait(struct tcp_conn *c, enum tcp_cause cause, const struct segment *seg)
{
    tcp_set_state(c, TCP_TIME_WAIT, cause, seg);
    tcp_timer_rexmit_stop(c); /* "turn off the other timers" */
    c->flags &= (uint16_t)~(TCPF_PERSIST | TCPF_RECOVERY | TCPF_RTT_TIMING);
    tcp_timer_time_wait(c);
    tcp_trim_buffers(c);
}

/* Sends what is owed: data (which carries the ACK) or a bare ACK. When the
 * segment brought data, the application reads it first, so the one ACK the
 * segment gets advertises the window the read reopened (no second ACK as a
 * window update); whatever the application sends meanwhile carries the ACK
 * instead. It may also CLOSE or ABORT in the callback. */
static void respond(struct tcp_conn *c, const struct rx *rx)
{
    if (tcp_gone(c))
        return;
    if (rx->ack_now)
        c->flags |= TCPF_ACK_OWED;
    if (rx->ack_now && (c->notify & NOTIFY_READABLE)) {
        tcp_notify_app_data(c); /* connected/accepted, then readable */
        if (tcp_gone(c))
            return;
    }
    tcp_output(c);
    if ((c->flags & TCPF_ACK_OWED) && !tcp_delack_defer(c, rx->ack_may_wait))
        tcp_send_ack(c);
}

static void take_window(struct tcp_conn *c, const struct segment *seg)
{
    c->snd_wnd = tcp_options_peer_window(c, seg);
    c->snd_wl1 = seg->seq;
    c->snd_wl2 = seg->ack;
    if (c->snd_wnd > c->max_snd_wnd)
        c->max_snd_wnd = c->snd_wnd;
}

static void take_peer_mss(struct tcp_conn *c, const struct segment *seg)
{
    if (seg->mss && seg->mss < c->snd_mss)
        c->snd_mss = seg->mss;
}

/* ---- receiving text: in-order delivery and out-of-order holding ---- */

static bool in_window(uint32_t s, uint32_t left, uint32_t wnd)
{
    return seq_leq(left, s) && seq_lt(s, left + wnd);
}

/* RFC 9293 3.10.7.4 Table 6: the four cases of segment acceptability. */
static bool seq_acceptable(const struct tcp_conn *c, const struct segment *seg, uint32_t wnd)
{
    uint32_t len = segment_seq_len(seg);
    if (len == 0)
        return wnd == 0 ? seg->seq == c->rcv_nxt : in_window(seg->seq, c->rcv_nxt, wnd);
    if (wnd == 0)
        return false;
    return in_window(seg->seq, c->rcv_nxt, wnd) || in_window(seg->seq + len - 1, c->rcv_nxt, wnd);
}

/* Cuts off what lies before RCV.NXT (already received) and beyond the
 * window's right edge. A FIN counts only with its place inside the window. */
static struct seg_text trim_to_window(const struct tcp_conn *c, const struct segment *seg,
                                      uint32_t wnd)
{
    struct seg_text t = {seg->seq, seg->len, seg->data, has(seg, TCP_FLAG_FIN)};
    if (has(seg, TCP_FLAG_SYN))
        t.seq++; /* text follows the SYN */
    if (seq_lt(t.seq, c->rcv_nxt)) {
        uint32_t skip = c->rcv_nxt - t.seq;
        if (skip > t.len) { /* the FIN too lies before RCV.NXT: old */
            t.len = 0;
            t.fin = false;
        } else {
            t.len -= skip;
            if (t.data)
                t.data += skip;
        }
        t.seq = c->rcv_nxt;
    }
    uint32_t edge = c->rcv_nxt + wnd;
    if (seq_gt(t.seq + t.len, edge)) {
        t.len = seq_gt(edge, t.seq) ? edge - t.seq : 0;
        t.fin = false;
    } else if (t.fin && !seq_lt(t.seq + t.len, edge)) {
        t.fin = false;
    }
    return t;
}

static void deliver(struct tcp_conn *c, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return;
    if (tcp_bytes_append(c->host->sim, &c->buf->rcv, data, len) != 0) {
        sim_fail_out_of_memory(c->host->sim); /* the run is void, never quietly short */
        return;
    }
    c->rcv_nxt += len;
    c->notify |= NOTIFY_READABLE;
}

static struct tcp_ooo *ooo_new(uint32_t seq, uint32_t len, const uint8_t *data)
{
    struct tcp_ooo *o = malloc(sizeof *o + len);
    if (!o)
        return NULL;
    o->next = NULL;
    o->seq = seq;
    o->len = len;
    o->fin = false;
    if (data)
        memcpy(o->data, data, len);
    else
        memset(o->data, 0, len);
    return o;
}

/* Marks the FIN after sequence number `end` on the held segment ending
 * there, or holds a bare FIN. */
static void ooo_mark_fin(struct tcp_conn *c, uint32_t end)
{
    struct tcp_ooo **p = &c->buf->ooo;
    for (; *p && seq_lt((*p)->seq, end); p = &(*p)->next) {
        if ((*p)->seq + (*p)->len == end) {
            (*p)->fin = true;
            return;
        }
    }
    struct tcp_ooo *o = ooo_new(end, 0, NULL);
    if (!o) {
        sim_fail_out_of_memory(c->host->sim);
        return;
    }
    o->fin = true;
    o->next = *p;
    *p = o;
}

/* Holds text beyond RCV.NXT (SHLD-31), keeping only bytes not held yet. */
static void ooo_insert(struct tcp_conn *c, const struct seg_text *t)
{
    uint32_t s = t->seq, e = t->seq + t->len;
    struct tcp_ooo **p = &c->buf->ooo;
    while (seq_lt(s, e)) {
        while (*p && seq_leq((*p)->seq + (*p)->len, s))
            p = &(*p)->next;
        uint32_t piece_end = e;
        if (*p && seq_lt((*p)->seq, e)) {
            if (seq_leq((*p)->seq, s)) { /* s lies in a held segment: skip it */
                s = (*p)->seq + (*p)->len;
                continue;
            }
            piece_end = (*p)->seq;
        }
        struct tcp_ooo *o = ooo_new(s, piece_end - s, t->data ? t->data + (s - t->seq) : NULL);
        if (!o) {
            sim_fail_out_of_memory(c->host->sim);
            return;
        }
        o->next = *p;
        *p = o;
        p = &o->next;
        s = piece_end;
    }
    if (t->fin)
        ooo_mark_fin(c, e);
}

/* Moves held segments that now continue the stream; true when the peer's
 * FIN is reached. */
static bool reassemble(struct tcp_conn *c)
{
    struct tcp_ooo **p = &c->buf->ooo;
    while (*p && seq_leq((*p)->seq, c->rcv_nxt)) {
        struct tcp_ooo *o = *p;
        uint32_t end = o->seq + o->len;
        if (seq_gt(end, c->rcv_nxt)) {
            uint32_t skip = c->rcv_nxt - o->seq;
            deliver(c, o->data + skip, o->len - skip);
        }
        bool fin = o->fin && end == c->rcv_nxt;
        *p = o->next;
        free(o);
        if (fin)
            return true;
    }
    return false;
}

/* ---- 3.10.7.4 steps for SYN-RECEIVED and the synchronized states ---- */

static bool is_duplicate_syn(const struct tcp_conn *c, const struct segment *seg)
{
    return has(seg, TCP_FLAG_SYN) && !has(seg, TCP_FLAG_ACK) && seg->seq == c->irs;
}

/* A segment that failed step 1 gets <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>,
 * nothing if it carries RST; two states add to that. */
static void on_unacceptable(struct tcp_conn *c, const struct segment *seg)
{
    if (has(seg, TCP_FLAG_RST))
        return;
    switch ((enum tcp_state)c->state) {
    case TCP_SYN_RECEIVED:
        if (is_duplicate_syn(c, seg) && tcp_prof(c)->synack_on_duplicate_syn) {
            /* Linux tcp_check_req: resend the SYN-ACK now and push the timer
             * out; not counted against synack_retries (decision 4). */
            tcp_send_syn(c, true);
            tcp_timer_rexmit_start(c);
            return;
        }
        break;
    case TCP_TIME_WAIT:
        if (has(seg, TCP_FLAG_FIN))
            tcp_timer_time_wait(c); /* retransmitted FIN: re-ACK and restart 2MSL (decision 3) */
        break;
    default:
        break;
    }
    tcp_send_ack(c);
}

/* First: is the segment in the window? */
static bool check_sequence(struct tcp_conn *c, struct rx *rx)
{
    const struct segment *seg = rx->seg;
    uint32_t wnd = tcp_rcv_wnd(c);
    if (seq_acceptable(c, seg, wnd)) {
        rx->text = trim_to_window(c, seg, wnd);
        tcp_options_on_segment(c, seg);
        return true;
    }
    if (wnd == 0 && seg->seq == c->rcv_nxt && !has(seg, TCP_FLAG_SYN)) {
        /* Zero window: still process ACK and RST, refuse the text (MUST-66). */
        rx->text = (struct seg_text){seg->seq, 0, NULL, false};
        rx->ack_now = seg->len > 0 || has(seg, TCP_FLAG_FIN);
        return true;
    }
    on_unacceptable(c, seg);
    return false;
}

/* Second: RST. With RFC 5961 (3.2) only SEG.SEQ = RCV.NXT resets; another
 * in-window RST draws a challenge ACK. */
static void on_rst(struct tcp_conn *c, const struct segment *seg)
{
    if (tcp_prof(c)->rfc5961 && seg->seq != c->rcv_nxt) {
        tcp_send_ack(c);
        return;
    }
    switch ((enum tcp_state)c->state) {
    case TCP_SYN_RECEIVED:
        if (c->flags & TCPF_PASSIVE)
            tcp_set_state(c, TCP_LISTEN, TCP_CAUSE_RCV_RST, seg); /* back to LISTEN, user not told */
        else
            tcp_enter_closed(c, TCP_CAUSE_RCV_RST, seg, TCP_ERR_REFUSED);
        break;
    case TCP_TIME_WAIT:
        if (tcp_prof(c)->rfc1337)
            break; /* RFC 1337: no TIME-WAIT assassination */
        tcp_enter_closed(c, TCP_CAUSE_RCV_RST, seg, TCP_ERR_RESET);
        break;
    default:
        tcp_enter_closed(c, TCP_CAUSE_RCV_RST, seg, TCP_ERR_RESET);
        break;
    }
}

/* Fourth: SYN in the window. */
static void on_syn(struct tcp_conn *c, const struct segment *seg)
{
    if (c->state == TCP_SYN_RECEIVED && (c->flags & TCPF_PASSIVE)) {
        tcp_set_state(c, TCP_LISTEN, TCP_CAUSE_RCV_SYN, seg); /* "return this connection to LISTEN" */
        return;
    }
    if (tcp_prof(c)->rfc5961 || c->state == TCP_TIME_WAIT) {
        tcp_send_ack(c); /* challenge ACK (RFC 5961 4.2) */
        return;
    }
    /* RFC 793: an in-window SYN is an error; reset and close. */
    tcp_send_rst_for(c->host, seg);
    tcp_enter_closed(c, TCP_CAUSE_RCV_SYN, seg, TCP_ERR_RESET);
}

/* RFC 5681 2: an ACK that acknowledges nothing new, carries nothing and
 * leaves the window alone while data is outstanding. */
static bool is_duplicate_ack(const struct tcp_conn *c, const struct segment *seg)
{
    return seg->ack == c->snd_una && seg->len == 0 && !has(seg, TCP_FLAG_SYN | TCP_FLAG_FIN) &&
           tcp_options_peer_window(c, seg) == c->snd_wnd && c->snd_una != c->snd_nxt && !(c->flags & TCPF_PERSIST);
}

static void duplicate_ack(struct tcp_conn *c)
{
    if (c->dupacks < UINT8_MAX)
        c->dupacks++;
    if (c->dupacks == tcp_prof(c)->dupack_threshold && !(c->flags & TCPF_RECOVERY)) {
        c->recover = c->snd_nxt; /* fast retransmit */
        c->flags |= TCPF_RECOVERY;
        tcp_cc_on_fast_retransmit(c);
        tcp_retransmit_oldest(c);
    }
}

static void new_ack(struct tcp_conn *c, const struct segment *seg)
{
    uint32_t ack = seg->ack;
    uint32_t flight_before = c->snd_nxt - c->snd_una;
    tcp_rtt_on_ack(c, seg);
    tcp_cc_on_ack(c, ack - c->snd_una, flight_before);
    tcp_tlp_on_ack(c, ack);
    c->snd_una = ack;
    tcp_snd_acked(c);
    c->retries = 0;
    c->dupacks = 0;
    bool partial = false;
    if (c->flags & TCPF_RECOVERY) {
        partial = seq_lt(c->snd_una, c->recover);
        if (!partial)
            c->flags &= (uint16_t)~TCPF_RECOVERY;
    }
    if (!(c->flags & TCPF_PERSIST)) {
        if (c->snd_una == c->snd_nxt)
            tcp_timer_rexmit_stop(c);  /* RFC 6298 (5.2) */
        else
            tcp_timer_rexmit_start(c); /* (5.3) */
        tcp_tlp_schedule(c);
    }
    if (partial)
        tcp_retransmit_oldest(c); /* the next hole, without waiting (RFC 6582 style) */
}

static void leave_persist(struct tcp_conn *c)
{
    c->flags &= (uint16_t)~(TCPF_PERSIST | TCPF_RTT_TIMING);
    tcp_timer_rexmit_stop(c);
    c->backoff = 0;
    c->retries = 0;
    c->snd_nxt = c->snd_una; /* a refused probe byte goes again with the data */
    if ((c->flags & TCPF_FIN_SENT) && seq_leq(c->snd_nxt, c->fin_seq))
        c->flags &= (uint16_t)~TCPF_FIN_SENT; /* a FIN behind SND.NXT is unsent: it goes again */
}

/* Window update (3.10.7.4 fifth, ESTABLISHED): only from a segment newer
 * than the one that last set it (SND.WL1, SND.WL2). */
static void update_window(struct tcp_conn *c, const struct segment *seg)
{
    if (seq_leq(c->snd_una, seg->ack) && seq_leq(seg->ack, c->snd_nxt) &&
        (seq_lt(c->snd_wl1, seg->seq) ||
         (c->snd_wl1 == seg->seq && seq_leq(c->snd_wl2, seg->ack))))
        take_window(c, seg);
    /* An acceptable ACK with the window shut: the peer is alive, only not
     * reading. What it refuses meanwhile (probes, retransmissions) must not
     * count towards giving up (RFC 9293 3.8.6.1 MUST-37). */
    if ((c->flags & TCPF_PERSIST) || c->snd_wnd == 0)
        c->retries = 0;
    if ((c->flags & TCPF_PERSIST) && c->snd_wnd > 0)
        leave_persist(c);
}

/* Fifth: ACK. Returns false when the segment is done with (dropped, or the
 * connection ended). */
static bool on_ack(struct tcp_conn *c, struct rx *rx)
{
    const struct segment *seg = rx->seg;
    if (c->state == TCP_SYN_RECEIVED) {
        if (!(seq_lt(c->snd_una, seg->ack) && seq_leq(seg->ack, c->snd_nxt))) {
            tcp_send_rst_for(c->host, seg); /* <SEQ=SEG.ACK><CTL=RST> */
            return false;
        }
        take_window(c, seg);
        become_established(c, TCP_CAUSE_RCV_ACK_OF_SYN, seg);
    }
    if (seq_gt(seg->ack, c->snd_nxt) ||
        (tcp_prof(c)->rfc5961 && seq_lt(seg->ack, c->snd_una - c->max_snd_wnd))) {
        tcp_send_ack(c); /* acks something not yet sent, or too old (RFC 5961 5.2) */
        return false;
    }
    if (c->state == TCP_TIME_WAIT)
        return true;
    if (seq_lt(c->snd_una, seg->ack))
        new_ack(c, seg);
    else if (is_duplicate_ack(c, seg))
        duplicate_ack(c);
    update_window(c, seg);
    /* FIN_WAIT_1 -> FIN_WAIT_2 is not decided here but in on_synchronized
     * after step 8: a segment that acks our FIN and carries the peer's goes
     * straight to TIME_WAIT (decision 10). */
    switch ((enum tcp_state)c->state) {
    case TCP_CLOSING:
        if (tcp_fin_acked(c))
            enter_time_wait(c, TCP_CAUSE_RCV_ACK_OF_FIN, seg);
        return true;
    case TCP_LAST_ACK:
        if (!tcp_fin_acked(c))
            return true; /* only the ACK of OUR FIN closes (not any ACK) */
        tcp_enter_closed(c, TCP_CAUSE_RCV_ACK_OF_FIN, seg, TCP_OK);
        return false;
    default:
        return true;
    }
}

/* Seventh: text, in ESTABLISHED, FIN-WAIT-1 and FIN-WAIT-2 only (the other
 * states have seen the peer's FIN). */
static void on_text(struct tcp_conn *c, struct rx *rx)
{
    enum tcp_state s = (enum tcp_state)c->state;
    const struct seg_text *t = &rx->text;
    if (s != TCP_ESTABLISHED && s != TCP_FIN_WAIT_1 && s != TCP_FIN_WAIT_2)
        return;
    if (t->len > 0 && tcp_reset_on_data_after_close(c, rx->seg, t->seq, t->len))
        return;
    if (s == TCP_FIN_WAIT_2 && (rx->seg->len > 0 || has(rx->seg, TCP_FLAG_FIN)))
        tcp_timer_fin_wait_2(c); /* the timer measures silence (decision 12) */
    if ((t->len == 0 && !t->fin) || !c->buf)
        return;
    rx->ack_now = true;
    if (t->seq != c->rcv_nxt) {
        ooo_insert(c, t); /* the immediate ACK is the duplicate ACK the sender counts */
        return;
    }
    deliver(c, t->data, t->len);
    if (t->len > 0)
        tcp_delack_on_data(c); /* Linux: tcp_event_data_recv, for data only (not a bare FIN) */
    rx->ack_may_wait = true;
    rx->fin_in_order = t->fin || reassemble(c);
}

/* Eighth: FIN, once everything before it has arrived. */
static void on_fin(struct tcp_conn *c, struct rx *rx)
{
    if (tcp_gone(c) || !rx->fin_in_order)
        return;
    c->rcv_nxt++;
    c->notify |= NOTIFY_PEER_CLOSED;
    rx->ack_now = true;
    switch ((enum tcp_state)c->state) {
    case TCP_ESTABLISHED:
        tcp_delack_on_fin(c); /* Linux tcp_fin: our FIN should carry the ACK */
        rx->ack_may_wait = true;
        tcp_set_state(c, TCP_CLOSE_WAIT, TCP_CAUSE_RCV_FIN, rx->seg);
        break;
    case TCP_FIN_WAIT_1:
        rx->ack_may_wait = false; /* the peer waits for this ACK to leave LAST_ACK */
        if (tcp_fin_acked(c)) /* acked "perhaps in this segment": straight to TIME-WAIT */
            enter_time_wait(c, TCP_CAUSE_RCV_FIN_ACK, rx->seg);
        else
            tcp_set_state(c, TCP_CLOSING, TCP_CAUSE_RCV_FIN, rx->seg); /* simultaneous close */
        break;
    case TCP_FIN_WAIT_2:
        rx->ack_may_wait = false;
        enter_time_wait(c, TCP_CAUSE_RCV_FIN, rx->seg);
        break;
    default:
        break;
    }
}

static void on_listen(struct tcp_conn *l, const struct segment *seg);

/* Linux tcp_timewait_state_process (TCP_TW_SYN), RFC 6191: a SYN above
 * RCV.NXT, or with a newer timestamp (and none older: PAWS), starts a new
 * incarnation of the connection. */
static bool is_newer_syn(const struct tcp_conn *c, const struct segment *seg)
{
    if ((seg->flags & (TCP_FLAG_SYN | TCP_FLAG_ACK | TCP_FLAG_RST)) != TCP_FLAG_SYN)
        return false;
    bool ts = (c->opts & TCP_OPT_TIMESTAMPS) && (seg->options & TCP_OPT_TIMESTAMPS);
    if (ts && seq_lt(seg->tsval, c->ts_recent))
        return false;
    return seq_gt(seg->seq, c->rcv_nxt) || (ts && seq_gt(seg->tsval, c->ts_recent));
}

/* Ends TIME-WAIT and hands the SYN to the listener; false (TIME-WAIT goes
 * on, the SYN gets its ACK) when the SYN is not newer or nobody listens.
 * The new connection's ISN follows the host's isn rule (Linux: the old
 * SND.NXT + 65537). */
static bool time_wait_reopen(struct tcp_conn *c, const struct segment *seg)
{
    if (c->state != TCP_TIME_WAIT || !tcp_prof(c)->time_wait_syn_reopens || !is_newer_syn(c, seg))
        return false;
    struct tcp_conn *l = tcp_find_listener(c->host, seg->dst_addr, seg->dst_port);
    if (!l)
        return false;
    tcp_enter_closed(c, TCP_CAUSE_RCV_SYN, seg, TCP_OK);
    tcp_hold(l);
    on_listen(l, seg);
    tcp_release(l);
    return true;
}

static void on_synchronized(struct tcp_conn *c, const struct segment *seg)
{
    struct rx rx = {.seg = seg};
    if (time_wait_reopen(c, seg))
        return;
    if (!check_sequence(c, &rx))                    /* first */
        return;
    if (has(seg, TCP_FLAG_RST)) {                   /* second */
        on_rst(c, seg);
        return;
    }
    if (has(seg, TCP_FLAG_SYN)) {                   /* fourth */
        on_syn(c, seg);
        return;
    }
    if (!has(seg, TCP_FLAG_ACK) || !on_ack(c, &rx)) /* fifth */
        return;
    on_text(c, &rx);                                /* seventh */
    on_fin(c, &rx);                                 /* eighth */
    if (tcp_gone(c))
        return;
    /* FIN-WAIT-1 whose FIN this segment acked, without a FIN of the peer's
     * to take it to TIME-WAIT directly. */
    if (c->state == TCP_FIN_WAIT_1 && tcp_fin_acked(c)) {
        tcp_set_state(c, TCP_FIN_WAIT_2, TCP_CAUSE_RCV_ACK_OF_FIN, seg);
        tcp_timer_fin_wait_2(c);
    }
    respond(c, &rx);
}

/* ---- 3.10.7.1 - 3.10.7.3 ---- */

static void on_closed(struct tcp_host *host, const struct segment *seg)
{
    tcp_send_rst_for(host, seg); /* nothing for a RST; RST for anything else */
}

static void on_listen(struct tcp_conn *l, const struct segment *seg)
{
    if (has(seg, TCP_FLAG_RST))                 /* first: ignore */
        return;
    if (has(seg, TCP_FLAG_ACK)) {               /* second: <SEQ=SEG.ACK><CTL=RST> */
        tcp_send_rst_for(l->host, seg);
        return;
    }
    if (!has(seg, TCP_FLAG_SYN) || has(seg, TCP_FLAG_FIN)) /* fourth; SYN|FIN dropped (Linux) */
        return;
    struct tcp_conn *c = tcp_create_child(l, seg); /* third */
    if (!c)
        return;
    tcp_hold(c);
    if (!tcp_gone(c)) {
        tcp_send_syn(c, false);
        tcp_timer_rexmit_start(c);
    }
    tcp_release(c);
}

/* SYN-SENT and a SYN-ACK acking our SYN: ESTABLISHED, then any text or FIN
 * it carries as in step 6 onwards. */
static void syn_sent_acked(struct tcp_conn *c, const struct segment *seg)
{
    struct rx rx = {.seg = seg, .ack_now = true}; /* the third segment of the handshake */
    tcp_rtt_on_ack(c, seg);
    c->snd_una = seg->ack;
    tcp_snd_acked(c);
    take_window(c, seg);
    tcp_timer_rexmit_stop(c);
    become_established(c, TCP_CAUSE_RCV_SYN_ACK, seg);
    rx.text = trim_to_window(c, seg, tcp_rcv_wnd(c));
    on_text(c, &rx);
    on_fin(c, &rx);
    rx.ack_may_wait = false; /* the handshake's ACK leaves at once */
    respond(c, &rx);
}

/* Both ends sent a SYN (simultaneous open, RFC 9293 Fig. 7). */
static void simultaneous_open(struct tcp_conn *c, const struct segment *seg)
{
    take_window(c, seg);
    tcp_set_state(c, TCP_SYN_RECEIVED, TCP_CAUSE_RCV_SYN, seg);
    c->retries = 0;
    c->backoff = 0;
    c->flags &= (uint16_t)~TCPF_RTT_TIMING; /* the SYN-ACK reuses ISS: no clean sample */
    tcp_send_segment(c, TCP_FLAG_SYN | TCP_FLAG_ACK, c->iss, NULL, 0, false);
    tcp_timer_rexmit_start(c);
}

static void on_syn_sent(struct tcp_conn *c, const struct segment *seg)
{
    bool ack = has(seg, TCP_FLAG_ACK);
    if (ack && (seq_leq(seg->ack, c->iss) || seq_gt(seg->ack, c->snd_nxt))) { /* first */
        tcp_send_rst_for(c->host, seg); /* <SEQ=SEG.ACK><CTL=RST>, nothing for a RST */
        return;
    }
    if (has(seg, TCP_FLAG_RST)) {                                            /* second */
        if (ack)
            tcp_enter_closed(c, TCP_CAUSE_RCV_RST, seg, TCP_ERR_REFUSED);
        return;
    }
    if (!has(seg, TCP_FLAG_SYN))                                             /* fifth */
        return;
    c->irs = seg->seq;                                                       /* fourth */
    c->rcv_nxt = seg->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    take_peer_mss(c, seg);
    tcp_options_on_syn(c, seg);
    if (ack)
        syn_sent_acked(c, seg);
    else
        simultaneous_open(c, seg);
}

/* ---- SEGMENT ARRIVES ---- */

void tcp_on_segment(struct tcp_host *host, const struct segment *seg)
{
    host->stats.segments_received++;
    struct tcp_conn *c =
        tcp_lookup(host, seg->dst_addr, seg->dst_port, seg->src_addr, seg->src_port);
    if (!c)
        c = tcp_find_listener(host, seg->dst_addr, seg->dst_port);
    if (!c) {
        on_closed(host, seg);
        return;
    }
    tcp_hold(c);
    switch ((enum tcp_state)c->state) {
    case TCP_LISTEN:
        on_listen(c, seg);
        break;
    case TCP_SYN_SENT:
        on_syn_sent(c, seg);
        break;
    case TCP_CLOSED:
        break; /* a deleted TCB is never found */
    default:
        on_synchronized(c, seg);
        break;
    }
    tcp_notify_app(c);
    tcp_release(c);
}
