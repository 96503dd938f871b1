/*
 * conn_states.h: each host's TCP state per connection over the recent past,
 * rebuilt from the trace's transition records, for a sink that must say
 * "the server was in SYN_RECEIVED right after this segment" when it writes
 * a packet some simulated time after the segment was reported (the pcapng
 * capture's comments, sink_pcap.c).
 *
 * Keyed by (host, conn_id); conn_id 0 is the host's listener(s), as in the
 * transition records. A key keeps its transitions back to the latest one at
 * or before the time the caller still asks about (keep_from), so memory is
 * one small entry per connection plus what changed in that window.
 */
#ifndef TCPSIM_CONN_STATES_H
#define TCPSIM_CONN_STATES_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "tcp_base.h"

struct conn_states;

struct conn_states *conn_states_new(void);
void conn_states_free(struct conn_states *cs);
/* Forgets every transition (a new run); host names stay. */
void conn_states_clear(struct conn_states *cs);

/* The host's number, adding the name the first time; -1 out of memory. */
int conn_states_host(struct conn_states *cs, const char *name);
const char *conn_states_host_name(const struct conn_states *cs, int host);

/* A transition of host's connection to `to` at t. Transitions come in time
 * order; no question about a time before keep_from will follow. Returns 0,
 * or -1 out of memory. */
int conn_states_record(struct conn_states *cs, int host, uint64_t conn_id, sim_time t,
                       enum tcp_state to, sim_time keep_from);

/* The state at the end of instant t (after every transition at t); false
 * when the connection had none by then on that host. */
bool conn_states_at(const struct conn_states *cs, int host, uint64_t conn_id, sim_time t,
                    enum tcp_state *state);

#endif
