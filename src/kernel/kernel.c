/*
 * kernel.c: `tcpsim kernel`'s run (kernel.h): the hosts' namespaces, the
 * tracing instance, the real-time loop and the end of the run.
 *
 * One thread, one epoll loop on CLOCK_MONOTONIC. The link's engine is a
 * struct sim whose clock the loop moves to "now" before anything is given
 * to the link and whenever its next event is due, so the link code is the
 * simulator's own. The loop sleeps until the earliest of the link's next
 * event, the next timeline action, a sock_diag poll (10 ms while some end is
 * in TIME_WAIT) and 20 ms (the tracepoint's pipe is read every turn).
 *
 * The run ends at the scenario's `run until=`, on SIGINT/SIGTERM (read
 * through a signalfd: no handler, no global flag), or when nothing is left
 * to happen: timeline done, link empty, every end in a state without a
 * timer and all its data acknowledged, and 500 ms without a packet or state
 * change (the kernel's own timers are invisible from here, so quiet is
 * judged from what they would act on).
 */
#define _GNU_SOURCE
#include "kernel.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/utsname.h>
#include <linux/netlink.h>
#include <time.h>
#include <unistd.h>

#include "krun.h"

#define QUIET_NS (500 * SIM_MS)
#define TICK_NS (20 * SIM_MS)
#define DIAG_POLL_NS (10 * SIM_MS)

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * SIM_S + ts.tv_nsec;
}

sim_time krun_now(const struct krun *r) { return mono_ns() - r->start_mono; }

int krun_reserve(void *array, size_t *capacity, size_t count)
{
    void **items;
    memcpy(&items, array, sizeof items);
    if (count < *capacity)
        return 0;
    size_t grown_capacity = *capacity ? 2 * *capacity : 16;
    void **grown = realloc(items, grown_capacity * sizeof *grown);
    if (!grown)
        return -1;
    memcpy(array, &grown, sizeof grown);
    *capacity = grown_capacity;
    return 0;
}

/* ---- what the machine and the scenario allow ---- */

/* The effective capability set from /proc/self/status. */
static uint64_t effective_capabilities(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long caps = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "CapEff: %llx", &caps) == 1)
            break;
    if (f)
        fclose(f);
    return caps;
}

int kernel_check_privileges(char *error, size_t size)
{
    enum { CAP_NET_ADMIN_BIT = 12, CAP_SYS_ADMIN_BIT = 21 };
    uint64_t caps = effective_capabilities();
    bool net = caps >> CAP_NET_ADMIN_BIT & 1, sys = caps >> CAP_SYS_ADMIN_BIT & 1;
    if (!net || !sys) {
        snprintf(error, size, "tcpsim kernel needs root: missing %s%s%s (network namespaces, TUN "
                 "devices, tracefs)", net ? "" : "CAP_NET_ADMIN", !net && !sys ? " and " : "",
                 sys ? "" : "CAP_SYS_ADMIN");
        return -1;
    }
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        snprintf(error, size, "tcpsim kernel needs /dev/net/tun: %s", strerror(errno));
        return -1;
    }
    if (access("/sys/kernel/tracing", F_OK) != 0) {
        snprintf(error, size, "tcpsim kernel needs tracefs at /sys/kernel/tracing: %s",
                 strerror(errno));
        return -1;
    }
    return 0;
}

static void map_settings(const struct scenario *sc, struct kernel_host_settings *settings,
                         char *refused, size_t rsize, char *ignored, size_t isize)
{
    refused[0] = ignored[0] = '\0';
    for (int h = 0; h < sc->host_count; h++)
        kernel_settings_map(&sc->hosts[h], &settings[h], refused, rsize, ignored, isize);
}

/* An inject the kernel can run: every field a number, both ports given. */
static bool inject_is_literal(const struct scenario_inject *in)
{
    return in->seq.given && in->seq.base == SEQ_NUMBER && in->to_port && in->local_port &&
           (in->ack.given ? in->ack.base == SEQ_NUMBER : !(in->flags & TCP_FLAG_ACK));
}

/* What only the simulator can do: read a TCB's variables, for inject
 * (seq=snd.nxt, the default) and `expect HOST sends ... seq=snd.nxt`.
 * The kernel's are not read. */
static int refuse_simulator_only(const struct scenario *sc, char *error, size_t size)
{
    for (size_t i = 0; i < sc->action_count; i++)
        if (sc->actions[i].kind == ACTION_INJECT && !inject_is_literal(&sc->actions[i].inject)) {
            snprintf(error, size, "%s:%d: on the kernel, inject needs seq= (and ack= with ACK) as numbers "
                     "and both to= and port=: the kernel's TCB variables cannot be read", sc->file,
                     sc->actions[i].line);
            return -1;
        }
    for (size_t i = 0; i < sc->expect_count; i++) {
        const struct scenario_expect *e = &sc->expects[i];
        bool named = (e->sends.seq.given && e->sends.seq.base != SEQ_NUMBER) ||
                     (e->sends.ack.given && e->sends.ack.base != SEQ_NUMBER);
        if (e->kind == EXPECT_SENDS && named) {
            snprintf(error, size, "%s:%d: the kernel's TCB variables cannot be read for seq=/ack= (write numbers)",
                     sc->file, e->line);
            return -1;
        }
    }
    return 0;
}

int kernel_check_scenario(const struct scenario *sc, bool lenient, char *error, size_t size)
{
    struct kernel_host_settings settings[SCENARIO_HOSTS];
    char refused[2048], ignored[512];
    if (sc->workload_count > 0) {
        snprintf(error, size, "%s: workload directives cannot run on the kernel yet (only the "
                 "timeline: listen, connect, send, close, abort, unlisten)", sc->file);
        return -1;
    }
    if (sc->host_count != SCENARIO_HOSTS) {
        snprintf(error, size, "%s: the kernel backend needs two hosts", sc->file);
        return -1;
    }
    if (refuse_simulator_only(sc, error, size))
        return -1;
    map_settings(sc, settings, refused, sizeof refused, ignored, sizeof ignored);
    if (refused[0] && !lenient) {
        snprintf(error, size, "%s: the Linux kernel cannot take: %s; --lenient runs anyway and "
                 "records these in the run's params", sc->file, refused);
        return -1;
    }
    return 0;
}

/* ---- setup and cleanup ---- */

static int watch_fd(struct krun *r, int fd, struct kwatch *w)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = w};
    return epoll_ctl(r->epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* The sysctls of a host's profile, and an ephemeral range of this
 * run's own slice (klock.c) when the scenario keeps the default one, so
 * that two runs at once do not share 4-tuples (the tracepoint shows every
 * namespace). */
static int apply_settings(struct krun *r, struct khost *host)
{
    const struct kernel_host_settings *set = &host->settings;
    char range[32];
    for (size_t i = 0; i < set->sysctl_count; i++)
        if (netns_sysctl(&host->ns, set->sysctl[i].key, set->sysctl[i].value, r->error,
                         sizeof r->error) != 0)
            return -1;
    uint16_t low = set->ephemeral_low, high = set->ephemeral_high;
    if (low == 32768 && high == 60999) {
        low = (uint16_t)(32768 + r->port_slice * 1000);
        high = (uint16_t)(low + 999);
    }
    snprintf(range, sizeof range, "%u %u", low, high);
    return netns_sysctl(&host->ns, "net/ipv4/ip_local_port_range", range, r->error,
                        sizeof r->error);
}

static int setup_host(struct krun *r, int h)
{
    const struct scenario *sc = r->sc;
    struct khost *host = &r->host[h];
    host->run = r;
    host->index = h;
    host->name = sc->hosts[h].name;
    host->addr = sc->hosts[h].config.addr;
    host->diag_fd = -1;
    host->tun_watch = (struct kwatch){.kind = WATCH_TUN, .host = h};
    if (netns_host_create(&host->ns, host->addr, sc->hosts[1 - h].config.addr, r->error,
                          sizeof r->error) != 0 ||
        apply_settings(r, host) != 0)
        return -1;
    host->diag_fd = netns_socket(&host->ns, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (host->diag_fd < 0 || watch_fd(r, host->ns.tun_fd, &host->tun_watch) != 0) {
        snprintf(r->error, sizeof r->error, "%s: sock_diag or epoll: %s", host->name,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int setup(struct krun *r, const struct kernel_options *o, sigset_t *signals)
{
    static const char no_memory[] = "out of memory";
    r->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    r->signal_fd = signalfd(-1, signals, SFD_NONBLOCK | SFD_CLOEXEC);
    r->sim = sim_create();
    r->pattern_size = 65536;
    r->pattern = malloc(r->pattern_size);
    if (r->epoll_fd < 0 || r->signal_fd < 0 || !r->sim || !r->pattern) {
        snprintf(r->error, sizeof r->error, "%s", no_memory);
        return -1;
    }
    for (size_t i = 0; i < r->pattern_size; i++)
        r->pattern[i] = (uint8_t)(i * 131 + 7); /* the bytes world.c's applications send */
    r->signal_watch.kind = WATCH_SIGNAL;
    r->tracepoint_watch.kind = WATCH_TRACEPOINT;
    watch_fd(r, r->signal_fd, &r->signal_watch);
    if (klock_claim(r) != 0)
        return -1;
    for (int h = 0; h < SCENARIO_HOSTS; h++)
        if (setup_host(r, h) != 0)
            return -1;
    r->tracepoint = tracepoint_open(r->error, sizeof r->error);
    if (!r->tracepoint || watch_fd(r, tracepoint_fd(r->tracepoint), &r->tracepoint_watch) != 0)
        return -1;
    if (kconn_link_create(r, o->seed) != 0) {
        snprintf(r->error, sizeof r->error, "%s", no_memory);
        return -1;
    }
    return 0;
}

static void cleanup(struct krun *r)
{
    kapp_close_all(r);
    tracepoint_close(r->tracepoint);
    for (int h = 0; h < SCENARIO_HOSTS; h++) {
        if (r->host[h].diag_fd >= 0)
            close(r->host[h].diag_fd);
        if (r->host[h].run)
            netns_host_destroy(&r->host[h].ns);
    }
    if (r->link)
        link_destroy(r->link);
    if (r->sim)
        sim_destroy(r->sim);
    kconn_free(r);
    free(r->pattern);
    if (r->epoll_fd >= 0)
        close(r->epoll_fd);
    if (r->signal_fd >= 0)
        close(r->signal_fd);
    klock_release(r);
}

/* ---- the loop ---- */

static bool nothing_left(const struct krun *r, sim_time now)
{
    return r->next_action == r->sc->action_count && sim_pending_count(r->sim) == 0 &&
           kapp_idle(r) && !kconn_any_time_wait(r) && kconn_all_quiet(r) &&
           now - r->last_activity >= QUIET_NS;
}

static void dispatch(struct krun *r, const struct epoll_event *ev)
{
    struct kwatch *w = ev->data.ptr;
    switch (w->kind) {
    case WATCH_TUN: kconn_tun_readable(r, w->host); break;
    case WATCH_TRACEPOINT: break; /* read every turn of the loop */
    case WATCH_SIGNAL: {
        struct signalfd_siginfo info;
        if (read(r->signal_fd, &info, sizeof info) > 0) /* taken: the command reports it */
            r->interrupted = true;
        break;
    }
    case WATCH_SOCKET: kapp_socket_event(r, w->sock, ev->events); break;
    }
}

static sim_time min_time(sim_time a, sim_time b) { return a < b ? a : b; }

static sim_time next_wake(const struct krun *r, sim_time now, sim_time next_poll)
{
    sim_time wake = min_time(now + TICK_NS, sim_next_event_time(r->sim));
    if (r->next_action < r->sc->action_count)
        wake = min_time(wake, r->sc->actions[r->next_action].at);
    if (kconn_any_time_wait(r))
        wake = min_time(wake, next_poll);
    return min_time(wake, r->sc->run.until);
}

static void progress(const struct krun *r, FILE *out, sim_time now)
{
    fprintf(out, "\rtcpsim kernel: %s at %.1f s of at most %.0f s, %zu connection%s ", r->sc->name,
            (double)now / SIM_S, (double)r->sc->run.until / SIM_S, r->conn_count,
            r->conn_count == 1 ? "" : "s");
    fflush(out);
}

/* Returns true when the run reached `run until`. */
static bool run_loop(struct krun *r, const struct kernel_options *o)
{
    const struct scenario *sc = r->sc;
    sim_time next_poll = 0, next_progress = 0;
    for (;;) {
        sim_time now = krun_now(r);
        sim_run(r->sim, now);
        while (r->next_action < sc->action_count && sc->actions[r->next_action].at <= now)
            kapp_action(r, &sc->actions[r->next_action++]);
        tracepoint_read(r->tracepoint, kconn_tracepoint_event, r);
        world_observer_advance(r->observer, now);
        if (now >= next_poll && kconn_any_time_wait(r)) {
            kconn_poll_time_wait(r);
            next_poll = now + DIAG_POLL_NS;
        }
        if (o->progress && now >= next_progress) {
            progress(r, o->progress, now);
            next_progress = now + SIM_S;
        }
        if (r->interrupted || now >= sc->run.until || nothing_left(r, now))
            return now >= sc->run.until;
        sim_time wait = next_wake(r, now, next_poll) - krun_now(r);
        struct timespec timeout = {0, 0};
        if (wait > 0)
            timeout = (struct timespec){wait / SIM_S, wait % SIM_S};
        struct epoll_event events[16];
        int n = epoll_pwait2(r->epoll_fd, events, 16, &timeout, NULL);
        for (int i = 0; i < n; i++)
            dispatch(r, &events[i]);
    }
}

/* ---- the run's record ---- */

/* "client=cubic server=cubic": the net.ipv4.tcp_congestion_control each
 * namespace ran with, so that a run says which algorithm it compares. */
static void describe_congestion(const struct scenario *sc, char *out, size_t size)
{
    out[0] = '\0';
    for (int h = 0; h < sc->host_count; h++) {
        size_t used = strlen(out);
        snprintf(out + used, size - used, "%s%s=%s", h ? " " : "", sc->hosts[h].name,
                 tcp_congestion_names[sc->hosts[h].config.profile.congestion]);
    }
}

static struct trace_param *run_params(const struct scenario *sc, const char *refused,
                                      const char *ignored, const char *congestion, size_t *count)
{
    struct trace_param *params = calloc(sc->param_count + 3, sizeof *params);
    if (!params)
        return NULL;
    size_t n = 0;
    for (size_t i = 0; i < sc->param_count; i++)
        params[n++] = (struct trace_param){sc->params[i].key, sc->params[i].value};
    if (refused[0])
        params[n++] = (struct trace_param){"kernel.not_applied", refused};
    if (ignored[0])
        params[n++] = (struct trace_param){"kernel.ignored", ignored};
    params[n++] = (struct trace_param){"kernel.congestion_control", congestion};
    *count = n;
    return params;
}

static int record_end(struct krun *r, bool reached_until, double started, bool skip_expectations,
                      struct world_report *report)
{
    struct trace_sink *failed = NULL;
    kconn_report_connections(r);
    report->sim_end_ns = reached_until ? r->sc->run.until : r->last_record;
    report->events = r->records;
    report->wall_s = (double)(mono_ns() - started) / SIM_S;
    world_observer_conclude(r->observer, skip_expectations, r->trace, report);
    struct trace_run_result result = {report->status, report->sim_end_ns, report->events,
                                      report->wall_s, r->sc->run.until};
    if (trace_run_end(r->trace, &result, &failed) != 0) {
        snprintf(report->error, sizeof report->error, "%s", failed ? failed->error : "cannot record run");
        report->status = "error";
        return -1;
    }
    return 0;
}

static int run_recorded(struct krun *r, const struct kernel_options *o, const char *refused,
                        const char *ignored, struct world_report *report)
{
    struct utsname uts;
    char stack[128] = "linux";
    if (uname(&uts) == 0)
        snprintf(stack, sizeof stack, "linux %s", uts.release);
    size_t param_count = 0;
    char congestion[128];
    describe_congestion(r->sc, congestion, sizeof congestion);
    struct trace_param *params = run_params(r->sc, refused, ignored, congestion, &param_count);
    struct trace_run_info info = {r->sc->name, r->sc->sha256, o->seed, o->rep, params,
                                  param_count, stack};
    struct trace_sink *failed = NULL;
    if (!params || trace_run_start(r->trace, &info, &failed) != 0) {
        snprintf(report->error, sizeof report->error, "%s", failed ? failed->error : "out of memory");
        free(params);
        return -1;
    }
    int64_t started = mono_ns();
    r->start_mono = started;
    bool reached_until = run_loop(r, o);
    if (o->progress)
        fprintf(o->progress, "\r\033[K");
    int status;
    if (r->interrupted) {
        trace_run_abort(r->trace);
        snprintf(report->error, sizeof report->error, "interrupted; the run was not recorded");
        status = -1;
    } else {
        status = record_end(r, reached_until, (double)started, o->skip_expectations, report);
    }
    free(params);
    return status;
}

int kernel_run(const struct scenario *sc, const struct kernel_options *o, struct trace *trace,
               struct world_report *report)
{
    struct krun r = {.sc = sc, .notes = stderr, .epoll_fd = -1, .signal_fd = -1};
    struct kernel_host_settings settings[SCENARIO_HOSTS];
    char refused[2048], ignored[512];
    memset(report, 0, sizeof *report);
    report->status = "error";
    map_settings(sc, settings, refused, sizeof refused, ignored, sizeof ignored);
    for (int h = 0; h < SCENARIO_HOSTS; h++)
        r.host[h].settings = settings[h];

    sigset_t signals, previous;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, &previous);

    struct trace observed = *trace;
    r.trace = &observed;
    r.observer = world_observer_create(sc, o->details);
    int status = -1;
    if (!r.observer || trace_add_sink(&observed, world_observer_sink(r.observer)) != 0)
        snprintf(report->error, sizeof report->error, "out of memory or too many trace sinks");
    else if (setup(&r, o, &signals) != 0)
        snprintf(report->error, sizeof report->error, "%s", r.error);
    else
        status = run_recorded(&r, o, refused, ignored, report);
    cleanup(&r);
    world_observer_destroy(r.observer);
    sigprocmask(SIG_SETMASK, &previous, NULL);
    return status;
}
