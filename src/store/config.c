/* config.c: workspace settings, one table of known keys with defaults. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "json/json.h"
#include "store/store-int.h"

/* Every threshold and limit lives here; firebreak(1) CONFIGURATION lists them. */
static const struct store_config_key keys[] = {
	{ "ingest.max_bytes", STORE_CFG_SIZE, "512M",
	  "largest input ingest accepts; larger files are refused unread" },
	{ "ingest.max_record_bytes", STORE_CFG_SIZE, "16M",
	  "largest single record (JSON object or log line) in a report" },
	{ "ingest.max_findings", STORE_CFG_INT, "2000000",
	  "most findings one input may produce" },
	{ "lua.max_memory", STORE_CFG_SIZE, "256M",
	  "memory cap of each Lua state (adapters, rules, playbooks)" },
	{ "lua.max_instructions", STORE_CFG_INT, "2000000000",
	  "instruction budget of each Lua call" },
	{ "suppress.default_expiry", STORE_CFG_DURATION, "0",
	  "expiry given to suppressions added without --expires (0: never)" },
	{ "correlate.auto", STORE_CFG_BOOL, "false",
	  "after each ingest, open the cases correlate proposes (actor system)" },
	{ "correlate.min_severity", STORE_CFG_STRING, "high",
	  "least severity of the ungrouped findings correlate groups" },
	{ "evidence.max_bytes", STORE_CFG_SIZE, "4G",
	  "largest single file evidence add stores" },
	{ NULL, 0, NULL, NULL },
};

const struct store_config_key *
store_config_keys(void)
{
	return keys;
}

const struct store_config_key *
store_config_key_find(const char *name)
{
	const struct store_config_key *k;

	for (k = keys; k->name != NULL; k++)
		if (strcmp(k->name, name) == 0)
			return k;
	return NULL;
}

int
store_config_parse(const struct store_config_key *k, const char *v,
    int64_t *out)
{
	char *end;
	long long n;

	switch (k->type) {
	case STORE_CFG_STRING:
		*out = 0;
		return 0;
	case STORE_CFG_BOOL:
		if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "1") ||
		    !strcmp(v, "on"))
			*out = 1;
		else if (!strcmp(v, "false") || !strcmp(v, "no") ||
		    !strcmp(v, "0") || !strcmp(v, "off"))
			*out = 0;
		else
			break;
		return 0;
	case STORE_CFG_DURATION:
		if (fb_duration_parse(v, out) == 0)
			return 0;
		break;
	case STORE_CFG_INT:
	case STORE_CFG_SIZE:
		if (!isdigit((unsigned char)*v))
			break;
		n = strtoll(v, &end, 10);
		if (k->type == STORE_CFG_SIZE && *end != '\0' && end[1] == '\0') {
			int shift = *end == 'K' || *end == 'k' ? 10 :
			    *end == 'M' || *end == 'm' ? 20 :
			    *end == 'G' || *end == 'g' ? 30 : -1;
			if (shift < 0 || n > (INT64_MAX >> shift))
				break;
			n <<= shift;
			end++;
		}
		if (*end != '\0' || n < 0)
			break;
		*out = n;
		return 0;
	}
	return fb_err(FB_ERR_INVAL, "invalid value '%s' for '%s'", v, k->name);
}

static const struct store_config_key *
find_or_fail(const char *key)
{
	const struct store_config_key *k = store_config_key_find(key);

	if (k == NULL)
		fb_err(FB_ERR_INVAL, "unknown configuration key '%s' "
		    "(see 'firebreak config ls')", key);
	return k;
}

int
store_config_get(struct store *s, const char *key, char **value)
{
	const struct store_config_key *k = find_or_fail(key);
	sqlite3_stmt *st;
	int rc;

	if (k == NULL)
		return -FB_ERR_INVAL;
	if ((rc = store_prepare(s, "SELECT value FROM config WHERE key=?",
	    &st)) != 0)
		return rc;
	store_bind_text(st, 1, key);
	if (sqlite3_step(st) == SQLITE_ROW)
		*value = xstrdup((const char *)sqlite3_column_text(st, 0));
	else
		*value = xstrdup(k->def);
	sqlite3_finalize(st);
	return 0;
}

int
store_config_int(struct store *s, const char *key, int64_t *value)
{
	const struct store_config_key *k = find_or_fail(key);
	char *v = NULL;
	int rc;

	if (k == NULL)
		return -FB_ERR_INVAL;
	if ((rc = store_config_get(s, key, &v)) != 0)
		return rc;
	if (store_config_parse(k, v, value) != 0)
		rc = store_config_parse(k, k->def, value);
	free(v);
	return rc;
}

int
store_config_set(struct store *s, const char *key, const char *value)
{
	const struct store_config_key *k = find_or_fail(key);
	sqlite3_stmt *st = NULL;
	char *old = NULL, now[FB_TIME_LEN];
	struct fb_json *j;
	char *detail;
	int64_t dummy;
	int rc;

	if (k == NULL)
		return -FB_ERR_INVAL;
	if (value != NULL && (rc = store_config_parse(k, value, &dummy)) != 0)
		return rc;
	if ((rc = store_begin(s)) != 0)
		return rc;
	if ((rc = store_config_get(s, key, &old)) != 0)
		goto fail;
	if (value == NULL)
		rc = store_prepare(s, "DELETE FROM config WHERE key=?1", &st);
	else
		rc = store_prepare(s, "INSERT OR REPLACE INTO config(key,value,"
		    "updated_at,updated_by) VALUES(?1,?2,?3,?4)", &st);
	if (rc != 0)
		goto fail;
	fb_time_fmt(fb_time_now(), now);
	store_bind_text(st, 1, key);
	if (value != NULL) {
		store_bind_text(st, 2, value);
		store_bind_text(st, 3, now);
		store_bind_text(st, 4, s->actor.user);
	}
	if (sqlite3_step(st) != SQLITE_DONE) {
		rc = store_sqlerr(s, "change the configuration");
		goto fail;
	}
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "from", old);
	fb_json_kstr(j, "to", value != NULL ? value : k->def);
	fb_json_kbool(j, "default", value == NULL);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);
	rc = store_audit(s, STORE_ACTOR_HUMAN, "config.set", key, detail, NULL);
	free(detail);
	if (rc != 0)
		goto fail;
	sqlite3_finalize(st);
	free(old);
	return store_commit(s);
fail:
	sqlite3_finalize(st);
	free(old);
	store_rollback(s);
	return rc;
}
