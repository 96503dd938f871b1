/*
 * malloc_fail.c: an LD_PRELOAD shim for tests/robust.sh. After
 * TCPSIM_MALLOC_FAIL_AFTER successful malloc/calloc/realloc calls every
 * further one returns NULL, as a process under a memory limit sees it; the
 * first refusal is said on stderr ("malloc_fail: refused") so the test knows
 * the run met it. Deterministic, unlike `ulimit -v`, and fast: the test can
 * put the failure anywhere in a run. (Not for sanitizer builds: ASan owns
 * malloc.) The count starts at main: what the shared libraries' constructors
 * allocate before it (GLib, GnuTLS, pulled in by cairo's font stack, abort
 * when refused) is not tcpsim's to handle; the shim wraps
 * __libc_start_main to know when main begins.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <dlfcn.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);

static atomic_long calls_left = -2; /* -2: not read yet, -1: no limit */
static atomic_bool in_main;          /* counting: main has begun */

typedef int main_function(int, char **, char **);
static main_function *program_main;

static int counted_main(int argc, char **argv, char **envp)
{
    atomic_store(&in_main, true);
    return program_main(argc, argv, envp);
}

typedef int start_function(main_function *, int, char **, void (*)(void), void (*)(void),
                           void (*)(void), void *);

int __libc_start_main(main_function *main, int argc, char **argv, void (*init)(void),
                      void (*fini)(void), void (*rtld_fini)(void), void *stack_end)
{
    start_function *start = (start_function *)dlsym(RTLD_NEXT, "__libc_start_main");
    program_main = main;
    return start(counted_main, argc, argv, init, fini, rtld_fini, stack_end);
}

static bool allowed(void)
{
    if (!atomic_load(&in_main))
        return true;
    long left = atomic_load(&calls_left);
    if (left == -2) {
        const char *text = getenv("TCPSIM_MALLOC_FAIL_AFTER");
        left = text ? strtol(text, NULL, 10) : -1;
        atomic_store(&calls_left, left);
    }
    if (left < 0)
        return true;
    if (left == 0) {
        static atomic_bool told;
        if (!atomic_exchange(&told, true)) {
            static const char message[] = "malloc_fail: refused\n";
            ssize_t ignored = write(STDERR_FILENO, message, sizeof message - 1);
            (void)ignored;
        }
        return false;
    }
    atomic_store(&calls_left, left - 1);
    return true;
}

static void *refused(void)
{
    errno = ENOMEM;
    return NULL;
}

void *malloc(size_t size) { return allowed() ? __libc_malloc(size) : refused(); }
void *calloc(size_t count, size_t size) { return allowed() ? __libc_calloc(count, size) : refused(); }
void *realloc(void *p, size_t size) { return allowed() ? __libc_realloc(p, size) : refused(); }
