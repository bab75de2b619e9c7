/* config.c: firebreak config ls|get|set — workspace settings. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "json/json.h"

static const char *const type_names[] = {
	[STORE_CFG_INT] = "integer",
	[STORE_CFG_SIZE] = "size",
	[STORE_CFG_DURATION] = "duration",
	[STORE_CFG_BOOL] = "boolean",
	[STORE_CFG_STRING] = "string",
};

static int
no_more_args(int argc, char **argv, int want)
{
	if (argc - optind != want) {
		if (argc - optind > want)
			cli_error("unexpected argument '%s'", argv[optind + want]);
		else
			cli_error("missing argument");
		return cli_usage();
	}
	return 0;
}

static int
config_ls(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const struct store_config_key *k;
	struct store *s = NULL;
	int c, rc, json = 0;

	while ((c = cli_getopt(argc, argv, "j", longopts)) != -1) {
		switch (c) {
		case 'j': json = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if ((rc = no_more_args(argc, argv, 0)) != 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	for (k = store_config_keys(); k->name != NULL; k++) {
		char *v = NULL;

		if ((rc = store_config_get(s, k->name, &v)) != 0)
			break;
		if (json) {
			struct fb_json *j = fb_json_new();
			char *line;

			fb_json_obj_begin(j);
			fb_json_kstr(j, "key", k->name);
			fb_json_kstr(j, "value", v);
			fb_json_kstr(j, "default", k->def);
			fb_json_kstr(j, "type", type_names[k->type]);
			fb_json_kstr(j, "doc", k->doc);
			fb_json_obj_end(j);
			line = fb_json_finish(j);
			puts(line);
			free(line);
		} else {
			int set = strcmp(v, k->def) != 0;

			printf("%-28s %-12s", k->name, v);
			if (set)
				printf(" (default %s)", k->def);
			printf("\n");
		}
		free(v);
	}
	store_close(s);
	return cli_fail(rc);
}

static int
config_get(int argc, char **argv)
{
	struct store *s = NULL;
	char *v = NULL;
	int c, rc;

	while ((c = cli_getopt(argc, argv, "", NULL)) != -1)
		return c == 'h' ? 0 : FB_EXIT_USAGE;
	if ((rc = no_more_args(argc, argv, 1)) != 0)
		return rc;
	if ((rc = cli_open_store(STORE_READONLY, &s)) != 0)
		return cli_fail(rc);
	rc = store_config_get(s, argv[optind], &v);
	if (rc == 0)
		printf("%s\n", v);
	free(v);
	store_close(s);
	return cli_fail(rc);
}

static int
config_set(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "reset", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 },
	};
	struct store *s = NULL;
	int c, rc, reset = 0;

	while ((c = cli_getopt(argc, argv, "", longopts)) != -1) {
		switch (c) {
		case 'r': reset = 1; break;
		case 'h': return 0;
		default: return FB_EXIT_USAGE;
		}
	}
	if ((rc = no_more_args(argc, argv, reset ? 1 : 2)) != 0)
		return rc;
	if ((rc = cli_open_store(0, &s)) != 0)
		return cli_fail(rc);
	rc = store_config_set(s, argv[optind], reset ? NULL : argv[optind + 1]);
	store_close(s);
	return cli_fail(rc);
}

static const struct cli_verb verbs[] = {
	{ "ls", config_ls },
	{ "get", config_get },
	{ "set", config_set },
	{ NULL, NULL },
};

static int
config_run(int argc, char **argv)
{
	return cli_dispatch(argc, argv, verbs);
}

const struct cli_command cli_cmd_config = {
	"config", "show and change workspace settings",
	"usage: firebreak config ls [--json]\n"
	"       firebreak config get KEY\n"
	"       firebreak config set KEY VALUE | --reset KEY\n"
	"\n"
	"Settings live in the workspace's store; every change is audited.\n"
	"Command-line flags override them. firebreak(1) lists every key\n"
	"with its default. Sizes take K, M, G; durations s, m, h, d, w.\n",
	config_run, 0,
};
