/*
 * scenario_library.c: the shipped scenarios by name. `tcpsim run handshake`
 * looks for handshake.tcpsim in the installed library (pkgdatadir, compiled
 * in by the Makefile), then in the source tree this tcpsim was built from,
 * so a name works from any directory, installed or not. An argument that
 * names a file, or looks like a path, is taken as it is: a scenario of your
 * own is never shadowed by the library. `tcpsim list` prints the library.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"

#ifndef TCPSIM_PKGDATADIR
#define TCPSIM_PKGDATADIR "/usr/local/share/tcpsim"
#endif
#ifndef TCPSIM_SRCDIR
#define TCPSIM_SRCDIR "."
#endif

/* Where the library may be, in the order searched. */
static const char *const library_dirs[] = {
    TCPSIM_PKGDATADIR "/scenarios",
    TCPSIM_SRCDIR "/scenarios",
};
enum { LIBRARY_DIR_COUNT = sizeof library_dirs / sizeof library_dirs[0] };

static bool is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

const char *cli_scenario_path(const char *arg, char *buf, size_t size)
{
    if (is_file(arg) || strchr(arg, '/') || strstr(arg, ".tcpsim"))
        return arg;
    for (int i = 0; i < LIBRARY_DIR_COUNT; i++) {
        snprintf(buf, size, "%s/%s.tcpsim", library_dirs[i], arg);
        if (is_file(buf))
            return buf;
    }
    return arg; /* not in the library either: the parser says the file is missing */
}

/* The first comment line of a scenario file, without "# " (buf: "" if none). */
static void first_comment(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "r");
    char line[512];
    buf[0] = '\0';
    while (f && fgets(line, sizeof line, f)) {
        if (line[0] != '#')
            continue;
        const char *text = line + 1 + (line[1] == ' ');
        snprintf(buf, size, "%.*s", (int)strcspn(text, "\n"), text);
        break;
    }
    if (f)
        fclose(f);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The .tcpsim names of dir, sorted; NULL when it cannot be read. */
static char **scenario_names(const char *dir, size_t *count)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **names = NULL;
    size_t n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        size_t len = strlen(e->d_name);
        if (len <= 7 || strcmp(e->d_name + len - 7, ".tcpsim") != 0)
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        char *name = grown ? strndup(e->d_name, len - 7) : NULL;
        if (!name) {
            free(grown ? grown : names);
            names = NULL;
            n = 0;
            break;
        }
        names = grown;
        names[n++] = name;
    }
    closedir(d);
    if (names)
        qsort(names, n, sizeof *names, compare_names);
    *count = n;
    return names;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: tcpsim list\n"
                 "List the shipped scenarios, each with the first line of its comment. Run one\n"
                 "by name from any directory: `tcpsim run handshake`. The library is searched\n"
                 "in %s, then in %s.\n\n"
                 "  -h, --help             this help\n",
            library_dirs[0], library_dirs[1]);
}

int cmd_list(int argc, char **argv)
{
    (void)argv;
    if (argc > 1) {
        bool help = strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0;
        usage(help ? stdout : stderr);
        return help ? EXIT_OK : EXIT_USAGE;
    }
    for (int i = 0; i < LIBRARY_DIR_COUNT; i++) {
        size_t count = 0;
        char **names = scenario_names(library_dirs[i], &count);
        if (!names)
            continue;
        printf("scenarios in %s:\n", library_dirs[i]);
        for (size_t k = 0; k < count; k++) {
            char path[4096], comment[512];
            snprintf(path, sizeof path, "%s/%s.tcpsim", library_dirs[i], names[k]);
            first_comment(path, comment, sizeof comment);
            size_t len = strlen(names[k]); /* "handshake: the three-way..." says its name */
            const char *text = comment;
            if (strncmp(text, names[k], len) == 0 && text[len] == ':')
                text += len + 1 + (text[len + 1] == ' ');
            printf("  %-24s %s\n", names[k], text);
            free(names[k]);
        }
        free(names);
        return EXIT_OK;
    }
    cli_error("no scenario library in %s or %s", library_dirs[0], library_dirs[1]);
    return EXIT_FAILED;
}
