/*
 * tracepoint.c: sock:inet_sock_set_state through tracefs (tracepoint.h).
 * The text of trace_pipe is parsed rather than the binary trace_pipe_raw:
 * one line per event, fields by name, at the cost of microsecond times
 * (the text format's resolution), far below the link's delays.
 */
#define _GNU_SOURCE
#include "tracepoint.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#define TRACEFS "/sys/kernel/tracing"
#define EVENT "events/sock/inet_sock_set_state"

struct tracepoint {
    char dir[128];
    int fd;
    char buf[65536];
    size_t used;
};

static int write_file(const char *dir, const char *name, const char *value)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, value, strlen(value));
    close(fd);
    return n == (ssize_t)strlen(value) ? 0 : -1;
}

static int ensure_mounted(char *error, size_t size)
{
    struct stat st;
    if (stat(TRACEFS "/instances", &st) == 0)
        return 0;
    if (mount("nodev", TRACEFS, "tracefs", 0, NULL) != 0) {
        snprintf(error, size, "cannot mount tracefs at %s: %s", TRACEFS, strerror(errno));
        return -1;
    }
    return 0;
}

struct tracepoint *tracepoint_open(char *error, size_t size)
{
    if (ensure_mounted(error, size) != 0)
        return NULL;
    struct tracepoint *tp = calloc(1, sizeof *tp);
    if (!tp) {
        snprintf(error, size, "out of memory");
        return NULL;
    }
    tp->fd = -1;
    snprintf(tp->dir, sizeof tp->dir, TRACEFS "/instances/tcpsim-%ld", (long)getpid());
    if (mkdir(tp->dir, 0700) != 0 && errno != EEXIST) {
        snprintf(error, size, "cannot create tracing instance %s: %s", tp->dir, strerror(errno));
        free(tp);
        return NULL;
    }
    char pipe[160];
    snprintf(pipe, sizeof pipe, "%s/trace_pipe", tp->dir);
    if (write_file(tp->dir, "trace_clock", "mono") != 0 ||
        write_file(tp->dir, EVENT "/filter", "family == 2 && protocol == 6") != 0 ||
        write_file(tp->dir, EVENT "/enable", "1") != 0 ||
        (tp->fd = open(pipe, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
        snprintf(error, size, "cannot set up %s for " EVENT ": %s", tp->dir, strerror(errno));
        tracepoint_close(tp);
        return NULL;
    }
    return tp;
}

void tracepoint_close(struct tracepoint *tp)
{
    if (!tp)
        return;
    if (tp->fd >= 0)
        close(tp->fd);
    write_file(tp->dir, EVENT "/enable", "0");
    rmdir(tp->dir);
    free(tp);
}

int tracepoint_fd(const struct tracepoint *tp) { return tp->fd; }

/* TCP_ESTABLISHED = 1 ... TCP_NEW_SYN_RECV = 12 of include/net/tcp_states.h. */
static enum tcp_state kernel_state(const char *name)
{
    static const struct { const char *name; enum tcp_state state; } map[] = {
        {"TCP_ESTABLISHED", TCP_ESTABLISHED}, {"TCP_SYN_SENT", TCP_SYN_SENT},
        {"TCP_SYN_RECV", TCP_SYN_RECEIVED},   {"TCP_FIN_WAIT1", TCP_FIN_WAIT_1},
        {"TCP_FIN_WAIT2", TCP_FIN_WAIT_2},    {"TCP_TIME_WAIT", TCP_TIME_WAIT},
        {"TCP_CLOSE", TCP_CLOSED},            {"TCP_CLOSE_WAIT", TCP_CLOSE_WAIT},
        {"TCP_LAST_ACK", TCP_LAST_ACK},       {"TCP_LISTEN", TCP_LISTEN},
        {"TCP_CLOSING", TCP_CLOSING},         {"TCP_NEW_SYN_RECV", TCP_SYN_RECEIVED},
    };
    size_t len = strcspn(name, " \n");
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strlen(map[i].name) == len && strncmp(map[i].name, name, len) == 0)
            return map[i].state;
    return TCP_CLOSED;
}

static const char *field(const char *line, const char *name)
{
    const char *p = strstr(line, name);
    return p ? p + strlen(name) : NULL;
}

static int parse_ipv4(const char *text, uint32_t *addr)
{
    unsigned a, b, c, d;
    if (!text || sscanf(text, "%u.%u.%u.%u", &a, &b, &c, &d) != 4)
        return -1;
    *addr = a << 24 | b << 16 | c << 8 | d;
    return 0;
}

/* "   <idle>-0  [001] ..s2.  1234.567890: inet_sock_set_state: family=AF_INET ..." */
static int parse_line(const char *line, struct tracepoint_event *ev)
{
    const char *tag = strstr(line, ": inet_sock_set_state: ");
    if (!tag || !strstr(tag, "family=AF_INET ") || !strstr(tag, "protocol=IPPROTO_TCP"))
        return -1;
    const char *start = tag;
    while (start > line && start[-1] != ' ')
        start--;
    unsigned long long sec, usec;
    if (sscanf(start, "%llu.%llu", &sec, &usec) != 2)
        return -1;
    ev->mono_ns = (int64_t)(sec * 1000000000ull + usec * 1000ull);
    const char *sport = field(tag, "sport="), *dport = field(tag, "dport=");
    const char *oldstate = field(tag, "oldstate="), *newstate = field(tag, "newstate=");
    if (!sport || !dport || !oldstate || !newstate ||
        parse_ipv4(field(tag, "saddr="), &ev->saddr) != 0 ||
        parse_ipv4(field(tag, "daddr="), &ev->daddr) != 0)
        return -1;
    ev->sport = (uint16_t)atoi(sport);
    ev->dport = (uint16_t)atoi(dport);
    ev->old_state = kernel_state(oldstate);
    ev->new_state = kernel_state(newstate);
    return 0;
}

int tracepoint_read(struct tracepoint *tp,
                    void (*on_event)(void *context, const struct tracepoint_event *event),
                    void *context)
{
    int events = 0;
    for (;;) {
        ssize_t n = read(tp->fd, tp->buf + tp->used, sizeof tp->buf - 1 - tp->used);
        if (n < 0)
            return errno == EAGAIN || errno == EINTR ? events : -1;
        if (n == 0)
            return events;
        tp->used += (size_t)n;
        tp->buf[tp->used] = '\0';
        char *line = tp->buf, *end;
        while ((end = strchr(line, '\n')) != NULL) {
            *end = '\0';
            struct tracepoint_event ev;
            if (parse_line(line, &ev) == 0) {
                on_event(context, &ev);
                events++;
            }
            line = end + 1;
        }
        tp->used = (size_t)(tp->buf + tp->used - line);
        memmove(tp->buf, line, tp->used);
        if (tp->used == sizeof tp->buf - 1)
            tp->used = 0; /* a line longer than the buffer: not ours */
    }
}
