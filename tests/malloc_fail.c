/*
 * malloc_fail.c: an LD_PRELOAD shim for tests/robust.sh. After
 * TCPSIM_MALLOC_FAIL_AFTER successful malloc/calloc/realloc calls every
 * further one returns NULL, as a process under a memory limit sees it; the
 * first refusal is said on stderr ("malloc_fail: refused") so the test knows
 * the run met it. Deterministic, unlike `ulimit -v`, and fast: the test can
 * put the failure anywhere in a run. (Not for sanitizer builds: ASan owns
 * malloc.)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

void *__libc_malloc(size_t size);
void *__libc_calloc(size_t count, size_t size);
void *__libc_realloc(void *p, size_t size);

static atomic_long calls_left = -2; /* -2: not read yet, -1: no limit */

static bool allowed(void)
{
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
