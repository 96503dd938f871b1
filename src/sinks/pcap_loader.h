/*
 * pcap_loader.h: libpcap, loaded with dlopen when a capture is asked for.
 *
 * Linking libpcap into tcpsim made every start load it and the eight
 * libraries it needs (dbus, systemd, gcrypt, lz4, lzma, zstd, libcap,
 * gpg-error): about half of the dynamic loader's work in a run that writes
 * no capture. The capture sink is the only user, so it loads the library
 * itself and reaches the few functions it calls through this table. The
 * prototypes are libpcap's own (from <pcap/pcap.h>), so the compiler checks
 * every call as if it were linked. Trade-off: a machine without libpcap
 * fails at `--pcap` with a message instead of at start-up.
 */
#ifndef TCPSIM_PCAP_LOADER_H
#define TCPSIM_PCAP_LOADER_H

#include <stddef.h>
#include <stdio.h>

#include <pcap/pcap.h>

struct pcap_loader {
    void *library; /* the dlopen handle; NULL when not loaded */
    pcap_t *(*open_dead_with_tstamp_precision)(int linktype, int snaplen, u_int precision);
    pcap_dumper_t *(*dump_open)(pcap_t *p, const char *path);
    char *(*geterr)(pcap_t *p);
    void (*dump)(u_char *user, const struct pcap_pkthdr *header, const u_char *bytes);
    int (*dump_flush)(pcap_dumper_t *dumper);
    FILE *(*dump_file)(pcap_dumper_t *dumper);
    void (*dump_close)(pcap_dumper_t *dumper);
    void (*close)(pcap_t *p);
};

/* Loads libpcap and fills every function. Returns 0, or -1 with a message
 * in err (the library or one of its functions is missing). */
int pcap_loader_open(struct pcap_loader *lib, char *err, size_t errlen);

/* Unloads it (a no-op for a loader that never opened). */
void pcap_loader_close(struct pcap_loader *lib);

#endif
