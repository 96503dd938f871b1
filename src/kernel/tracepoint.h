/*
 * tracepoint.h: the kernel's TCP state changes, read from the tracepoint
 * sock:inet_sock_set_state in a tracefs instance of our own
 * (/sys/kernel/tracing/instances/tcpsim-PID), so several processes can read
 * it at once and the global trace settings stay untouched. The instance's
 * clock is "mono": event times are CLOCK_MONOTONIC, as the run's clock.
 *
 * The tracepoint is global (every namespace's sockets); the caller keeps
 * the events whose 4-tuple is one of its own connections.
 */
#ifndef TCPSIM_TRACEPOINT_H
#define TCPSIM_TRACEPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "tcp_base.h"

struct tracepoint_event {
    int64_t mono_ns;              /* CLOCK_MONOTONIC, microsecond resolution */
    uint32_t saddr, daddr;        /* host byte order */
    uint16_t sport, dport;
    enum tcp_state old_state, new_state;
};

struct tracepoint;

/* Mounts tracefs when it is not mounted, makes the instance and enables the
 * event. NULL with a message on failure. */
struct tracepoint *tracepoint_open(char *error, size_t size);
/* Disables the event and removes the instance. */
void tracepoint_close(struct tracepoint *tp);

/* The descriptor to poll for readability. */
int tracepoint_fd(const struct tracepoint *tp);

/* Reads what is waiting without blocking; calls on_event for each IPv4 TCP
 * event in order. Returns the number of events, or -1 on a read error. */
int tracepoint_read(struct tracepoint *tp, void (*on_event)(void *context,
                    const struct tracepoint_event *event), void *context);

#endif
