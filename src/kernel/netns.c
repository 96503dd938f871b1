/*
 * netns.c: a scenario host's namespace, TUN device and sysctls (netns.h).
 * The interface is configured with the classic ioctls (SIOCSIFADDR and
 * friends) rather than rtnetlink: a point-to-point TUN with a local and a
 * peer address is all a host needs, and the kernel adds the /32 route to the
 * peer by itself.
 */
#define _GNU_SOURCE
#include "netns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TUN_NAME "tcpsim0"

static int fail(char *error, size_t size, const char *what)
{
    snprintf(error, size, "%s: %s", what, strerror(errno));
    return -1;
}

static int enter(int ns_fd) { return setns(ns_fd, CLONE_NEWNET); }

/* Writes value to /proc/sys/KEY of the namespace the process is in now. */
static int write_proc_sys(const char *key, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "/proc/sys/%s", key);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static void set_ipv4(struct ifreq *ifr, uint32_t addr)
{
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr->ifr_addr;
    memset(sin, 0, sizeof *sin);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = htonl(addr);
}

static int interface_up(int sock, const char *name)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    if (ioctl(sock, SIOCGIFFLAGS, &ifr) != 0)
        return -1;
    ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
    return ioctl(sock, SIOCSIFFLAGS, &ifr);
}

/* Inside the new namespace: the TUN device, its addresses, lo. */
static int configure(struct netns_host *host, uint32_t addr, uint32_t peer_addr, char *error,
                     size_t size)
{
    /* No IPv6: its router and neighbour chatter would cross the TUN. */
    write_proc_sys("net/ipv6/conf/all/disable_ipv6", "1");
    write_proc_sys("net/ipv6/conf/default/disable_ipv6", "1");
    host->tun_fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (host->tun_fd < 0)
        return fail(error, size, "/dev/net/tun");
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", TUN_NAME);
    if (ioctl(host->tun_fd, TUNSETIFF, &ifr) != 0)
        return fail(error, size, "TUNSETIFF");

    int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (sock < 0)
        return fail(error, size, "socket");
    int rc = -1;
    set_ipv4(&ifr, addr);
    if (ioctl(sock, SIOCSIFADDR, &ifr) != 0) {
        fail(error, size, "SIOCSIFADDR");
        goto out;
    }
    set_ipv4(&ifr, peer_addr);
    if (ioctl(sock, SIOCSIFDSTADDR, &ifr) != 0) {
        fail(error, size, "SIOCSIFDSTADDR");
        goto out;
    }
    if (interface_up(sock, TUN_NAME) != 0 || interface_up(sock, "lo") != 0) {
        fail(error, size, "bringing the interfaces up");
        goto out;
    }
    rc = 0;
out:
    close(sock);
    return rc;
}

int netns_host_create(struct netns_host *host, uint32_t addr, uint32_t peer_addr, char *error,
                      size_t size)
{
    host->ns_fd = host->tun_fd = -1;
    host->home_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    if (host->home_fd < 0)
        return fail(error, size, "/proc/self/ns/net");
    if (unshare(CLONE_NEWNET) != 0)
        return fail(error, size, "unshare(CLONE_NEWNET)");
    host->ns_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    int rc = host->ns_fd < 0 ? fail(error, size, "/proc/self/ns/net")
                             : configure(host, addr, peer_addr, error, size);
    if (enter(host->home_fd) != 0) {
        fail(error, size, "returning to the first namespace");
        return -1;
    }
    return rc;
}

void netns_host_destroy(struct netns_host *host)
{
    if (host->tun_fd >= 0)
        close(host->tun_fd);
    if (host->ns_fd >= 0)
        close(host->ns_fd);
    if (host->home_fd >= 0)
        close(host->home_fd);
    host->tun_fd = host->ns_fd = host->home_fd = -1;
}

int netns_sysctl(const struct netns_host *host, const char *key, const char *value, char *error,
                 size_t size)
{
    if (enter(host->ns_fd) != 0)
        return fail(error, size, "setns");
    int rc = write_proc_sys(key, value);
    int saved = errno;
    enter(host->home_fd);
    if (rc != 0) {
        errno = saved;
        char what[300];
        snprintf(what, sizeof what, "sysctl %s=%s", key, value);
        return fail(error, size, what);
    }
    return 0;
}

int netns_socket(const struct netns_host *host, int domain, int type, int protocol)
{
    if (enter(host->ns_fd) != 0)
        return -1;
    int fd = socket(domain, type, protocol);
    int saved = errno;
    enter(host->home_fd);
    errno = saved;
    return fd;
}

int netns_set_tcp_option(int fd, enum netns_tcp_option option, unsigned int value)
{
    int name = option == NETNS_TCP_NODELAY ? TCP_NODELAY : TCP_USER_TIMEOUT;
    return setsockopt(fd, IPPROTO_TCP, name, &value, sizeof value) == 0 ? 0 : errno;
}

int netns_tcp_socket(const struct netns_host *host, uint32_t addr, uint16_t port, uint32_t mss,
                     uint32_t snd_buf, const char *congestion)
{
    int fd = netns_socket(host, AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (congestion[0] &&
        setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, congestion, (socklen_t)strlen(congestion)) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    int one = 1, maxseg = (int)mss, sndbuf = (int)(snd_buf / 2); /* the kernel doubles it */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (maxseg)
        setsockopt(fd, IPPROTO_TCP, TCP_MAXSEG, &maxseg, sizeof maxseg);
    if (sndbuf)
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(port)};
    local.sin_addr.s_addr = htonl(addr);
    if (bind(fd, (struct sockaddr *)&local, sizeof local) != 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}
