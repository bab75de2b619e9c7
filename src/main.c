/* main.c: set up the process, then dispatch to the command line. */
#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include "cli/cli.h"

int
main(int argc, char **argv)
{
	/* Wide characters (ncursesw, libarchive UTF-8 names) need a locale. */
	if (setlocale(LC_ALL, "") == NULL)
		setlocale(LC_ALL, "C.UTF-8");
	return cli_main(argc, argv);
}
