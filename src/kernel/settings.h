/*
 * settings.h: a scenario host's settings as the real kernel can take them.
 * Each setting of struct tcp_profile / tcp_host_config is one of:
 *   applied   a per-namespace sysctl (tcp_syn_retries, tcp_fin_timeout, ...)
 *             or a socket option (TCP_MAXSEG, SO_SNDBUF);
 *   ignored   it changes only numbering (the ISN: Linux picks its own, and
 *             comparisons use numbers relative to each ISN);
 *   refused   it changes behaviour the kernel cannot be told to change (a
 *             TIME_WAIT other than 60 s, the initial RTO, the rfc9293
 *             profile's strict rules), unless the run is lenient.
 */
#ifndef TCPSIM_KERNEL_SETTINGS_H
#define TCPSIM_KERNEL_SETTINGS_H

#include <stddef.h>
#include <stdint.h>

#include "scenario.h"

#define KERNEL_SYSCTL_MAX 16

struct kernel_sysctl {
    char key[64];                 /* under /proc/sys: "net/ipv4/tcp_syn_retries" */
    char value[32];
};

struct kernel_host_settings {
    struct kernel_sysctl sysctl[KERNEL_SYSCTL_MAX];
    size_t sysctl_count;
    uint32_t mss;                 /* TCP_MAXSEG on the host's sockets; 0 = the kernel's */
    uint32_t snd_buf;             /* SO_SNDBUF; 0 = the kernel's */
    char congestion[16];          /* TCP_CONGESTION on the host's sockets: "cubic" */
    uint16_t ephemeral_low, ephemeral_high; /* net.ipv4.ip_local_port_range */
};

/* Maps one host. Appends "HOST.KEY (why)" items, separated by "; ", to
 * refused and to ignored (both NUL-terminated, possibly empty). */
void kernel_settings_map(const struct scenario_host *host, struct kernel_host_settings *out,
                         char *refused, size_t refused_size, char *ignored, size_t ignored_size);

#endif
