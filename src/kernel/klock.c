/*
 * klock.c: keeping concurrent `tcpsim kernel` runs apart. The tracepoint
 * sock:inet_sock_set_state reports every network namespace of the machine
 * and carries no namespace, so a run recognises its own sockets only by
 * their 4-tuples: two runs at once must never use the same one. Each run
 * therefore holds, for its whole life, flock(2) locks in /run/tcpsim/:
 *  - one ephemeral-port slice of 1000 ports out of 32768-60999, the first
 *    free of 28 (waiting for one when all are taken);
 *  - every fixed local port a scenario connects from (`connect ...
 *    port=40000`), so a second run of the same scenario waits for the first
 *    instead of sharing its 4-tuple.
 * Trade-off: runs of scenarios with the same fixed port are serialized; any
 * other runs go on in parallel. Locks go with the process (also on SIGKILL),
 * so nothing is left to clean up.
 */
#define _GNU_SOURCE
#include "krun.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOCK_DIR "/run/tcpsim"
#define SLICES 28

static int lock_file(struct krun *r, const char *name, bool wait)
{
    char path[128];
    snprintf(path, sizeof path, LOCK_DIR "/%s.lock", name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(r->error, sizeof r->error, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) == 0)
        return fd;
    if (!wait) {
        close(fd);
        return -2;
    }
    fprintf(stderr, "tcpsim kernel: waiting for another kernel run that holds %s\n", name);
    while (flock(fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            snprintf(r->error, sizeof r->error, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
    return fd;
}

static int keep(struct krun *r, int fd)
{
    if (fd < 0)
        return -1;
    if (r->lock_count == KRUN_MAX_LOCKS) {
        close(fd);
        snprintf(r->error, sizeof r->error, "more than %d fixed local ports", KRUN_MAX_LOCKS - 1);
        return -1;
    }
    r->lock_fd[r->lock_count++] = fd;
    return 0;
}

static int claim_slice(struct krun *r)
{
    char name[32];
    for (int i = 0; i < SLICES; i++) {
        int slice = (int)((getpid() + i) % SLICES);
        snprintf(name, sizeof name, "ports-%d", slice);
        int fd = lock_file(r, name, false);
        if (fd == -1)
            return -1;
        if (fd >= 0) {
            r->port_slice = slice;
            return keep(r, fd);
        }
    }
    r->port_slice = (int)(getpid() % SLICES);
    snprintf(name, sizeof name, "ports-%d", r->port_slice);
    return keep(r, lock_file(r, name, true));
}

static int compare_endpoints(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* In one global order (address, port), so two runs never wait on each other. */
static int claim_fixed_ports(struct krun *r)
{
    uint64_t endpoint[KRUN_MAX_LOCKS];
    size_t count = 0;
    for (size_t i = 0; i < r->sc->action_count; i++) {
        const struct scenario_action *a = &r->sc->actions[i];
        if (a->kind != ACTION_CONNECT || a->local_port == 0 || count == KRUN_MAX_LOCKS - 1)
            continue;
        endpoint[count++] = (uint64_t)r->sc->hosts[a->host].config.addr << 16 | a->local_port;
    }
    qsort(endpoint, count, sizeof endpoint[0], compare_endpoints);
    for (size_t i = 0; i < count; i++) {
        if (i > 0 && endpoint[i] == endpoint[i - 1])
            continue;
        uint32_t addr = (uint32_t)(endpoint[i] >> 16);
        char name[48];
        snprintf(name, sizeof name, "port-%u.%u.%u.%u-%u", addr >> 24, addr >> 16 & 255,
                 addr >> 8 & 255, addr & 255, (unsigned)(endpoint[i] & 0xffff));
        if (keep(r, lock_file(r, name, true)) != 0)
            return -1;
    }
    return 0;
}

int klock_claim(struct krun *r)
{
    if (mkdir(LOCK_DIR, 0755) != 0 && errno != EEXIST) {
        snprintf(r->error, sizeof r->error, LOCK_DIR ": %s", strerror(errno));
        return -1;
    }
    return claim_slice(r) != 0 ? -1 : claim_fixed_ports(r);
}

void klock_release(struct krun *r)
{
    for (int i = 0; i < r->lock_count; i++)
        close(r->lock_fd[i]);
    r->lock_count = 0;
}
