/*
 * sink_pcap.h: a capture file of the simulated wire. A trace sink that
 * writes each segment as a real IPv4+TCP packet (correct checksums, the MSS
 * option on SYNs, the payload) to a pcap file with nanosecond timestamps
 * that Wireshark and tcpdump read. Time zero of the first run is
 * 2000-01-01T00:00:00Z.
 *
 * Where the tap sits:
 *   side NULL      every transmitted segment, at its send time, as a tap at
 *                  each sender sees it: lost and dropped ones included, the
 *                  link's extra duplicate copies not (they were never sent).
 *   side "server"  that host's interface: what it sent (at the send time,
 *                  whatever became of it) and what reached it (at the arrival
 *                  time: delivered and duplicated copies, and corrupted ones,
 *                  which carry a deliberately wrong TCP checksum).
 * Several runs written to one file follow each other: each run starts one
 * second after the previous run's end, rounded up to a whole second.
 *
 * Two formats: classic pcap (through libpcap), and pcapng (pcapng.c), the
 * same packets in the same order, each with a comment that Wireshark shows
 * (tshark: frame.comment) saying what the simulator knows of it:
 *   segment #2, retransmission: delivered at 1.050000000 s. After it:
 *   client SYN_SENT, server SYN_RECEIVED
 * the fate (and the scenario line of a fault rule that picked it, as
 * segments.rule_line), retransmission, injected, and each side's state at
 * the end of the instant it was sent (sender) and arrived (receiver; for a
 * segment that never arrived, the instant it was sent). A host with no TCB
 * for the connection shows its listener's state, else CLOSED.
 */
#ifndef TCPSIM_SINK_PCAP_H
#define TCPSIM_SINK_PCAP_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

/* Seconds since 1970 of time zero: 2000-01-01T00:00:00Z. */
#define SINK_PCAP_EPOCH_S 946684800

/* The largest packet written; longer ones are truncated in the file as a
 * capture with this snap length would be (their wire length is kept). */
#define SINK_PCAP_SNAPLEN 65535

enum sink_pcap_format {
    SINK_PCAP_CLASSIC,         /* pcap, nanosecond magic, LINKTYPE_RAW */
    SINK_PCAP_NG,              /* pcapng with a comment per packet */
};

/* pcapng for a name ending in .pcapng (in any case), else classic pcap. */
enum sink_pcap_format sink_pcap_format_of(const char *path);

/* Creates (truncates) path. side: NULL for the wire, or a host name.
 * Returns NULL with a message naming the file in err on error. Destroy
 * through sink->ops->destroy (or trace_destroy_sinks). sink_pcap_open
 * picks the format by the name (sink_pcap_format_of). */
struct trace_sink *sink_pcap_open(const char *path, const char *side, char *err, size_t errlen);
struct trace_sink *sink_pcap_open_as(const char *path, const char *side,
                                     enum sink_pcap_format format, char *err, size_t errlen);

/* Packets written to the file so far. */
uint64_t sink_pcap_packet_count(struct trace_sink *sink);

#endif
