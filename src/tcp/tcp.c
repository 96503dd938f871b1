/*
 * tcp.c: the life of hosts and TCBs. A host is created with its
 * configuration made whole (defaults for the ephemeral range, MSS and
 * receive buffer) and joins the network; a TCB is born in one of three
 * ways: tcp_listen, tcp_connect (tcp_user.c) and tcp_create_child, when a
 * SYN reaches a listener (3.10.7.2). A TCB is deleted only by tcp_set_state
 * (tcp_state.c); its memory is freed when the last entry point holding it
 * lets go (tcp_hold, tcp_release).
 *
 * The rest of the TCP: tcp_user.c (the user calls), tcp_table.c (finding
 * TCBs, ports, ISNs), tcp_registry.c (the network and its conn_ids),
 * tcp_state.c (THE state change), tcp_input.c (SEGMENT ARRIVES),
 * tcp_output.c (segments leaving), tcp_buffer.c (byte queues), tcp_timer.c
 * (RTT and timers), tcp_profile.c (rfc9293 and linux numbers).
 *
 * Host statistics: connections_opened counts connections of this host that
 * reached ESTABLISHED (either end); connections_failed counts active OPENs
 * deleted before reaching ESTABLISHED (refused, timed out, closed, aborted).
 */
#include "tcp_internal.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_EPHEMERAL_LOW 32768
#define DEFAULT_EPHEMERAL_HIGH 60999

/* ---- hosts ---- */

/* Fills what the scenario left unset and clamps what the simulator cannot
 * do (no window scaling: the window field is 16 bits). */
static void host_config_complete(struct tcp_host_config *config)
{
    if (config->addr_count == 0)
        config->addr_count = 1;
    if (config->ephemeral_low == 0 && config->ephemeral_high == 0) {
        config->ephemeral_low = DEFAULT_EPHEMERAL_LOW;
        config->ephemeral_high = DEFAULT_EPHEMERAL_HIGH;
    }
    struct tcp_profile *p = &config->profile;
    if (p->rcv_buf > 65535)
        p->rcv_buf = 65535;
    if (p->mss == 0 || p->mss > 65535)
        p->mss = p->mss ? 65535 : 536;
}

struct tcp_host *tcp_host_create(struct tcp_network *network, const struct tcp_host_config *config,
                                 struct rng *isn_rng, tcp_output_fn *output, void *output_context,
                                 const struct tcp_app_ops *app_ops, void *app)
{
    struct tcp_host *h = calloc(1, sizeof *h);
    if (!h || tcp_network_add_host(network, h) != 0) {
        free(h);
        return NULL;
    }
    h->network = network;
    h->sim = network->sim;
    h->config = *config;
    host_config_complete(&h->config);
    h->isn_rng = isn_rng;
    if (isn_rng && h->config.isn_mode == TCP_ISN_RFC6528) {
        h->isn_key[0] = (uint64_t)rng_u32(isn_rng) << 32 | rng_u32(isn_rng);
        h->isn_key[1] = (uint64_t)rng_u32(isn_rng) << 32 | rng_u32(isn_rng);
    }
    h->output = output;
    h->output_context = output_context;
    if (app_ops)
        h->app_ops = *app_ops;
    h->app = app;
    return h;
}

/* Frees the TCB, or keeps it as a spare of its host (struct tcp_host). */
static void conn_free(struct tcp_conn *c)
{
    tcp_free_buffers(c);
    struct tcp_host *h = c->host;
    sim_memory_release(h->sim, TCP_TCB_CHARGE); /* live TCBs are charged; spares are few (TCP_SPARES) */
    if (h->spare_tcb_count < TCP_SPARES)
        h->spare_tcbs[h->spare_tcb_count++] = c;
    else
        free(c);
}

/* A zeroed TCB: a spare of the host's, else a new one. */
static struct tcp_conn *conn_alloc(struct tcp_host *h)
{
    if (h->spare_tcb_count == 0)
        return calloc(1, sizeof(struct tcp_conn));
    struct tcp_conn *c = h->spare_tcbs[--h->spare_tcb_count];
    memset(c, 0, sizeof *c);
    return c;
}

/* Tears a TCB down without telling anyone (host destruction). */
static void conn_discard(struct tcp_conn *c)
{
    tcp_timers_stop(c);
    if (c->host->network)
        tcp_registry_detach(c, false);
    conn_free(c);
}

void tcp_host_destroy(struct tcp_host *host)
{
    if (!host)
        return;
    for (size_t i = 0; i < host->tcbs.cap; i++)
        if (host->tcbs.slots[i])
            conn_discard(host->tcbs.slots[i]);
    for (size_t i = 0; i < host->listener_count; i++)
        conn_discard(host->listeners[i]);
    if (host->network)
        tcp_network_remove_host(host->network, host);
    for (size_t i = 0; i < host->spare_tcb_count; i++)
        free(host->spare_tcbs[i]);
    tcp_free_spare_buffers(host);
    free(host->tcbs.slots);
    free(host->tcbs.hashes);
    free(host->listeners);
    free(host);
}

size_t tcp_connection_footprint(void)
{
    return 2 * (TCP_TCB_CHARGE + sizeof(struct tcp_buffers)) + TCP_RECORD_CHARGE;
}

const struct tcp_host_stats *tcp_host_stats(const struct tcp_host *host) { return &host->stats; }
const char *tcp_host_name(const struct tcp_host *host) { return host->config.name; }

/* ---- TCB life ---- */

struct tcp_conn *tcp_conn_new(struct tcp_host *h, enum tcp_state initial)
{
    struct tcp_conn *c = conn_alloc(h);
    if (!c)
        return NULL;
    c->host = h;
    sim_memory_charge(h->sim, TCP_TCB_CHARGE);
    c->state = (uint8_t)initial;
    c->rto = h->config.profile.rto_initial;
    c->cwnd = UINT32_MAX;
    tcp_delack_init(c);
    c->snd_mss = (uint16_t)h->config.profile.mss;
    c->rcv_buf = h->config.profile.rcv_buf;
    c->snd_buf = h->config.profile.snd_buf;
    h->stats.tcbs++;
    h->stats.in_state[initial]++;
    return c;
}

int tcp_conn_install(struct tcp_conn *c)
{
    c->iss = tcp_choose_isn(c->host, c);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    bool passive = (c->flags & TCPF_PASSIVE) != 0;
    if (tcp_table_insert(&c->host->tcbs, c) != 0 || tcp_alloc_buffers(c) != 0 ||
        (passive ? tcp_registry_attach_passive(c) : tcp_registry_attach_active(c)) != 0) {
        tcp_conn_unwind(c);
        return -1;
    }
    c->buf->snd_base = c->iss + 1;
    return 0;
}

void tcp_conn_unwind(struct tcp_conn *c)
{
    c->host->stats.tcbs--;
    c->host->stats.in_state[c->state]--;
    tcp_table_remove(&c->host->tcbs, c);
    if (c->record)
        tcp_registry_detach(c, true);
    conn_free(c);
}

void tcp_hold(struct tcp_conn *c) { c->busy++; }

void tcp_release(struct tcp_conn *c)
{
    assert(c->busy > 0);
    if (--c->busy == 0 && tcp_gone(c))
        conn_free(c);
}

/* The SYN's sequence number, window and MSS option seed the child's
 * receive side and send window (3.10.7.2). */
struct tcp_conn *tcp_create_child(struct tcp_conn *listener, const struct segment *syn)
{
    if (listener->backlog_used >= listener->backlog)
        return NULL; /* queue full: drop the SYN, as Linux does without syncookies */
    struct tcp_conn *c = tcp_conn_new(listener->host, TCP_LISTEN);
    if (!c)
        return NULL;
    c->flags |= TCPF_PASSIVE;
    c->listener = listener;
    c->linger_abort = listener->linger_abort; /* Linux: the child inherits the listener's options */
    c->rcv_buf = listener->rcv_buf;
    c->snd_buf = listener->snd_buf;
    c->snd_buf_locked = listener->snd_buf_locked;
    c->user_timeout = listener->user_timeout;
    c->local_addr = syn->dst_addr;
    c->local_port = syn->dst_port;
    c->remote_addr = syn->src_addr;
    c->remote_port = syn->src_port;
    c->irs = syn->seq;
    c->rcv_nxt = syn->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->snd_wnd = syn->wnd;
    c->max_snd_wnd = syn->wnd;
    c->snd_wl1 = syn->seq;
    if (syn->mss && syn->mss < c->snd_mss)
        c->snd_mss = syn->mss;
    if (tcp_conn_install(c) != 0)
        return NULL;
    tcp_options_on_syn(c, syn); /* after the ISS: it offsets our timestamps */
    listener->backlog_used++;
    tcp_set_state(c, TCP_SYN_RECEIVED, TCP_CAUSE_RCV_SYN, syn);
    return c;
}
