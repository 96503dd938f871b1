/*
 * fuzz_scenario.c: libFuzzer target for the scenario parser. Every input is
 * parsed as a scenario file; a scenario that parses gets a few --set
 * assignments. Inputs that do not parse are applied as a --set assignment
 * (their first line) to a small fixed scenario, and given to the unit
 * parsers, so the --set routing and the unit parsers are fuzzed too. Nothing may crash, leak or hit undefined behaviour.
 *
 *   make fuzz && tests/fuzz/fuzz_scenario -max_total_time=600 -max_len=4096 corpus/
 * (see docs/scenario-language.md, "Fuzzing the parser").
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "scenario.h"

static const char base[] =
    "host client addr=10.0.0.1\n"
    "host server addr=10.0.0.2\n"
    "at 1s client connect server:80\n"
    "workload client->server:80 count=5 rate=1/s\n"
    "run until=1min\n";

static void exercise_set(struct scenario *s, const uint8_t *data, size_t size)
{
    struct scenario_error err;
    char assignment[256], buf[1024];
    size_t n = 0;
    while (n < size && n < sizeof assignment - 1 && data[n] != '\n' && data[n] != '\0')
        n++;
    memcpy(assignment, data, n);
    assignment[n] = '\0';
    if (scenario_set_assignment(s, assignment, &err) != 0)
        scenario_error_format(&err, buf, sizeof buf);
}

/* The unit parsers the command line shares, on the same first line. */
static void exercise_units(const uint8_t *data, size_t size)
{
    char text[256];
    size_t n = 0;
    sim_time t;
    double p;
    uint64_t v;
    while (n < size && n < sizeof text - 1 && data[n] != '\n' && data[n] != '\0')
        n++;
    memcpy(text, data, n);
    text[n] = '\0';
    scenario_parse_duration(text, &t);
    scenario_parse_probability(text, &p);
    scenario_parse_size(text, &v);
    scenario_parse_rate(text, &v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scenario_error err;
    char buf[1024];
    struct scenario *s = scenario_parse_string((const char *)data, size, "fuzz.tcpsim", &err);
    if (s) {
        scenario_set(s, "link.loss", "5%", &err);
        scenario_set(s, "client.rto_initial", "3s", &err);
        scenario_set(s, "run.until", "1min", &err);
        scenario_set(s, "workload.count", "7", &err);
        scenario_free(s);
        return 0;
    }
    scenario_error_format(&err, buf, sizeof buf);
    exercise_units(data, size);
    s = scenario_parse_string(base, sizeof base - 1, "base.tcpsim", &err);
    if (s) {
        exercise_set(s, data, size);
        scenario_free(s);
    }
    return 0;
}
