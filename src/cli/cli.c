/* cli.c: dispatch, the command table, the one error voice. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

struct cli_global cli_global;

/* Every command, in the order `firebreak help` shows them. */
static const struct cli_command *const commands[] = {
	&cli_cmd_init,
	&cli_cmd_ingest,
	&cli_cmd_finding,
	&cli_cmd_suppress,
	&cli_cmd_scan,
	&cli_cmd_tui,
	&cli_cmd_case,
	&cli_cmd_correlate,
	&cli_cmd_evidence,
	&cli_cmd_key,
	&cli_cmd_model,
	&cli_cmd_fleet,
	&cli_cmd_playbook,
	&cli_cmd_run,
	&cli_cmd_export,
	&cli_cmd_verify,
	&cli_cmd_audit,
	&cli_cmd_config,
	&cli_cmd_help,
	&cli_cmd_version,
};

static const struct {
	const char *alias;
	const char *argv[2];
} aliases[] = {
	{ "findings", { "finding", "ls" } },
};

const struct cli_command *
cli_command_find(const char *name)
{
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(commands); i++)
		if (strcmp(commands[i]->name, name) == 0)
			return commands[i];
	return NULL;
}

static void
vreport(const char *prefix, const char *fmt, va_list ap)
{
	struct fb_buf b = FB_BUF_INIT, safe = FB_BUF_INIT;

	fb_buf_vaddf(&b, fmt, ap);
	/* Messages quote input; keep what reaches the terminal inert. */
	fb_sanitize(&safe, b.data, b.len, 0);
	fprintf(stderr, "%s: %s\n", prefix, safe.data);
	fb_buf_release(&b);
	fb_buf_release(&safe);
}

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("error", fmt, ap);
	va_end(ap);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vreport("warning", fmt, ap);
	va_end(ap);
}

int
cli_fail(int rc)
{
	if (rc == 0)
		return 0;
	cli_error("%s", fb_errmsg(rc));
	return fb_err_exit(rc);
}

int
cli_usage(void)
{
	const char *u = cli_global.cmd ? cli_global.cmd->usage : NULL;
	const char *nl;

	if (u == NULL)
		return FB_EXIT_USAGE;
	/* The synopsis lines only: up to the first blank line. */
	nl = strstr(u, "\n\n");
	fprintf(stderr, "%.*s\n", nl ? (int)(nl - u) : (int)strlen(u), u);
	fprintf(stderr, "Try 'firebreak %s --help' for more.\n",
	    cli_global.cmd->name);
	return FB_EXIT_USAGE;
}

int
cli_help(void)
{
	fputs(cli_global.cmd->usage, stdout);
	if (cli_global.cmd->usage[strlen(cli_global.cmd->usage) - 1] != '\n')
		fputc('\n', stdout);
	return 0;
}

int
cli_getopt(int argc, char **argv, const char *shortopts,
    const struct option *longopts)
{
	static struct option all[32];
	static char shorts[64];
	size_t n = 0;
	int c;

	snprintf(shorts, sizeof(shorts), ":%sw:h", shortopts ? shortopts : "");
	if (longopts != NULL)
		for (; longopts[n].name != NULL && n < FB_ARRAY_LEN(all) - 3; n++)
			all[n] = longopts[n];
	all[n++] = (struct option){ "workspace", required_argument, NULL, 'w' };
	all[n++] = (struct option){ "help", no_argument, NULL, 'h' };
	all[n] = (struct option){ NULL, 0, NULL, 0 };
	for (;;) {
		c = getopt_long(argc, argv, shorts, all, NULL);
		switch (c) {
		case 'w':
			cli_global.workspace = optarg;
			continue;
		case 'h':
			cli_help();
			return 'h';
		case ':':
			cli_error("option '%s' needs a value", argv[optind - 1]);
			cli_usage();
			return '?';
		case '?':
			if (optopt != 0)
				cli_error("unknown option '-%c'", optopt);
			else
				cli_error("unknown option '%s'", argv[optind - 1]);
			cli_usage();
			return '?';
		default:
			return c;
		}
	}
}

int
cli_dispatch(int argc, char **argv, const struct cli_verb *verbs)
{
	const struct cli_verb *v;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0))
		return cli_help();
	if (argc < 2) {
		cli_error("'%s' needs a subcommand", argv[0]);
		return cli_usage();
	}
	for (v = verbs; v->name != NULL; v++) {
		if (strcmp(v->name, argv[1]) == 0) {
			optind = 0;
			return v->run(argc - 1, argv + 1);
		}
	}
	cli_error("unknown subcommand '%s %s'", argv[0], argv[1]);
	return cli_usage();
}

int
cli_open_store(int flags, struct store **out)
{
	char *dir = store_workspace_path(cli_global.workspace);
	int rc = store_open(dir, flags, out);

	free(dir);
	return rc;
}

void
cli_put_safe(FILE *fp, const char *s)
{
	struct fb_buf b = FB_BUF_INIT;

	if (s == NULL)
		return;
	fb_sanitize(&b, s, strlen(s), 0);
	fwrite(b.data, 1, b.len, fp);
	fb_buf_release(&b);
}

int
cli_print_json_line(void *ctx, const char *json)
{
	(void)ctx;
	fputs(json, stdout);
	fputc('\n', stdout);
	return ferror(stdout) ? fb_err(FB_ERR_IO, "cannot write output") : 0;
}

int
cli_stdout_tty(void)
{
	return isatty(STDOUT_FILENO);
}

static int
global_usage(FILE *fp)
{
	size_t i;

	fprintf(fp, "usage: firebreak [-w DIR] COMMAND [ARGS]\n"
	    "       firebreak --version | --help\n\ncommands:\n");
	for (i = 0; i < FB_ARRAY_LEN(commands); i++)
		if (!commands[i]->hidden)
			fprintf(fp, "  %-10s %s\n", commands[i]->name,
			    commands[i]->summary);
	fprintf(fp, "\nSee 'firebreak COMMAND --help' and firebreak(1).\n");
	return fp == stderr ? FB_EXIT_USAGE : 0;
}

static int
help_run(int argc, char **argv)
{
	const struct cli_command *c;

	if (argc < 2)
		return global_usage(stdout);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return cli_help();
	if ((c = cli_command_find(argv[1])) == NULL) {
		cli_error("no such command '%s'", argv[1]);
		return global_usage(stderr);
	}
	cli_global.cmd = c;
	return cli_help();
}

int
cli_ls_options(int argc, char **argv, int *json)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': *json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return cli_usage();
	}
	return -1;
}

const struct cli_command cli_cmd_help = {
	"help", "show the commands, or one command's help",
	"usage: firebreak help [COMMAND]\n\n"
	"Without COMMAND, list the commands; with one, print its help.\n",
	help_run, 0,
};

static int
version_run(int argc, char **argv)
{
	int c;

	while (argv != NULL && (c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? 0 : FB_EXIT_USAGE;
	printf("firebreak %s\n", PACKAGE_VERSION);
	return 0;
}

const struct cli_command cli_cmd_version = {
	"version", "print the version",
	"usage: firebreak version\n", version_run, 0,
};

int
cli_main(int argc, char **argv)
{
	const struct cli_command *c;
	char *alias_argv[64];
	size_t i;

	/* Global options before the command. */
	while (argc > 1 && argv[1][0] == '-') {
		if (strcmp(argv[1], "--version") == 0 ||
		    strcmp(argv[1], "-V") == 0)
			return version_run(0, NULL);
		if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
			return global_usage(stdout);
		if ((strcmp(argv[1], "-w") == 0 ||
		    strcmp(argv[1], "--workspace") == 0) && argc > 2) {
			cli_global.workspace = argv[2];
			argc -= 2;
			argv += 2;
			continue;
		}
		if (strncmp(argv[1], "--workspace=", 12) == 0) {
			cli_global.workspace = argv[1] + 12;
			argc--;
			argv++;
			continue;
		}
		cli_error("unknown option '%s'", argv[1]);
		return global_usage(stderr);
	}
	if (argc < 2) {
		/* On a terminal, no command means the console. */
		static char *tui_argv[] = { "tui", NULL };
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
			cli_global.cmd = &cli_cmd_tui;
			optind = 0;
			return cli_cmd_tui.run(1, tui_argv);
		}
		return global_usage(stderr);
	}
	for (i = 0; i < FB_ARRAY_LEN(aliases); i++) {
		if (strcmp(argv[1], aliases[i].alias) == 0 &&
		    (size_t)argc < FB_ARRAY_LEN(alias_argv) - 2) {
			int k;
			alias_argv[0] = argv[0];
			alias_argv[1] = (char *)aliases[i].argv[0];
			alias_argv[2] = (char *)aliases[i].argv[1];
			for (k = 2; k < argc; k++)
				alias_argv[k + 1] = argv[k];
			alias_argv[argc + 1] = NULL;
			argc++;
			argv = alias_argv;
			break;
		}
	}
	if ((c = cli_command_find(argv[1])) == NULL) {
		cli_error("unknown command '%s'", argv[1]);
		return global_usage(stderr);
	}
	cli_global.cmd = c;
	optind = 0;
	return c->run(argc - 1, argv + 1);
}
