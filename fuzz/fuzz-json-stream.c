/*
 * fuzz-json-stream.c: libFuzzer harness for the Lua host's streaming JSON
 * decoder (src/lua/json.c): record paths, context capture, JSON Lines,
 * limits, and the emitted table's JSON re-encoding (src/lua/ev.c).
 *
 * The first input byte picks the mode (JSON Lines or not) and which record
 * and context paths to use; the rest is the document.
 *
 * Build with fuzz/build.sh (clang, libFuzzer, ASan + UBSan); run:
 *   $TMPDIR/fb-fuzz/fuzz-json-stream -max_total_time=300 fuzz/corpus/json-stream
 */
#include "config.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/core.h"
#include "lua/lua.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct fblua *host;
static int script;

static const char adapter[] =
    "function parse_record(rec, ctx, emit)\n"
    "  emit({ title = type(rec) == 'table' and rec.id or rec,\n"
    "         ctx = ctx.tool, raw = rec })\n"
    "end\n";

static const char *const paths[] = {
	"", "*", "runs.*.results.*", "Results.*.Vulnerabilities.*",
	"matches.*", "a.0.*", "*.*", "x",
};
static const char *const ctx1[] = { "tool=runs.*.tool.driver",
	"ArtifactName", "target=Results.*.Target", NULL };

static int
on_emit(void *ud, struct fblua_ev *ev)
{
	char *json = NULL;
	size_t len;

	(void)ud;
	(void)fblua_ev_str(ev, "title", NULL);
	(void)fblua_ev_len(ev, "raw");
	if (fblua_ev_json(ev, "raw", &json, &len) == 0)
		free(json);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct fblua_limits lim = {
		.mem = 32u << 20,
		.instructions = 1000000,
		.json_depth = 512,
		.json_string = 1u << 16,
	};
	struct fblua_stream s = { 0 };

	if (host == NULL) {
		if (fblua_new(FBLUA_INGEST, &lim, &host) != 0 ||
		    fblua_load_string(host, adapter, strlen(adapter), "fuzz",
		    &script) != 0)
			abort();
		fblua_set_emit(host, on_emit, NULL);
	}
	if (size == 0)
		return 0;
	s.script = script;
	s.jsonl = data[0] & 1;
	s.record_path = paths[(data[0] >> 1) % FB_ARRAY_LEN(paths)];
	s.context = (data[0] & 0x10) ? ctx1 : NULL;
	(void)fblua_stream_buf(host, &s, data + 1, size - 1, NULL);
	if (data[0] & 0x20)
		(void)fblua_json_check(host, data + 1, size - 1);
	fb_err_clear();
	return 0;
}
