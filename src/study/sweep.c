/*
 * sweep.c: the grid of a parameter sweep (axes from --vary, points in a
 * fixed order, shards) and the identity of a run. See sweep.h.
 */
#include "sweep.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DECIMAL_DIGITS_MAX 15       /* digits of one number in A:B:STEP */
#define SCALED_MAX 100000000000000000LL /* 1e17: scaled values stay far from INT64_MAX */

static void set_error(char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static char *copy_span(const char *start, size_t length)
{
    char *s = malloc(length + 1);
    if (s) {
        memcpy(s, start, length);
        s[length] = '\0';
    }
    return s;
}

void sweep_free_values(char **values, size_t count)
{
    for (size_t i = 0; values && i < count; i++)
        free(values[i]);
    free(values);
}

/* ---- lists: V1,V2,... ---- */

/* Length of the value at text: up to a comma outside parentheses. */
static size_t list_item_length(const char *text)
{
    int depth = 0;
    size_t n = 0;
    for (; text[n] && !(text[n] == ',' && depth == 0); n++) {
        if (text[n] == '(')
            depth++;
        else if (text[n] == ')' && depth > 0)
            depth--;
    }
    return n;
}

static long expand_list(const char *text, char ***out, char *err, size_t errlen)
{
    size_t count = 0, capacity = 0;
    char **values = NULL;
    for (const char *p = text;; p++) {
        size_t n = list_item_length(p);
        if (n == 0) {
            set_error(err, errlen, "'%s': empty value in the list", text);
            goto fail;
        }
        if (count == SWEEP_MAX_VALUES) {
            set_error(err, errlen, "'%.60s...': more than %d values", text, SWEEP_MAX_VALUES);
            goto fail;
        }
        if (count == capacity) {
            capacity = capacity ? 2 * capacity : 8;
            char **grown = realloc(values, capacity * sizeof *grown);
            if (!grown)
                goto oom;
            values = grown;
        }
        if (!(values[count] = copy_span(p, n)))
            goto oom;
        count++;
        p += n;
        if (!*p)
            break;
    }
    *out = values;
    return (long)count;
oom:
    set_error(err, errlen, "out of memory");
fail:
    sweep_free_values(values, count);
    return -1;
}

/* ---- ranges: A:B:STEP, exact in decimal ---- */

struct decimal {
    long long digits;   /* the number without its point: 0.05 -> 5 */
    int places;         /* digits after the point: 0.05 -> 2 */
    const char *unit;   /* what follows the number, within its part */
    size_t unit_length;
};

/* "DIGITS[.DIGITS]UNIT" in [text, text + length). Returns 0 or -1. */
static int parse_decimal(const char *text, size_t length, struct decimal *d)
{
    size_t i = 0, digits = 0;
    bool point = false;
    *d = (struct decimal){0};
    for (; i < length; i++) {
        char c = text[i];
        if (c == '.' && !point && digits > 0) {
            point = true;
        } else if (c >= '0' && c <= '9') {
            if (++digits > DECIMAL_DIGITS_MAX)
                return -1;
            d->digits = d->digits * 10 + (c - '0');
            d->places += point;
        } else {
            break;
        }
    }
    if (digits == 0 || text[i - 1] == '.')
        return -1;
    d->unit = text + i;
    d->unit_length = length - i;
    return 0;
}

/* d scaled to `places` digits after the point, or -1 when too large. */
static long long scaled(const struct decimal *d, int places)
{
    long long v = d->digits;
    for (int i = d->places; i < places; i++) {
        if (v > SCALED_MAX / 10)
            return -1;
        v *= 10;
    }
    return v;
}

/* value / 10^places in shortest decimal form, then the unit. */
static char *format_decimal(long long value, int places, const char *unit, size_t unit_length)
{
    long long scale = 1;
    for (int i = 0; i < places; i++)
        scale *= 10;
    char number[64];
    int n = snprintf(number, sizeof number, "%lld", value / scale);
    if (value % scale) {
        n += snprintf(number + n, sizeof number - (size_t)n, ".%0*lld", places, value % scale);
        while (number[n - 1] == '0')
            number[--n] = '\0';
    }
    char *s = malloc((size_t)n + unit_length + 1);
    if (s) {
        memcpy(s, number, (size_t)n);
        memcpy(s + n, unit, unit_length);
        s[(size_t)n + unit_length] = '\0';
    }
    return s;
}

static int parse_range_parts(const char *text, struct decimal part[3], char *err, size_t errlen)
{
    const char *start = text;
    static const char *const names[3] = {"start", "end", "step"};
    for (int i = 0; i < 3; i++) {
        const char *colon = strchr(start, ':');
        size_t n = (i < 2 && colon) ? (size_t)(colon - start) : strlen(start);
        if ((i < 2 && !colon) || (i == 2 && strchr(start, ':'))) {
            set_error(err, errlen, "'%s': a range is START:END:STEP", text);
            return -1;
        }
        if (parse_decimal(start, n, &part[i]) != 0) {
            set_error(err, errlen, "'%s': the %s is not a number DIGITS[.DIGITS] with at most %d digits, "
                      "optionally followed by a unit", text, names[i], DECIMAL_DIGITS_MAX);
            return -1;
        }
        start += n + 1;
    }
    for (int i = 1; i < 3; i++) {
        if (part[i].unit_length != part[0].unit_length ||
            memcmp(part[i].unit, part[0].unit, part[0].unit_length) != 0) {
            set_error(err, errlen, "'%s': start, end and step need the same unit", text);
            return -1;
        }
    }
    return 0;
}

static long expand_range(const char *text, char ***out, char *err, size_t errlen)
{
    struct decimal part[3];
    if (parse_range_parts(text, part, err, errlen) != 0)
        return -1;
    int places = part[0].places;
    for (int i = 1; i < 3; i++)
        places = part[i].places > places ? part[i].places : places;
    long long a = scaled(&part[0], places), b = scaled(&part[1], places),
              step = scaled(&part[2], places);
    if (a < 0 || b < 0 || step < 0) {
        set_error(err, errlen, "'%s': numbers too large", text);
        return -1;
    }
    if (step == 0 || b < a) {
        set_error(err, errlen, "'%s': %s", text,
                  step == 0 ? "the step must be above 0" : "the end is below the start");
        return -1;
    }
    long long count = (b - a) / step + 1;
    if (count > SWEEP_MAX_VALUES) {
        set_error(err, errlen, "'%s': %lld values, more than %d", text, count, SWEEP_MAX_VALUES);
        return -1;
    }
    char **values = calloc((size_t)count, sizeof *values);
    for (long long i = 0; values && i < count; i++) {
        values[i] = format_decimal(a + i * step, places, part[0].unit, part[0].unit_length);
        if (!values[i]) {
            sweep_free_values(values, (size_t)i);
            values = NULL;
        }
    }
    if (!values) {
        set_error(err, errlen, "out of memory");
        return -1;
    }
    *out = values;
    return (long)count;
}

static bool looks_like_range(const char *text)
{
    return strchr(text, ':') && !strchr(text, ',') && !strchr(text, '(');
}

long sweep_expand_values(const char *text, char ***values, char *err, size_t errlen)
{
    *values = NULL;
    if (!text || !*text) {
        set_error(err, errlen, "no values");
        return -1;
    }
    return looks_like_range(text) ? expand_range(text, values, err, errlen)
                                  : expand_list(text, values, err, errlen);
}

/* ---- the grid ---- */

void sweep_grid_init(struct sweep_grid *grid)
{
    *grid = (struct sweep_grid){.point_count = 1};
}

void sweep_grid_free(struct sweep_grid *grid)
{
    for (size_t i = 0; i < grid->axis_count; i++) {
        free(grid->axes[i].key);
        sweep_free_values(grid->axes[i].values, grid->axes[i].value_count);
    }
    free(grid->axes);
    sweep_grid_init(grid);
}

static bool axis_exists(const struct sweep_grid *grid, const char *key, size_t length)
{
    for (size_t i = 0; i < grid->axis_count; i++)
        if (strlen(grid->axes[i].key) == length && memcmp(grid->axes[i].key, key, length) == 0)
            return true;
    return false;
}

/* A value as a number in a base unit, when it is one: "0.05" and "5%" are
 * both 0.05, "1s" and "1000ms" both 1e9 (ns). Anything else (sizes, "never",
 * "gilbert(...)") compares by its text only. */
static bool value_as_number(const char *text, double *number, const char **unit)
{
    static const struct { const char *suffix; double scale; const char *unit; } units[] = {
        {"", 1, ""}, {"%", 0.01, ""}, {"ns", 1, "ns"}, {"us", 1e3, "ns"},
        {"ms", 1e6, "ns"}, {"s", 1e9, "ns"}, {"min", 60e9, "ns"}, {"h", 3600e9, "ns"},
    };
    char *end;
    if (!((text[0] >= '0' && text[0] <= '9') || text[0] == '.' || text[0] == '-'))
        return false;
    double value = strtod(text, &end);
    if (end == text)
        return false;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strcmp(end, units[i].suffix) == 0) {
            *number = value * units[i].scale;
            *unit = units[i].unit;
            return true;
        }
    return false;
}

static bool same_value(const char *a, const char *b)
{
    double x, y;
    const char *unit_x, *unit_y;
    if (strcmp(a, b) == 0)
        return true;
    return value_as_number(a, &x, &unit_x) && value_as_number(b, &y, &unit_y) &&
           strcmp(unit_x, unit_y) == 0 && x == y;
}

/* Keeps the first of values that say the same ("0,0.00,0%" is one point):
 * repeated points would only multiply identical runs and narrow the
 * confidence interval they report. Returns the new count. */
static size_t drop_repeated_values(char **values, size_t count)
{
    size_t kept = 0;
    for (size_t i = 0; i < count; i++) {
        bool repeated = false;
        for (size_t j = 0; j < kept && !repeated; j++)
            repeated = same_value(values[j], values[i]);
        if (repeated)
            free(values[i]);
        else
            values[kept++] = values[i];
    }
    return kept;
}

int sweep_grid_add_axis(struct sweep_grid *grid, const char *spec, char *err, size_t errlen)
{
    const char *eq = strchr(spec, '=');
    if (!eq || eq == spec) {
        set_error(err, errlen, "'%s' is not KEY=V1,V2,... or KEY=START:END:STEP", spec);
        return -1;
    }
    size_t key_length = (size_t)(eq - spec);
    if (axis_exists(grid, spec, key_length)) {
        set_error(err, errlen, "'%.*s' is varied twice", (int)key_length, spec);
        return -1;
    }
    char **values;
    long count = sweep_expand_values(eq + 1, &values, err, errlen);
    if (count < 0)
        return -1;
    count = (long)drop_repeated_values(values, (size_t)count);
    struct sweep_axis *axes = realloc(grid->axes, (grid->axis_count + 1) * sizeof *axes);
    char *key = copy_span(spec, key_length);
    if (!axes || !key || grid->point_count * (uint64_t)count > SWEEP_MAX_POINTS) {
        if (axes)
            grid->axes = axes;
        if (axes && key)
            set_error(err, errlen, "the grid has more than %d points", SWEEP_MAX_POINTS);
        else
            set_error(err, errlen, "out of memory");
        free(key);
        sweep_free_values(values, (size_t)count);
        return -1;
    }
    grid->axes = axes;
    grid->axes[grid->axis_count++] = (struct sweep_axis){key, values, (size_t)count};
    grid->point_count *= (uint64_t)count;
    return 0;
}

const char *sweep_point_value(const struct sweep_grid *grid, uint64_t point, size_t axis)
{
    /* Mixed radix, the last axis the fastest digit. */
    for (size_t i = grid->axis_count; i-- > axis + 1;)
        point /= grid->axes[i].value_count;
    return grid->axes[axis].values[point % grid->axes[axis].value_count];
}

int sweep_parse_shard(const char *text, uint32_t *k, uint32_t *n)
{
    char *end;
    errno = 0;
    if (!text || text[0] < '0' || text[0] > '9')
        return -1;
    unsigned long a = strtoul(text, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
        return -1;
    unsigned long b = strtoul(end + 1, &end, 10);
    if (errno || *end || a < 1 || a > b || b > UINT32_MAX)
        return -1;
    *k = (uint32_t)a;
    *n = (uint32_t)b;
    return 0;
}

bool sweep_point_in_shard(uint64_t point, uint32_t k, uint32_t n)
{
    return point % n == k - 1;
}

/* ---- identity ---- */

static int compare_pairs(const void *a, const void *b)
{
    const struct sweep_pair *x = a, *y = b;
    return strcmp(x->key, y->key);
}

char *sweep_identity(const char *scenario_sha256, const struct sweep_pair *pairs, size_t count)
{
    struct sweep_pair *kept = malloc((count + 1) * sizeof *kept);
    if (!kept)
        return NULL;
    size_t n = 0, length = strlen(scenario_sha256 ? scenario_sha256 : "") + 2;
    for (size_t i = 0; i < count; i++) {
        bool overridden = false;
        for (size_t j = i + 1; j < count && !overridden; j++)
            overridden = strcmp(pairs[i].key, pairs[j].key) == 0;
        if (!overridden) {
            kept[n++] = pairs[i];
            length += strlen(pairs[i].key) + strlen(pairs[i].value) + 2;
        }
    }
    qsort(kept, n, sizeof *kept, compare_pairs);
    char *s = malloc(length);
    if (s) {
        /* Fields apart by unit separators, which no key or value holds. */
        char *p = s + sprintf(s, "%s", scenario_sha256 ? scenario_sha256 : "");
        for (size_t i = 0; i < n; i++)
            p += sprintf(p, "\x1e%s\x1f%s", kept[i].key, kept[i].value);
    }
    free(kept);
    return s;
}
