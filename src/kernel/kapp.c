/*
 * kapp.c: the applications of a kernel run (krun.h): real non-blocking
 * sockets inside the hosts' namespaces, driven by the scenario's timeline
 * as world.c drives the simulated ones. Like the simulator's applications
 * they read everything that arrives and keep reading after their own close:
 * `close` is shutdown(SHUT_WR) while the peer may still send, close(2) once
 * its FIN was read (a socket closed earlier would be orphaned, and data
 * arriving on it would draw a RST the simulated application never causes).
 * `abort` is close(2) with SO_LINGER {1, 0}: a RST.
 */
#define _GNU_SOURCE
#include "krun.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

/* A call that failed: told on stderr whatever -q says (the simulator's
 * notes go into its report; the kernel's carry the errno's words). */
static void note(struct krun *r, int host, const char *what, const char *why)
{
    if (r->notes)
        fprintf(r->notes, "  at %.3f s %s %s: %s\n", (double)krun_now(r) / SIM_S,
                r->host[host].name, what, why);
}

static struct ksock *sock_new(struct krun *r, int host, int fd)
{
    if (krun_reserve(&r->socks, &r->sock_capacity, r->sock_count) != 0)
        return NULL;
    struct ksock *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->watch = (struct kwatch){.kind = WATCH_SOCKET, .sock = s};
    s->host = host;
    s->fd = fd;
    r->socks[r->sock_count++] = s;
    return s;
}

static void watch(struct krun *r, struct ksock *s, uint32_t events, int op)
{
    struct epoll_event ev = {.events = events, .data.ptr = &s->watch};
    epoll_ctl(r->epoll_fd, op, s->fd, &ev);
}

static void sock_close(struct ksock *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
}

static struct sockaddr_in ipv4(uint32_t addr, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    sin.sin_addr.s_addr = htonl(addr);
    return sin;
}

/* A socket of the host with its profile's socket options, bound. */
static int host_socket(struct krun *r, int h, uint16_t port)
{
    const struct kernel_host_settings *set = &r->host[h].settings;
    return netns_tcp_socket(&r->host[h].ns, r->host[h].addr, port, set->mss, set->snd_buf,
                            set->congestion);
}

static uint16_t local_port(int fd)
{
    struct sockaddr_in sin;
    socklen_t len = sizeof sin;
    return getsockname(fd, (struct sockaddr *)&sin, &len) == 0 ? ntohs(sin.sin_port) : 0;
}

/* ---- the timeline's calls ---- */

static void app_listen(struct krun *r, const struct scenario_action *a)
{
    int fd = host_socket(r, a->host, a->port);
    struct ksock *s = NULL;
    if (fd < 0 || listen(fd, a->backlog > 0 ? a->backlog : 128) != 0 ||
        !(s = sock_new(r, a->host, fd))) {
        note(r, a->host, "listen", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    s->listener = true;
    s->port = a->port;
    watch(r, s, EPOLLIN, EPOLL_CTL_ADD);
    kconn_listener_transition(r, a->host, TCP_CLOSED, TCP_LISTEN, TCP_CAUSE_APP_LISTEN);
}

static void app_unlisten(struct krun *r, const struct scenario_action *a)
{
    for (size_t i = 0; i < r->sock_count; i++) {
        struct ksock *s = r->socks[i];
        if (s->listener && s->host == a->host && s->port == a->port && s->fd >= 0) {
            sock_close(s);
            kconn_listener_transition(r, a->host, TCP_LISTEN, TCP_CLOSED, TCP_CAUSE_APP_CLOSE);
            return;
        }
    }
    note(r, a->host, "unlisten", "no such listener");
}

static void app_connect(struct krun *r, const struct scenario_action *a)
{
    int fd = host_socket(r, a->host, a->local_port);
    uint32_t peer = r->host[a->peer].addr;
    struct kconn *c = fd >= 0 ? kconn_open(r, a->host, r->host[a->host].addr, local_port(fd),
                                           peer, a->port) : NULL;
    struct ksock *s = c ? sock_new(r, a->host, fd) : NULL;
    if (!s) {
        note(r, a->host, "connect", strerror(errno));
        if (fd >= 0)
            close(fd);
        return;
    }
    s->conn = c;
    s->connecting = true;
    struct sockaddr_in remote = ipv4(peer, a->port);
    if (connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0 && errno != EINPROGRESS) {
        note(r, a->host, "connect", strerror(errno));
        sock_close(s);
        return;
    }
    watch(r, s, EPOLLIN | EPOLLOUT | EPOLLRDHUP, EPOLL_CTL_ADD);
}

/* The host's conn=N: 1-based in creation order, 0 = the most recent. */
static struct ksock *named_sock(struct krun *r, int host, uint32_t n)
{
    struct ksock *found = NULL;
    uint32_t seen = 0;
    for (size_t i = 0; i < r->sock_count; i++) {
        struct ksock *s = r->socks[i];
        if (s->listener || s->host != host)
            continue;
        found = s;
        if (++seen == n)
            return s;
    }
    return n == 0 ? found : NULL;
}

/* Writes what the application has queued, as far as the socket takes it. */
static void flush(struct krun *r, struct ksock *s);

static void do_close(struct krun *r, struct ksock *s)
{
    s->close_pending = false;
    if (s->eof || s->connecting) {
        sock_close(s);
        return;
    }
    shutdown(s->fd, SHUT_WR);
    s->shut_wr = true;
    (void)r;
}

static void flush(struct krun *r, struct ksock *s)
{
    while (s->fd >= 0 && s->pending > 0 && !s->connecting) {
        size_t chunk = s->pending < r->pattern_size ? (size_t)s->pending : r->pattern_size;
        ssize_t n = write(s->fd, r->pattern, chunk);
        if (n <= 0)
            break;
        s->pending -= (uint64_t)n;
    }
    if (s->fd < 0)
        return;
    if (s->pending == 0 && s->close_pending)
        do_close(r, s);
    if (s->fd >= 0)
        watch(r, s, (s->eof ? 0 : EPOLLIN | EPOLLRDHUP) |
                        (s->pending || s->connecting ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

static void app_data_call(struct krun *r, const struct scenario_action *a)
{
    static const char *const names[] = {[ACTION_SEND] = "send", [ACTION_CLOSE] = "close",
                                        [ACTION_ABORT] = "abort"};
    struct ksock *s = named_sock(r, a->host, a->conn);
    if (!s || s->fd < 0) {
        note(r, a->host, names[a->kind], "connection does not exist");
        return;
    }
    switch (a->kind) {
    case ACTION_SEND:
        s->pending += a->bytes;
        flush(r, s);
        break;
    case ACTION_CLOSE:
        s->close_pending = true;
        flush(r, s);
        break;
    default: {
        struct linger linger = {1, 0};
        setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger);
        s->conn->end[s->host].aborted = true;
        sock_close(s);
        break;
    }
    }
}

void kapp_action(struct krun *r, const struct scenario_action *a)
{
    switch (a->kind) {
    case ACTION_LISTEN: app_listen(r, a); break;
    case ACTION_UNLISTEN: app_unlisten(r, a); break;
    case ACTION_CONNECT: app_connect(r, a); break;
    case ACTION_SEND: case ACTION_CLOSE: case ACTION_ABORT: app_data_call(r, a); break;
    case ACTION_INJECT: kconn_inject(r, a); break;
    }
}

/* ---- what the sockets say ---- */

static void accept_all(struct krun *r, struct ksock *listener)
{
    for (;;) {
        struct sockaddr_in peer;
        socklen_t len = sizeof peer;
        int fd = accept4(listener->fd, (struct sockaddr *)&peer, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return;
        int end;
        struct kconn *c = kconn_find(r, r->host[listener->host].addr, local_port(fd),
                                     ntohl(peer.sin_addr.s_addr), ntohs(peer.sin_port), &end);
        struct ksock *s = sock_new(r, listener->host, fd);
        if (!s) {
            close(fd);
            return;
        }
        s->conn = c;
        watch(r, s, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
}

static void read_all(struct krun *r, struct ksock *s)
{
    uint8_t buf[16384];
    ssize_t n;
    while (s->fd >= 0 && (n = read(s->fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR)
                sock_close(s); /* reset or timed out: the socket is dead */
            return;
        }
        world_observer_add_bytes_received(r->observer, s->host, (uint64_t)n);
    }
    if (s->fd >= 0 && !s->eof) {
        s->eof = true;
        if (s->shut_wr)
            sock_close(s); /* both directions are done */
        else
            watch(r, s, s->pending ? EPOLLOUT : 0, EPOLL_CTL_MOD);
    }
}

void kapp_socket_event(struct krun *r, struct ksock *s, uint32_t events)
{
    if (s->fd < 0)
        return;
    if (s->listener) {
        accept_all(r, s);
        return;
    }
    if (s->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            sock_close(s); /* refused, or the SYN retries ran out */
            return;
        }
        s->connecting = false;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
        read_all(r, s);
    if (s->fd >= 0)
        flush(r, s);
}

bool kapp_idle(const struct krun *r)
{
    for (size_t i = 0; i < r->sock_count; i++) {
        const struct ksock *s = r->socks[i];
        if (s->fd >= 0 && (s->pending || s->close_pending))
            return false;
    }
    return true;
}

void kapp_close_all(struct krun *r)
{
    for (size_t i = 0; i < r->sock_count; i++) {
        sock_close(r->socks[i]);
        free(r->socks[i]);
    }
    free(r->socks);
    r->socks = NULL;
    r->sock_count = 0;
}
