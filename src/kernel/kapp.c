/*
 * kapp.c: the applications of a kernel run (krun.h): real non-blocking
 * sockets inside the hosts' namespaces, driven by the scenario's timeline
 * as world.c drives the simulated ones. Like the simulator's applications
 * they read everything that arrives (unless `read off`). `shutdown wr|rd|
 * rdwr` is shutdown(2) once the queued bytes are written; `close` is
 * close(2) then (the socket is orphaned: Linux's orphan rules apply, as the
 * linux profile models them); after a shutdown(SHUT_WR) the socket is
 * closed once the peer's FIN was read. `abort` is close(2) with SO_LINGER
 * {1, 0}: a RST. Every call's outcome goes through the trace (the calls
 * table) with the real errno; a failed one is also told on stderr.
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

/* A call's outcome, with the real errno (0 = ok): recorded through the
 * trace, and a failure told on stderr whatever -q says (the simulator's
 * notes go into its report; the kernel's carry the errno's words too). */
static void record(struct krun *r, int host, const struct ksock *s, enum tcp_call call, int error)
{
    struct trace_call tc = {krun_now(r), r->host[host].name, s && s->conn ? s->conn->conn_id : 0, call,
                            tcp_call_result_from_errno(error)};
    trace_call(r->trace, &tc);
    if (error && r->notes)
        fprintf(r->notes, "  at %.3f s %s %s: %s (%s)\n", (double)krun_now(r) / SIM_S,
                r->host[host].name, tcp_call_name(call), tcp_call_result_name(tc.result),
                strerror(error));
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
    if (s->unwatched && op == EPOLL_CTL_MOD) {
        if (s->not_reading)
            return;
        op = EPOLL_CTL_ADD;
        s->unwatched = false;
    }
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

/* SO_LINGER {1, 0}: close(2) sends RST. */
static int set_linger_abort(struct ksock *s)
{
    struct linger linger = {1, 0};
    return setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) == 0 ? 0 : errno;
}

/* The socket options an action wrote, on the real socket (accepted ones
 * inherit a listener's, as in the simulator): the first errno, 0 if all
 * took. SO_SNDBUF is given as written too (net.core.wmem_max, 212992 by
 * default, caps it silently). SO_RCVBUF is given as written: the kernel doubles it and keeps
 * half for its own overhead (tcp_adv_win_scale 1), so the window it
 * offers is about the value, as tcpsim's. linger=TIME (not 0) is set as
 * {0, 0}, no lingering: with {1, TIME} close(2) would block this
 * single-threaded runner up to TIME, and the wire does not differ (Linux's
 * tcp_close sends the same FIN; only the caller waits). */
static int set_sockopts(struct ksock *s, const struct scenario_sockopts *o)
{
    int err = 0;
    if (o->has_linger) {
        struct linger linger = {o->linger == 0, 0};
        if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &linger, sizeof linger) != 0 && !err)
            err = errno;
    }
    int e;
    if (o->has_user_timeout &&
        (e = netns_set_tcp_option(s->fd, NETNS_TCP_USER_TIMEOUT, (unsigned int)(o->user_timeout / SIM_MS))) && !err)
        err = e;
    if (o->rcvbuf) {
        int bytes = (int)o->rcvbuf;
        if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes) != 0 && !err)
            err = errno;
    }
    if (o->sndbuf) { /* as written, like SO_RCVBUF: the kernel doubles it for its overhead */
        int bytes = (int)o->sndbuf;
        if (setsockopt(s->fd, SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes) != 0 && !err)
            err = errno;
    }
    if (o->has_nodelay && (e = netns_set_tcp_option(s->fd, NETNS_TCP_NODELAY, o->nodelay)) && !err)
        err = e;
    return err;
}

/* ---- the timeline's calls ---- */

static void app_listen(struct krun *r, const struct scenario_action *a)
{
    int fd = host_socket(r, a->host, a->port);
    struct ksock *s = NULL;
    if (fd < 0 || listen(fd, a->backlog > 0 ? a->backlog : 128) != 0 ||
        !(s = sock_new(r, a->host, fd))) {
        record(r, a->host, NULL, TCP_CALL_LISTEN, errno);
        if (fd >= 0)
            close(fd);
        return;
    }
    set_sockopts(s, &a->opts); /* before the first SYN: its window and the accepted sockets' */
    record(r, a->host, NULL, TCP_CALL_LISTEN, 0);
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
            record(r, a->host, NULL, TCP_CALL_UNLISTEN, 0);
            return;
        }
    }
    record(r, a->host, NULL, TCP_CALL_UNLISTEN, ENOTCONN);
}

static void app_connect(struct krun *r, const struct scenario_action *a)
{
    int fd = host_socket(r, a->host, a->local_port);
    uint32_t peer = r->host[a->peer].addr;
    struct kconn *c = fd >= 0 ? kconn_open(r, a->host, r->host[a->host].addr, local_port(fd),
                                           peer, a->port) : NULL;
    struct ksock *s = c ? sock_new(r, a->host, fd) : NULL;
    if (!s) {
        record(r, a->host, NULL, TCP_CALL_CONNECT, errno);
        if (fd >= 0)
            close(fd);
        return;
    }
    s->conn = c;
    s->connecting = true;
    set_sockopts(s, &a->opts); /* before the SYN, which carries the window */
    struct sockaddr_in remote = ipv4(peer, a->port);
    if (connect(fd, (struct sockaddr *)&remote, sizeof remote) != 0 && errno != EINPROGRESS) {
        record(r, a->host, s, TCP_CALL_CONNECT, errno);
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

/* The pending bytes are written: close(2) or shutdown(SHUT_WR) now. */
static void do_close(struct krun *r, struct ksock *s)
{
    (void)r;
    if (s->close_pending) {
        s->close_pending = false;
        s->closed_by_app = true;
        sock_close(s);
        return;
    }
    s->shutdown_pending = false;
    if (shutdown(s->fd, SHUT_WR) == 0)
        s->shut_wr = true;
}

static void flush(struct krun *r, struct ksock *s)
{
    while (s->fd >= 0 && s->pending > 0 && !s->connecting) {
        size_t chunk = s->pending < r->pattern_size ? (size_t)s->pending : r->pattern_size;
        ssize_t n = send(s->fd, r->pattern, chunk, MSG_NOSIGNAL);
        if (n <= 0)
            break;
        s->pending -= (uint64_t)n;
    }
    if (s->fd < 0)
        return;
    if (s->pending == 0 && (s->close_pending || s->shutdown_pending) && !s->connecting)
        do_close(r, s);
    if (s->fd >= 0)
        watch(r, s, (s->eof || s->not_reading ? 0 : EPOLLIN | EPOLLRDHUP) |
                        (s->pending || s->connecting ? EPOLLOUT : 0), EPOLL_CTL_MOD);
}

/* A socket's pending error (SO_ERROR), cleared by reading it, as a send
 * or shutdown on a reset socket would report it. */
static int pending_error(const struct ksock *s)
{
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    return err;
}

static void read_all(struct krun *r, struct ksock *s);

/* send, shutdown, close, abort, read, setsockopt: the errno they return. */
static int data_call(struct krun *r, struct ksock *s, const struct scenario_action *a)
{
    int err;
    switch (a->kind) {
    case ACTION_SEND:
        if ((err = pending_error(s)) != 0 || s->shut_wr || s->shutdown_pending)
            return err ? err : EPIPE;
        s->pending += a->bytes;
        flush(r, s);
        return 0;
    case ACTION_SHUTDOWN:
        if (s->connecting)
            return ENOTCONN;
        if (a->how != SHUTDOWN_WR && shutdown(s->fd, SHUT_RD) != 0)
            return errno;
        if (a->how != SHUTDOWN_RD)
            s->shutdown_pending = true;
        flush(r, s);
        return 0;
    case ACTION_CLOSE:
        s->close_pending = true;
        flush(r, s);
        return 0;
    case ACTION_ABORT:
        set_linger_abort(s);
        s->conn->end[s->host].aborted = true;
        s->closed_by_app = true;
        sock_close(s);
        return 0;
    case ACTION_READ:
        s->not_reading = !a->on;
        if (a->on)
            read_all(r, s);
        if (s->fd >= 0)
            flush(r, s); /* re-arms EPOLLIN as reading says */
        return 0;
    case ACTION_SETSOCKOPT:
        return set_sockopts(s, &a->opts);
    case ACTION_LISTEN:
    case ACTION_CONNECT:
    case ACTION_UNLISTEN:
    case ACTION_INJECT:
        break;
    }
    return 0;
}

/* A call on a socket the run closed itself (reset, timed out, or both
 * directions done) says what Linux says of a dead connection; on one the
 * application closed, ENOTCONN stands for EBADF. */
static int call_on_closed(struct ksock *s, enum tcp_call call)
{
    if (s->closed_by_app)
        return ENOTCONN;
    if (call == TCP_CALL_CLOSE || call == TCP_CALL_ABORT) {
        s->closed_by_app = true;
        return 0;
    }
    if (s->last_error) {
        int err = s->last_error;
        s->last_error = 0;
        return err;
    }
    return call == TCP_CALL_SEND ? EPIPE : call == TCP_CALL_SHUTDOWN ? ENOTCONN : 0;
}

static void app_data_call(struct krun *r, const struct scenario_action *a)
{
    struct ksock *s = named_sock(r, a->host, a->conn);
    enum tcp_call call = scenario_action_call(a->kind);
    if (!s)
        record(r, a->host, NULL, call, ENOTCONN);
    else
        record(r, a->host, s, call, s->fd < 0 ? call_on_closed(s, call) : data_call(r, s, a));
}

void kapp_action(struct krun *r, const struct scenario_action *a)
{
    switch (a->kind) {
    case ACTION_LISTEN: app_listen(r, a); break;
    case ACTION_UNLISTEN: app_unlisten(r, a); break;
    case ACTION_CONNECT: app_connect(r, a); break;
    case ACTION_SEND: case ACTION_SHUTDOWN: case ACTION_CLOSE: case ACTION_ABORT:
    case ACTION_READ: case ACTION_SETSOCKOPT:
        app_data_call(r, a);
        break;
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
    while (s->fd >= 0 && !s->not_reading && (n = read(s->fd, buf, sizeof buf)) != 0) {
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                s->last_error = errno; /* reset or timed out: the socket is dead */
                sock_close(s);
            }
            return;
        }
        world_observer_add_bytes_received(r->observer, s->host, (uint64_t)n);
    }
    if (s->fd >= 0 && !s->eof && !s->not_reading) {
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
    if (s->not_reading && (events & (EPOLLERR | EPOLLHUP)) && !s->pending) {
        /* Level-triggered and not reading: the application would not see
         * it until it reads again, so stop watching until `read on`. */
        epoll_ctl(r->epoll_fd, EPOLL_CTL_DEL, s->fd, NULL);
        s->unwatched = true;
        return;
    }
    if (s->connecting && (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) {
        int err = 0;
        socklen_t len = sizeof err;
        getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
        record(r, s->host, s, TCP_CALL_CONNECT, err);
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
