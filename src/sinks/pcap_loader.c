/*
 * pcap_loader.c: dlopen of libpcap for the capture sink (see pcap_loader.h
 * for why). Each sink loads its own handle, so nothing is global; the
 * dynamic loader counts references and maps the library once.
 */
#define _DEFAULT_SOURCE /* libpcap's headers use u_int and u_char */

#include "pcap_loader.h"

#include <dlfcn.h>
#include <string.h>

/* Debian names the shared object by its old soname, libpcap.so.0.8; other
 * systems use libpcap.so.1; the unversioned name exists only where the
 * development package is installed. */
static const char *const library_names[] = {"libpcap.so.0.8", "libpcap.so.1", "libpcap.so"};

/* dlsym returns an object pointer; ISO C has no cast from it to a function
 * pointer, POSIX guarantees the representation, so the bytes are copied. */
static int resolve(void *library, const char *name, void *function, size_t size)
{
    void *symbol = dlsym(library, name);
    if (!symbol)
        return -1;
    memcpy(function, &symbol, size);
    return 0;
}

#define RESOLVE(lib, field, name) resolve((lib)->library, name, &(lib)->field, sizeof (lib)->field)

int pcap_loader_open(struct pcap_loader *lib, char *err, size_t errlen)
{
    memset(lib, 0, sizeof *lib);
    for (size_t i = 0; !lib->library && i < sizeof library_names / sizeof *library_names; i++)
        lib->library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
    if (!lib->library) {
        snprintf(err, errlen, "capture files need libpcap, which cannot be loaded (%s);"
                 " install it (Debian: apt-get install libpcap0.8)", dlerror());
        return -1;
    }
    if (RESOLVE(lib, open_dead_with_tstamp_precision, "pcap_open_dead_with_tstamp_precision") ||
        RESOLVE(lib, dump_open, "pcap_dump_open") || RESOLVE(lib, geterr, "pcap_geterr") ||
        RESOLVE(lib, dump, "pcap_dump") || RESOLVE(lib, dump_flush, "pcap_dump_flush") ||
        RESOLVE(lib, dump_file, "pcap_dump_file") || RESOLVE(lib, dump_close, "pcap_dump_close") ||
        RESOLVE(lib, close, "pcap_close")) {
        snprintf(err, errlen, "the libpcap found lacks a function tcpsim needs (%s)", dlerror());
        pcap_loader_close(lib);
        return -1;
    }
    return 0;
}

void pcap_loader_close(struct pcap_loader *lib)
{
    if (lib->library)
        dlclose(lib->library);
    memset(lib, 0, sizeof *lib);
}
