/*
 * tcp.c: one host's TCP, apart from segment arrival (tcp_input.c) and the
 * timers (tcp_timer.c). Here live:
 *  - the user calls of RFC 9293 3.10.1-3.10.5 (OPEN, SEND, RECEIVE, CLOSE,
 *    ABORT) and the accessors of tcp.h;
 *  - the TCB table (demultiplexing by 4-tuple, open addressing), listeners by
 *    port, ephemeral port choice, ISN choice (RFC 9293 3.4.1);
 *  - segment output: the send queue, segmentation, retransmission of the
 *    oldest segment, resets for segments with no TCB (3.10.7.1);
 *  - tcp_set_state, THE one function through which every state change goes;
 *  - the network's registry, which gives both ends of a connection one
 *    conn_id and reports struct trace_connection when both TCBs are gone.
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
#define FIXED_ISN_STRIDE 64000u /* TCP_ISN_FIXED: the k-th connection of a host uses isn + k * 64000 */

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

/* ---- hashing (never of pointers: iteration order must not depend on them) ---- */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t tuple_hash(uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    return mix64(((uint64_t)la << 32 | ra) ^ mix64((uint64_t)lp << 16 | rp));
}

/* ---- the TCB table: open addressing with linear probing ---- */

/* Each slot keeps the low 32 bits of its TCB's hash (home = hash & (cap-1),
 * cap <= 2^32): a probe compares the TCB's tuple only when the hash matches,
 * and moves never read a TCB. Slot order is what the full hash gives. */
static uint32_t conn_hash32(const struct tcp_conn *c)
{
    return (uint32_t)tuple_hash(c->local_addr, c->local_port, c->remote_addr, c->remote_port);
}

static int table_grow(struct tcp_table *t)
{
    size_t cap = t->cap ? t->cap * 2 : 64;
    struct tcp_conn **slots = calloc(cap, sizeof *slots);
    uint32_t *hashes = malloc(cap * sizeof *hashes);
    if (!slots || !hashes) {
        free(slots);
        free(hashes);
        return -1;
    }
    for (size_t i = 0; i < t->cap; i++) {
        if (!t->slots[i])
            continue;
        size_t j = t->hashes[i] & (cap - 1);
        while (slots[j])
            j = (j + 1) & (cap - 1);
        slots[j] = t->slots[i];
        hashes[j] = t->hashes[i];
    }
    free(t->slots);
    free(t->hashes);
    t->slots = slots;
    t->hashes = hashes;
    t->cap = cap;
    return 0;
}

static int table_insert(struct tcp_table *t, struct tcp_conn *c)
{
    if ((t->count + 1) * 2 > t->cap && table_grow(t) != 0)
        return -1;
    uint32_t hash = conn_hash32(c);
    size_t i = hash & (t->cap - 1);
    while (t->slots[i])
        i = (i + 1) & (t->cap - 1);
    t->slots[i] = c;
    t->hashes[i] = hash;
    t->count++;
    return 0;
}

static size_t table_index(const struct tcp_table *t, uint32_t la, uint16_t lp, uint32_t ra,
                          uint16_t rp)
{
    if (t->cap == 0)
        return SIZE_MAX;
    uint32_t hash = (uint32_t)tuple_hash(la, lp, ra, rp);
    size_t i = hash & (t->cap - 1);
    for (struct tcp_conn *c; (c = t->slots[i]) != NULL; i = (i + 1) & (t->cap - 1))
        if (t->hashes[i] == hash && c->local_addr == la && c->local_port == lp &&
            c->remote_addr == ra && c->remote_port == rp)
            return i;
    return SIZE_MAX;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
static void table_remove(struct tcp_table *t, struct tcp_conn *c)
{
    size_t i = table_index(t, c->local_addr, c->local_port, c->remote_addr, c->remote_port);
    if (i == SIZE_MAX || t->slots[i] != c)
        return;
    size_t mask = t->cap - 1;
    for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
        size_t k = t->hashes[j] & mask;
        bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            t->slots[i] = t->slots[j];
            t->hashes[i] = t->hashes[j];
            i = j;
        }
    }
    t->slots[i] = NULL;
    t->count--;
}

struct tcp_conn *tcp_lookup(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                            uint32_t remote_addr, uint16_t remote_port)
{
    size_t i = table_index(&host->tcbs, local_addr, local_port, remote_addr, remote_port);
    return i == SIZE_MAX ? NULL : host->tcbs.slots[i];
}

static bool host_owns(const struct tcp_host *host, uint32_t addr)
{
    return addr - host->config.addr < host->config.addr_count;
}

struct tcp_conn *tcp_find_listener(struct tcp_host *host, uint32_t local_addr, uint16_t port)
{
    if (!host_owns(host, local_addr))
        return NULL;
    for (size_t i = 0; i < host->listener_count; i++)
        if (host->listeners[i]->local_port == port)
            return host->listeners[i];
    return NULL;
}

/* ---- the network registry: one record per connection, both ends ---- */

static uint64_t canonical_hash(uint32_t a1, uint16_t p1, uint32_t a2, uint16_t p2)
{
    bool swap = a1 > a2 || (a1 == a2 && p1 > p2);
    return swap ? tuple_hash(a2, p2, a1, p1) : tuple_hash(a1, p1, a2, p2);
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
        if (host_owns(n->hosts[i], addr))
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

/* An active OPEN joins the record of a peer that is itself in SYN_SENT for
 * the mirrored tuple (simultaneous open, RFC 9293 Fig. 7); otherwise it
 * starts a new connection with itself as the client. */
/* Whether the host owning remote_addr has a TCB for the mirrored tuple:
 * only then can a simultaneous-open record exist to join (its client TCB
 * would be that TCB, in SYN_SENT). Its table is small and hot; the
 * registry is not (a cache miss per connection at 10^6 alive). */
static bool peer_has_mirror(const struct tcp_conn *c)
{
    const struct tcp_network *n = c->host->network;
    for (size_t i = 0; i < n->host_count; i++)
        if (n->hosts[i] != c->host && host_owns(n->hosts[i], c->remote_addr))
            return tcp_lookup(n->hosts[i], c->remote_addr, c->remote_port, c->local_addr,
                              c->local_port) != NULL;
    return false;
}

static int registry_attach_active(struct tcp_conn *c)
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
static int registry_attach_passive(struct tcp_conn *c)
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
static void note_established(struct tcp_conn *c)
{
    struct tcp_conn_record *r = c->record;
    if (r && r->client_tcb == c && r->established_ns < 0)
        r->established_ns = tcp_now(c);
    registry_note_peer_isn(c);
}

/* Forget a deleted TCB; the last one out reports the connection (emit) or,
 * when a host is torn down, frees the record silently. */
static void registry_detach(struct tcp_conn *c, bool emit)
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

/* ---- ISN (RFC 9293 3.4.1) ---- */

static uint64_t rotl(uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

#define SIPROUND                                                                                 \
    do {                                                                                         \
        v0 += v1; v1 = rotl(v1, 13); v1 ^= v0; v0 = rotl(v0, 32);                                 \
        v2 += v3; v3 = rotl(v3, 16); v3 ^= v2;                                                   \
        v0 += v3; v3 = rotl(v3, 21); v3 ^= v0;                                                   \
        v2 += v1; v1 = rotl(v1, 17); v1 ^= v2; v2 = rotl(v2, 32);                                 \
    } while (0)

/* SipHash-2-4 of the 4-tuple (two 64-bit words), the pseudorandom function
 * F of RFC 6528, keyed with a secret drawn once from the host's ISN stream. */
static uint64_t siphash_tuple(const uint64_t key[2], uint64_t m0, uint64_t m1)
{
    uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL, v1 = key[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL, v3 = key[1] ^ 0x7465646279746573ULL;
    uint64_t words[3] = {m0, m1, (uint64_t)16 << 56};
    for (int i = 0; i < 3; i++) {
        v3 ^= words[i];
        SIPROUND;
        SIPROUND;
        v0 ^= words[i];
    }
    v2 ^= 0xff;
    for (int i = 0; i < 4; i++)
        SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static uint32_t choose_isn(struct tcp_host *h, const struct tcp_conn *c)
{
    uint64_t k = h->isn_count++;
    switch (h->config.isn_mode) {
    case TCP_ISN_RANDOM:
        if (h->isn_rng)
            return rng_u32(h->isn_rng);
        break;
    case TCP_ISN_RFC6528: {
        /* ISN = M + F(localip, localport, remoteip, remoteport, secretkey), M a 4 us clock. */
        uint32_t m = (uint32_t)(sim_now(h->sim) / (4 * SIM_US));
        uint64_t f = siphash_tuple(h->isn_key, (uint64_t)c->local_addr << 32 | c->remote_addr,
                                   (uint64_t)c->local_port << 16 | c->remote_port);
        return m + (uint32_t)f;
    }
    case TCP_ISN_FIXED:
        break;
    }
    return h->config.isn + (uint32_t)(k * FIXED_ISN_STRIDE);
}

/* ---- hosts ---- */

struct tcp_host *tcp_host_create(struct tcp_network *network, const struct tcp_host_config *config,
                                 struct rng *isn_rng, tcp_output_fn *output, void *output_context,
                                 const struct tcp_app_ops *app_ops, void *app)
{
    struct tcp_host *h = calloc(1, sizeof *h);
    if (!h)
        return NULL;
    if (network->host_count == network->host_cap) {
        size_t cap = network->host_cap ? network->host_cap * 2 : 4;
        struct tcp_host **hosts = realloc(network->hosts, cap * sizeof *hosts);
        if (!hosts) {
            free(h);
            return NULL;
        }
        network->hosts = hosts;
        network->host_cap = cap;
    }
    network->hosts[network->host_count++] = h;
    h->network = network;
    h->sim = network->sim;
    h->config = *config;
    if (h->config.addr_count == 0)
        h->config.addr_count = 1;
    if (h->config.ephemeral_low == 0 && h->config.ephemeral_high == 0) {
        h->config.ephemeral_low = DEFAULT_EPHEMERAL_LOW;
        h->config.ephemeral_high = DEFAULT_EPHEMERAL_HIGH;
    }
    struct tcp_profile *p = &h->config.profile;
    if (p->rcv_buf > 65535) /* no window scaling */
        p->rcv_buf = 65535;
    if (p->mss == 0 || p->mss > 65535)
        p->mss = p->mss ? 65535 : 536;
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

static void conn_free(struct tcp_conn *c)
{
    tcp_free_buffers(c);
    free(c);
}

/* Tears a TCB down without telling anyone (host destruction). */
static void conn_discard(struct tcp_conn *c)
{
    tcp_timers_stop(c);
    if (c->host->network)
        registry_detach(c, false);
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
    struct tcp_network *n = host->network;
    for (size_t i = 0; n && i < n->host_count; i++) {
        if (n->hosts[i] == host) {
            memmove(&n->hosts[i], &n->hosts[i + 1], (n->host_count - i - 1) * sizeof *n->hosts);
            n->host_count--;
            break;
        }
    }
    free(host->tcbs.slots);
    free(host->tcbs.hashes);
    free(host->listeners);
    free(host);
}

const struct tcp_host_stats *tcp_host_stats(const struct tcp_host *host) { return &host->stats; }
const char *tcp_host_name(const struct tcp_host *host) { return host->config.name; }

/* ---- TCB life ---- */

static struct tcp_conn *conn_new(struct tcp_host *h, enum tcp_state initial)
{
    struct tcp_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->host = h;
    c->state = (uint8_t)initial;
    c->rto = h->config.profile.rto_initial;
    c->cwnd = UINT32_MAX;
    c->snd_mss = (uint16_t)h->config.profile.mss;
    h->stats.tcbs++;
    h->stats.in_state[initial]++;
    return c;
}

static int conn_alloc_buffers(struct tcp_conn *c)
{
    c->buf = calloc(1, sizeof *c->buf);
    return c->buf ? 0 : -1;
}

/* A TCB that never made it into the tables (out of memory half-way). */
static void conn_unwind(struct tcp_conn *c)
{
    c->host->stats.tcbs--;
    c->host->stats.in_state[c->state]--;
    table_remove(&c->host->tcbs, c);
    if (c->record)
        registry_detach(c, true);
    conn_free(c);
}

void tcp_hold(struct tcp_conn *c) { c->busy++; }

void tcp_release(struct tcp_conn *c)
{
    assert(c->busy > 0);
    if (--c->busy == 0 && tcp_gone(c))
        conn_free(c);
}

/* Closing a listener leaves its children to finish on their own; they are
 * accepted with listener NULL. Order of this walk does not matter: it only
 * clears pointers. */
static void listener_remove(struct tcp_conn *l)
{
    struct tcp_host *h = l->host;
    for (size_t i = 0; i < h->listener_count; i++) {
        if (h->listeners[i] == l) {
            memmove(&h->listeners[i], &h->listeners[i + 1],
                    (h->listener_count - i - 1) * sizeof *h->listeners);
            h->listener_count--;
            break;
        }
    }
    for (size_t i = 0; i < h->tcbs.cap; i++)
        if (h->tcbs.slots[i] && h->tcbs.slots[i]->listener == l)
            h->tcbs.slots[i]->listener = NULL;
}

/* Deletes the TCB (RFC 9293: "delete the TCB, enter CLOSED"). The memory
 * lives on while an entry point holds it. */
static void conn_delete(struct tcp_conn *c, bool tell_app)
{
    struct tcp_host *h = c->host;
    tcp_timers_stop(c);
    if (c->flags & TCPF_LISTENER)
        listener_remove(c);
    else
        table_remove(&h->tcbs, c);
    if (h->network)
        registry_detach(c, true);
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

void tcp_set_state(struct tcp_conn *c, enum tcp_state to, enum tcp_cause cause,
                   const struct segment *trigger)
{
    struct tcp_host *h = c->host;
    enum tcp_state from = (enum tcp_state)c->state;
    struct trace_transition tr = {
        .t_ns = sim_now(h->sim),
        .host = h->config.name,
        .conn_id = c->conn_id,
        .from_state = from,
        .to_state = to,
        .cause = cause,
        .seg_id = trigger ? trigger->id : 0,
    };
    if (h->network)
        trace_transition(h->network->trace, &tr);
    h->stats.in_state[from]--;
    h->stats.in_state[to]++;
    c->state = (uint8_t)to;
    if (from == TCP_SYN_RECEIVED && c->listener)
        c->listener->backlog_used--;
    if (to == TCP_ESTABLISHED) {
        c->flags |= TCPF_WAS_ESTABLISHED;
        h->stats.connections_opened++;
        note_established(c);
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
    notify(c, NOTIFY_CONNECTED | NOTIFY_READABLE | NOTIFY_PEER_CLOSED);
}

void tcp_notify_app_data(struct tcp_conn *c) { notify(c, NOTIFY_CONNECTED | NOTIFY_READABLE); }

struct tcp_conn *tcp_create_child(struct tcp_conn *listener, const struct segment *syn)
{
    struct tcp_host *h = listener->host;
    if (listener->backlog_used >= listener->backlog)
        return NULL; /* queue full: drop the SYN, as Linux does without syncookies */
    struct tcp_conn *c = conn_new(h, TCP_LISTEN);
    if (!c)
        return NULL;
    c->flags |= TCPF_PASSIVE;
    c->listener = listener;
    c->local_addr = syn->dst_addr;
    c->local_port = syn->dst_port;
    c->remote_addr = syn->src_addr;
    c->remote_port = syn->src_port;
    c->irs = syn->seq;
    c->rcv_nxt = syn->seq + 1;
    c->rcv_adv = c->rcv_nxt;
    c->iss = choose_isn(h, c);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->snd_wnd = syn->wnd;
    c->max_snd_wnd = syn->wnd;
    c->snd_wl1 = syn->seq;
    if (syn->mss && syn->mss < c->snd_mss)
        c->snd_mss = syn->mss;
    if (table_insert(&h->tcbs, c) != 0 || conn_alloc_buffers(c) != 0 ||
        registry_attach_passive(c) != 0) {
        conn_unwind(c);
        return NULL;
    }
    c->buf->snd_base = c->iss + 1;
    listener->backlog_used++;
    tcp_set_state(c, TCP_SYN_RECEIVED, TCP_CAUSE_RCV_SYN, syn);
    return c;
}

/* ---- buffers ---- */

int tcp_bytes_append(struct tcp_bytes *q, const uint8_t *data, uint32_t len)
{
    if (len == 0)
        return 0;
    if (q->head + q->len + len > q->cap) {
        if (q->head) {
            memmove(q->data, q->data + q->head, q->len);
            q->head = 0;
        }
        if (q->len + len > q->cap) {
            /* Start at 1 KiB: glibc serves up to 1032 bytes from its per-thread
             * cache, larger requests consolidate the heap (4 KiB here cost 3% of
             * a short connection's time). */
            uint64_t cap = q->cap ? q->cap : 1024;
            while (cap < (uint64_t)q->len + len)
                cap *= 2;
            if (cap > UINT32_MAX)
                return -1;
            uint8_t *bigger = realloc(q->data, (size_t)cap);
            if (!bigger)
                return -1;
            q->data = bigger;
            q->cap = (uint32_t)cap;
        }
    }
    if (data)
        memcpy(q->data + q->head + q->len, data, len);
    else
        memset(q->data + q->head + q->len, 0, len);
    q->len += len;
    return 0;
}

static void bytes_consume(struct tcp_bytes *q, uint32_t n)
{
    q->head += n;
    q->len -= n;
    if (q->len == 0)
        q->head = 0;
}

static void bytes_free(struct tcp_bytes *q)
{
    free(q->data);
    memset(q, 0, sizeof *q);
}

void tcp_free_buffers(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    bytes_free(&c->buf->snd);
    bytes_free(&c->buf->rcv);
    while (c->buf->ooo) {
        struct tcp_ooo *o = c->buf->ooo;
        c->buf->ooo = o->next;
        free(o);
    }
    free(c->buf);
    c->buf = NULL;
}

void tcp_trim_buffers(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    if (c->buf->rcv.len == 0) {
        tcp_free_buffers(c);
        return;
    }
    bytes_free(&c->buf->snd);
    while (c->buf->ooo) {
        struct tcp_ooo *o = c->buf->ooo;
        c->buf->ooo = o->next;
        free(o);
    }
}

uint32_t tcp_snd_data_end(const struct tcp_conn *c)
{
    return c->buf ? c->buf->snd_base + c->buf->snd.len : c->snd_nxt;
}

void tcp_snd_acked(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    uint32_t una = c->snd_una;
    if ((c->flags & TCPF_FIN_SENT) && seq_gt(una, c->fin_seq))
        una = c->fin_seq; /* the FIN takes a sequence number, not a byte */
    if (seq_gt(una, c->buf->snd_base)) {
        uint32_t n = una - c->buf->snd_base;
        bytes_consume(&c->buf->snd, n);
        c->buf->snd_base = una;
    }
}

bool tcp_fin_acked(const struct tcp_conn *c)
{
    return (c->flags & TCPF_FIN_SENT) && seq_gt(c->snd_una, c->fin_seq);
}

/* ---- output ---- */

/* RCV.WND: the receive buffer minus what the application has not read.
 * Out-of-order data lies inside the advertised window already, so it is
 * not subtracted: the right edge never moves left (RFC 9293 3.8.6). */
uint32_t tcp_rcv_wnd(const struct tcp_conn *c)
{
    uint32_t buf = tcp_prof(c)->rcv_buf;
    uint32_t unread = c->buf ? c->buf->rcv.len : 0;
    return unread >= buf ? 0 : buf - unread;
}

/* What the sender may have in flight: the peer's window, and the place
 * where congestion control would put min(cwnd, SND.WND). */
uint32_t tcp_send_window(const struct tcp_conn *c)
{
    return c->snd_wnd < c->cwnd ? c->snd_wnd : c->cwnd;
}

void tcp_send_segment(struct tcp_conn *c, uint8_t flags, uint32_t seq, const uint8_t *data,
                      uint32_t len, bool retransmission)
{
    struct tcp_host *h = c->host;
    uint32_t wnd = (flags & TCP_FLAG_RST) ? 0 : tcp_rcv_wnd(c);
    struct segment s = {
        .src_addr = c->local_addr,
        .dst_addr = c->remote_addr,
        .src_port = c->local_port,
        .dst_port = c->remote_port,
        .seq = seq,
        .ack = (flags & TCP_FLAG_ACK) ? c->rcv_nxt : 0,
        .flags = flags,
        .wnd = (uint16_t)(wnd > 65535 ? 65535 : wnd),
        .mss = (flags & TCP_FLAG_SYN) ? (uint16_t)tcp_prof(c)->mss : 0,
        .len = len,
        .data = len ? data : NULL,
        .conn_id = c->conn_id,
        .retransmission = retransmission,
    };
    if ((flags & TCP_FLAG_ACK) && seq_gt(c->rcv_nxt + s.wnd, c->rcv_adv))
        c->rcv_adv = c->rcv_nxt + s.wnd;
    if (flags & TCP_FLAG_ACK)
        c->flags &= (uint16_t)~TCPF_ACK_OWED; /* any segment with ACK=RCV.NXT pays it */
    h->stats.segments_sent++;
    if (retransmission) {
        h->stats.retransmissions++;
        c->retransmissions++;
    }
    if (flags & TCP_FLAG_RST)
        h->stats.resets_sent++;
    if (h->output)
        h->output(h->output_context, &s);
}

void tcp_send_ack(struct tcp_conn *c)
{
    tcp_send_segment(c, TCP_FLAG_ACK, c->snd_nxt, NULL, 0, false);
}

void tcp_send_syn(struct tcp_conn *c, bool retransmission)
{
    uint8_t flags = TCP_FLAG_SYN | (c->state == TCP_SYN_RECEIVED ? TCP_FLAG_ACK : 0);
    if (retransmission)
        c->flags |= TCPF_SYN_REXMIT;
    tcp_rtt_on_send(c, c->iss + 1, retransmission);
    tcp_send_segment(c, flags, c->iss, NULL, 0, retransmission);
}

/* RFC 9293 3.10.7.1 (and 3.5.2 group 1): the reset that makes the sender
 * of `seg` give up, formed so that it will accept it. */
void tcp_send_rst_for(struct tcp_host *host, const struct segment *seg)
{
    if (seg->flags & TCP_FLAG_RST)
        return;
    struct segment r = {
        .src_addr = seg->dst_addr,
        .dst_addr = seg->src_addr,
        .src_port = seg->dst_port,
        .dst_port = seg->src_port,
        .conn_id = seg->conn_id,
    };
    if (seg->flags & TCP_FLAG_ACK) {
        r.seq = seg->ack;                       /* <SEQ=SEG.ACK><CTL=RST> */
        r.flags = TCP_FLAG_RST;
    } else {
        r.seq = 0;                              /* <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK> */
        r.ack = seg->seq + segment_seq_len(seg);
        r.flags = TCP_FLAG_RST | TCP_FLAG_ACK;
    }
    host->stats.segments_sent++;
    host->stats.resets_sent++;
    if (host->output)
        host->output(host->output_context, &r);
}

/* The states that send queued data and then the FIN (RFC 9293 3.10.2, 3.10.4):
 *  ESTABLISHED, CLOSE_WAIT  our direction is open: data as the window allows;
 *  FIN_WAIT_1, LAST_ACK     CLOSE was called: the queued data, then the FIN;
 *  CLOSING                  FIN_WAIT_1 that received the peer's FIN while our
 *                           FIN still waited behind data or for window (3.10.4:
 *                           the FIN is queued "until all preceding SENDs have
 *                           been segmentized"); the rest goes out from here.
 * Not SYN_SENT or SYN_RECEIVED (data waits for ESTABLISHED), FIN_WAIT_2 or
 * TIME_WAIT (our FIN is acknowledged: nothing is left), LISTEN or CLOSED. */
static bool state_sends_data(enum tcp_state s)
{
    return s == TCP_ESTABLISHED || s == TCP_CLOSE_WAIT || s == TCP_FIN_WAIT_1 ||
           s == TCP_LAST_ACK || s == TCP_CLOSING;
}

static const uint8_t *snd_data_at(const struct tcp_conn *c, uint32_t seq)
{
    return c->buf->snd.data + c->buf->snd.head + (seq - c->buf->snd_base);
}

static void send_fin(struct tcp_conn *c)
{
    c->fin_seq = c->snd_nxt;
    c->flags |= TCPF_FIN_SENT;
    c->snd_nxt++;
    tcp_rtt_on_send(c, c->snd_nxt, false);
    tcp_send_segment(c, TCP_FLAG_FIN | TCP_FLAG_ACK, c->fin_seq, NULL, 0, false);
    tcp_timer_rexmit_ensure(c);
}

/* The FIN waits for window like data (Linux tcp_snd_wnd_test): it leaves
 * only when its sequence number lies inside SND.UNA + SND.WND, and never
 * while the persist timer owns a zero window. A FIN beyond the window would
 * be dropped by the receiver (decision 17), and its retransmissions counted
 * against data_retries while the peer keeps answering (RFC 9293 3.8.6.1
 * MUST-37); a FIN sent during persist could be left behind when
 * leave_persist rewinds SND.NXT. */
static bool fin_fits_window(const struct tcp_conn *c, uint32_t fin_seq)
{
    return !(c->flags & TCPF_PERSIST) && seq_lt(fin_seq, c->snd_una + tcp_send_window(c));
}

/* Nothing may leave for want of window. With nothing in flight and SND.WND
 * = 0 no ACK will come to reopen it: the persist timer probes (3.8.6.1). */
static void wait_for_window(struct tcp_conn *c)
{
    if (c->snd_nxt == c->snd_una && c->snd_wnd == 0)
        tcp_timer_persist_ensure(c);
}

/* No Nagle: everything the window allows leaves now, in segments of at
 * most snd_mss; the FIN rides on the last data segment when the window
 * has room for it, else follows alone once it has. */
int tcp_output(struct tcp_conn *c)
{
    if (!state_sends_data((enum tcp_state)c->state) || !c->buf || (c->flags & TCPF_FIN_SENT))
        return 0;
    int sent = 0;
    uint32_t end = tcp_snd_data_end(c);
    for (;;) {
        uint32_t unsent = end - c->snd_nxt;
        if (unsent == 0) {
            if (!(c->flags & TCPF_CLOSE_QUEUED))
                break;
            if (fin_fits_window(c, c->snd_nxt)) {
                send_fin(c);
                sent++;
            } else {
                wait_for_window(c);
            }
            break;
        }
        int32_t usable = (int32_t)(c->snd_una + tcp_send_window(c) - c->snd_nxt);
        if (usable <= 0) {
            wait_for_window(c);
            break;
        }
        uint32_t n = unsent;
        if (n > c->snd_mss)
            n = c->snd_mss;
        if (n > (uint32_t)usable)
            n = (uint32_t)usable;
        bool last = n == unsent;
        bool fin = last && (c->flags & TCPF_CLOSE_QUEUED) && fin_fits_window(c, c->snd_nxt + n);
        uint8_t flags = TCP_FLAG_ACK | (last ? TCP_FLAG_PSH : 0) | (fin ? TCP_FLAG_FIN : 0);
        uint32_t seq = c->snd_nxt;
        c->snd_nxt += n;
        if (fin) {
            c->fin_seq = c->snd_nxt++;
            c->flags |= TCPF_FIN_SENT;
        }
        tcp_rtt_on_send(c, c->snd_nxt, false);
        tcp_send_segment(c, flags, seq, snd_data_at(c, seq), n, false);
        tcp_timer_rexmit_ensure(c);
        sent++;
        if (fin)
            break;
    }
    return sent;
}

/* RFC 6298 (5.4): retransmit the earliest segment not yet acknowledged,
 * with the same sequence numbers as before (a FIN keeps its number). */
void tcp_retransmit_oldest(struct tcp_conn *c)
{
    if (c->state == TCP_SYN_SENT || c->state == TCP_SYN_RECEIVED) {
        tcp_send_syn(c, true);
        return;
    }
    if (c->snd_una == c->snd_nxt || !c->buf)
        return;
    uint32_t data_end = tcp_snd_data_end(c);
    if (seq_gt(data_end, c->snd_nxt))
        data_end = c->snd_nxt;
    uint32_t n = seq_gt(data_end, c->snd_una) ? data_end - c->snd_una : 0;
    if (n > c->snd_mss)
        n = c->snd_mss;
    uint32_t seq = c->snd_una;
    bool fin = (c->flags & TCPF_FIN_SENT) && seq + n == c->fin_seq;
    uint8_t flags = TCP_FLAG_ACK | (fin ? TCP_FLAG_FIN : 0) |
                    (n && seq + n == tcp_snd_data_end(c) ? TCP_FLAG_PSH : 0);
    if (n == 0 && !fin)
        return;
    tcp_rtt_on_send(c, seq + n + fin, true);
    tcp_send_segment(c, flags, seq, n ? snd_data_at(c, seq) : NULL, n, true);
}

void tcp_send_probe(struct tcp_conn *c)
{
    if (!c->buf)
        return;
    if (c->snd_nxt != c->snd_una) { /* the probe byte again */
        tcp_send_segment(c, TCP_FLAG_ACK, c->snd_una, snd_data_at(c, c->snd_una), 1, true);
        return;
    }
    if (tcp_snd_data_end(c) == c->snd_nxt) {
        /* Only the FIN waits: an empty segment with an old sequence number
         * draws an ACK with the current window (Linux tcp_xmit_probe_skb). */
        if ((c->flags & TCPF_CLOSE_QUEUED) && !(c->flags & TCPF_FIN_SENT))
            tcp_send_segment(c, TCP_FLAG_ACK, c->snd_una - 1, NULL, 0, false);
        return;
    }
    uint32_t seq = c->snd_nxt++;
    tcp_send_segment(c, TCP_FLAG_ACK, seq, snd_data_at(c, seq), 1, false);
}

/* ---- user calls (RFC 9293 3.10.1 - 3.10.5) ---- */

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
    if (host->listener_count == host->listener_cap) {
        size_t cap = host->listener_cap ? host->listener_cap * 2 : 4;
        struct tcp_conn **l = realloc(host->listeners, cap * sizeof *l);
        if (!l) {
            set_error(error, TCP_ERR_NO_MEMORY);
            return NULL;
        }
        host->listeners = l;
        host->listener_cap = cap;
    }
    struct tcp_conn *c = conn_new(host, TCP_CLOSED);
    if (!c) {
        set_error(error, TCP_ERR_NO_MEMORY);
        return NULL;
    }
    c->flags |= TCPF_LISTENER | TCPF_APP_KNOWS;
    c->local_addr = host->config.addr;
    c->local_port = port;
    c->backlog = backlog > 0 ? backlog : INT32_MAX; /* 0: no limit */
    host->listeners[host->listener_count++] = c;
    tcp_set_state(c, TCP_LISTEN, TCP_CAUSE_APP_LISTEN, NULL);
    set_error(error, TCP_OK);
    return c;
}

static bool port_is_listening(const struct tcp_host *h, uint16_t port)
{
    for (size_t i = 0; i < h->listener_count; i++)
        if (h->listeners[i]->local_port == port)
            return true;
    return false;
}

/* A free (local address, local port) towards the remote socket, scanning
 * the host's addresses and ephemeral range from where the last search
 * stopped (deterministic: no randomness, no pointer order). */
static enum tcp_error choose_local(struct tcp_host *h, uint32_t *local_addr, uint16_t *local_port,
                                   uint32_t remote_addr, uint16_t remote_port)
{
    if (*local_port != 0) {
        if (*local_addr == 0)
            *local_addr = h->config.addr;
        return tcp_lookup(h, *local_addr, *local_port, remote_addr, remote_port) ? TCP_ERR_EXISTS
                                                                                 : TCP_OK;
    }
    uint64_t range = (uint64_t)h->config.ephemeral_high - h->config.ephemeral_low + 1;
    uint64_t addrs = *local_addr ? 1 : h->config.addr_count;
    uint64_t total = range * addrs;
    if (h->config.ephemeral_high < h->config.ephemeral_low)
        return TCP_ERR_NO_PORTS;
    for (uint64_t k = 0; k < total; k++) {
        uint64_t idx = (h->ephemeral_cursor + k) % total;
        uint16_t port = (uint16_t)(h->config.ephemeral_low + idx % range);
        uint32_t addr = *local_addr ? *local_addr : h->config.addr + (uint32_t)(idx / range);
        if (port_is_listening(h, port) || tcp_lookup(h, addr, port, remote_addr, remote_port))
            continue;
        h->ephemeral_cursor = (idx + 1) % total;
        *local_addr = addr;
        *local_port = port;
        return TCP_OK;
    }
    return TCP_ERR_NO_PORTS;
}

struct tcp_conn *tcp_connect(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                             uint32_t remote_addr, uint16_t remote_port, enum tcp_error *error)
{
    enum tcp_error e = choose_local(host, &local_addr, &local_port, remote_addr, remote_port);
    if (e != TCP_OK) {
        set_error(error, e);
        return NULL;
    }
    struct tcp_conn *c = conn_new(host, TCP_CLOSED);
    if (!c) {
        set_error(error, TCP_ERR_NO_MEMORY);
        return NULL;
    }
    c->local_addr = local_addr;
    c->local_port = local_port;
    c->remote_addr = remote_addr;
    c->remote_port = remote_port;
    c->iss = choose_isn(host, c);
    c->snd_una = c->iss;
    c->snd_nxt = c->iss + 1;
    c->flags |= TCPF_APP_KNOWS;
    if (table_insert(&host->tcbs, c) != 0 || conn_alloc_buffers(c) != 0 ||
        registry_attach_active(c) != 0) {
        conn_unwind(c);
        set_error(error, TCP_ERR_NO_MEMORY);
        return NULL;
    }
    c->buf->snd_base = c->iss + 1;
    tcp_hold(c);
    tcp_set_state(c, TCP_SYN_SENT, TCP_CAUSE_APP_CONNECT, NULL);
    tcp_send_syn(c, false);
    tcp_timer_rexmit_start(c);
    tcp_release(c);
    set_error(error, TCP_OK);
    return c;
}

enum tcp_error tcp_send(struct tcp_conn *c, const uint8_t *data, size_t len)
{
    if (!c || tcp_gone(c) || (c->flags & TCPF_LISTENER))
        return TCP_ERR_NO_CONNECTION;
    switch ((enum tcp_state)c->state) {
    case TCP_SYN_SENT:
    case TCP_SYN_RECEIVED:
    case TCP_ESTABLISHED:
    case TCP_CLOSE_WAIT:
        if (c->flags & TCPF_CLOSE_QUEUED)
            return TCP_ERR_CLOSING;
        break;
    case TCP_CLOSED:
    case TCP_LISTEN:
        return TCP_ERR_NO_CONNECTION;
    default:
        return TCP_ERR_CLOSING;
    }
    /* snd_buf is not enforced: the application has no way to wait for
     * space, so everything it hands over is queued. */
    if (!c->buf || len > UINT32_MAX - c->buf->snd.len ||
        tcp_bytes_append(&c->buf->snd, data, (uint32_t)len) != 0)
        return TCP_ERR_NO_MEMORY;
    c->bytes_sent += len;
    tcp_hold(c);
    tcp_output(c);
    tcp_release(c);
    return TCP_OK;
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
    uint32_t half = tcp_prof(c)->rcv_buf / 2;
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
    bytes_consume(q, n);
    c->bytes_received += n;
    tcp_hold(c);
    maybe_window_update(c);
    if (c->state == TCP_TIME_WAIT && q->len == 0)
        tcp_free_buffers(c); /* kept only until the application read the last bytes */
    tcp_release(c);
    return n;
}

enum tcp_error tcp_close(struct tcp_conn *c)
{
    if (!c || tcp_gone(c))
        return TCP_ERR_NO_CONNECTION;
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
        tcp_send_segment(c, TCP_FLAG_RST, c->snd_nxt, NULL, 0, false);
        break;
    default:
        break;
    }
    tcp_enter_closed(c, TCP_CAUSE_APP_ABORT, NULL, TCP_ERR_ABORTED);
    tcp_release(c);
    return TCP_OK;
}

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
