/*
 * sockdiag.h: which connections of a namespace are in TIME_WAIT, asked of
 * the kernel through sock_diag (NETLINK_SOCK_DIAG, inet_diag). Linux hands a
 * closing connection to a timewait mini-socket that the state tracepoint
 * never shows; this is how its end is seen.
 */
#ifndef TCPSIM_SOCKDIAG_H
#define TCPSIM_SOCKDIAG_H

#include <stddef.h>
#include <stdint.h>

struct sockdiag_tuple {
    uint32_t saddr, daddr;        /* host byte order; s = the namespace's own end */
    uint16_t sport, dport;
};

/* Fills up to max tuples of the TIME_WAIT sockets seen through the
 * NETLINK_SOCK_DIAG socket fd (made inside the namespace). Returns how many
 * there are (possibly more than max), or -1 with errno. */
int sockdiag_time_wait(int fd, struct sockdiag_tuple *tuples, size_t max);

#endif
