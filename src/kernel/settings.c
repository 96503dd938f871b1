/*
 * settings.c: scenario host settings -> sysctls, socket options, or a
 * refusal naming the setting (settings.h). The reference is
 * tcp_profile_linux(): a setting equal to it needs nothing, except the
 * numbers a fresh namespace might not have, which are written always.
 */
#include "settings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

static void append_item(char *list, size_t size, const char *host, const char *key,
                        const char *why)
{
    size_t used = strlen(list);
    if (used + 1 < size)
        snprintf(list + used, size - used, "%s%s.%s (%s)", used ? "; " : "", host, key, why);
}

static void add_sysctl(struct kernel_host_settings *out, const char *key, int64_t value)
{
    if (out->sysctl_count == KERNEL_SYSCTL_MAX)
        return;
    struct kernel_sysctl *s = &out->sysctl[out->sysctl_count++];
    snprintf(s->key, sizeof s->key, "net/ipv4/%s", key);
    snprintf(s->value, sizeof s->value, "%" PRId64, value);
}

/* Congestion control, the tail loss probe and delayed ACKs. The
 * algorithm is set always: a namespace inherits the machine's default (bbr
 * on this one), which would not compare with the simulator's. It is set
 * per socket (TCP_CONGESTION, which root may choose freely; accepted
 * sockets inherit the listener's): a namespace other than the initial one
 * may make only tcp_allowed_congestion_control (here "reno bbr") its
 * default, so net.ipv4.tcp_congestion_control=cubic fails with EPERM. */
static void map_sender(const char *host, const struct tcp_profile *p, const struct tcp_profile *l,
                       struct kernel_host_settings *out, char *refused, size_t rsize)
{
    if (p->congestion == TCP_CC_NONE)
        append_item(refused, rsize, host, "congestion",
                    "Linux always runs a congestion control (reno, cubic or bbr)");
    else
        snprintf(out->congestion, sizeof out->congestion, "%s", tcp_congestion_names[p->congestion]);
    if (p->initial_window != l->initial_window)
        append_item(refused, rsize, host, "initial_window",
                    "Linux's is 10 (TCP_INIT_CWND); a route's initcwnd is not set here");
    add_sysctl(out, "tcp_early_retrans", p->tail_loss_probe ? 3 : 0);
    if (p->delayed_ack != l->delayed_ack || p->quickack != l->quickack)
        append_item(refused, rsize, host, p->delayed_ack != l->delayed_ack ? "delayed_ack" : "quickack",
                    "Linux's delayed ACK (40 ms minimum, 16 quick ACKs) has no sysctl");
}

/* A retry count for a sysctl: Linux has no "no limit". */
static void add_retries(struct kernel_host_settings *out, const char *host, const char *name,
                        const char *sysctl, int retries, char *refused, size_t rsize)
{
    if (retries < 0 || retries > 127)
        append_item(refused, rsize, host, name, "Linux takes 0 to 127 retries, not unlimited");
    else
        add_sysctl(out, sysctl, retries);
}

static void map_timers(const char *host, const struct tcp_profile *p, const struct tcp_profile *l,
                       struct kernel_host_settings *out, char *refused, size_t rsize)
{
    if (p->rto_initial != l->rto_initial)
        append_item(refused, rsize, host, "rto_initial", "Linux's initial RTO is fixed at 1 s");
    if (p->rto_after_handshake_loss != l->rto_after_handshake_loss)
        append_item(refused, rsize, host, "rto_after_handshake_loss", "fixed at 3 s in Linux");
    if (!p->rto_min_on_variance)
        append_item(refused, rsize, host, "rto_min_on_variance", "Linux always applies rto_min so");
    if (p->rto_min < 1 * SIM_MS || p->rto_min > 5 * SIM_S)
        append_item(refused, rsize, host, "rto_min", "tcp_rto_min_us takes 1 ms to 5 s");
    else
        add_sysctl(out, "tcp_rto_min_us", p->rto_min / SIM_US);
    if (p->rto_max < 1 * SIM_S || p->rto_max > 120 * SIM_S)
        append_item(refused, rsize, host, "rto_max", "tcp_rto_max_ms takes 1 s to 120 s");
    else
        add_sysctl(out, "tcp_rto_max_ms", p->rto_max / SIM_MS);
    if (p->time_wait != l->time_wait)
        append_item(refused, rsize, host, p->msl != l->msl ? "msl" : "time_wait",
                    "TIME_WAIT lasts 60 s in Linux (TCP_TIMEWAIT_LEN), whatever the MSL");
    if (p->fin_wait_2_timeout <= 0 || p->fin_wait_2_timeout % SIM_S != 0)
        append_item(refused, rsize, host, "fin_wait_2_timeout",
                    "tcp_fin_timeout takes whole seconds, and Linux always has one");
    else
        add_sysctl(out, "tcp_fin_timeout", p->fin_wait_2_timeout / SIM_S);
}

static void map_rules(const char *host, const struct tcp_profile *p, const struct tcp_profile *l,
                      struct kernel_host_settings *out, char *refused, size_t rsize)
{
    add_retries(out, host, "syn_retries", "tcp_syn_retries", p->syn_retries, refused, rsize);
    add_retries(out, host, "synack_retries", "tcp_synack_retries", p->synack_retries, refused, rsize);
    add_retries(out, host, "data_retries", "tcp_retries2", p->data_retries, refused, rsize);
    if (p->syn_linear_timeouts < 0 || p->syn_linear_timeouts > 127)
        append_item(refused, rsize, host, "syn_linear_timeouts", "Linux takes 0 to 127");
    else
        add_sysctl(out, "tcp_syn_linear_timeouts", p->syn_linear_timeouts);
    if (p->synack_on_duplicate_syn != l->synack_on_duplicate_syn)
        append_item(refused, rsize, host, "synack_on_duplicate_syn",
                    "Linux always answers a duplicate SYN with a SYN-ACK");
    if (p->rfc5961 != l->rfc5961)
        append_item(refused, rsize, host, "rfc5961", "Linux always sends challenge ACKs");
    if (p->fin_wait_2_orphans_only != l->fin_wait_2_orphans_only ||
        p->rst_on_data_after_close != l->rst_on_data_after_close ||
        p->rst_on_close_unread != l->rst_on_close_unread)
        append_item(refused, rsize, host, "fin_wait_2_orphans_only/rst_on_*",
                    "Linux always applies its orphan rules");
    add_retries(out, host, "orphan_retries", "tcp_orphan_retries", p->orphan_retries, refused, rsize);
    add_sysctl(out, "tcp_rfc1337", p->rfc1337);
    add_sysctl(out, "tcp_reordering", p->dupack_threshold);
    if (p->rcv_buf != l->rcv_buf)
        append_item(refused, rsize, host, "rcv_buf",
                    "Linux sizes its receive window itself (autotuning, window scaling)");
    out->mss = p->mss != l->mss ? p->mss : 0;
    out->snd_buf = p->snd_buf != l->snd_buf ? p->snd_buf : 0;
}

/* The options are per-namespace sysctls; the other fidelity fields are
 * how the kernel always behaves. */
static void map_options(const char *host, const struct tcp_profile *p, const struct tcp_profile *l,
                        struct kernel_host_settings *out, char *refused, size_t rsize)
{
    add_sysctl(out, "tcp_timestamps", p->timestamps);
    add_sysctl(out, "tcp_sack", p->sack_permitted);
    if (p->window_scale >= 0 && p->window_scale != l->window_scale)
        append_item(refused, rsize, host, "window_scale",
                    "Linux derives the shift from tcp_rmem[2]; only none (tcp_window_scaling=0) applies");
    add_sysctl(out, "tcp_window_scaling", p->window_scale >= 0);
    if (p->syn_window_mss_multiple != l->syn_window_mss_multiple)
        append_item(refused, rsize, host, "syn_window_mss_multiple",
                    "Linux always rounds its first windows to whole segments");
    if (p->time_wait_syn_reopens != l->time_wait_syn_reopens)
        append_item(refused, rsize, host, "time_wait_syn_reopens",
                    "Linux always reopens TIME_WAIT for a newer SYN");
    if (p->rst_ack_on_abort != l->rst_ack_on_abort)
        append_item(refused, rsize, host, "rst_ack_on_abort", "Linux always sends RST|ACK");
    if (p->timer_hz != l->timer_hz)
        append_item(refused, rsize, host, "timer_hz", "the kernel's HZ is fixed when it is built");
}

void kernel_settings_map(const struct scenario_host *host, struct kernel_host_settings *out,
                         char *refused, size_t refused_size, char *ignored, size_t ignored_size)
{
    const struct tcp_host_config *c = &host->config;
    const struct tcp_profile *p = &c->profile;
    struct tcp_profile linux_profile;
    tcp_profile_linux(&linux_profile);
    memset(out, 0, sizeof *out);
    if (strcmp(p->name, "linux") != 0) {
        char why[96];
        snprintf(why, sizeof why, "profile %s: the kernel is Linux; use profile=linux", p->name);
        append_item(refused, refused_size, host->name, "profile", why);
    }
    if (c->addr_count != 1)
        append_item(refused, refused_size, host->name, "addr",
                    "an address population needs one socket per address; not yet on the kernel");
    map_timers(host->name, p, &linux_profile, out, refused, refused_size);
    map_rules(host->name, p, &linux_profile, out, refused, refused_size);
    map_options(host->name, p, &linux_profile, out, refused, refused_size);
    map_sender(host->name, p, &linux_profile, out, refused, refused_size);
    if (c->isn_mode == TCP_ISN_FIXED)
        append_item(ignored, ignored_size, host->name, "isn",
                    "Linux picks its own ISN; compare numbers relative to it");
    out->ephemeral_low = c->ephemeral_low;
    out->ephemeral_high = c->ephemeral_high;
}
