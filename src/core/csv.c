/*
 * csv.c: one CSV cell (RFC 4180), safe to open in a spreadsheet. Used by
 * `case timeline --csv` and meant for every CSV firebreak writes (the
 * export bundle's timeline.csv), so formula-safety lives in one place.
 */
#include "config.h"

#include <string.h>

#include "core/core.h"

void
fb_csv_cell(struct fb_buf *out, const char *s)
{
	struct fb_buf v = FB_BUF_INIT;
	size_t i;

	if (s == NULL)
		s = "";
	fb_utf8_repair(&v, s, strlen(s), NULL);
	/* A leading = + - @ (or tab or CR, which some strip first) would
	 * make a spreadsheet evaluate the cell: a ' keeps it text. */
	fb_buf_addch(out, '"');
	if (v.len > 0 && strchr("=+-@\t\r", v.data[0]) != NULL)
		fb_buf_addch(out, '\'');
	for (i = 0; i < v.len; i++) {
		if (v.data[i] == '"')
			fb_buf_addch(out, '"');
		fb_buf_addch(out, v.data[i]);
	}
	fb_buf_addch(out, '"');
	fb_buf_release(&v);
}
