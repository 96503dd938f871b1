/*
 * run_summary.c: prints a run's results (struct world_report, filled with
 * world_options.details) as `tcpsim run` shows them: the application calls
 * the TCP refused, one line of totals, each listed connection with both
 * sides' paths and counts, then every expectation. The world decides
 * nothing here; this file only turns numbers and states into text.
 */
#include "run_summary.h"

#include <inttypes.h>

void run_summary_print_notes(FILE *out, const char *prefix, const struct scenario *sc,
                             const struct world_report *r)
{
    for (size_t i = 0; i < r->note_count; i++) {
        const struct world_note *n = &r->notes[i];
        fprintf(out, "%sat %.3f s %s %s: %s\n", prefix, (double)n->t / SIM_S,
                sc->hosts[n->host].name, tcp_call_name(n->call), tcp_call_result_name(n->result));
    }
}

static void format_addr(uint32_t addr, uint16_t port, char *buf, size_t size)
{
    snprintf(buf, size, "%u.%u.%u.%u:%u", addr >> 24, (addr >> 16) & 255, (addr >> 8) & 255,
             addr & 255, port);
}

static void print_connection(FILE *out, const struct scenario *sc, const struct world_connection *c)
{
    char local[32], path[1024];
    format_addr(c->client_addr, c->client_port, local, sizeof local);
    fprintf(out, "  conn %" PRIu64 ": %s %s", c->conn_id, sc->hosts[c->client].name, local);
    if (c->handshake_ns >= 0)
        fprintf(out, ", handshake %.3f ms\n", (double)c->handshake_ns / SIM_MS);
    else
        fprintf(out, ", never established\n");
    for (int h = 0; h < sc->host_count; h++) {
        const struct world_conn_side *side = &c->side[h];
        if (!side->present)
            continue;
        world_path_format(side, path, sizeof path);
        fprintf(out, "    %-8s %s\n", sc->hosts[h].name, path);
        fprintf(out, "    %-8s %" PRIu64 " segments sent, %" PRIu64 " retransmitted, %" PRIu64 " lost\n", "",
                side->segments_sent, side->retransmissions, side->lost);
    }
}

void run_summary_print(FILE *out, const struct scenario *sc, const struct world_report *r)
{
    run_summary_print_notes(out, "  ", sc, r);
    fprintf(out, "%s: %s, simulated %.3f s, %" PRIu64 " events, %.3f s wall\n", sc->name, r->status,
            (double)r->sim_end_ns / SIM_S, r->events, r->wall_s);
    fprintf(out, "  %" PRIu64 " connections, %" PRIu64 " established; %" PRIu64 " segments, %" PRIu64
                 " retransmitted, %" PRIu64 " lost\n",
            r->connections, r->established, r->segments, r->retransmissions, r->lost);
    if (r->open_at_until > 0)
        fprintf(out, "  %" PRIu64 " TCBs still open at run until=%.3f s: their time in state counts up to then\n",
                r->open_at_until, (double)r->until_ns / SIM_S);
    for (size_t i = 0; i < r->listed_count; i++)
        print_connection(out, sc, &r->listed[i]);
    for (size_t i = 0; i < r->expectation_count; i++) {
        const struct world_expectation *e = &r->expectations[i];
        fprintf(out, "  %s: %s%s%s\n", e->text, e->passed ? "passed" : "FAILED", e->passed ? "" : ": ",
                e->passed ? "" : e->detail);
    }
}
