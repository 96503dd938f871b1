/*
 * tcp_table.c: which connection a segment or a call is about. One host's
 * TCB table (demultiplexing by 4-tuple: open addressing with linear
 * probing), its listeners by port, the choice of a free local port for an
 * active OPEN, and the choice of an ISN (RFC 9293 3.4.1).
 *
 * Trade-off: open addressing with each slot's hash kept beside it costs 12
 * bytes a slot at load 1/2, but a probe touches no TCB until the hash
 * matches, which is what keeps 10^6 live connections fast (docs/performance.md).
 */
#include "tcp_internal.h"

#include <stdlib.h>
#include <string.h>

#define FIXED_ISN_STRIDE 64000u /* TCP_ISN_FIXED: the k-th connection of a host uses isn + k * 64000 */

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


uint64_t tcp_tuple_hash(uint32_t la, uint16_t lp, uint32_t ra, uint16_t rp)
{
    return mix64(((uint64_t)la << 32 | ra) ^ mix64((uint64_t)lp << 16 | rp));
}

/* ---- the TCB table: open addressing with linear probing ---- */

/* Each slot keeps the low 32 bits of its TCB's hash (home = hash & (cap-1),
 * cap <= 2^32): a probe compares the TCB's tuple only when the hash matches,
 * and moves never read a TCB. Slot order is what the full hash gives. */
static uint32_t conn_hash32(const struct tcp_conn *c)
{
    return (uint32_t)tcp_tuple_hash(c->local_addr, c->local_port, c->remote_addr, c->remote_port);
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

int tcp_table_insert(struct tcp_table *t, struct tcp_conn *c)
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
    uint32_t hash = (uint32_t)tcp_tuple_hash(la, lp, ra, rp);
    size_t i = hash & (t->cap - 1);
    for (struct tcp_conn *c; (c = t->slots[i]) != NULL; i = (i + 1) & (t->cap - 1))
        if (t->hashes[i] == hash && c->local_addr == la && c->local_port == lp &&
            c->remote_addr == ra && c->remote_port == rp)
            return i;
    return SIZE_MAX;
}

/* Backward-shift deletion keeps every probe chain unbroken. */
void tcp_table_remove(struct tcp_table *t, struct tcp_conn *c)
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

struct tcp_conn *tcp_conn_find(struct tcp_host *host, uint32_t local_addr, uint16_t local_port,
                               uint32_t remote_addr, uint16_t remote_port)
{
    return tcp_lookup(host, local_addr, local_port, remote_addr, remote_port);
}

bool tcp_host_owns(const struct tcp_host *host, uint32_t addr)
{
    return addr - host->config.addr < host->config.addr_count;
}

struct tcp_conn *tcp_find_listener(struct tcp_host *host, uint32_t local_addr, uint16_t port)
{
    if (!tcp_host_owns(host, local_addr))
        return NULL;
    for (size_t i = 0; i < host->listener_count; i++)
        if (host->listeners[i]->local_port == port)
            return host->listeners[i];
    return NULL;
}

/* ---- listeners ---- */

int tcp_listener_add(struct tcp_host *h, struct tcp_conn *l)
{
    if (h->listener_count == h->listener_cap) {
        size_t cap = h->listener_cap ? h->listener_cap * 2 : 4;
        struct tcp_conn **grown = realloc(h->listeners, cap * sizeof *grown);
        if (!grown)
            return -1;
        h->listeners = grown;
        h->listener_cap = cap;
    }
    h->listeners[h->listener_count++] = l;
    return 0;
}

/* Closing a listener leaves its children to finish on their own; they are
 * accepted with listener NULL. Order of this walk does not matter: it only
 * clears pointers. */
void tcp_listener_remove(struct tcp_conn *l)
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

/* ---- local ports for an active OPEN ---- */

static bool port_is_listening(struct tcp_host *h, uint16_t port)
{
    return tcp_find_listener(h, h->config.addr, port) != NULL;
}

/* A free (local address, local port) towards the remote socket, scanning
 * the host's addresses and ephemeral range from where the last search
 * stopped (deterministic: no randomness, no pointer order). */
enum tcp_error tcp_choose_local(struct tcp_host *h, uint32_t *local_addr, uint16_t *local_port,
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

uint32_t tcp_choose_isn(struct tcp_host *h, const struct tcp_conn *c)
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

