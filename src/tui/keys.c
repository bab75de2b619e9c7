/*
 * keys.c: the one keymap. Each key names a request; the help screen (`?`)
 * and the man page's key list are printed from this same table, so they
 * cannot drift from what the keys do.
 */
#include "config.h"

#include <curses.h>
#include <string.h>

#include "tui/tui-int.h"

#define CTRL(c) ((c) & 0x1f)

static const struct tui_keymap keymap[] = {
	{ 'j', "j", TUI_REQ_DOWN },
	{ KEY_DOWN, "Down", TUI_REQ_DOWN },
	{ 'k', "k", TUI_REQ_UP },
	{ KEY_UP, "Up", TUI_REQ_UP },
	{ KEY_NPAGE, "PgDn", TUI_REQ_PAGE_DOWN },
	{ CTRL('f'), "Ctrl-F", TUI_REQ_PAGE_DOWN },
	{ KEY_PPAGE, "PgUp", TUI_REQ_PAGE_UP },
	{ CTRL('b'), "Ctrl-B", TUI_REQ_PAGE_UP },
	{ 'g', "g", TUI_REQ_FIRST },
	{ KEY_HOME, "Home", TUI_REQ_FIRST },
	{ 'G', "G", TUI_REQ_LAST },
	{ KEY_END, "End", TUI_REQ_LAST },
	{ '\n', NULL, TUI_REQ_ENTER },
	{ '\r', "Enter", TUI_REQ_ENTER },
	{ KEY_ENTER, NULL, TUI_REQ_ENTER },
	{ 27, "Esc", TUI_REQ_BACK },
	{ 'q', "q", TUI_REQ_BACK },
	{ '\t', "Tab", TUI_REQ_NEXT_TAB },
	{ KEY_BTAB, "Shift-Tab", TUI_REQ_PREV_TAB },
	{ ':', ":", TUI_REQ_PROMPT },
	{ '/', "/", TUI_REQ_FILTER },
	{ '?', "?", TUI_REQ_HELP },
	{ ' ', "Space", TUI_REQ_SELECT },
	{ 'u', "u", TUI_REQ_SELECT_NONE },
	{ 'a', "a", TUI_REQ_ACK },
	{ 'r', "r", TUI_REQ_RESOLVE },
	{ 'f', "f", TUI_REQ_FALSE_POS },
	{ 'o', "o", TUI_REQ_REOPEN },
	{ 'z', "z", TUI_REQ_SUPPRESS },
	{ 'L', "L", TUI_REQ_LINK_CASE },
	{ 'N', "N", TUI_REQ_NEW_CASE },
	{ 's', "s", TUI_REQ_SORT },
	{ 'S', "S", TUI_REQ_REVERSE },
	{ 'H', "H", TUI_REQ_SHOW_HIDDEN },
	{ CTRL('l'), "Ctrl-L", TUI_REQ_REFRESH },
	{ '1', "1", TUI_REQ_VIEW_DASHBOARD },
	{ '2', "2", TUI_REQ_VIEW_FINDINGS },
	{ '3', "3", TUI_REQ_VIEW_CASES },
	{ '4', "4", TUI_REQ_VIEW_AUDIT },
	{ '5', "5", TUI_REQ_VIEW_FLEET },
	{ '6', "6", TUI_REQ_VIEW_RUNS },
	{ '7', "7", TUI_REQ_VIEW_PLAYBOOKS },
	{ 'A', "A", TUI_REQ_APPROVE },
	{ 'R', "R", TUI_REQ_RESUME },
	{ 'U', "U", TUI_REQ_UNDO },
	{ 'X', "X", TUI_REQ_ABORT },
	{ 'E', "E", TUI_REQ_EXPORT },
	{ 'd', "d", TUI_REQ_DRY_RUN },
	{ 'x', "x", TUI_REQ_RUN },
	{ 'Q', "Q", TUI_REQ_QUIT },
};

static const char *const req_help[TUI_REQ__MAX] = {
#define TUI_X(name, help) [TUI_REQ_##name] = help,
	TUI_REQUESTS(TUI_X)
#undef TUI_X
};

const struct tui_keymap *
tui_keymap(size_t *n)
{
	*n = FB_ARRAY_LEN(keymap);
	return keymap;
}

const char *
tui_req_help(enum tui_req r)
{
	return (unsigned)r < TUI_REQ__MAX && req_help[r] ? req_help[r] : "";
}

enum tui_req
tui_key_request(int key, int isfn)
{
	size_t i;

	/* A typed character never stands for a function key with the same
	 * number (U+0102 is not KEY_DOWN). */
	for (i = 0; i < FB_ARRAY_LEN(keymap); i++)
		if (keymap[i].key == key && (keymap[i].key >= KEY_MIN) == !!isfn)
			return keymap[i].req;
	return TUI_REQ_NONE;
}

const char *
tui_key_name(int key)
{
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(keymap); i++)
		if (keymap[i].key == key && keymap[i].name != NULL)
			return keymap[i].name;
	return NULL;
}

/*
 * "j, Down" for request r; returns 0 when no key names it. For mdoc each
 * name starts with \& so that ":" or "/" is text, not a delimiter.
 */
static int
keys_of(enum tui_req r, char *out, size_t n, int mdoc)
{
	size_t i, len = 0;

	out[0] = '\0';
	for (i = 0; i < FB_ARRAY_LEN(keymap); i++) {
		if (keymap[i].req != r || keymap[i].name == NULL)
			continue;
		len += (size_t)snprintf(out + len, len < n ? n - len : 0,
		    "%s%s%s", len ? ", " : "", mdoc ? "\\&" : "",
		    keymap[i].name);
	}
	return len > 0;
}

void
tui_keys_text(FILE *fp)
{
	char keys[64];
	int r;

	for (r = 1; r < TUI_REQ__MAX; r++)
		if (keys_of(r, keys, sizeof(keys), 0))
			fprintf(fp, "%-16s %s\n", keys, req_help[r]);
}

void
tui_keys_mdoc(FILE *fp)
{
	char keys[64];
	int r;

	fputs(".Bl -tag -width \"Shift-Tab\"\n", fp);
	for (r = 1; r < TUI_REQ__MAX; r++) {
		if (!keys_of(r, keys, sizeof(keys), 1))
			continue;
		fprintf(fp, ".It Ic %s\n", keys);
		/* mdoc: one sentence per line, capitalised, with a period. */
		fprintf(fp, "%c%s.\n", req_help[r][0] >= 'a' &&
		    req_help[r][0] <= 'z' ? req_help[r][0] - 'a' + 'A' :
		    req_help[r][0], req_help[r] + 1);
	}
	fputs(".El\n", fp);
}
