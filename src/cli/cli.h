/*
 * cli: the command line. One file per command; each exports a
 * struct cli_command that cli.c lists. A command returns an exit status
 * from enum fb_exit and reports an error once, in one voice, through
 * cli_fail()/cli_error().
 */
#ifndef FB_CLI_H
#define FB_CLI_H

#include <getopt.h>

#include "core/core.h"
#include "store/store.h"

struct cli_command {
	const char *name;
	const char *summary; /* one line for `firebreak help` */
	const char *usage;   /* the --help text, first line "usage: ..." */
	int (*run)(int argc, char **argv); /* argv[0] is the command name */
	int hidden;
};

/* NOUN VERB commands route their verbs through one of these tables. */
struct cli_verb {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the verb */
};

/* Options every command accepts, set by cli_common_opt(). */
struct cli_global {
	const char *workspace; /* -w DIR */
	const struct cli_command *cmd;
};
extern struct cli_global cli_global;

int cli_main(int argc, char **argv);
/* Look up a command by name (NULL if none). */
const struct cli_command *cli_command_find(const char *name);

/* `error: <msg>` on stderr. */
void cli_error(const char *fmt, ...) FB_ATTR_PRINTF(1, 2);
void cli_warn(const char *fmt, ...) FB_ATTR_PRINTF(1, 2);
/* Report rc's message (fb_errmsg) once and return its exit status. */
int cli_fail(int rc);
/* Usage of the current command on stderr; returns FB_EXIT_USAGE. */
int cli_usage(void);
/* Print the current command's --help on stdout; returns 0. */
int cli_help(void);
/*
 * getopt_long wrapper adding -w/--workspace and -h/--help to every
 * command. Returns the option character, -1 at the end, or '?' after it
 * has printed usage (the caller returns FB_EXIT_USAGE). 'h' means --help
 * was printed (the caller returns 0).
 */
int cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts);
/* Route argv[1] to the verb table; prints usage on an unknown verb. */
int cli_dispatch(int argc, char **argv, const struct cli_verb *verbs);
/* Open the workspace from -w / FIREBREAK_WORKSPACE / XDG, reporting errors. */
int cli_open_store(int flags, struct store **out);
/* Write untrusted text to a stream, terminal-safe. */
void cli_put_safe(FILE *fp, const char *s);
/* store_json_cb that prints one JSON line on stdout. */
int cli_print_json_line(void *ctx, const char *json);
/* 1 when stdout is a terminal. */
int cli_stdout_tty(void);

extern const struct cli_command cli_cmd_help;
extern const struct cli_command cli_cmd_version;
extern const struct cli_command cli_cmd_init;
extern const struct cli_command cli_cmd_audit;
extern const struct cli_command cli_cmd_config;
extern const struct cli_command cli_cmd_ingest;
extern const struct cli_command cli_cmd_finding;
extern const struct cli_command cli_cmd_suppress;
extern const struct cli_command cli_cmd_scan;
extern const struct cli_command cli_cmd_tui;
extern const struct cli_command cli_cmd_case;
extern const struct cli_command cli_cmd_correlate;
extern const struct cli_command cli_cmd_evidence;
extern const struct cli_command cli_cmd_key;
extern const struct cli_command cli_cmd_model;
extern const struct cli_command cli_cmd_fleet;
extern const struct cli_command cli_cmd_playbook;
extern const struct cli_command cli_cmd_run;
/* playbook.c: SIGINT sets *flag (stop between hosts). */
void cli_playbook_sigint(volatile int **flag);
/* -j N, --forks N: pairs of a batch at once, 1 to 1000; -1 after an error. */
int cli_playbook_forks(const char *arg);
extern const struct cli_command cli_cmd_export;
extern const struct cli_command cli_cmd_verify;

/*
 * A listing's options: --json (sets *json) and no arguments. Returns -1
 * to go on, or the exit status to return (--help, a usage error).
 */
int cli_ls_options(int argc, char **argv, int *json);

/* correlate.c: open proposed cases when correlate.auto is set. */
int cli_correlate_auto(struct store *s, int quiet);
/* ingest.c */
int ingest_formats_print(void);
/* finding.c: parse "12", "#12" into ids; usage error on anything else. */
int cli_parse_ids(int argc, char **argv, int64_t **ids, size_t *n);

#endif
