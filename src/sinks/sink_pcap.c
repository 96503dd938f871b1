/*
 * sink_pcap.c: the capture file sink. Builds a real IPv4 + TCP packet for
 * each segment (RFC 791 and RFC 9293 section 3.1 headers in network byte
 * order, RFC 1071 checksums) and writes it through libpcap with nanosecond
 * timestamps (libpcap is loaded only here: pcap_loader.h). Segments are reported when sent, so packets seen at a
 * receiver's arrival time wait in a min-heap until the send times of later
 * reports pass them: the file stays in time order.
 *
 * pcapng (pcapng.c writes the blocks) adds a comment to every packet: the
 * segment's fate, retransmission, injection, the fault rule's scenario line
 * and each side's state after it. A state after a segment is known only
 * once its arrival instant is over, so in pcapng every packet waits in the
 * heap, at-send ones too, until a record later than its arrival (or, for a
 * segment that never arrived, its send) comes; conn_states.c keeps the
 * states from the transition records meanwhile. Records come in time
 * order (live runs and replays alike); were one late, a comment could name
 * a state a few records off, never a packet out of place. Classic pcap
 * keeps its own path through libpcap, byte for byte as before.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char */

#include "sink_pcap.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcap_loader.h"

#include "conn_states.h"
#include "pcap_note.h"
#include "pcapng.h"

enum {
    IPV4_HEADER_LEN = 20,
    TCP_HEADER_LEN = 20,
    TCP_MSS_OPTION_LEN = 4,
    IPPROTO_TCP_NUMBER = 6,
    IP_TTL_DEFAULT = 64,
    IP_FLAG_DF = 0x4000,
    CORRUPTION_MASK = 0x5555, /* xor'ed into a corrupted packet's TCP checksum */
    COMMENT_MAX = 512,
};

/* A packet waiting for its time to be written. */
struct pending_packet {
    sim_time t;
    uint64_t order;            /* ties at equal t keep the order of reports */
    uint32_t wire_len, cap_len;
    uint8_t *bytes;
    struct packet_note *note;  /* pcapng only; NULL in classic pcap */
};

/* IP identification: one counter per sending address. */
struct ip_id_counter {
    uint32_t addr;
    uint16_t next;             /* the next packet's identification */
    uint16_t last;             /* the last one given (a duplicate copy reuses it) */
};

struct pcap_sink {
    struct trace_sink base;    /* first: the trace sees this */
    enum sink_pcap_format format;
    struct pcap_loader lib;    /* classic pcap: libpcap's functions (pcapng needs none) */
    pcap_t *pcap;              /* classic pcap: libpcap writes the file */
    pcap_dumper_t *dumper;
    FILE *file;                /* pcapng: pcapng.c writes it */
    struct conn_states *states; /* pcapng: for the comments */
    sim_time instant;          /* pcapng: the time of the latest record */
    struct packet_note *last_held[2]; /* pcapng: the notes of the latest segment held */
    size_t last_held_count;
    char *path;
    char *side;                /* NULL = the wire */
    uint8_t *packet;           /* SINK_PCAP_SNAPLEN bytes: the packet being built */
    struct pending_packet *heap;
    size_t heap_count, heap_cap;
    uint64_t next_order;
    struct ip_id_counter *ids;
    size_t id_count;
    bool in_run;
    bool failed;               /* out of memory during the run */
    sim_time run_base_ns;      /* the current run's time zero, after the epoch */
    sim_time run_last_ns;      /* the latest packet time of the current run */
    uint64_t packets;
};

static struct pcap_sink *as_pcap_sink(struct trace_sink *sink)
{
    return (struct pcap_sink *)sink;
}

/* ---- packets ---- */

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 1071: add 16-bit big-endian words (an odd last byte padded with a zero
 * low byte) to a running sum. */
static uint64_t checksum_add(uint64_t sum, const uint8_t *p, size_t n)
{
    for (; n >= 2; p += 2, n -= 2)
        sum += (uint32_t)p[0] << 8 | p[1];
    if (n)
        sum += (uint32_t)p[0] << 8;
    return sum;
}

/* Fold the carries and complement. */
static uint16_t checksum_finish(uint64_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

/* The options in Linux's layout (tcp_options_write), so a capture of
 * either backend reads alike: MSS; SACK-permitted and timestamps sharing
 * one word-aligned run (4,2,8,10 or NOP,NOP,8,10); NOP and window scale.
 * Returns their length, a multiple of 4, at most 40. */
static size_t write_options(uint8_t *opt, const struct segment *seg)
{
    size_t n = 0;
    bool sack = seg->options & TCP_OPT_SACK_PERM, ts = seg->options & TCP_OPT_TIMESTAMPS;
    if ((seg->flags & TCP_FLAG_SYN) && seg->mss != 0) {
        opt[n++] = 2; /* kind: maximum segment size (RFC 9293 section 3.2) */
        opt[n++] = TCP_MSS_OPTION_LEN;
        put16(opt + n, seg->mss);
        n += 2;
    }
    if (sack) {
        opt[n++] = ts ? 4 : 1; /* SACK-permitted (RFC 2018), or NOP before it */
        opt[n++] = ts ? 2 : 1;
        if (!ts) {
            opt[n++] = 4;
            opt[n++] = 2;
        }
    } else if (ts) {
        opt[n++] = 1;
        opt[n++] = 1;
    }
    if (ts) {
        opt[n++] = 8; /* timestamps (RFC 7323 3) */
        opt[n++] = 10;
        put32(opt + n, seg->tsval);
        put32(opt + n + 4, seg->tsecr);
        n += 8;
    }
    if (seg->options & TCP_OPT_WSCALE) {
        opt[n++] = 1;
        opt[n++] = 3; /* window scale (RFC 7323 2) */
        opt[n++] = 3;
        opt[n++] = seg->wscale;
    }
    return n;
}

static size_t tcp_header_len(const struct segment *seg)
{
    uint8_t scratch[40];
    return TCP_HEADER_LEN + write_options(scratch, seg);
}

static void build_ipv4_header(uint8_t *ip, const struct segment *seg, uint32_t total_len,
                              uint16_t ip_id)
{
    ip[0] = 0x45; /* version 4, IHL 5 words */
    ip[1] = 0;    /* TOS */
    put16(ip + 2, (uint16_t)(total_len > 0xffff ? 0xffff : total_len));
    put16(ip + 4, ip_id);
    put16(ip + 6, IP_FLAG_DF);
    ip[8] = IP_TTL_DEFAULT;
    ip[9] = IPPROTO_TCP_NUMBER;
    put16(ip + 10, 0);
    put32(ip + 12, seg->src_addr);
    put32(ip + 16, seg->dst_addr);
    put16(ip + 10, checksum_finish(checksum_add(0, ip, IPV4_HEADER_LEN)));
}

static void build_tcp_header(uint8_t *tcp, const struct segment *seg, size_t header_len)
{
    put16(tcp, seg->src_port);
    put16(tcp + 2, seg->dst_port);
    put32(tcp + 4, seg->seq);
    put32(tcp + 8, seg->ack);
    tcp[12] = (uint8_t)((header_len / 4) << 4); /* data offset in 32-bit words */
    tcp[13] = seg->flags;
    put16(tcp + 14, seg->wnd);
    put16(tcp + 16, 0); /* checksum, below */
    put16(tcp + 18, 0); /* urgent pointer */
    write_options(tcp + TCP_HEADER_LEN, seg);
}

/* Over the pseudo-header (RFC 9293 section 3.1), the TCP header and the
 * whole payload (zeros when the segment carries no bytes, which add
 * nothing). */
static uint16_t tcp_checksum(const struct segment *seg, const uint8_t *tcp, size_t header_len)
{
    uint8_t pseudo[12];
    uint32_t tcp_len = (uint32_t)header_len + seg->len;
    put32(pseudo, seg->src_addr);
    put32(pseudo + 4, seg->dst_addr);
    pseudo[8] = 0;
    pseudo[9] = IPPROTO_TCP_NUMBER;
    put16(pseudo + 10, (uint16_t)tcp_len);
    uint64_t sum = checksum_add(0, pseudo, sizeof pseudo);
    sum = checksum_add(sum, tcp, header_len);
    if (seg->data)
        sum = checksum_add(sum, seg->data, seg->len);
    return checksum_finish(sum);
}

/* Builds the packet in s->packet; returns its wire length and sets the
 * captured length (at most the snap length). */
static uint32_t build_packet(struct pcap_sink *s, const struct segment *seg, uint16_t ip_id,
                             bool corrupted, uint32_t *cap_len)
{
    uint8_t *ip = s->packet, *tcp = s->packet + IPV4_HEADER_LEN;
    size_t header_len = tcp_header_len(seg);
    size_t headers = IPV4_HEADER_LEN + header_len;
    uint64_t wire = headers + (uint64_t)seg->len;
    size_t payload = wire > SINK_PCAP_SNAPLEN ? SINK_PCAP_SNAPLEN - headers : seg->len;

    build_ipv4_header(ip, seg, (uint32_t)(wire > UINT32_MAX ? UINT32_MAX : wire), ip_id);
    build_tcp_header(tcp, seg, header_len);
    if (seg->data)
        memcpy(tcp + header_len, seg->data, payload);
    else
        memset(tcp + header_len, 0, payload);
    uint16_t checksum = tcp_checksum(seg, tcp, header_len);
    put16(tcp + 16, corrupted ? (uint16_t)(checksum ^ CORRUPTION_MASK) : checksum);
    *cap_len = (uint32_t)(headers + payload);
    return (uint32_t)(wire > UINT32_MAX ? UINT32_MAX : wire);
}

/* ---- writing in time order ---- */

static void write_packet(struct pcap_sink *s, sim_time t, const uint8_t *bytes, uint32_t wire_len,
                         uint32_t cap_len, const char *comment)
{
    sim_time ns = s->run_base_ns + t;
    if (s->format == SINK_PCAP_NG) {
        uint64_t ts_ns = (uint64_t)SINK_PCAP_EPOCH_S * SIM_S + (uint64_t)ns;
        pcapng_write_packet(s->file, ts_ns, bytes, cap_len, wire_len, comment);
        s->packets++;
        if (t > s->run_last_ns)
            s->run_last_ns = t;
        return;
    }
    struct pcap_pkthdr header;
    header.ts.tv_sec = (time_t)(SINK_PCAP_EPOCH_S + ns / SIM_S);
    header.ts.tv_usec = (suseconds_t)(ns % SIM_S); /* nanoseconds: the file says so */
    header.caplen = cap_len;
    header.len = wire_len;
    s->lib.dump((u_char *)s->dumper, &header, bytes);
    s->packets++;
    if (t > s->run_last_ns)
        s->run_last_ns = t;
}

static bool pending_before(const struct pending_packet *a, const struct pending_packet *b)
{
    return a->t < b->t || (a->t == b->t && a->order < b->order);
}

static void heap_swap(struct pending_packet *heap, size_t i, size_t j)
{
    struct pending_packet tmp = heap[i];
    heap[i] = heap[j];
    heap[j] = tmp;
}

static int heap_push(struct pcap_sink *s, struct pending_packet packet)
{
    if (s->heap_count == s->heap_cap) {
        size_t cap = s->heap_cap ? s->heap_cap * 2 : 64;
        struct pending_packet *heap = realloc(s->heap, cap * sizeof *heap);
        if (!heap)
            return -1;
        s->heap = heap;
        s->heap_cap = cap;
    }
    size_t i = s->heap_count++;
    s->heap[i] = packet;
    while (i > 0 && pending_before(&s->heap[i], &s->heap[(i - 1) / 2])) {
        heap_swap(s->heap, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
    return 0;
}

static struct pending_packet heap_pop(struct pcap_sink *s)
{
    struct pending_packet top = s->heap[0];
    s->heap[0] = s->heap[--s->heap_count];
    for (size_t i = 0;;) {
        size_t least = i, left = 2 * i + 1, right = left + 1;
        if (left < s->heap_count && pending_before(&s->heap[left], &s->heap[least]))
            least = left;
        if (right < s->heap_count && pending_before(&s->heap[right], &s->heap[least]))
            least = right;
        if (least == i)
            break;
        heap_swap(s->heap, i, least);
        i = least;
    }
    return top;
}

/* Writes the waiting packets whose time is at or before `until`. */
static void flush_until(struct pcap_sink *s, sim_time until)
{
    while (s->heap_count > 0 && s->heap[0].t <= until) {
        struct pending_packet p = heap_pop(s);
        write_packet(s, p.t, p.bytes, p.wire_len, p.cap_len, NULL);
        free(p.bytes);
    }
}

static void discard_pending(struct pcap_sink *s)
{
    while (s->heap_count > 0) {
        struct pending_packet p = heap_pop(s);
        free(p.bytes);
        free(p.note);
    }
    s->last_held_count = 0;
}

/* Keeps a copy of the packet just built, to be written at time t, with a
 * copy of note (pcapng; NULL in classic pcap). */
static int hold_packet(struct pcap_sink *s, sim_time t, uint32_t wire_len, uint32_t cap_len,
                       const struct packet_note *note)
{
    struct pending_packet p = {.t = t, .order = s->next_order++, .wire_len = wire_len,
                               .cap_len = cap_len, .bytes = malloc(cap_len)};
    if (note && (p.note = malloc(sizeof *p.note)))
        *p.note = *note;
    if (!p.bytes || (note && !p.note) || heap_push(s, p) != 0) {
        free(p.bytes);
        free(p.note);
        return -1;
    }
    memcpy(p.bytes, s->packet, cap_len);
    if (p.note)
        s->last_held[s->last_held_count++] = p.note;
    return 0;
}

/* ---- pcapng comments ---- */

/* The host's state at the end of instant t in the segment's connection, or
 * else in its listener (a SYN that made no TCB yet), or else CLOSED: no TCB
 * (RFC 9293 3.3.2). */
static enum tcp_state state_at(const struct pcap_sink *s, int host, uint64_t conn_id, sim_time t)
{
    enum tcp_state state = TCP_CLOSED;
    if (conn_id == 0 || !conn_states_at(s->states, host, conn_id, t, &state))
        conn_states_at(s->states, host, 0, t, &state);
    return state;
}

static sim_time resolve_time(const struct packet_note *n)
{
    return n->arrived_ns >= 0 ? n->arrived_ns : n->sent_ns;
}

/* A record at `now`: the packets whose segment's arrival instant is over
 * are written, in time order. A receiver that no transition of the segment
 * names was in the state it had before that instant. Records at the same
 * time change nothing; SIM_TIME_MAX (the run's end) writes everything. */
static void advance_to(struct pcap_sink *s, sim_time now)
{
    if (now <= s->instant && now != SIM_TIME_MAX)
        return;
    s->instant = now;
    while (s->heap_count > 0 && (resolve_time(s->heap[0].note) < now || now == SIM_TIME_MAX)) {
        struct pending_packet p = heap_pop(s);
        s->last_held_count = 0;
        struct packet_note *n = p.note;
        if (!n->receiver_known)
            n->receiver_state = state_at(s, n->receiver, n->conn_id, n->arrived_ns - 1);
        char comment[COMMENT_MAX];
        packet_note_describe(n, conn_states_host_name(s->states, n->sender),
                             conn_states_host_name(s->states, n->receiver), comment,
                             sizeof comment);
        write_packet(s, p.t, p.bytes, p.wire_len, p.cap_len, comment);
        free(p.bytes);
        free(p.note);
    }
}

/* ---- what the tap sees ---- */

static uint16_t ip_identification(struct pcap_sink *s, uint32_t addr, bool duplicate_copy)
{
    struct ip_id_counter *c = NULL;
    for (size_t i = 0; i < s->id_count && !c; i++)
        if (s->ids[i].addr == addr)
            c = &s->ids[i];
    if (!c) {
        struct ip_id_counter *ids = realloc(s->ids, (s->id_count + 1) * sizeof *ids);
        if (!ids)
            return 0;
        s->ids = ids;
        c = &s->ids[s->id_count++];
        *c = (struct ip_id_counter){addr, 1, 0};
    }
    if (!duplicate_copy)
        c->last = c->next++;
    return c->last;
}

static bool is_side(const struct pcap_sink *s, const char *host)
{
    return host && strcmp(s->side, host) == 0;
}

/* The link's extra copy of a segment was never sent by its host. */
static bool seen_at_send(const struct pcap_sink *s, const struct trace_segment *ts)
{
    if (ts->fate == FATE_DUPLICATED)
        return false;
    return !s->side || is_side(s, ts->sender);
}

static bool seen_at_arrival(const struct pcap_sink *s, const struct trace_segment *ts)
{
    if (!s->side || ts->arrived_ns < 0 || !is_side(s, ts->receiver))
        return false;
    return ts->fate == FATE_DELIVERED || ts->fate == FATE_DUPLICATED ||
           ts->fate == FATE_CORRUPTED;
}

static void out_of_memory(struct pcap_sink *s)
{
    s->failed = true;
    snprintf(s->base.error, sizeof s->base.error, "%s: out of memory", s->path);
}

/* pcapng: both copies of the segment wait with their note. */
static void hold_noted(struct pcap_sink *s, const struct trace_segment *ts, uint16_t ip_id,
                       bool at_send, bool at_arrival)
{
    struct packet_note note = {
        .seg_id = ts->seg->id, .conn_id = ts->seg->conn_id,
        .sender = conn_states_host(s->states, ts->sender),
        .receiver = conn_states_host(s->states, ts->receiver),
        .sent_ns = ts->sent_ns, .arrived_ns = ts->arrived_ns, .fate = ts->fate,
        .rule_line = ts->rule_line, .retransmission = ts->seg->retransmission,
        .injected = ts->seg->injected,
    };
    uint32_t cap_len, wire_len;
    if (note.sender < 0 || note.receiver < 0) {
        out_of_memory(s);
        return;
    }
    note.sender_state = state_at(s, note.sender, note.conn_id, ts->sent_ns);
    note.receiver_known = ts->arrived_ns < 0;
    note.receiver_state = state_at(s, note.receiver, note.conn_id, ts->sent_ns);
    if (at_send) {
        wire_len = build_packet(s, ts->seg, ip_id, false, &cap_len);
        if (hold_packet(s, ts->sent_ns, wire_len, cap_len, &note) != 0)
            out_of_memory(s);
    }
    if (at_arrival) {
        wire_len = build_packet(s, ts->seg, ip_id, ts->fate == FATE_CORRUPTED, &cap_len);
        if (hold_packet(s, ts->arrived_ns, wire_len, cap_len, &note) != 0)
            out_of_memory(s);
    }
}

/* A duplicate rule's copy is reported right after its original (in the
 * same instant, with the rule's line): the original's notes learn of it. */
static void note_copy(struct pcap_sink *s, const struct trace_segment *copy)
{
    for (size_t i = 0; i < s->last_held_count; i++) {
        struct packet_note *n = s->last_held[i];
        if (n->fate == FATE_DELIVERED && n->rule_line == copy->rule_line &&
            n->sent_ns == copy->sent_ns)
            n->copy_id = copy->seg->id;
    }
}

static void pcap_segment(struct trace_sink *sink, const struct trace_segment *ts)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    if (!s->in_run || s->failed)
        return;
    if (s->format == SINK_PCAP_NG) {
        advance_to(s, ts->sent_ns);
        if (ts->fate == FATE_DUPLICATED && ts->rule_line)
            note_copy(s, ts);
        s->last_held_count = 0;
    }
    bool at_send = seen_at_send(s, ts), at_arrival = seen_at_arrival(s, ts);
    if (!at_send && !at_arrival)
        return;
    if (s->format == SINK_PCAP_NG) {
        hold_noted(s, ts, ip_identification(s, ts->seg->src_addr, ts->fate == FATE_DUPLICATED),
                   at_send, at_arrival);
        return;
    }
    flush_until(s, ts->sent_ns);
    uint16_t ip_id = ip_identification(s, ts->seg->src_addr, ts->fate == FATE_DUPLICATED);
    uint32_t cap_len, wire_len;
    if (at_send) {
        wire_len = build_packet(s, ts->seg, ip_id, false, &cap_len);
        write_packet(s, ts->sent_ns, s->packet, wire_len, cap_len, NULL);
    }
    if (at_arrival) {
        wire_len = build_packet(s, ts->seg, ip_id, ts->fate == FATE_CORRUPTED, &cap_len);
        if (hold_packet(s, ts->arrived_ns, wire_len, cap_len, NULL) != 0)
            out_of_memory(s);
    }
}

/* The waiting packets of the segment that made host's transition: the
 * receiver's state after it. A linear scan: what waits is what is in
 * flight, and only transitions a segment made come here. */
static void note_triggered(struct pcap_sink *s, int host, const struct trace_transition *tr)
{
    for (size_t i = 0; i < s->heap_count; i++) {
        struct packet_note *n = s->heap[i].note;
        if (n->seg_id == tr->seg_id && n->receiver == host) {
            n->receiver_state = tr->to_state;
            n->receiver_known = true;
        }
    }
}

/* pcapng: the states the comments name. A transition that names its
 * segment settles that segment's packets first: the kernel backend reports
 * it some microseconds after the arrival it records, so later than the
 * arrival instant (a record between the two writes the packet first, with
 * the receiver's state before it). The packets still waiting ask about times from just
 * before the earliest of them on, later records from now on. */
static void pcap_transition(struct trace_sink *sink, const struct trace_transition *tr)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    if (!s->in_run || s->failed || s->format != SINK_PCAP_NG)
        return;
    int host = conn_states_host(s->states, tr->host);
    if (host < 0) {
        out_of_memory(s);
        return;
    }
    if (tr->seg_id)
        note_triggered(s, host, tr);
    advance_to(s, tr->t_ns);
    sim_time keep_from = s->heap_count > 0 && s->heap[0].t < tr->t_ns ? s->heap[0].t : tr->t_ns;
    if (conn_states_record(s->states, host, tr->conn_id, tr->t_ns, tr->to_state, keep_from - 1) != 0)
        out_of_memory(s);
}

/* ---- runs ---- */

static int pcap_run_start(struct trace_sink *sink, const struct trace_run_info *run)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    (void)run;
    if (s->in_run) {
        snprintf(sink->error, sizeof sink->error, "%s: a run is already being captured", s->path);
        return -1;
    }
    s->in_run = true;
    s->failed = false;
    s->run_last_ns = 0;
    s->instant = 0;
    return 0;
}

/* Returns 0, or -1 when the file could not be written. */
static int flush_file(struct pcap_sink *s)
{
    if (s->format == SINK_PCAP_NG)
        return fflush(s->file) != 0 || ferror(s->file) ? -1 : 0;
    return s->lib.dump_flush(s->dumper) != 0 || ferror(s->lib.dump_file(s->dumper)) ? -1 : 0;
}

/* The next run starts a second after this one, on a whole second. */
static void advance_run_base(struct pcap_sink *s, sim_time end_ns)
{
    sim_time end = end_ns > s->run_last_ns ? end_ns : s->run_last_ns;
    s->run_base_ns += (end + SIM_S - 1) / SIM_S * SIM_S + SIM_S;
}

static int pcap_run_end(struct trace_sink *sink, const struct trace_run_result *result)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    if (!s->in_run) {
        snprintf(sink->error, sizeof sink->error, "%s: no run is being captured", s->path);
        return -1;
    }
    s->in_run = false;
    if (s->format == SINK_PCAP_NG) {
        advance_to(s, SIM_TIME_MAX);
        conn_states_clear(s->states);
    } else {
        flush_until(s, SIM_TIME_MAX);
    }
    advance_run_base(s, result->sim_end_ns);
    if (flush_file(s) != 0) {
        snprintf(sink->error, sizeof sink->error, "%s: write error", s->path);
        return -1;
    }
    return s->failed ? -1 : 0;
}

/* Packets already written stay: a capture cannot take them back. */
static void pcap_run_abort(struct trace_sink *sink)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    if (!s->in_run)
        return;
    s->in_run = false;
    discard_pending(s);
    if (s->states)
        conn_states_clear(s->states);
    advance_run_base(s, 0);
    flush_file(s);
}

static void pcap_destroy(struct trace_sink *sink)
{
    struct pcap_sink *s = as_pcap_sink(sink);
    if (!s)
        return;
    pcap_run_abort(sink);
    if (s->dumper)
        s->lib.dump_close(s->dumper);
    if (s->pcap)
        s->lib.close(s->pcap);
    pcap_loader_close(&s->lib);
    if (s->file)
        fclose(s->file);
    conn_states_free(s->states);
    free(s->heap);
    free(s->ids);
    free(s->packet);
    free(s->side);
    free(s->path);
    free(s);
}

static const struct trace_sink_ops pcap_sink_ops = {
    .run_start = pcap_run_start,
    .transition = pcap_transition,
    .segment = pcap_segment,
    .run_end = pcap_run_end,
    .run_abort = pcap_run_abort,
    .destroy = pcap_destroy,
};

static char *copy_string(const char *s)
{
    char *copy = malloc(strlen(s) + 1);
    return copy ? strcpy(copy, s) : NULL;
}

enum sink_pcap_format sink_pcap_format_of(const char *path)
{
    static const char suffix[] = ".pcapng";
    size_t n = strlen(path), k = sizeof suffix - 1;
    return n > k && strcasecmp(path + n - k, suffix) == 0 ? SINK_PCAP_NG : SINK_PCAP_CLASSIC;
}

struct trace_sink *sink_pcap_open(const char *path, const char *side, char *err, size_t errlen)
{
    return sink_pcap_open_as(path, side, sink_pcap_format_of(path), err, errlen);
}

/* pcapng: the file, its header, and the state keeping of the comments. */
static int open_pcapng(struct pcap_sink *s, char *err, size_t errlen)
{
    if (!(s->states = conn_states_new())) {
        snprintf(err, errlen, "%s: out of memory", s->path);
        return -1;
    }
    errno = 0;
    if (!(s->file = fopen(s->path, "wb"))) {
        snprintf(err, errlen, "%s: %s", s->path, errno ? strerror(errno) : "cannot create");
        return -1;
    }
    if (pcapng_write_header(s->file, PCAPNG_LINKTYPE_RAW, SINK_PCAP_SNAPLEN,
                            s->side ? s->side : "wire") != 0) {
        snprintf(err, errlen, "%s: write error", s->path);
        return -1;
    }
    return 0;
}

struct trace_sink *sink_pcap_open_as(const char *path, const char *side,
                                     enum sink_pcap_format format, char *err, size_t errlen)
{
    struct pcap_sink *s = calloc(1, sizeof *s);
    if (!s || !(s->path = copy_string(path)) || (side && !(s->side = copy_string(side))) ||
        !(s->packet = malloc(SINK_PCAP_SNAPLEN))) {
        snprintf(err, errlen, "%s: out of memory", path);
        goto fail;
    }
    s->base.ops = &pcap_sink_ops;
    s->format = format;
    if (format == SINK_PCAP_NG) {
        if (open_pcapng(s, err, errlen) != 0)
            goto fail;
        return &s->base;
    }
    char why[256];
    if (pcap_loader_open(&s->lib, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s: %s", path, why);
        goto fail;
    }
    s->pcap = s->lib.open_dead_with_tstamp_precision(DLT_RAW, SINK_PCAP_SNAPLEN,
                                                   PCAP_TSTAMP_PRECISION_NANO);
    if (!s->pcap) {
        snprintf(err, errlen, "%s: libpcap cannot make a raw IP capture", path);
        goto fail;
    }
    s->dumper = s->lib.dump_open(s->pcap, path);
    if (!s->dumper) {
        snprintf(err, errlen, "%s", s->lib.geterr(s->pcap));
        goto fail;
    }
    return &s->base;
fail:
    if (s)
        pcap_destroy(&s->base);
    return NULL;
}

uint64_t sink_pcap_packet_count(struct trace_sink *sink)
{
    return as_pcap_sink(sink)->packets;
}
