/*
 * cli.h: the tcpsim subcommands. Each takes the arguments after its name
 * (argv[0] is the subcommand) and returns the process exit status:
 * 0 ok, 1 a failed expectation or a failed run, 2 a usage or input error.
 */
#ifndef TCPSIM_CLI_H
#define TCPSIM_CLI_H

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

int cmd_run(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_ladder(int argc, char **argv);
int cmd_dot(int argc, char **argv);
int cmd_pcap(int argc, char **argv);
int cmd_html(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_kernel(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_upgrade(int argc, char **argv);

#include <stdint.h>

/* Prints "tcpsim: " and the message to stderr. */
void cli_error(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Reads a decimal integer option in [min, max]; on anything else prints
 * "OPTION: 'TEXT' is not ..." and returns -1. */
int cli_parse_integer(const char *option, const char *text, uint64_t min, uint64_t max,
                      uint64_t *out);

/* Reads a size option: N bytes, or N with K, M, G or T (powers of 1024,
 * optionally followed by B or iB). On anything else prints a message and
 * returns -1. */
int cli_parse_size(const char *option, const char *text, uint64_t *out);
/* --max-memory's default: half the machine's physical memory (sysconf),
 * 4 GiB when it cannot be known. Half, so that a run that would swap the
 * machine stops with a message first, and a sweep's -j workers each get
 * their share of it (cmd_sweep.c divides it). */
uint64_t cli_default_max_memory(void);

/* Prints a database's failure and returns the exit status of the one rule
 * (docs/tcpsim.1, EXIT STATUS): 1 when the environment failed (locked, disk
 * full, I/O error, out of memory), 2 when the file is the problem (not a
 * tcpsim database, damaged, no such run). */
int cli_database_failure(const char *message);

/* The run a command reading a database works on (cli_db.c): wanted, or
 * the latest when wanted is 0, checked to exist. Returns 0, or -1 with a
 * message that starts with db_path in err. */
#include <stddef.h>
struct results_db;
int cli_find_run(struct results_db *db, const char *db_path, int64_t wanted, int64_t *run_id,
                 char *err, size_t errlen);
/* Replays run run_id into sink, which stays the caller's. Returns the exit
 * status, having printed why it is not EXIT_OK (1: the sink could not
 * write, 2: a row of the database is not what tcpsim writes). */
struct trace_sink;
int cli_replay_into(struct results_db *db, const char *db_path, int64_t run_id,
                    struct trace_sink *sink);

/* A scenario argument as a path (scenario_library.c): arg itself when it
 * names a file or looks like a path, else the shipped scenario of that name
 * (written into buf) when there is one, else arg. */
const char *cli_scenario_path(const char *arg, char *buf, size_t size);
/* Refuses (with one error line, -1) an empty name, or a path that exists
 * and is not a regular file: a FIFO would block forever. */
int cli_check_input_file(const char *path);
/* Parses a scenario file after that check; on an error prints the parser's
 * FILE:LINE:COL: message and returns NULL. */
struct scenario *cli_load_scenario(const char *path);
/* Refuses seeds that would wrap: replication r runs with seed + r. */
int cli_check_seeds(uint64_t seed, uint64_t reps);
/* After a usage error: "Try 'tcpsim COMMAND --help' for more information." */
void cli_try_help(const char *command);
/* The options of a command that takes only -q and -h (merge, upgrade):
 * sets *quiet, prints usage and exits 0 on -h; -1 after a usage error.
 * optind is then the first operand. */
#include <stdbool.h>
#include <stdio.h>
int cli_parse_quiet_options(int argc, char **argv, const char *command, void (*usage)(FILE *),
                            bool *quiet);
/* From main: at exit, a write error on stdout makes the status 1. */
void cli_check_stdout_at_exit(void);

/* `tcpsim run` and `tcpsim kernel` (cmd_run.c): the same options, sinks and
 * replications; kernel selects the real kernel's TCP as the backend. */
#include <stdbool.h>
int cli_run_command(int argc, char **argv, bool kernel);

/* The kernel backend's part of it (cmd_kernel.c). The checks print one
 * error line and return -1 when the run cannot go ahead. */
struct scenario;
struct world_options;
struct world_report;
struct trace;
int cli_kernel_check_privileges(void);
int cli_kernel_check_scenario(const struct scenario *scenario, bool lenient);
int cli_kernel_run_once(const struct scenario *scenario, const struct world_options *options,
                        bool lenient, bool progress, struct trace *trace,
                        struct world_report *report);

#endif
