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

/* Creates (truncates) path. side: NULL for the wire, or a host name.
 * Returns NULL with a message naming the file in err on error. Destroy
 * through sink->ops->destroy (or trace_destroy_sinks). */
struct trace_sink *sink_pcap_open(const char *path, const char *side, char *err, size_t errlen);

/* Packets written to the file so far. */
uint64_t sink_pcap_packet_count(struct trace_sink *sink);

#endif
