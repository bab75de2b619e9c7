/*
 * ingest.c: one input, one transaction. Detect the format, stream records
 * through the adapter, normalize each emitted finding, fingerprint it from
 * its identity fields only, mask secrets, upsert; then resolve in-scope
 * findings the report no longer carries, record counts, audit once.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "filter/filter.h"
#include "gateway/gateway.h"
#include "ingest/ingest.h"
#include "json/json.h"
#include "lua/lua.h"

#define SAMPLE_BYTES 65536
#define MAX_ADAPTERS 64
#define MAX_TITLE 1024
#define MAX_DETAIL 65536
#define MAX_FIELD 4096
#define MAX_ASSETS 256
#define MAX_LOCATIONS 1024
#define MAX_SCOPES 256

struct adapter {
	char *name;
	char *path;
	char *version;
	char *description;
	char *record_path;
	char *native;          /* records parsed in C (gateway.h) */
	char *prescan;         /* a path streamed first to prescan(rec, ctx) */
	char **context;        /* NULL-terminated */
	int jsonl;
	int script;
	int has_parse_record, has_parse, has_detect, has_finish;
};

struct scope_seen {
	char *source;
	char *scope;
};

struct run {
	struct store *s;
	struct fblua *lua;
	struct adapter *ad;
	const char *path;
	int64_t ingest_id;
	int64_t max_findings;
	size_t max_record;
	struct ingest_result *r;
	const struct ingest_opts *o;
	struct scope_seen scopes[MAX_SCOPES];
	size_t nscopes;
	int store_err;         /* a store failure inside the emit callback */
	struct fb_buf raw, masked;
};

static void
adapter_release(struct adapter *a)
{
	size_t i;

	free(a->name);
	free(a->path);
	free(a->version);
	free(a->description);
	free(a->record_path);
	free(a->native);
	free(a->prescan);
	for (i = 0; a->context != NULL && a->context[i] != NULL; i++)
		free(a->context[i]);
	free(a->context);
}

/* ---- adapter discovery ------------------------------------------------ */

static int
decl_context(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct adapter *a = ud;
	const char *v = fblua_ev_str(item, "", NULL);
	size_t n = 0;

	if (v == NULL || idx == 0 || idx > 64)
		return 0;
	while (a->context != NULL && a->context[n] != NULL)
		n++;
	a->context = xrealloc(a->context, (n + 2) * sizeof(char *));
	a->context[n] = xstrdup(v);
	a->context[n + 1] = NULL;
	return 0;
}

static int
read_decl(void *ud, struct fblua_ev *m)
{
	struct adapter *a = ud;
	const char *v;
	int b;

	if ((v = fblua_ev_str(m, "version", NULL)) != NULL)
		a->version = xstrdup(v);
	if ((v = fblua_ev_str(m, "description", NULL)) != NULL)
		a->description = xstrdup(v);
	if ((v = fblua_ev_str(m, "record_path", NULL)) != NULL)
		a->record_path = xstrdup(v);
	if ((v = fblua_ev_str(m, "native", NULL)) != NULL)
		a->native = xstrdup(v);
	if ((v = fblua_ev_str(m, "prescan_path", NULL)) != NULL)
		a->prescan = xstrdup(v);
	if (fblua_ev_bool(m, "jsonl", &b) == 0)
		a->jsonl = b;
	fblua_ev_foreach(m, "context", decl_context, a);
	return 0;
}

static int
load_adapter(struct fblua *L, const char *dir, const char *file,
    struct adapter *a)
{
	size_t n = strlen(file);
	char *chunk;
	int rc;

	memset(a, 0, sizeof(*a));
	a->name = xstrndup(file, n - 4);
	a->path = xasprintf("%s/%s", dir, file);
	chunk = xasprintf("@ingest/%s", file);
	rc = fblua_load_file(L, a->path, chunk, &a->script);
	free(chunk);
	if (rc != 0)
		return rc;
	fblua_script_view(L, a->script, read_decl, a);
	a->has_detect = fblua_has_function(L, a->script, "detect");
	a->has_parse = fblua_has_function(L, a->script, "parse");
	a->has_parse_record = fblua_has_function(L, a->script, "parse_record");
	a->has_finish = fblua_has_function(L, a->script, "finish");
	if (a->version == NULL)
		a->version = xstrdup("0");
	if (a->native != NULL) {
		enum gw_format f;
		return gateway_format_find(a->native, &f);
	}
	if (!a->has_parse && !a->has_parse_record)
		return fb_err(FB_ERR_LUA, "adapter '%s' defines neither parse "
		    "nor parse_record", a->path);
	if (a->has_parse_record && a->record_path == NULL && !a->jsonl)
		return fb_err(FB_ERR_LUA, "adapter '%s' has parse_record but "
		    "declares no record_path (or jsonl = true)", a->path);
	if (a->prescan != NULL && (a->jsonl || !a->has_parse_record ||
	    !fblua_has_function(L, a->script, "prescan")))
		return fb_err(FB_ERR_LUA, "adapter '%s' declares prescan_path "
		    "but no prescan function or record_path", a->path);
	return 0;
}

static int
name_cmp(const void *x, const void *y)
{
	return strcmp(((const struct adapter *)x)->name,
	    ((const struct adapter *)y)->name);
}

/*
 * Load every adapter: shipped ones, then the user's (a user adapter with
 * a shipped name replaces it). Broken user adapters are reported, not
 * fatal, unless they are the one asked for.
 */
static int
load_adapters(struct fblua *L, struct adapter *out, size_t *n)
{
	char *dirs[2];
	size_t d, k, count = 0;
	int rc = 0;

	dirs[0] = xasprintf("%s/lua/firebreak/ingest", fb_datadir());
	{
		char *cfg = fb_xdg_path("XDG_CONFIG_HOME", ".config");
		dirs[1] = xasprintf("%s/ingest", cfg);
		free(cfg);
	}
	for (d = 0; d < 2 && rc == 0; d++) {
		DIR *dh = opendir(dirs[d]);
		struct dirent *de;

		if (dh == NULL) {
			if (d == 0)
				rc = fb_err(FB_ERR_NOENT, "cannot open the "
				    "adapter directory '%s': %s", dirs[d],
				    strerror(errno));
			continue;
		}
		while ((de = readdir(dh)) != NULL && count < MAX_ADAPTERS) {
			size_t len = strlen(de->d_name);
			struct adapter a;

			if (len < 5 || strcmp(de->d_name + len - 4, ".lua") != 0 ||
			    de->d_name[0] == '.')
				continue;
			if ((rc = load_adapter(L, dirs[d], de->d_name, &a)) != 0) {
				adapter_release(&a);
				if (d == 1) {
					/* keep going: one bad user file must
					 * not stop every ingest */
					fprintf(stderr, "warning: skipping "
					    "adapter: %s\n", fb_errmsg(rc));
					rc = 0;
					continue;
				}
				break;
			}
			for (k = 0; k < count; k++)
				if (strcmp(out[k].name, a.name) == 0)
					break;
			if (k < count) {
				adapter_release(&out[k]);
				out[k] = a;
			} else
				out[count++] = a;
		}
		closedir(dh);
	}
	free(dirs[0]);
	free(dirs[1]);
	qsort(out, count, sizeof(*out), name_cmp);
	*n = count;
	return rc;
}

static int
new_host(struct store *s, struct fblua **L)
{
	struct fblua_limits lim = { 0 };
	int64_t v;

	if (s != NULL && store_config_int(s, "lua.max_memory", &v) == 0)
		lim.mem = (size_t)v;
	if (s != NULL && store_config_int(s, "lua.max_instructions", &v) == 0)
		lim.instructions = (uint64_t)v;
	if (s != NULL && store_config_int(s, "ingest.max_record_bytes", &v) == 0)
		lim.json_string = (size_t)v;
	return fblua_new(FBLUA_INGEST, &lim, L);
}

int
ingest_formats(int (*cb)(void *, const char *, const char *, const char *,
    const char *), void *ud)
{
	struct adapter ads[MAX_ADAPTERS];
	struct fblua *L = NULL;
	size_t n = 0, i;
	int rc;

	if ((rc = new_host(NULL, &L)) != 0)
		return rc;
	rc = load_adapters(L, ads, &n);
	for (i = 0; i < n; i++) {
		if (rc == 0)
			rc = cb(ud, ads[i].name, ads[i].version,
			    ads[i].description ? ads[i].description : "",
			    ads[i].path);
		adapter_release(&ads[i]);
	}
	fblua_free(L);
	return rc;
}

/* "a, b, c": the adapters' names, for error messages. Caller frees. */
static char *
adapter_names(const struct adapter *ads, size_t n)
{
	struct fb_buf b = FB_BUF_INIT;
	size_t i;

	for (i = 0; i < n; i++)
		fb_buf_addf(&b, "%s%s", i ? ", " : "", ads[i].name);
	return fb_buf_detach(&b, NULL);
}

/* ---- detection --------------------------------------------------------- */

static int
detect_result(void *ud, struct fblua_ev *res)
{
	double *score = ud;
	int b;
	double d;

	if (fblua_ev_bool(res, "", &b) == 0)
		*score = b ? 1 : 0;
	else if (fblua_ev_num(res, "", &d) == 0)
		*score = d;
	else {
		int64_t i;
		if (fblua_ev_int(res, "", &i) == 0)
			*score = (double)i;
	}
	return 0;
}

static int
detect(struct fblua *L, struct adapter *ads, size_t n, const char *sample,
    size_t len, const char *path, struct adapter **out)
{
	double best = 0;
	size_t i;

	*out = NULL;
	for (i = 0; i < n; i++) {
		double score = 0;
		int rc;

		if (!ads[i].has_detect)
			continue;
		rc = fblua_call(L, ads[i].script, "detect", detect_result,
		    &score, "l", sample, len);
		if (rc != 0)
			return fb_err(FB_ERR_LUA, "adapter '%s' failed to "
			    "detect: %s", ads[i].name, fb_errmsg(rc));
		if (score > best) {
			best = score;
			*out = &ads[i];
		}
	}
	if (*out == NULL) {
		char *names = adapter_names(ads, n);
		int rc = fb_err(FB_ERR_PARSE, "cannot tell the format of '%s': "
		    "name it with -f FORMAT (one of: %s)", path, names);

		free(names);
		return rc;
	}
	return 0;
}

/* ---- normalization of one emitted finding ------------------------------ */

struct norm {
	struct store_finding_in f;
	struct store_asset_in assets[MAX_ASSETS];
	struct store_location_in locs[MAX_LOCATIONS];
	char *owned[8 + MAX_ASSETS];
	size_t nowned;
	const char *secrets[32];
	size_t nsecrets;
	char event_time[FB_TIME_LEN];
	char fp[FB_SHA256_HEX];
	char reject[200];
};

static const char *
keep(struct norm *n, char *s)
{
	if (s != NULL && n->nowned < FB_ARRAY_LEN(n->owned))
		n->owned[n->nowned++] = s;
	else if (s != NULL) {
		free(s);
		return NULL;
	}
	return s;
}

static int reject(struct norm *n, const char *fmt, ...) FB_ATTR_PRINTF(2, 3);

static int
reject(struct norm *n, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(n->reject, sizeof(n->reject), fmt, ap);
	va_end(ap);
	return 1;
}

/* A bounded, valid-UTF-8 string field (or NULL). */
static const char *
str_field(struct fblua_ev *ev, const char *key, size_t max, int *bad)
{
	size_t len;
	const char *v = fblua_ev_str(ev, key, &len);
	enum fblua_type t = fblua_ev_type(ev, key);

	if (v == NULL) {
		if (t != FBLUA_T_NONE && t != FBLUA_T_NULL)
			*bad = 1;
		return NULL;
	}
	if (len > max || !fb_utf8_valid(v, len))
		*bad = 1;
	return v;
}

static int
asset_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct norm *n = ud;
	struct store_asset_in *a;
	int bad = 0;
	char *attrs = NULL;

	if (idx == 0 || n->f.nassets >= MAX_ASSETS)
		return 0;
	a = &n->assets[n->f.nassets];
	a->type = str_field(item, "type", 64, &bad);
	a->value = str_field(item, "value", MAX_FIELD, &bad);
	a->role = str_field(item, "role", 64, &bad);
	if (bad || a->type == NULL || a->value == NULL || *a->value == '\0')
		return 0;  /* an incomplete asset is dropped, not fatal */
	if (fblua_ev_type(item, "attributes") == FBLUA_T_TABLE &&
	    fblua_ev_json(item, "attributes", &attrs, NULL) == 0)
		a->attributes = keep(n, attrs);
	n->f.nassets++;
	return 0;
}

static int
loc_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct norm *n = ud;
	struct store_location_in *l;
	int bad = 0;

	if (idx == 0 || n->f.nlocations >= MAX_LOCATIONS)
		return 0;
	l = &n->locs[n->f.nlocations];
	l->host = str_field(item, "host", 256, &bad);
	l->path = str_field(item, "path", MAX_FIELD, &bad);
	l->line = 0;
	fblua_ev_int(item, "line", &l->line);
	if (bad || (l->host == NULL && l->path == NULL))
		return 0;
	n->f.nlocations++;
	return 0;
}

static int
secret_cb(void *ud, const char *key, size_t idx, struct fblua_ev *item)
{
	struct norm *n = ud;
	const char *v = fblua_ev_str(item, "", NULL);

	if (v != NULL && n->nsecrets < FB_ARRAY_LEN(n->secrets))
		n->secrets[n->nsecrets++] = v;
	return 0;
}

static const char *const statuses[] = {
	"open", "acknowledged", "resolved", "false_positive",
};

void
ingest_fingerprint(const char *source, const char *kind,
    const char *identity, char fp[FB_SHA256_HEX])
{
	struct fb_json *j = fb_json_new();
	char *canon;

	fb_json_obj_begin(j);
	fb_json_key(j, "identity");
	fb_json_raw(j, identity);
	fb_json_kstr(j, "kind", kind);
	fb_json_kstr(j, "source", source);
	fb_json_obj_end(j);
	canon = fb_json_finish(j);
	fb_sha256_hex(canon, strlen(canon), fp);
	free(canon);
}

/* Returns 0 ok, 1 rejected (n->reject says why), <0 error. */
static int
normalize(struct run *run, struct fblua_ev *ev, struct norm *n)
{
	struct store_finding_in *f = &n->f;
	const char *sev, *et, *st;
	char *identity = NULL;
	int bad = 0;
	size_t i;

	f->assets = n->assets;
	f->locations = n->locs;
	f->source = str_field(ev, "source", 64, &bad);
	if (f->source == NULL)
		f->source = run->ad->name;
	f->kind = str_field(ev, "kind", 64, &bad);
	if (f->kind == NULL)
		f->kind = "finding";
	f->rule_id = str_field(ev, "rule_id", 512, &bad);
	f->title = str_field(ev, "title", MAX_TITLE, &bad);
	f->detail = str_field(ev, "detail", MAX_DETAIL, &bad);
	f->scope = str_field(ev, "scope", 1024, &bad);
	if (run->o != NULL && run->o->scope != NULL)
		f->scope = run->o->scope;   /* ingest --scope wins */
	if (bad)
		return reject(n, "%s", "a text field is not a bounded UTF-8 "
		    "string");
	if (f->title == NULL || *f->title == '\0')
		return reject(n, "%s", "no title");
	sev = fblua_ev_str(ev, "severity", NULL);
	if (sev == NULL)
		f->severity = 0;
	else if ((f->severity = filter_severity_parse(sev)) < 0)
		return reject(n, "unknown severity '%.40s'", sev);
	if ((et = fblua_ev_str(ev, "event_time", NULL)) != NULL) {
		int64_t t;
		if (fb_time_parse(et, &t, &f->event_time_assumed_utc) != 0)
			return reject(n, "event_time '%.40s' is not RFC 3339",
			    et);
		fb_time_fmt(t, n->event_time);
		f->event_time = n->event_time;
	} else {
		int64_t t;
		if (fblua_ev_int(ev, "event_time", &t) == 0) {
			fb_time_fmt(t, n->event_time);
			f->event_time = n->event_time;
		}
	}
	if ((st = fblua_ev_str(ev, "status", NULL)) != NULL) {
		for (i = 0; i < FB_ARRAY_LEN(statuses); i++)
			if (strcmp(st, statuses[i]) == 0)
				break;
		if (i == FB_ARRAY_LEN(statuses))
			return reject(n, "unknown status '%.40s'", st);
		f->status = statuses[i];
	}
	/* The fingerprint: source, kind and the identity fields, nothing else. */
	if (fblua_ev_type(ev, "identity") != FBLUA_T_TABLE ||
	    fblua_ev_json(ev, "identity", &identity, NULL) != 0)
		return reject(n, "%s", "no identity table");
	if (strcmp(identity, "{}") == 0) {
		free(identity);
		return reject(n, "%s", "an empty identity table");
	}
	f->identity = keep(n, identity);
	ingest_fingerprint(f->source, f->kind, f->identity, n->fp);
	f->fingerprint = n->fp;
	fblua_ev_foreach(ev, "assets", asset_cb, n);
	fblua_ev_foreach(ev, "locations", loc_cb, n);
	fblua_ev_foreach(ev, "secrets", secret_cb, n);
	f->raw = NULL;
	if (fblua_ev_type(ev, "raw") == FBLUA_T_TABLE) {
		char *raw = NULL;
		size_t len = 0;

		if (fblua_ev_json(ev, "raw", &raw, &len) == 0) {
			if (len > run->max_record) {
				free(raw);
				return reject(n, "%s", "raw record over "
				    "ingest.max_record_bytes");
			}
			ingest_mask(raw, len, n->secrets, n->nsecrets,
			    &run->masked);
			free(raw);
			f->raw = run->masked.data;
		}
	}
	return 0;
}

static void
norm_release(struct norm *n)
{
	size_t i;

	for (i = 0; i < n->nowned; i++)
		free(n->owned[i]);
}

static void
note_scope(struct run *run, const char *source, const char *scope)
{
	size_t i;

	if (scope == NULL || *scope == '\0')
		return;
	for (i = 0; i < run->nscopes; i++)
		if (strcmp(run->scopes[i].source, source) == 0 &&
		    strcmp(run->scopes[i].scope, scope) == 0)
			return;
	if (run->nscopes < MAX_SCOPES) {
		run->scopes[run->nscopes].source = xstrdup(source);
		run->scopes[run->nscopes].scope = xstrdup(scope);
		run->nscopes++;
	}
}

/* Titles and details are masked too: a report may quote the secret there. */
static const char *
mask_field(const char *v, const struct norm *n, char **tmp)
{
	struct fb_buf b = FB_BUF_INIT;

	*tmp = NULL;
	if (v == NULL)
		return NULL;
	if (ingest_mask(v, strlen(v), n->secrets, n->nsecrets, &b) == 0) {
		fb_buf_release(&b);
		return v;
	}
	*tmp = fb_buf_detach(&b, NULL);
	return *tmp;
}

struct progress {
	const struct ingest_opts *o;
	uint64_t done, total, last;
};

static void
on_chunk(void *ud, const void *p, size_t n)
{
	struct progress *pg = ud;

	pg->done += n;
	if (pg->done - pg->last >= (8u << 20) || pg->done == pg->total) {
		pg->last = pg->done;
		pg->o->progress(pg->o->progress_ud, pg->done, pg->total);
	}
}

static int
on_emit(void *ud, struct fblua_ev *ev)
{
	struct run *run = ud;
	struct norm *n = xcalloc(1, sizeof(*n));
	char *t1 = NULL, *t2 = NULL;
	char before[32] = "", after[32];
	const char *declared;
	int rc, is_new = 0;

	/* emit{ scope = "...", source = "..." } with no title declares the
	 * scope a report covers, even when it holds no finding. */
	declared = fblua_ev_str(ev, "declare_scope", NULL);
	if (declared != NULL && run->o != NULL && run->o->scope != NULL) {
		free(n);            /* ingest --scope speaks for the input */
		return 0;
	}
	if (declared != NULL) {
		const char *src = fblua_ev_str(ev, "source", NULL);
		note_scope(run, src ? src : run->ad->name, declared);
		free(n);
		return 0;
	}
	/* emit{ declare_assets = {...} }: assets a report names (an SBOM's
	 * components) without a finding about them. */
	if (fblua_ev_type(ev, "declare_assets") == FBLUA_T_TABLE &&
	    fblua_ev_type(ev, "title") == FBLUA_T_NONE) {
		size_t i;
		int64_t aid;

		n->f.assets = n->assets;
		fblua_ev_foreach(ev, "declare_assets", asset_cb, n);
		for (i = 0, rc = 0; i < n->f.nassets && rc == 0; i++)
			rc = store_asset_put(run->s, &n->assets[i], &aid);
		if (rc != 0)
			run->store_err = rc;
		norm_release(n);
		free(n);
		return rc;
	}
	rc = normalize(run, ev, n);
	if (rc == 1) {
		run->r->counts.n_rejected++;
		if (run->r->first_reject[0] == '\0')
			snprintf(run->r->first_reject,
			    sizeof(run->r->first_reject), "%s", n->reject);
		rc = 0;
		goto out;
	}
	if (rc < 0)
		goto out;
	if (run->r->counts.n_new + run->r->counts.n_repeat >= run->max_findings) {
		rc = fb_err(FB_ERR_LIMIT, "'%s' produces more than %lld "
		    "findings (ingest.max_findings)", run->path,
		    (long long)run->max_findings);
		goto out;
	}
	n->f.title = mask_field(n->f.title, n, &t1);
	n->f.detail = mask_field(n->f.detail, n, &t2);
	note_scope(run, n->f.source, n->f.scope);
	/* A source that says "resolved" (an alert) resolves: count it. */
	if (n->f.status != NULL && strcmp(n->f.status, "resolved") == 0 &&
	    (rc = store_finding_status(run->s, n->f.fingerprint, before,
	    sizeof(before))) != 0) {
		run->store_err = rc;
		goto out;
	}
	if ((rc = store_finding_put(run->s, run->ingest_id, &n->f, &is_new)) != 0) {
		run->store_err = rc;
		goto out;
	}
	if (is_new)
		run->r->counts.n_new++;
	else
		run->r->counts.n_repeat++;
	if (!is_new && before[0] != '\0' && strcmp(before, "resolved") != 0) {
		if ((rc = store_finding_status(run->s, n->f.fingerprint, after,
		    sizeof(after))) != 0) {
			run->store_err = rc;
			goto out;
		}
		if (strcmp(after, "resolved") == 0)
			run->r->counts.n_resolved++;
	}
out:
	free(t1);
	free(t2);
	norm_release(n);
	free(n);
	return rc;
}

/* ---- reading the input ------------------------------------------------- */

struct input {
	const char *data;
	size_t len;
	struct fb_map map;  /* a regular file, mapped (slot -1: none) */
	struct fb_buf buf;  /* or read into memory (stdin, pipes) */
};

static int
input_open(const char *path, uint64_t limit, struct input *in)
{
	struct stat st;
	int fd, rc = 0;

	memset(in, 0, sizeof(*in));
	in->map.slot = -1;
	fb_buf_init(&in->buf);
	if (strcmp(path, "-") == 0) {
		if ((rc = fb_buf_read_file(&in->buf, "-", limit)) != 0)
			return rc;
		in->data = in->buf.data;
		in->len = in->buf.len;
		return 0;
	}
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return fb_err(errno == ENOENT ? FB_ERR_NOENT : FB_ERR_IO,
		    "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) != 0) {
		rc = fb_err(FB_ERR_IO, "cannot stat '%s': %s", path,
		    strerror(errno));
	} else if (S_ISDIR(st.st_mode)) {
		rc = fb_err(FB_ERR_INVAL, "'%s' is a directory", path);
	} else if (S_ISREG(st.st_mode)) {
		/* Refused before a byte is read. */
		if ((uint64_t)st.st_size > limit)
			rc = fb_err(FB_ERR_LIMIT, "'%s' is %llu bytes, over "
			    "ingest.max_bytes (%llu)", path,
			    (unsigned long long)st.st_size,
			    (unsigned long long)limit);
		else if (st.st_size > 0) {
			/* A log truncated by rotation while it is read
			 * reads as zeros, then is refused (ingest_input). */
			rc = fb_map_file(fd, (size_t)st.st_size, 0, &in->map);
			if (rc != 0) {
				rc = fb_err(-rc, "cannot map '%s': %s", path,
				    fb_errmsg(rc));
			} else {
				madvise(in->map.base, in->map.len,
				    MADV_SEQUENTIAL);
				in->data = in->map.base;
				in->len = in->map.len;
			}
		} else
			in->data = "";
	} else {
		close(fd);
		fd = -1;
		if ((rc = fb_buf_read_file(&in->buf, path, limit)) == 0) {
			in->data = in->buf.data;
			in->len = in->buf.len;
		}
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

static void
input_close(struct input *in)
{
	fb_map_release(&in->map);
	fb_buf_release(&in->buf);
}

static struct adapter *
find_adapter(struct adapter *ads, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(ads[i].name, name) == 0)
			return &ads[i];
	return NULL;
}

static int ingest_input(struct store *s, const char *path,
    struct input *in, const struct ingest_opts *o, struct ingest_result *r);

int
ingest_file(struct store *s, const char *path, const struct ingest_opts *o,
    struct ingest_result *r)
{
	struct input in;
	int64_t limit;
	int rc;

	memset(r, 0, sizeof(*r));
	if ((rc = store_config_int(s, "ingest.max_bytes", &limit)) != 0)
		return rc;
	if ((rc = input_open(path, (uint64_t)limit, &in)) != 0)
		return rc;
	rc = ingest_input(s, path, &in, o, r);
	input_close(&in);
	return rc;
}

int
ingest_buffer(struct store *s, const char *name, const void *data,
    size_t len, const struct ingest_opts *o, struct ingest_result *r)
{
	struct input in;

	memset(r, 0, sizeof(*r));
	memset(&in, 0, sizeof(in));
	in.map.slot = -1;
	fb_buf_init(&in.buf);
	in.data = data;
	in.len = len;
	return ingest_input(s, name, &in, o, r);
}

static int
ingest_input(struct store *s, const char *path, struct input *inp,
    const struct ingest_opts *o, struct ingest_result *r)
{
	struct adapter ads[MAX_ADAPTERS];
	struct store_ingest rec = { 0 };
	struct run run;
	struct input in = *inp;
	struct fblua *L = NULL;
	size_t nads = 0, i;
	int64_t v;
	int rc, in_tx = 0;

	memset(&run, 0, sizeof(run));
	run.o = o;
	fb_buf_init(&run.raw);
	fb_buf_init(&run.masked);
	fb_sha256_hex(in.data, in.len, r->sha256);
	r->size = in.len;
	if (!o->force) {
		if ((rc = store_ingest_find(s, r->sha256, &r->already)) != 0 ||
		    r->already != 0)
			goto out;
	}
	if ((rc = new_host(s, &L)) != 0)
		goto out;
	if ((rc = load_adapters(L, ads, &nads)) != 0)
		goto out;
	if (o->format != NULL) {
		if ((run.ad = find_adapter(ads, nads, o->format)) == NULL) {
			char *names = adapter_names(ads, nads);
			rc = fb_err(FB_ERR_INVAL, "unknown format '%s' (one "
			    "of: %s)", o->format, names);
			free(names);
			goto out;
		}
	} else if (in.len == 0) {
		rc = fb_err(FB_ERR_PARSE, "'%s' is empty (0 bytes): no report "
		    "to read", path);
		goto out;
	} else if ((rc = detect(L, ads, nads, in.data,
	    in.len < SAMPLE_BYTES ? in.len : SAMPLE_BYTES, path, &run.ad)) != 0)
		goto out;
	/* A JSON document is never 0 bytes (OSV-Scanner, for one, always
	 * writes one): an empty file is a failed run, not a clean one. */
	if (in.len == 0 && !run.ad->jsonl) {
		rc = fb_err(FB_ERR_PARSE, "'%s' is empty (0 bytes): not a %s "
		    "report", path, run.ad->name);
		goto out;
	}
	snprintf(r->format, sizeof(r->format), "%s", run.ad->name);

	run.s = s;
	run.lua = L;
	run.path = path;
	run.r = r;
	run.max_findings = 2000000;
	if (store_config_int(s, "ingest.max_findings", &v) == 0)
		run.max_findings = v;
	run.max_record = 16 << 20;
	if (store_config_int(s, "ingest.max_record_bytes", &v) == 0)
		run.max_record = (size_t)v;
	rec.path = path;
	rec.sha256 = r->sha256;
	rec.size = in.len;
	rec.format = run.ad->name;
	rec.adapter_version = run.ad->version;
	rec.forced = o->force && r->already == 0;
	if (o->force) {
		int64_t prev;
		if (store_ingest_find(s, r->sha256, &prev) == 0 && prev != 0)
			rec.forced = 1;
	}

	if ((rc = store_begin(s)) != 0)
		goto out;
	in_tx = 1;
	if ((rc = store_ingest_start(s, &rec, &run.ingest_id)) != 0)
		goto out;
	fblua_set_emit(L, on_emit, &run);
	if (run.ad->native == NULL && run.ad->prescan != NULL) {
		/* Values a report writes after its records (SARIF's tool and
		 * rules, Grype's source): one pass that builds only those. */
		struct fblua_stream ps = {
			.script = run.ad->script,
			.func = "prescan",
			.record_path = run.ad->prescan,
			.context = (const char *const *)run.ad->context,
			/* sees the context values found after the records */
			.finish = fblua_has_function(L, run.ad->script,
			    "prescan_finish") ? "prescan_finish" : NULL,
		};

		rc = fblua_stream_buf(L, &ps, in.data, in.len, NULL);
	}
	if (rc != 0) {
		/* the prescan failed: nothing more to read */
	} else if (run.ad->native != NULL) {
		/* Gateway logs: parsed and judged in C, a million lines a
		 * second; the adapter only detects and names the format. */
		struct gateway_result gr = { 0 };
		enum gw_format gf;

		if ((rc = gateway_format_find(run.ad->native, &gf)) == 0)
			rc = gateway_ingest(s, run.ingest_id, gf, path, in.data,
			    in.len, &r->counts, &gr);
		r->records = gr.records;
		if (gr.first_reject[0] != '\0')
			snprintf(r->first_reject, sizeof(r->first_reject), "%s",
			    gr.first_reject);
	} else if (run.ad->has_parse_record) {
		struct fblua_stream fs = {
			.script = run.ad->script,
			.func = "parse_record",
			.record_path = run.ad->record_path ?
			    run.ad->record_path : "",
			.jsonl = run.ad->jsonl,
			.context = (const char *const *)run.ad->context,
			.finish = run.ad->has_finish ? "finish" : NULL,
		};
		struct fblua_stream_stats stats = { 0 };
		struct progress pg = { o, 0, in.len, 0 };

		if (o->progress != NULL) {
			fs.tap = on_chunk;
			fs.tap_ud = &pg;
		}
		rc = fblua_stream_buf(L, &fs, in.data, in.len, &stats);
		r->records = stats.records;
	} else if (rc == 0) {
		rc = fblua_call(L, run.ad->script, "parse", NULL, NULL, "lE",
		    in.data, in.len);
		if (rc == 0 && run.ad->has_finish)
			rc = fblua_call(L, run.ad->script, "finish", NULL, NULL,
			    "JE", "{}", (size_t)2);
	}
	if (run.store_err != 0)
		rc = run.store_err;
	/* Zeros read past a cut-short file's end are not the input. */
	if (fb_map_shrunk(&inp->map))
		rc = fb_err(FB_ERR_IO, "'%s' shrank while it was read (a log "
		    "rotated by truncation?); nothing was kept, ingest it "
		    "again", path);
	/* An adapter that raises rejects the input (exit 3), as a parse
	 * error does: a report with a field of the wrong type is bad input. */
	if (rc == -FB_ERR_LUA)
		rc = fb_err(FB_ERR_PARSE, "%s", fb_errmsg(rc));
	if (rc != 0) {
		/* Name the input in the one message the user will see. */
		if (strstr(fb_errmsg(rc), path) == NULL) {
			char *m = xstrdup(fb_errmsg(rc));
			rc = fb_err(-rc, "'%s': %s", path, m);
			free(m);
		}
		goto out;
	}
	if (o != NULL && o->scope != NULL)
		rc = store_ingest_resolve_scope(s, run.ingest_id, NULL,
		    run.ad->name, o->scope, &r->counts);
	for (i = 0; i < run.nscopes && rc == 0; i++)
		rc = store_ingest_resolve_scope(s, run.ingest_id,
		    run.scopes[i].source, NULL, run.scopes[i].scope,
		    &r->counts);
	if (rc == 0)
		rc = store_ingest_finish(s, run.ingest_id, &rec, o->scope ?
		    o->scope : run.nscopes ? run.scopes[0].scope : NULL,
		    &r->counts);
	if (rc == 0) {
		rc = store_commit(s);
		in_tx = 0;
	}
	if (rc == 0)
		r->id = run.ingest_id;
out:
	if (in_tx)
		store_rollback(s);
	for (i = 0; i < run.nscopes; i++) {
		free(run.scopes[i].source);
		free(run.scopes[i].scope);
	}
	for (i = 0; i < nads; i++)
		adapter_release(&ads[i]);
	fblua_free(L);
	fb_buf_release(&run.raw);
	fb_buf_release(&run.masked);
	return rc;
}
