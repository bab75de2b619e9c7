/* init.c: firebreak init — create a workspace. */
#include "config.h"

#include <stdlib.h>

#include "cli/cli.h"

static int
init_run(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "group", required_argument, NULL, 'g' },
		{ NULL, 0, NULL, 0 },
	};
	const char *group = NULL;
	char *dir;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "g:", longopts)) != -1) {
		switch (c) {
		case 'g': group = optarg; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if (optind < argc) {
		cli_error("unexpected argument '%s'", argv[optind]);
		return cli_usage();
	}
	dir = store_workspace_path(cli_global.workspace);
	rc = store_init(dir, group);
	if (rc == 0)
		printf("initialized %s workspace in %s\n",
		    group ? "team" : "private", dir);
	free(dir);
	return cli_fail(rc);
}

const struct cli_command cli_cmd_init = {
	"init", "create a workspace",
	"usage: firebreak init [-w DIR] [--group GROUP]\n"
	"\n"
	"Create a workspace: DIR/store.db and DIR/blobs/. DIR is -w, or\n"
	"$FIREBREAK_WORKSPACE, or $XDG_DATA_HOME/firebreak.\n"
	"\n"
	"  -w, --workspace DIR  where to create it\n"
	"  -g, --group GROUP    a team workspace: setgid 2770 directory and\n"
	"                       0660 files owned by GROUP (default: private,\n"
	"                       0700 and 0600)\n",
	init_run, 0,
};
