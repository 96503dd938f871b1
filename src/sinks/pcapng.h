/*
 * pcapng.h: the few blocks of the pcapng file format (the IETF draft
 * draft-ietf-opsawg-pcapng, the format Wireshark writes by default) that a
 * capture with a comment on every packet needs: one Section Header Block,
 * one Interface Description Block and an Enhanced Packet Block per packet,
 * whose opt_comment option Wireshark shows as the packet's comment
 * (frame.comment in tshark).
 *
 * Why by hand: libpcap (1.10 in Debian 12, and still upstream: libpcap
 * issue #1321) writes only the classic pcap format, and the one Debian
 * library that writes pcapng with comments, Wireshark's libwiretap, is
 * Wireshark's internal library (GLib-based, its API and soname change with
 * every Wireshark release). The blocks below are about a hundred lines.
 *
 * Files are always written little-endian (the Section Header's byte-order
 * magic says so to readers), so the same run gives the same bytes on any
 * machine.
 */
#ifndef TCPSIM_PCAPNG_H
#define TCPSIM_PCAPNG_H

#include <stdint.h>
#include <stdio.h>

/* LINKTYPE_RAW: the packet starts with its IPv4 header. */
#define PCAPNG_LINKTYPE_RAW 101

/* The Section Header Block (naming the writing application) and one
 * interface: linktype, snap length, nanosecond timestamps (if_tsresol 9)
 * and if_name. Returns 0, or -1 when the write failed. */
int pcapng_write_header(FILE *out, uint16_t linktype, uint32_t snaplen, const char *if_name);

/* An Enhanced Packet Block on interface 0: ts_ns nanoseconds since 1970,
 * cap_len bytes of a packet wire_len long, and comment (NULL: none) as
 * opt_comment. Returns 0, or -1 when the write failed. */
int pcapng_write_packet(FILE *out, uint64_t ts_ns, const uint8_t *bytes, uint32_t cap_len,
                        uint32_t wire_len, const char *comment);

#endif
