/*
 * netns.h: one scenario host on the real kernel. A network namespace of its
 * own holding a TUN device with the host's address and a route to its peer,
 * lo up, and the sysctls of the host's profile; sockets, netlink sockets and
 * sysctl writes are made inside it while the process stays in its own
 * namespace the rest of the time.
 *
 * The namespace is anonymous: only our file descriptors keep it alive, so it
 * and its TUN device vanish when the process exits, however it exits (even
 * killed with SIGKILL). The trade-off: `ip netns list` never shows it; look
 * inside with `nsenter --net=/proc/PID/fd/N` (N: ls -l /proc/PID/fd).
 */
#ifndef TCPSIM_NETNS_H
#define TCPSIM_NETNS_H

#include <stddef.h>
#include <stdint.h>

struct netns_host {
    int home_fd;      /* the namespace the process runs in */
    int ns_fd;        /* the host's namespace */
    int tun_fd;       /* IP packets the host sends; write to deliver to it */
};

/* Creates the namespace with TUN device "tcpsim0" carrying addr (host byte
 * order) towards peer_addr. Returns 0, or -1 with a message. */
int netns_host_create(struct netns_host *host, uint32_t addr, uint32_t peer_addr, char *error,
                      size_t size);
void netns_host_destroy(struct netns_host *host);

/* Writes a sysctl of the host's namespace: key "net/ipv4/tcp_syn_retries".
 * Returns 0, or -1 with a message. */
int netns_sysctl(const struct netns_host *host, const char *key, const char *value, char *error,
                 size_t size);

/* socket(2) inside the host's namespace; -1 with errno on failure. */
int netns_socket(const struct netns_host *host, int domain, int type, int protocol);

/* A non-blocking TCP socket inside the namespace, SO_REUSEADDR, with
 * TCP_MAXSEG mss and SO_SNDBUF snd_buf unless 0, TCP_CONGESTION congestion
 * unless "", bound to addr:port (port 0: an ephemeral one). -1 with errno
 * on failure. */
int netns_tcp_socket(const struct netns_host *host, uint32_t addr, uint16_t port, uint32_t mss,
                     uint32_t snd_buf, const char *congestion);

/* IPPROTO_TCP options by names of our own: <netinet/tcp.h> cannot be
 * included next to tcp_base.h (both name the states TCP_LISTEN...). */
enum netns_tcp_option { NETNS_TCP_NODELAY, NETNS_TCP_USER_TIMEOUT };
/* setsockopt(IPPROTO_TCP) with an int value: 0, or the errno. */
int netns_set_tcp_option(int fd, enum netns_tcp_option option, unsigned int value);

#endif
