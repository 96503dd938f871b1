/*
 * tcp_user.c: the user interface of RFC 9293 (3.10.1-3.10.5), both ways.
 * Calls down: OPEN (tcp_listen, tcp_connect), SEND, RECEIVE, CLOSE, ABORT,
 * and the accessors of tcp.h. CLOSE comes in the two socket forms:
 * tcp_shutdown (SHUT_WR is RFC 9293's CLOSE, a half-close: the socket stays
 * and keeps receiving) and tcp_close (close(): the socket is orphaned, and
 * the linux profile then applies Linux's orphan rules, see
 * docs/transitions.md). Calls up: the notifications (connected,
 * accepted, readable, peer_closed) that tcp_input.c collects while a
 * segment is processed and delivers once its steps are done.
 *
 * Each call holds the TCB it works on, so that the application deleting it
 * from inside a callback frees it only when the call returns.
 */
#include "tcp_internal.h"

#include <string.h>

/* ---- names ---- */

const char *tcp_error_name(enum tcp_error error)
{
    switch (error) {
    case TCP_OK: return "ok";
    case TCP_ERR_EXISTS: return "connection already exists";
    case TCP_ERR_NO_CONNECTION: return "connection does not exist";
    case TCP_ERR_CLOSING: return "connection closing";
    case TCP_ERR_REFUSED: return "connection refused";
    case TCP_ERR_RESET: return "connection reset";
    case TCP_ERR_TIMEOUT: return "connection timed out";
    case TCP_ERR_NO_PORTS: return "no free ephemeral port";
    case TCP_ERR_NO_MEMORY: return "out of memory";
    case TCP_ERR_ABORTED: return "connection aborted";
    }
    return "unknown error";
}

/* The errno a socket call would return for a TCP error. */
enum tcp_call_result tcp_error_result(enum tcp_error error)
{
    switch (error) {
    case TCP_OK: return TCP_RESULT_OK;
    case TCP_ERR_EXISTS: return TCP_RESULT_EADDRINUSE;
    case TCP_ERR_NO_CONNECTION: return TCP_RESULT_ENOTCONN;
    case TCP_ERR_CLOSING: return TCP_RESULT_EPIPE;
    case TCP_ERR_REFUSED: return TCP_RESULT_ECONNREFUSED;
    case TCP_ERR_RESET: return TCP_RESULT_ECONNRESET;
    case TCP_ERR_TIMEOUT: return TCP_RESULT_ETIMEDOUT;
    case TCP_ERR_NO_PORTS: return TCP_RESULT_EADDRNOTAVAIL;
    case TCP_ERR_NO_MEMORY: return TCP_RESULT_ENOMEM;
    case TCP_ERR_ABORTED: return TCP_RESULT_ECONNABORTED;
    }
    return TCP_RESULT_EOTHER;
}

/* ---- OPEN (3.10.1) ---- */

static void set_error(enum tcp_error *error, enum tcp_error value)
{
    if (error)
        *error = value;
}

struct tcp_conn *tcp_listen(struct tcp_host *host, uint16_t port, int backlog,
                            enum tcp_error *error)
{
    if (tcp_find_listener(host, host->config.addr, port)) {
        set_error(error, TCP_ERR_EXISTS);
        return NULL;
    }
    struct tcp_conn *c = tcp_conn_new(host, TCP_CLOSED);
    if (!c || tcp_listener_add(host, c) != 0) {
        if (c)
            tcp_conn_unwind(c);
        set_error(error, TCP_ERR_NO_MEMORY);
        return NULL;
    }
    c->flags |= TCPF_LISTENER | TCPF_APP_KNOWS;
    c->local_addr = host->config.addr;
    c->local_port = port;
    c->backlog = backlog > 0 ? backlog : INT32_MAX; /* 0: no limit */
    tcp_set_state(c, TCP_LISTEN, TCP_CAUSE_APP_LISTEN, NULL);
    set_error(error, TCP_OK);
    return c;
}

/* The SYN leaves at once; the retransmission timer guards it (3.8.3). */
struct tcp_conn *tcp_connect(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                             uint32_t remote_addr, uint16_t remote_port, enum tcp_error *error)
{
    enum tcp_error e = tcp_choose_local(host, &local_addr, &local_port, remote_addr, remote_port);
    struct tcp_conn *c = e == TCP_OK ? tcp_conn_new(host, TCP_CLOSED) : NULL;
    if (!c) {
        set_error(error, e == TCP_OK ? TCP_ERR_NO_MEMORY : e);
        return NULL;
    }
    c->local_addr = local_addr;
    c->local_port = local_port;
    c->remote_addr = remote_addr;
    c->remote_port = remote_port;
    c->flags |= TCPF_APP_KNOWS;
    if (tcp_conn_install(c) != 0) {
        set_error(error, TCP_ERR_NO_MEMORY);
        return NULL;
    }
    tcp_hold(c);
    tcp_set_state(c, TCP_SYN_SENT, TCP_CAUSE_APP_CONNECT, NULL);
    tcp_send_syn(c, false);
    tcp_timer_rexmit_start(c);
    tcp_release(c);
    set_error(error, TCP_OK);
    return c;
}

/* ---- SEND, RECEIVE (3.10.2, 3.10.3) ---- */

/* Whether SEND is legal now (3.10.2); TCP_OK when it is. */
static enum tcp_error send_allowed(const struct tcp_conn *c)
{
    if (!c || tcp_gone(c) || (c->flags & TCPF_LISTENER))
        return TCP_ERR_NO_CONNECTION;
    switch ((enum tcp_state)c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        return c->flags & TCPF_CLOSE_QUEUED ? TCP_ERR_CLOSING : TCP_OK;
    case TCP_CLOSED:
    case TCP_LISTEN:
        return TCP_ERR_NO_CONNECTION;
    default:
        return TCP_ERR_CLOSING;
    }
}

/* A blocking write: what fits in the send buffer is queued now, the rest
 * stays a counter that tcp_output refills from as ACKs free room. A
 * write issued while one is blocked waits behind it and continues its
 * pattern (tcpsim's applications all send the same one). */
enum tcp_error tcp_write(struct tcp_conn *c, const uint8_t *pattern, size_t period, uint64_t len)
{
    enum tcp_error allowed = send_allowed(c);
    if (allowed != TCP_OK)
        return allowed;
    if (!c->buf)
        return TCP_ERR_NO_MEMORY;
    if (len == 0)
        return TCP_OK;
    struct tcp_write *w = &c->buf->write;
    if (w->left > UINT64_MAX - len)
        return TCP_ERR_NO_MEMORY;
    if (w->left == 0)
        *w = (struct tcp_write){.data = pattern, .period = period ? period : 1};
    w->left += len;
    tcp_hold(c);
    tcp_snd_refill(c);
    tcp_output(c);
    c->notify &= (uint8_t)~NOTIFY_WRITTEN; /* the caller sees tcp_write_pending() */
    tcp_release(c);
    return TCP_OK;
}

/* The caller does not keep data: it is all queued now, past snd_buf if
 * need be (later writes then wait for the queue to drain below it). Bytes
 * cannot go behind a blocked write without a copy: refused then. */
enum tcp_error tcp_send(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    enum tcp_error allowed = send_allowed(c);
    if (allowed != TCP_OK)
        return allowed;
    if (!c->buf || tcp_write_blocked(c) || len > UINT32_MAX - c->buf->snd.len ||
        tcp_bytes_append(c->host->sim, &c->buf->snd, data, (uint32_t)len) != 0)
        return TCP_ERR_NO_MEMORY;
    c->bytes_sent += len;
    tcp_hold(c);
    tcp_output(c);
    tcp_release(c);
    return TCP_OK;
}

uint64_t tcp_write_pending(const struct tcp_conn *c)
{
    return c && !tcp_gone(c) && c->buf ? c->buf->write.left : 0;
}

/* Receiver side of silly window avoidance (RFC 9293 3.8.6.2.2, RFC 1122
 * 4.2.3.3): after a read, announce the window when it grew by
 * min(rcv_buf/2, MSS). Not while an arriving segment is owed its ACK: that
 * ACK, sent once the application has read, carries the window. */
static void maybe_window_update(struct tcp_conn *c)
{
    enum tcp_state s = (enum tcp_state)c->state;
    if (s != TCP_ESTABLISHED && s != TCP_FIN_WAIT_1 && s != TCP_FIN_WAIT_2)
        return;
    if (c->flags & TCPF_ACK_OWED)
        return;
    uint32_t announced = c->rcv_adv - c->rcv_nxt;
    uint32_t wnd = tcp_rcv_wnd(c);
    uint32_t half = c->rcv_buf / 2;
    uint32_t step = half < tcp_prof(c)->mss ? half : tcp_prof(c)->mss;
    if (wnd > announced && wnd - announced >= step)
        tcp_send_ack(c);
}

size_t tcp_receive(struct tcp_conn *c, uint8_t *out, size_t max)
{
    if (!c || tcp_gone(c) || !c->buf || c->buf->rcv.len == 0)
        return 0;
    struct tcp_bytes *q = &c->buf->rcv;
    uint32_t n = q->len < max ? q->len : (uint32_t)max;
    if (out)
        memcpy(out, q->data + q->head, n);
    tcp_bytes_consume(q, n);
    c->bytes_received += n;
    tcp_hold(c);
    maybe_window_update(c);
    if (c->state == TCP_TIME_WAIT && q->len == 0)
        tcp_free_buffers(c); /* kept only until the application read the last bytes */
    tcp_release(c);
    return n;
}

/* ---- CLOSE, ABORT (3.10.4, 3.10.5) ---- */

/* RFC 9293's CLOSE: FIN after the queued data; the socket stays. */
static enum tcp_error close_sending(struct tcp_conn *c)
{
    enum tcp_error result = TCP_OK;
    tcp_hold(c);
    switch ((enum tcp_state)c->state) {
    case TCP_LISTEN:
    case TCP_SYN_SENT:
        tcp_enter_closed(c, TCP_CAUSE_APP_CLOSE, NULL, TCP_OK);
        break;
    case TCP_SYN_RECEIVED:
        /* Queued until ESTABLISHED (3.10.4 allows it), then FIN-WAIT-1. */
        c->flags |= TCPF_CLOSE_QUEUED;
        break;
    case TCP_ESTABLISHED:
        c->flags |= TCPF_CLOSE_QUEUED;
        tcp_set_state(c, TCP_FIN_WAIT_1, TCP_CAUSE_APP_CLOSE, NULL);
        tcp_output(c);
        break;
    case TCP_CLOSE_WAIT:
        c->flags |= TCPF_CLOSE_QUEUED;
        tcp_set_state(c, TCP_LAST_ACK, TCP_CAUSE_APP_CLOSE, NULL);
        tcp_output(c);
        break;
    case TCP_CLOSED:
        result = TCP_ERR_NO_CONNECTION;
        break;
    default:
        result = TCP_ERR_CLOSING;
        break;
    }
    tcp_release(c);
    return result;
}

enum tcp_error tcp_shutdown(struct tcp_conn *c, bool reading, bool writing)
{
    if (!c || tcp_gone(c) || (c->flags & TCPF_LISTENER))
        return TCP_ERR_NO_CONNECTION;
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED)
        return TCP_ERR_NO_CONNECTION; /* Linux: ENOTCONN before the handshake is done */
    if (reading)
        c->flags |= TCPF_RCV_SHUTDOWN;
    if (!writing || (c->flags & TCPF_CLOSE_QUEUED))
        return TCP_OK; /* a second SHUT_WR is no error in Linux */
    return close_sending(c);
}

static bool has_unread_data(const struct tcp_conn *c)
{
    return c->buf && c->buf->rcv.len > 0;
}

/* close(): the application lets go of the socket. Linux resets at once
 * when data was left unread (RFC 2525 2.17) or SO_LINGER is 0; otherwise
 * the socket is orphaned and closes as RFC 9293's CLOSE does. */
enum tcp_error tcp_close(struct tcp_conn *c)
{
    if (!c || tcp_gone(c))
        return TCP_ERR_NO_CONNECTION;
    bool synchronized = c->state != TCP_LISTEN && c->state != TCP_SYN_SENT && c->state != TCP_CLOSED;
    if (synchronized && (c->linger_abort || (tcp_prof(c)->rst_on_close_unread && has_unread_data(c))))
        return tcp_abort(c) == TCP_OK ? TCP_OK : TCP_ERR_NO_CONNECTION;
    if (c->flags & TCPF_ORPHAN)
        return c->state == TCP_LISTEN ? TCP_ERR_NO_CONNECTION : TCP_ERR_CLOSING; /* a second CLOSE */
    bool already_closing = (c->flags & TCPF_CLOSE_QUEUED) != 0;
    c->flags |= TCPF_ORPHAN | TCPF_RCV_SHUTDOWN;
    if (!already_closing)
        return close_sending(c);
    /* After shutdown(SHUT_WR): only the orphan rules are new. */
    if (c->state == TCP_FIN_WAIT_2)
        tcp_timer_fin_wait_2(c);
    return TCP_OK;
}

bool tcp_reset_on_data_after_close(struct tcp_conn *c, const struct segment *seg, uint32_t seq,
                                   uint32_t len)
{
    enum tcp_state s = (enum tcp_state)c->state;
    if (!tcp_prof(c)->rst_on_data_after_close || !(c->flags & TCPF_RCV_SHUTDOWN))
        return false;
    if (s != TCP_FIN_WAIT_1 && s != TCP_FIN_WAIT_2)
        return false;
    if ((int32_t)(seq + len - c->rcv_nxt) <= 0)
        return false; /* nothing new: an old duplicate */
    tcp_send_segment(c, TCP_FLAG_RST, c->snd_nxt, NULL, 0, false);
    tcp_enter_closed(c, TCP_CAUSE_RCV_DATA_AFTER_CLOSE, seg, TCP_ERR_RESET);
    return true;
}

int tcp_data_retry_limit(const struct tcp_conn *c)
{
    const struct tcp_profile *p = tcp_prof(c);
    if (!(c->flags & TCPF_ORPHAN))
        return p->data_retries;
    return p->orphan_retries == 0 ? 8 : p->orphan_retries;
}

/* RFC 9293 3.10.5: states that hold a synchronized peer get
 * <SEQ=SND.NXT><CTL=RST>; every ABORT ends in CLOSED (not TIME-WAIT). */
enum tcp_error tcp_abort(struct tcp_conn *c)
{
    if (!c || tcp_gone(c) || c->state == TCP_CLOSED)
        return TCP_ERR_NO_CONNECTION;
    tcp_hold(c);
    switch ((enum tcp_state)c->state) {
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_FIN_WAIT_1:
    case TCP_FIN_WAIT_2:
    case TCP_CLOSE_WAIT:
        tcp_send_reset(c);
        break;
    default:
        break;
    }
    tcp_enter_closed(c, TCP_CAUSE_APP_ABORT, NULL, TCP_ERR_ABORTED);
    tcp_release(c);
    return TCP_OK;
}

void tcp_set_linger_abort(struct tcp_conn *c, bool abort) { c->linger_abort = abort; }

void tcp_set_rcv_buf(struct tcp_conn *c, uint32_t bytes)
{
    c->rcv_buf = bytes > 65535 ? 65535 : bytes; /* no window scaling, as the profile's */
}

/* SO_SNDBUF: a fixed ceiling from now on; a larger one lets a blocked
 * write go on at once. Linux doubles the value for its bookkeeping and
 * counts skb truesize against it, which for full-sized (GSO) skbs is
 * little more than the payload: the doubled value is the payload held. */
void tcp_set_snd_buf(struct tcp_conn *c, uint32_t bytes)
{
    c->snd_buf = bytes > UINT32_MAX / 2 ? UINT32_MAX : 2 * bytes;
    c->snd_buf_locked = true;
    if (!tcp_write_blocked(c))
        return;
    tcp_hold(c);
    if (tcp_snd_refill(c))
        c->notify |= NOTIFY_WRITTEN;
    tcp_output(c);
    tcp_notify_app(c);
    tcp_release(c);
}

void tcp_set_user_timeout(struct tcp_conn *c, sim_time timeout) { c->user_timeout = timeout; }

/* ---- notifications to the application ---- */

/* Delivers the notifications in `which`, in the order connected/accepted,
 * readable, peer_closed; the application may delete the TCB in any of them. */
static void notify(struct tcp_conn *c, uint8_t which)
{
    struct tcp_host *h = c->host;
    while ((c->notify & which) && !tcp_gone(c)) {
        if (c->notify & NOTIFY_CONNECTED) {
            c->notify &= (uint8_t)~NOTIFY_CONNECTED;
            c->flags |= TCPF_APP_KNOWS;
            if ((c->flags & TCPF_PASSIVE) && h->app_ops.accepted)
                h->app_ops.accepted(h->app, c->listener, c);
            else if (!(c->flags & TCPF_PASSIVE) && h->app_ops.connected)
                h->app_ops.connected(h->app, c);
        } else if (c->notify & which & NOTIFY_WRITTEN) {
            c->notify &= (uint8_t)~NOTIFY_WRITTEN;
            if (h->app_ops.written)
                h->app_ops.written(h->app, c);
        } else if (c->notify & NOTIFY_READABLE) {
            c->notify &= (uint8_t)~NOTIFY_READABLE;
            if (c->buf && c->buf->rcv.len && h->app_ops.readable)
                h->app_ops.readable(h->app, c, c->buf->rcv.len);
        } else {
            c->notify &= (uint8_t)~NOTIFY_PEER_CLOSED;
            if (h->app_ops.peer_closed)
                h->app_ops.peer_closed(h->app, c);
        }
    }
}

void tcp_notify_app(struct tcp_conn *c)
{
    notify(c, NOTIFY_CONNECTED | NOTIFY_WRITTEN | NOTIFY_READABLE | NOTIFY_PEER_CLOSED);
}

void tcp_notify_app_data(struct tcp_conn *c) { notify(c, NOTIFY_CONNECTED | NOTIFY_READABLE); }

/* ---- looking at a TCB ---- */

enum tcp_state tcp_conn_state(const struct tcp_conn *c) { return (enum tcp_state)c->state; }
uint64_t tcp_conn_id(const struct tcp_conn *c) { return c->conn_id; }
bool tcp_conn_is_listener(const struct tcp_conn *c) { return (c->flags & TCPF_LISTENER) != 0; }
void tcp_conn_set_app_data(struct tcp_conn *c, void *data) { c->app_data = data; }
void *tcp_conn_app_data(const struct tcp_conn *c) { return c->app_data; }

void tcp_conn_info(const struct tcp_conn *c, struct tcp_conn_info *info)
{
    *info = (struct tcp_conn_info){
        .local_addr = c->local_addr,
        .remote_addr = c->remote_addr,
        .local_port = c->local_port,
        .remote_port = c->remote_port,
        .iss = c->iss,
        .irs = c->irs,
        .snd_una = c->snd_una,
        .snd_nxt = c->snd_nxt,
        .rcv_nxt = c->rcv_nxt,
        .snd_wnd = c->snd_wnd,
        .rcv_wnd = tcp_rcv_wnd(c),
        .srtt = (c->flags & TCPF_HAVE_RTT) ? c->srtt : 0,
        .rttvar = (c->flags & TCPF_HAVE_RTT) ? c->rttvar : 0,
        .rto = tcp_current_rto(c),
        .retransmissions = c->retransmissions,
        .bytes_sent = c->bytes_sent,
        .bytes_received = c->bytes_received,
    };
}
