/*
 * tcp_state.c: THE state change. Every transition of every TCB goes through
 * tcp_set_state, which records it (time, host, connection, from, to, cause,
 * triggering segment) for the trace, keeps the host's statistics and the
 * connection registry, and deletes the TCB on entering CLOSED ("delete the
 * TCB, enter CLOSED") or when a passive child goes back to LISTEN.
 *
 * It also holds the table of every transition the state machine makes
 * (RFC 9293 Figure 5 with tcpsim's causes, docs/transitions.md). Trade-off:
 * a transition outside the table is still made and recorded (a user's run
 * never aborts on it) but counted in the host's unlisted_transitions, which
 * the test harness requires to be 0 and `tcpsim run` reports as a bug; so a
 * new cause or edge not declared here fails the tests that reach it instead
 * of going unexplained. tests/test_ladder.c asserts that every declared
 * transition has its own --explain line.
 */
#include "tcp_internal.h"


/* ---- the transitions the TCP makes ---- */

#define CAUSE(name) (1u << TCP_CAUSE_##name)
_Static_assert(TCP_CAUSE_COUNT <= 32, "a cause set is a 32-bit mask");

/* A synchronized connection ends at once on an acceptable RST (3.10.7.4,
 * second check), on an in-window SYN without RFC 5961 (fourth check), or on
 * ABORT (3.10.5). */
#define ENDS_AT_ONCE (CAUSE(RCV_RST) | CAUSE(RCV_SYN) | CAUSE(APP_ABORT))

/* legal[from][to]: the causes for which the TCP goes from `from` to `to`.
 * A child TCB is born in LISTEN and leaves it for SYN_RECEIVED at once. */
static const uint32_t legal[TCP_STATE_COUNT][TCP_STATE_COUNT] = {
    [TCP_CLOSED][TCP_LISTEN] = CAUSE(APP_LISTEN),
    [TCP_CLOSED][TCP_SYN_SENT] = CAUSE(APP_CONNECT),
    [TCP_LISTEN][TCP_SYN_RECEIVED] = CAUSE(RCV_SYN),
    [TCP_LISTEN][TCP_CLOSED] = CAUSE(APP_CLOSE) | CAUSE(APP_ABORT),
    [TCP_SYN_SENT][TCP_ESTABLISHED] = CAUSE(RCV_SYN_ACK),
    [TCP_SYN_SENT][TCP_SYN_RECEIVED] = CAUSE(RCV_SYN),
    [TCP_SYN_SENT][TCP_CLOSED] =
        CAUSE(RCV_RST) | CAUSE(SYN_RETRIES) | CAUSE(APP_CLOSE) | CAUSE(APP_ABORT),
    [TCP_SYN_RECEIVED][TCP_ESTABLISHED] = CAUSE(RCV_ACK_OF_SYN),
    [TCP_SYN_RECEIVED][TCP_LISTEN] = CAUSE(RCV_RST) | CAUSE(RCV_SYN),
    [TCP_SYN_RECEIVED][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(SYN_ACK_RETRIES),
    [TCP_ESTABLISHED][TCP_FIN_WAIT_1] = CAUSE(APP_CLOSE),
    [TCP_ESTABLISHED][TCP_CLOSE_WAIT] = CAUSE(RCV_FIN),
    [TCP_ESTABLISHED][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(RETRANSMISSIONS),
    [TCP_FIN_WAIT_1][TCP_FIN_WAIT_2] = CAUSE(RCV_ACK_OF_FIN),
    [TCP_FIN_WAIT_1][TCP_CLOSING] = CAUSE(RCV_FIN),
    [TCP_FIN_WAIT_1][TCP_TIME_WAIT] = CAUSE(RCV_FIN_ACK),
    [TCP_FIN_WAIT_1][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(RETRANSMISSIONS) | CAUSE(RCV_DATA_AFTER_CLOSE),
    [TCP_FIN_WAIT_2][TCP_TIME_WAIT] = CAUSE(RCV_FIN),
    [TCP_FIN_WAIT_2][TCP_CLOSED] =
        ENDS_AT_ONCE | CAUSE(FIN_WAIT_2_TIMEOUT) | CAUSE(RCV_DATA_AFTER_CLOSE),
    [TCP_CLOSE_WAIT][TCP_LAST_ACK] = CAUSE(APP_CLOSE),
    [TCP_CLOSE_WAIT][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(RETRANSMISSIONS),
    [TCP_CLOSING][TCP_TIME_WAIT] = CAUSE(RCV_ACK_OF_FIN),
    [TCP_CLOSING][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(RETRANSMISSIONS),
    [TCP_LAST_ACK][TCP_CLOSED] = ENDS_AT_ONCE | CAUSE(RCV_ACK_OF_FIN) | CAUSE(RETRANSMISSIONS),
    /* SYN only with time_wait_syn_reopens (a newer SYN: a new connection
     * follows at once); otherwise it draws a challenge ACK. */
    [TCP_TIME_WAIT][TCP_CLOSED] = CAUSE(RCV_RST) | CAUSE(APP_ABORT) | CAUSE(TIME_WAIT_TIMEOUT) |
                                  CAUSE(RCV_SYN),
};

bool tcp_transition_is_legal(enum tcp_state from, enum tcp_state to, enum tcp_cause cause)
{
    if ((unsigned)from >= TCP_STATE_COUNT || (unsigned)to >= TCP_STATE_COUNT ||
        (unsigned)cause >= TCP_CAUSE_COUNT)
        return false;
    return (legal[from][to] & (1u << cause)) != 0;
}

/* ---- deleting a TCB ---- */

/* Deletes the TCB (RFC 9293: "delete the TCB, enter CLOSED"). The memory
 * lives on while an entry point holds it. */
static void conn_delete(struct tcp_conn *c, bool tell_app)
{
    struct tcp_host *h = c->host;
    tcp_timers_stop(c);
    if (c->flags & TCPF_LISTENER)
        tcp_listener_remove(c);
    else
        tcp_table_remove(&h->tcbs, c);
    if (h->network)
        tcp_registry_detach(c, true);
    if (!(c->flags & (TCPF_WAS_ESTABLISHED | TCPF_PASSIVE | TCPF_LISTENER)))
        h->stats.connections_failed++;
    h->stats.tcbs--;
    h->stats.in_state[c->state]--;
    c->flags |= TCPF_DELETED;
    c->notify = 0;
    tcp_hold(c);
    if (tell_app && (c->flags & TCPF_APP_KNOWS) && h->app_ops.closed)
        h->app_ops.closed(h->app, c, (enum tcp_error)c->close_why);
    tcp_release(c);
}

/* ---- THE state change ---- */

static void record_transition(const struct tcp_conn *c, enum tcp_state to, enum tcp_cause cause,
                              const struct segment *trigger)
{
    const struct tcp_host *h = c->host;
    struct trace_transition tr = {
        .t_ns = sim_now(h->sim),
        .host = h->config.name,
        .conn_id = c->conn_id,
        .from_state = (enum tcp_state)c->state,
        .to_state = to,
        .cause = cause,
        .seg_id = trigger ? trigger->id : 0,
    };
    if (h->network)
        trace_transition(h->network->trace, &tr);
}

void tcp_set_state(struct tcp_conn *c, enum tcp_state to, enum tcp_cause cause,
                   const struct segment *trigger)
{
    struct tcp_host *h = c->host;
    enum tcp_state from = (enum tcp_state)c->state;
    if (!tcp_transition_is_legal(from, to, cause))
        h->stats.unlisted_transitions++;
    record_transition(c, to, cause, trigger);
    h->stats.in_state[from]--;
    h->stats.in_state[to]++;
    c->state = (uint8_t)to;
    if (from == TCP_SYN_RECEIVED && c->listener)
        c->listener->backlog_used--;
    if (to == TCP_ESTABLISHED) {
        c->flags |= TCPF_WAS_ESTABLISHED;
        h->stats.connections_opened++;
        tcp_registry_note_established(c);
    }
    if (to == TCP_CLOSED)
        conn_delete(c, true);
    else if (to == TCP_LISTEN && (c->flags & TCPF_PASSIVE))
        conn_delete(c, false); /* a child back to LISTEN: the listener stays, the child goes */
}

void tcp_enter_closed(struct tcp_conn *c, enum tcp_cause cause, const struct segment *trigger,
                      enum tcp_error why)
{
    c->close_why = (uint8_t)why;
    tcp_set_state(c, TCP_CLOSED, cause, trigger);
}
