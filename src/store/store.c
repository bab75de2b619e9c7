/* store.c: opening and creating workspaces, transactions, helpers. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "json/json.h"
#include "store/store-int.h"

/* An ingest holds the write lock for its whole input: wait for it. */
#define STORE_BUSY_MS 120000

char *
store_workspace_path(const char *flag)
{
	const char *env = getenv("FIREBREAK_WORKSPACE");

	if (flag != NULL && *flag != '\0')
		return xstrdup(flag);
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	return fb_xdg_path("XDG_DATA_HOME", ".local/share");
}

const char *
store_dir(const struct store *s)
{
	return s->dir;
}

int
store_sqlerr(struct store *s, const char *what)
{
	int code = sqlite3_errcode(s->db);
	int e = (code == SQLITE_BUSY || code == SQLITE_LOCKED) ? FB_ERR_BUSY :
	    (code == SQLITE_READONLY || code == SQLITE_PERM ||
	     code == SQLITE_CANTOPEN) ? FB_ERR_PERM : FB_ERR_STORE;

	return fb_err(e, "cannot %s in '%s/store.db': %s", what, s->dir,
	    sqlite3_errmsg(s->db));
}

int
store_prepare(struct store *s, const char *sql, sqlite3_stmt **st)
{
	if (sqlite3_prepare_v2(s->db, sql, -1, st, NULL) != SQLITE_OK) {
		*st = NULL;
		return store_sqlerr(s, "prepare a query");
	}
	return 0;
}

int
store_exec(struct store *s, const char *sql)
{
	if (sqlite3_exec(s->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(s, "update the store");
	return 0;
}

int
store_cached(struct store *s, const char *sql, sqlite3_stmt **st)
{
	size_t i;

	for (i = 0; i < STORE_STMT_CACHE && s->cache[i].sql != NULL; i++) {
		if (s->cache[i].sql == sql) {
			sqlite3_reset(s->cache[i].st);
			sqlite3_clear_bindings(s->cache[i].st);
			*st = s->cache[i].st;
			return 0;
		}
	}
	if (i == STORE_STMT_CACHE)
		fatal("store statement cache full");
	if (store_prepare(s, sql, st) != 0)
		return -FB_ERR_STORE;
	s->cache[i].sql = sql;
	s->cache[i].st = *st;
	return 0;
}

void
store_bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(st, i, v, -1, SQLITE_TRANSIENT);
}

int
store_json_rows(struct store *s, sqlite3_stmt *st, store_json_cb cb, void *ctx)
{
	int r, rc = 0;

	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *json = (const char *)sqlite3_column_text(st, 0);

		if ((rc = cb(ctx, json != NULL ? json : "null")) != 0)
			return rc;
	}
	if (r != SQLITE_DONE)
		return store_sqlerr(s, "read");
	return 0;
}

int
store_begin(struct store *s)
{
	if (s->readonly)
		return fb_err(FB_ERR_PERM, "workspace '%s' is open read-only",
		    s->dir);
	if (s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "nested store transaction");
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(s, "start a write transaction");
	store_asset_cache_clear(s);
	s->in_tx = 1;
	return 0;
}

int
store_commit(struct store *s)
{
	if (sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		int rc = store_sqlerr(s, "commit");
		store_rollback(s);
		return rc;
	}
	s->in_tx = 0;
	return 0;
}

void
store_rollback(struct store *s)
{
	if (s->in_tx)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_tx = 0;
	store_asset_cache_clear(s);
}

int
store_read_begin(struct store *s)
{
	if (s->in_tx)
		return fb_err(FB_ERR_INTERNAL, "nested store transaction");
	if (sqlite3_exec(s->db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
		return store_sqlerr(s, "start a read transaction");
	s->in_tx = 1;
	return 0;
}

void
store_read_end(struct store *s)
{
	store_rollback(s);
}

static int
store_configure(struct store *s)
{
	sqlite3_busy_timeout(s->db, STORE_BUSY_MS);
	sqlite3_extended_result_codes(s->db, 0);
	if (store_exec(s, "PRAGMA foreign_keys=ON") != 0)
		return -FB_ERR_STORE;
	if (!s->ro_file && store_exec(s, "PRAGMA journal_mode=WAL") != 0)
		return -FB_ERR_STORE;
	if (store_exec(s, "PRAGMA synchronous=NORMAL") != 0)
		return -FB_ERR_STORE;
	/* A large ingest is one transaction: keep its pages in memory rather
	 * than spilling them to the WAL half-way. */
	if (store_exec(s, "PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY") != 0)
		return -FB_ERR_STORE;
	return 0;
}

int
store_open(const char *dir, int flags, struct store **out)
{
	struct store *s;
	char *path;
	struct stat st;
	int rc, oflags;

	path = xasprintf("%s/store.db", dir);
	if (!(flags & STORE_CREATE) && stat(path, &st) != 0) {
		rc = fb_err(FB_ERR_NOWS, "no workspace at '%s': create one "
		    "with 'firebreak init' (or choose one with -w DIR)", dir);
		free(path);
		return rc;
	}
	s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	s->readonly = (flags & STORE_READONLY) != 0;
	fb_actor_get(&s->actor);
	/*
	 * Read-only commands still open read-write when they can, so that an
	 * older schema is migrated on open whatever the command; READONLY then
	 * only forbids write transactions. Without write access, read only.
	 */
	oflags = SQLITE_OPEN_READWRITE |
	    ((flags & STORE_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK && s->readonly) {
		sqlite3_close_v2(s->db);
		s->db = NULL;
		s->ro_file = 1;
		oflags = SQLITE_OPEN_READONLY;
	}
	if ((s->db == NULL || oflags == SQLITE_OPEN_READONLY) &&
	    sqlite3_open_v2(path, &s->db, oflags | SQLITE_OPEN_NOMUTEX,
	    NULL) != SQLITE_OK) {
		rc = fb_err(FB_ERR_STORE, "cannot open '%s': %s", path,
		    s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	if ((rc = store_configure(s)) != 0)
		goto fail;
	if ((rc = store_migrate(s)) != 0)
		goto fail;
	free(path);
	*out = s;
	return 0;
fail:
	free(path);
	store_close(s);
	return rc;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	store_rollback(s);
	for (size_t i = 0; i < STORE_STMT_CACHE && s->cache[i].sql; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	free(s->dir);
	free(s);
}

int
store_init(const char *dir, const char *group)
{
	struct store *s = NULL;
	struct stat st;
	char *path = NULL, *blobs = NULL;
	mode_t dmode = group ? 02770 : 0700, fmode = group ? 0660 : 0600;
	mode_t old_umask;
	gid_t gid = (gid_t)-1;
	int rc, fd;

	if (group != NULL) {
		struct group *gr = getgrnam(group);
		char *end;
		unsigned long g = strtoul(group, &end, 10);

		if (gr != NULL)
			gid = gr->gr_gid;
		else if (*group != '\0' && *end == '\0')
			gid = (gid_t)g;
		else
			return fb_err(FB_ERR_INVAL, "no such group '%s'", group);
	}
	path = xasprintf("%s/store.db", dir);
	if (stat(path, &st) == 0) {
		rc = fb_err(FB_ERR_EXIST, "a workspace already exists at '%s'",
		    dir);
		goto out;
	}
	/* The WAL and shm files take the store's mode; umask must allow it. */
	old_umask = umask(group ? 007 : 077);
	if ((rc = fb_mkdirs(dir, 0700)) != 0)
		goto restore;
	if (group != NULL && chown(dir, (uid_t)-1, gid) != 0) {
		rc = fb_err(FB_ERR_PERM, "cannot give '%s' to group '%s': %s",
		    dir, group, strerror(errno));
		goto restore;
	}
	if (chmod(dir, dmode) != 0) {
		rc = fb_err(FB_ERR_PERM, "cannot chmod '%s': %s", dir,
		    strerror(errno));
		goto restore;
	}
	blobs = xasprintf("%s/blobs", dir);
	if (mkdir(blobs, dmode) != 0 && errno != EEXIST) {
		rc = fb_err(FB_ERR_IO, "cannot create '%s': %s", blobs,
		    strerror(errno));
		goto restore;
	}
	if (chmod(blobs, dmode) != 0) {
		rc = fb_err(FB_ERR_PERM, "cannot chmod '%s': %s", blobs,
		    strerror(errno));
		goto restore;
	}
	/* Create the file ourselves so its mode is right before SQLite opens it. */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, fmode);
	if (fd < 0) {
		rc = fb_err(FB_ERR_IO, "cannot create '%s': %s", path,
		    strerror(errno));
		goto restore;
	}
	if (fchmod(fd, fmode) != 0 ||
	    (group != NULL && fchown(fd, (uid_t)-1, gid) != 0)) {
		rc = fb_err(FB_ERR_PERM, "cannot set the mode of '%s': %s",
		    path, strerror(errno));
		close(fd);
		goto restore;
	}
	close(fd);
	if ((rc = store_open(dir, STORE_CREATE, &s)) != 0)
		goto restore;
	if ((rc = store_begin(s)) != 0)
		goto restore;
	{
		struct fb_json *j = fb_json_new();
		char *detail;

		fb_json_obj_begin(j);
		fb_json_kstr(j, "mode", group ? "group" : "private");
		fb_json_kstr(j, "group", group);
		fb_json_kint(j, "schema", store_schema_version());
		fb_json_obj_end(j);
		detail = fb_json_finish(j);
		rc = store_audit(s, STORE_ACTOR_HUMAN, "workspace.init", dir,
		    detail, NULL);
		free(detail);
	}
	if (rc == 0)
		rc = store_commit(s);
restore:
	umask(old_umask);
out:
	store_close(s);
	free(blobs);
	free(path);
	return rc;
}
