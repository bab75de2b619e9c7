/* tui.c: firebreak tui — the console (also `firebreak` alone on a terminal). */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "tui/tui.h"

static int
tui_cmd_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keys", no_argument, NULL, 'k' },
		{ "keys-mdoc", no_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	const char *view = NULL;
	int c, rc;

	tui_start_clock();
	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'k':
			tui_keys_text(stdout);
			return 0;
		case 'm':
			tui_keys_mdoc(stdout);
			return 0;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return cli_usage();
	if (argc - optind == 1)
		view = argv[optind];
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		cli_error("the console needs a terminal; without one, try "
		    "'firebreak finding ls'");
		return FB_EXIT_USAGE;
	}
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	rc = tui_run(s, view);
	store_close(s);
	return cli_fail(rc);
}

const struct cli_command cli_cmd_tui = {
	"tui", "the console (the default on a terminal)",
	"usage: firebreak tui [dashboard|findings|cases|audit|fleet|runs|playbooks]\n"
	"       firebreak tui --keys | --keys-mdoc\n"
	"\n"
	"Open the console on the workspace; `firebreak` with no arguments on a\n"
	"terminal does the same. Press ? inside for the keys. --keys prints\n"
	"them (--keys-mdoc as the man page's list). FIREBREAK_TRACE=FILE\n"
	"appends per-frame timings to FILE. NO_COLOR turns colour off.\n",
	tui_cmd_run, 0,
};
