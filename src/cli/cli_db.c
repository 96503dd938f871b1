/*
 * cli_db.c: what the commands that read one recorded run share: settling
 * --run (0: the latest) against the database, with the messages a user
 * sees when there is no such run or no run at all, and replaying the run
 * into the one sink a command writes (a capture, a page).
 */
#include <inttypes.h>
#include <stdio.h>

#include "cli.h"
#include "results.h"
#include "trace.h"

int cli_find_run(struct results_db *db, const char *db_path, int64_t wanted, int64_t *run_id,
                 char *err, size_t errlen)
{
    struct results_run run;
    int found = 0;
    *run_id = wanted;
    if ((*run_id == 0 && results_latest_run(db, run_id) != 0) ||
        (*run_id > 0 && (found = results_run(db, *run_id, &run)) < 0)) {
        snprintf(err, errlen, "%s: %s", db_path, results_error(db));
        return -1;
    }
    if (!found && *run_id > 0)
        snprintf(err, errlen, "%s: no run %" PRId64, db_path, *run_id);
    else if (!found)
        snprintf(err, errlen, "%s: the database holds no runs", db_path);
    return found ? 0 : -1;
}

int cli_replay_into(struct results_db *db, const char *db_path, int64_t run_id,
                    struct trace_sink *sink)
{
    struct trace trace;
    trace_init(&trace);
    trace_add_sink(&trace, sink);
    int status = EXIT_OK;
    if (results_replay(db, run_id, &trace) != 0) {
        /* The output could not be written (1), or a row of the database is
         * not what tcpsim writes (2). */
        if (sink->error[0])
            cli_error("%s", sink->error);
        else
            cli_error("%s: %s", db_path, results_error(db));
        status = sink->error[0] ? EXIT_FAILED : EXIT_USAGE;
    }
    trace_remove_sink(&trace, sink);
    return status;
}
