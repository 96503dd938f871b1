/*
 * cmd_kernel.c: `tcpsim kernel SCENARIO`: the scenario on this machine's
 * Linux TCP (src/kernel/), with the options and output of `tcpsim run`
 * (cmd_run.c runs the command; this file is the kernel backend's part).
 */
#include <stdio.h>
#include <unistd.h>

#include "cli.h"
#include "kernel.h"

int cmd_kernel(int argc, char **argv) { return cli_run_command(argc, argv, true); }

int cli_kernel_check_privileges(void)
{
    char error[512];
    if (kernel_check_privileges(error, sizeof error) != 0) {
        cli_error("%s", error);
        return -1;
    }
    return 0;
}

int cli_kernel_check_scenario(const struct scenario *sc, bool lenient)
{
    char error[4096];
    if (kernel_check_scenario(sc, lenient, error, sizeof error) != 0) {
        cli_error("%s", error);
        return -1;
    }
    return 0;
}

int cli_kernel_run_once(const struct scenario *sc, const struct world_options *options,
                        bool lenient, bool progress, struct trace *trace,
                        struct world_report *report)
{
    struct kernel_options o = {
        .seed = options->seed,
        .rep = options->rep,
        .details = options->details,
        .progress = progress && isatty(STDERR_FILENO) ? stderr : NULL,
        .skip_expectations = options->skip_expectations,
        .lenient = lenient,
    };
    return kernel_run(sc, &o, trace, report);
}
