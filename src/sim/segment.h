/*
 * segment.h: a TCP segment as it crosses the simulated wire. The header
 * fields of RFC 9293 section 3.1 that the simulator uses, the payload, and
 * simulator bookkeeping that is not on the wire (id, connection, whether the
 * sender meant it as a retransmission). Shared by link, tcp and the sinks.
 */
#ifndef TCPSIM_SEGMENT_H
#define TCPSIM_SEGMENT_H

#include <stdbool.h>
#include <stdint.h>

enum {
    TCP_FLAG_FIN = 0x01,
    TCP_FLAG_SYN = 0x02,
    TCP_FLAG_RST = 0x04,
    TCP_FLAG_PSH = 0x08,
    TCP_FLAG_ACK = 0x10,
    TCP_FLAG_URG = 0x20,
};

/* TCP options other than MSS a segment carries (struct segment.options). */
enum {
    TCP_OPT_SACK_PERM = 0x01, /* RFC 2018 SACK-permitted, on SYNs */
    TCP_OPT_TIMESTAMPS = 0x02, /* RFC 7323 TSopt: tsval, tsecr */
    TCP_OPT_WSCALE = 0x04,    /* RFC 7323 window scale shift, on SYNs */
};

struct segment {
    /* On the wire. Addresses are IPv4 in host byte order. */
    uint32_t src_addr, dst_addr;
    uint16_t src_port, dst_port;
    uint32_t seq, ack;
    uint8_t flags;
    uint16_t wnd;         /* the header's field: scaled (>> shift) once window scaling is on */
    uint16_t mss;         /* MSS option on SYNs; 0 = absent */
    uint8_t options;      /* TCP_OPT_* present */
    uint8_t wscale;       /* TCP_OPT_WSCALE: the shift */
    uint32_t tsval, tsecr; /* TCP_OPT_TIMESTAMPS */
    uint32_t len;         /* payload octets (SYN and FIN not counted) */
    const uint8_t *data;  /* len octets, or NULL when len == 0 */

    /* Simulator bookkeeping, not on the wire. */
    uint64_t id;          /* unique per run, assigned by the link on transmit */
    uint64_t conn_id;     /* the connection it belongs to; 0 = none */
    bool retransmission;  /* the sender sent these sequence numbers before */
    bool injected;        /* written by the scenario (inject), not by the sender's TCB */
};

/* SEG.LEN of RFC 9293: payload plus one for SYN and one for FIN. */
static inline uint32_t segment_seq_len(const struct segment *seg)
{
    return seg->len + ((seg->flags & TCP_FLAG_SYN) != 0) + ((seg->flags & TCP_FLAG_FIN) != 0);
}

/* Writes flags as the database and ladders show them: "SYN", "SYN|ACK",
 * "FIN|ACK", "RST|ACK", "ACK", "PSH|ACK". buf needs 32 bytes. Returns buf. */
char *segment_flags_string(uint8_t flags, char *buf);

/* Writes the options as the database keeps them (segments.options):
 * "mss=1460,sack_perm,ts=1234/0,wscale=7" in wire order, or "" when the
 * segment has none. buf needs SEGMENT_OPTIONS_MAX bytes. Returns buf. */
#define SEGMENT_OPTIONS_MAX 64
char *segment_options_string(const struct segment *seg, char *buf);
/* The inverse: fills mss, options, wscale, tsval, tsecr from such text;
 * -1 (seg unchanged) for text it did not write. */
int segment_options_parse(const char *text, struct segment *seg);

/* Modular sequence-number comparisons (RFC 9293 section 3.4). */
static inline bool seq_lt(uint32_t a, uint32_t b) { return (int32_t)(a - b) < 0; }
static inline bool seq_leq(uint32_t a, uint32_t b) { return (int32_t)(a - b) <= 0; }
static inline bool seq_gt(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }
static inline bool seq_geq(uint32_t a, uint32_t b) { return (int32_t)(a - b) >= 0; }

#endif
