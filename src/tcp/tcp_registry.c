/*
 * tcp_registry.c: the network, one per simulation. It knows its hosts and
 * keeps one record per connection shared by both ends, so the client's TCB
 * and the server's carry one conn_id (simultaneous open included, RFC 9293
 * Figure 7). When the last TCB of a connection is deleted the record is
 * reported as struct trace_connection (ISNs, opened, established, closed)
 * and freed; tcp_network_finish reports those still open as not closed.
 *
 * Trade-off: records hang in a chained hash keyed by the 4-tuple in
 * canonical order (either end finds it), kept at most half full; the
 * registry is touched once per connection event, never per segment.
 */
#include "tcp_internal.h"

#include <stdlib.h>
#include <string.h>

/* ---- the network registry: one record per connection, both ends ---- */

static uint64_t canonical_hash(uint32_t a1, uint16_t p1, uint32_t a2, uint16_t p2)
{
    bool swap = a1 > a2 || (a1 == a2 && p1 > p2);
    return swap ? tcp_tuple_hash(a2, p2, a1, p1) : tcp_tuple_hash(a1, p1, a2, p2);
}

static bool record_matches(const struct tcp_conn_record *r, uint32_t la, uint16_t lp, uint32_t ra,
                           uint16_t rp)
{
    return (r->client_addr == la && r->client_port == lp && r->server_addr == ra &&
            r->server_port == rp) ||
           (r->client_addr == ra && r->client_port == rp && r->server_addr == la &&
            r->server_port == lp);
}

static size_t record_bucket(const struct tcp_network *n, const struct tcp_conn_record *r)
{
    return canonical_hash(r->client_addr, r->client_port, r->server_addr, r->server_port) &
           (n->bucket_count - 1);
}

static int registry_grow(struct tcp_network *n)
{
    size_t count = n->bucket_count ? n->bucket_count * 2 : 64;
    struct tcp_conn_record **buckets = calloc(count, sizeof *buckets);
    if (!buckets)
        return -1;
    struct tcp_conn_record **old = n->buckets;
    size_t old_count = n->bucket_count;
    n->buckets = buckets;
    n->bucket_count = count;
    for (size_t i = 0; i < old_count; i++) {
        while (old[i]) {
            struct tcp_conn_record *r = old[i];
            old[i] = r->next;
            size_t b = record_bucket(n, r);
            r->next = buckets[b];
            buckets[b] = r;
        }
    }
    free(old);
    return 0;
}

/* The newest record of a 4-tuple (largest conn_id): a tuple can be reused
 * while an older incarnation still has a TCB somewhere. */
static struct tcp_conn_record *registry_newest(const struct tcp_network *n, uint32_t la,
                                               uint16_t lp, uint32_t ra, uint16_t rp)
{
    if (n->bucket_count == 0)
        return NULL;
    struct tcp_conn_record *best = NULL;
    size_t b = canonical_hash(la, lp, ra, rp) & (n->bucket_count - 1);
    for (struct tcp_conn_record *r = n->buckets[b]; r; r = r->next)
        if (record_matches(r, la, lp, ra, rp) && (!best || r->conn_id > best->conn_id))
            best = r;
    return best;
}

static void registry_unlink(struct tcp_network *n, struct tcp_conn_record *r)
{
    struct tcp_conn_record **p = &n->buckets[record_bucket(n, r)];
    while (*p != r)
        p = &(*p)->next;
    *p = r->next;
    n->record_count--;
}

static struct tcp_conn_record *registry_add(struct tcp_network *n, uint32_t client_addr,
                                            uint16_t client_port, uint32_t server_addr,
                                            uint16_t server_port)
{
    /* At most one record per two buckets: at 10^6 connections each chain
     * walked is a cache miss per record. */
    if (2 * (n->record_count + 1) > n->bucket_count && registry_grow(n) != 0)
        return NULL;
    struct tcp_conn_record *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    sim_memory_charge(n->sim, TCP_RECORD_CHARGE);
    r->conn_id = ++n->next_conn_id;
    r->client_addr = client_addr;
    r->client_port = client_port;
    r->server_addr = server_addr;
    r->server_port = server_port;
    r->opened_ns = sim_now(n->sim);
    r->established_ns = -1;
    size_t b = record_bucket(n, r);
    r->next = n->buckets[b];
    n->buckets[b] = r;
    n->record_count++;
    return r;
}

static const struct tcp_host *network_host_of(const struct tcp_network *n, uint32_t addr)
{
    for (size_t i = 0; i < n->host_count; i++)
        if (tcp_host_owns(n->hosts[i], addr))
            return n->hosts[i];
    return NULL;
}

static void record_emit(struct tcp_network *n, const struct tcp_conn_record *r, sim_time closed)
{
    struct trace_connection tc = {
        .conn_id = r->conn_id,
        .client = r->client_host ? r->client_host->config.name : "unknown",
        .server = r->server_host ? r->server_host->config.name : "unknown",
        .client_addr = r->client_addr,
        .server_addr = r->server_addr,
        .client_port = r->client_port,
        .server_port = r->server_port,
        .client_isn = r->client_isn,
        .server_isn = r->server_isn,
        .has_client_isn = r->has_client_isn,
        .has_server_isn = r->has_server_isn,
        .opened_ns = r->opened_ns,
        .established_ns = r->established_ns,
        .closed_ns = closed,
    };
    trace_connection(n->trace, &tc);
}

/* Whether the host owning remote_addr has a TCB for the mirrored tuple:
 * only then can a simultaneous-open record exist to join (its client TCB
 * would be that TCB, in SYN_SENT). Its table is small and hot; the
 * registry is not (a cache miss per connection at 10^6 alive). */
static bool peer_has_mirror(const struct tcp_conn *c)
{
    const struct tcp_network *n = c->host->network;
    for (size_t i = 0; i < n->host_count; i++)
        if (n->hosts[i] != c->host && tcp_host_owns(n->hosts[i], c->remote_addr))
            return tcp_lookup(n->hosts[i], c->remote_addr, c->remote_port, c->local_addr,
                              c->local_port) != NULL;
    return false;
}

/* An active OPEN joins the record of a peer that is itself in SYN_SENT for
 * the mirrored tuple (simultaneous open, RFC 9293 Fig. 7); otherwise it
 * starts a new connection with itself as the client. */
int tcp_registry_attach_active(struct tcp_conn *c)
{
    struct tcp_network *n = c->host->network;
    struct tcp_conn_record *r =
        peer_has_mirror(c)
            ? registry_newest(n, c->local_addr, c->local_port, c->remote_addr, c->remote_port)
            : NULL;
    if (r && !r->server_tcb && r->client_tcb && r->client_tcb->host != c->host &&
        r->client_tcb->state == TCP_SYN_SENT) {
        r->server_tcb = c;
        r->server_host = c->host;
        r->server_isn = c->iss;
        r->has_server_isn = true;
    } else {
        r = registry_add(n, c->local_addr, c->local_port, c->remote_addr, c->remote_port);
        if (!r)
            return -1;
        r->client_tcb = c;
        r->client_host = c->host;
        r->client_isn = c->iss;
        r->has_client_isn = true;
        r->server_host = network_host_of(n, c->remote_addr);
    }
    c->record = r;
    c->conn_id = r->conn_id;
    return 0;
}

/* A passive child joins the record of the client whose SYN created it. */
int tcp_registry_attach_passive(struct tcp_conn *c)
{
    struct tcp_network *n = c->host->network;
    struct tcp_conn_record *r =
        registry_newest(n, c->local_addr, c->local_port, c->remote_addr, c->remote_port);
    if (!r || r->server_tcb || !r->client_tcb || r->client_tcb->host == c->host) {
        r = registry_add(n, c->remote_addr, c->remote_port, c->local_addr, c->local_port);
        if (!r)
            return -1;
        r->client_host = network_host_of(n, c->remote_addr);
    }
    r->server_tcb = c;
    r->server_host = c->host;
    r->server_isn = c->iss;
    r->has_server_isn = true;
    if (!r->has_client_isn) {
        r->client_isn = c->irs;
        r->has_client_isn = true;
    }
    c->record = r;
    c->conn_id = r->conn_id;
    return 0;
}

/* An active opener learned the peer's ISN (from its SYN or SYN-ACK). */
static void registry_note_peer_isn(struct tcp_conn *c)
{
    struct tcp_conn_record *r = c->record;
    if (!r)
        return;
    if (r->client_tcb == c && !r->has_server_isn) {
        r->server_isn = c->irs;
        r->has_server_isn = true;
    } else if (r->server_tcb == c && !r->has_client_isn) {
        r->client_isn = c->irs;
        r->has_client_isn = true;
    }
}

/* The client's ESTABLISHED dates the connection; the peer's ISN is known now. */
void tcp_registry_note_established(struct tcp_conn *c)
{
    struct tcp_conn_record *r = c->record;
    if (r && r->client_tcb == c && r->established_ns < 0)
        r->established_ns = tcp_now(c);
    registry_note_peer_isn(c);
}

/* Forget a deleted TCB; the last one out reports the connection (emit) or,
 * when a host is torn down, frees the record silently. */
void tcp_registry_detach(struct tcp_conn *c, bool emit)
{
    struct tcp_conn_record *r = c->record;
    if (!r)
        return;
    if (r->client_tcb == c)
        r->client_tcb = NULL;
    if (r->server_tcb == c)
        r->server_tcb = NULL;
    c->record = NULL;
    if (r->client_tcb || r->server_tcb)
        return;
    struct tcp_network *n = c->host->network;
    if (emit)
        record_emit(n, r, sim_now(n->sim));
    registry_unlink(n, r);
    sim_memory_release(n->sim, TCP_RECORD_CHARGE);
    free(r);
}

/* ---- the network ---- */

struct tcp_network *tcp_network_create(struct sim *sim, struct trace *trace)
{
    struct tcp_network *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->sim = sim;
    n->trace = trace;
    return n;
}

static int record_by_id(const void *a, const void *b)
{
    const struct tcp_conn_record *x = *(const struct tcp_conn_record *const *)a;
    const struct tcp_conn_record *y = *(const struct tcp_conn_record *const *)b;
    return (x->conn_id > y->conn_id) - (x->conn_id < y->conn_id);
}

/* Detaches and frees every record; with emit, reports them first in conn_id
 * order as not closed. */
static void registry_clear(struct tcp_network *n, bool emit)
{
    struct tcp_conn_record **all = malloc((n->record_count + 1) * sizeof *all);
    size_t count = 0;
    for (size_t b = 0; b < n->bucket_count; b++) {
        for (struct tcp_conn_record *r = n->buckets[b], *next; r; r = next) {
            next = r->next;
            if (r->client_tcb)
                r->client_tcb->record = NULL;
            if (r->server_tcb)
                r->server_tcb->record = NULL;
            if (all)
                all[count++] = r;
            else
                free(r);
        }
        n->buckets[b] = NULL;
    }
    n->record_count = 0;
    if (!all)
        return;
    qsort(all, count, sizeof *all, record_by_id);
    for (size_t i = 0; i < count; i++) {
        if (emit)
            record_emit(n, all[i], -1);
        free(all[i]);
    }
    free(all);
}

void tcp_network_finish(struct tcp_network *network)
{
    if (network)
        registry_clear(network, true);
}

void tcp_network_destroy(struct tcp_network *network)
{
    if (!network)
        return;
    registry_clear(network, false);
    for (size_t i = 0; i < network->host_count; i++)
        network->hosts[i]->network = NULL;
    free(network->hosts);
    free(network->buckets);
    free(network);
}

/* ---- the hosts of the network ---- */

int tcp_network_add_host(struct tcp_network *n, struct tcp_host *h)
{
    if (n->host_count == n->host_cap) {
        size_t cap = n->host_cap ? n->host_cap * 2 : 4;
        struct tcp_host **hosts = realloc(n->hosts, cap * sizeof *hosts);
        if (!hosts)
            return -1;
        n->hosts = hosts;
        n->host_cap = cap;
    }
    n->hosts[n->host_count++] = h;
    return 0;
}

void tcp_network_remove_host(struct tcp_network *n, const struct tcp_host *h)
{
    for (size_t i = 0; i < n->host_count; i++) {
        if (n->hosts[i] == h) {
            memmove(&n->hosts[i], &n->hosts[i + 1], (n->host_count - i - 1) * sizeof *n->hosts);
            n->host_count--;
            return;
        }
    }
}
