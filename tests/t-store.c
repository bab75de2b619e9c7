/* t-store.c: workspace creation, audit chain, config, schema refusal. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/store.h"
#include "tap.h"

static char dir[256];

int
main(void)
{
	struct store *s = NULL;
	struct store_audit_status st;
	struct stat sb;
	char path[300], *v = NULL;
	int64_t n, seq = 0;
	int i;

	snprintf(dir, sizeof(dir), "%s/fb-t-store.XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/ws", dir);

	ok(store_open(path, 0, &s) == -FB_ERR_NOWS, "missing workspace refused");
	ok(strstr(fb_errmsg(-FB_ERR_NOWS), "firebreak init") != NULL,
	    "and the message says how to create one");
	is_int(store_init(path, NULL), 0, "init private workspace");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0700, "dir is 0700");
	snprintf(path, sizeof(path), "%s/ws/store.db", dir);
	ok(stat(path, &sb) == 0 && (sb.st_mode & 07777) == 0600, "store is 0600");
	snprintf(path, sizeof(path), "%s/ws", dir);
	is_int(store_init(path, NULL), -FB_ERR_EXIST, "second init refused");

	if (!ok(store_open(path, 0, &s) == 0, "open")) {
		diag("%s", fb_errmsg(-FB_ERR_STORE));
		return done_testing();
	}
	for (i = 0; i < 5; i++) {
		ok(store_begin(s) == 0 &&
		    store_audit(s, STORE_ACTOR_SYSTEM, "test.action", "obj",
		    "{\"i\":1}", &seq) == 0 && store_commit(s) == 0,
		    "audit row %d", i);
	}
	is_int(seq, 6, "seq continues after init's row");
	is_int(store_audit_verify(s, 0, NULL, &st), 0, "chain verifies");
	is_int(st.rows, 6, "six rows checked");

	is_int(store_config_int(s, "ingest.max_bytes", &n), 0, "config default");
	is_int(n, 512LL << 20, "512M default parsed");
	is_int(store_config_set(s, "ingest.max_bytes", "1G"), 0, "config set");
	store_config_int(s, "ingest.max_bytes", &n);
	is_int(n, 1LL << 30, "1G stored");
	ok(store_config_set(s, "ingest.max_bytes", "lots") == -FB_ERR_INVAL,
	    "bad size refused");
	ok(store_config_set(s, "no.such.key", "1") == -FB_ERR_INVAL,
	    "unknown key refused");
	store_config_get(s, "ingest.max_bytes", &v);
	is_str(v, "1G", "get returns the set text");
	free(v);
	is_int(store_audit_verify(s, 0, NULL, &st), 0, "chain still verifies");
	is_int(st.rows, 7, "config.set added one row, the refusals none");
	store_close(s);

	{
		char cmd[600];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			diag("cleanup failed");
	}
	return done_testing();
}
