/*
 * detect.c: the gateway detectors. Every subject (a key id, or a client
 * IP) has one open window on event time, aligned to gateway.window. When
 * a subject's next event falls in a later window, or the input's latest
 * event is past the window's end, the window closes: it is judged, and a
 * key's window is folded into its EWMA baseline (requests and output
 * tokens, mean and variance) unless it was anomalous, so an extraction
 * never teaches the baseline that it is normal. Windows still open at the
 * end of an input are judged as they stand and kept, with the baselines,
 * in gateway_state for the next input: two consecutive slices of a log
 * give the findings and baselines the whole log gives.
 *
 * Rules (one finding per rule, subject and window; the fingerprint is
 * rule + subject + window start, so a re-read window is a repeat, while a
 * window judged at the end of one input and again when it closes in the
 * next is one sighting, counted once):
 *   gateway.revoked-key          critical  any use at or after revocation
 *   gateway.extraction           high      volume or output tokens over
 *                                          factor x mean and mean + k sd
 *   gateway.credential-stuffing  high      401/403 to one IP over N
 *   gateway.rate-limit           medium    429/RL of a key (or a keyless
 *                                          IP) over N
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway-int.h"
#include "ingest/ingest.h"
#include "json/json.h"

/* Bounds on memory: keys are few; client IPs are swept (see ip_sweep). */
#define GW_MAX_KEYS 200000
#define GW_MAX_IPS 200000
#define GW_SAMPLES 5

enum {
	R_REVOKED = 1 << 0,
	R_EXTRACT = 1 << 1,
	R_STUFFING = 1 << 2,
	R_RATELIMIT = 1 << 3,
};

struct samples {
	char all[GW_SAMPLES][GW_REQID_LEN];
	char flag[GW_SAMPLES][GW_REQID_LEN];
	unsigned nall, nflag;
};

/* One window's counts. */
struct win {
	int open;
	int64_t start, first, last;
	int64_t req, in, out, rl, auth, revoked, reported;
	int assumed_utc;        /* a time in it had no zone: taken as UTC */
	struct samples *smp;
};

struct subj {
	uint64_t key;
	char ip[GW_IP_LEN];     /* "" for keys */
	unsigned is_ip : 1, dirty : 1, seen : 1, revoked : 1;
	int64_t revoked_at;
	/* baseline over closed active windows */
	int64_t n;
	double req_mean, req_var, out_mean, out_var;
	/* the open window, and one for events older than it (an older log
	 * read after a newer one): judged, never folded into the baseline */
	struct win o, late;
	/* this input, for the keys table */
	int64_t seen_first, seen_last, seen_req;
	char owner[64];
};

struct cfg {
	int64_t window, rl, stuffing, factor, sigmas, min_req, min_out;
	int64_t span, min_windows;
	double alpha;
};

struct run {
	struct store *s;
	int64_t ingest_id;
	enum gw_format fmt;
	const char *path;
	struct store_ingest_counts *c;
	struct gateway_result *r;
	struct cfg cfg;
	struct subj **slots;
	size_t cap, n, nkeys, nips;
	uint64_t untracked;
	int64_t max_time;
	int64_t max_record;
	int64_t max_findings;
};

static const char *const fmt_names[] = {
	[GW_FMT_EVENT] = "firebreak-gateway",
	[GW_FMT_LITELLM] = "litellm",
	[GW_FMT_ENVOY] = "envoy",
	[GW_FMT_NGINX] = "nginx",
};

int
gateway_format_find(const char *name, enum gw_format *fmt)
{
	size_t i;

	for (i = 0; i < FB_ARRAY_LEN(fmt_names); i++)
		if (strcmp(name, fmt_names[i]) == 0) {
			*fmt = (enum gw_format)i;
			return 0;
		}
	return fb_err(FB_ERR_INVAL, "unknown native gateway format '%s'", name);
}

/* ---- subjects ---------------------------------------------------------- */

static uint64_t
mix(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t
subj_hash(int is_ip, uint64_t key, const char *ip)
{
	uint64_t h = 1469598103934665603ULL;

	if (!is_ip)
		return mix(key);
	for (; *ip; ip++)
		h = (h ^ (unsigned char)*ip) * 1099511628211ULL;
	return mix(h ^ 0x5bd1e995);
}

static int
subj_eq(const struct subj *sj, int is_ip, uint64_t key, const char *ip)
{
	if (sj->is_ip != is_ip)
		return 0;
	return is_ip ? strcmp(sj->ip, ip) == 0 : sj->key == key;
}

static void
table_rehash(struct run *run, size_t ncap)
{
	size_t i;
	struct subj **ns = xcalloc(ncap, sizeof(*ns));

	for (i = 0; i < run->cap; i++) {
		struct subj *sj = run->slots[i];
		size_t k;

		if (sj == NULL)
			continue;
		k = subj_hash(sj->is_ip, sj->key, sj->ip) & (ncap - 1);
		while (ns[k] != NULL)
			k = (k + 1) & (ncap - 1);
		ns[k] = sj;
	}
	free(run->slots);
	run->slots = ns;
	run->cap = ncap;
}

static void
table_grow(struct run *run)
{
	table_rehash(run, run->cap ? run->cap * 2 : 1024);
}

/* Find a subject; create it when create is set. NULL: absent, or limit. */
static struct subj *
subj_get(struct run *run, int is_ip, uint64_t key, const char *ip,
    int create, int *limit)
{
	struct subj *sj;
	size_t k;

	if (run->cap == 0)
		table_grow(run);
	k = subj_hash(is_ip, key, ip) & (run->cap - 1);
	while ((sj = run->slots[k]) != NULL) {
		if (subj_eq(sj, is_ip, key, ip))
			return sj;
		k = (k + 1) & (run->cap - 1);
	}
	if (!create)
		return NULL;
	if ((is_ip && run->nips >= GW_MAX_IPS) ||
	    (!is_ip && run->nkeys >= GW_MAX_KEYS)) {
		*limit = 1;
		return NULL;
	}
	sj = xcalloc(1, sizeof(*sj));
	sj->is_ip = is_ip ? 1 : 0;
	sj->key = key;
	if (is_ip)
		snprintf(sj->ip, sizeof(sj->ip), "%s", ip);
	run->slots[k] = sj;
	if (is_ip)
		run->nips++;
	else
		run->nkeys++;
	if (++run->n * 2 > run->cap)
		table_grow(run);
	return sj;
}

static void
subj_name(const struct subj *sj, char out[GW_IP_LEN + 8])
{
	char hex[17];

	if (sj->is_ip) {
		snprintf(out, GW_IP_LEN + 8, "ip:%s", sj->ip);
	} else {
		gw_key_hex(sj->key, hex);
		snprintf(out, GW_IP_LEN + 8, "key:%s", hex);
	}
}

/* ---- findings ---------------------------------------------------------- */

static void
window_label(int64_t w, char *out, size_t n)
{
	if (w % 3600 == 0)
		snprintf(out, n, "%lldh", (long long)(w / 3600));
	else if (w % 60 == 0)
		snprintf(out, n, "%lldm", (long long)(w / 60));
	else
		snprintf(out, n, "%llds", (long long)w);
}

static void
json_samples(struct fb_json *j, const char *key, char (*v)[GW_REQID_LEN],
    unsigned n)
{
	unsigned i;

	fb_json_key(j, key);
	fb_json_arr_begin(j);
	for (i = 0; i < n; i++)
		fb_json_str(j, v[i]);
	fb_json_arr_end(j);
}

static void
json_time(struct fb_json *j, const char *key, int64_t t)
{
	char buf[FB_TIME_LEN];

	fb_time_fmt(t, buf);
	fb_json_kstr(j, key, buf);
}

static void
json_num(struct fb_json *j, const char *key, double v)
{
	/* two decimals are plenty for a baseline; fb_json has no floats */
	char buf[64];

	snprintf(buf, sizeof(buf), "%.2f", v);
	fb_json_key(j, key);
	fb_json_raw(j, buf);
}

static int
emit(struct run *run, struct subj *sj, const struct win *w, int rule)
{
	static const struct {
		int rule;
		const char *id;
		int severity;
	} rules[] = {
		{ R_REVOKED, "gateway.revoked-key", 4 },
		{ R_EXTRACT, "gateway.extraction", 3 },
		{ R_STUFFING, "gateway.credential-stuffing", 3 },
		{ R_RATELIMIT, "gateway.rate-limit", 2 },
	};
	struct store_finding_in f;
	struct store_asset_in asset;
	struct fb_json *j;
	char name[GW_IP_LEN + 8], wstart[FB_TIME_LEN], etime[FB_TIME_LEN];
	char wl[32], fp[FB_SHA256_HEX], *identity, *detail, *title = NULL;
	const char *who;
	size_t i;
	int rc, is_new = 0;
	double rq = 0, ro = 0;

	if (run->c->n_new + run->c->n_repeat >= run->max_findings)
		return fb_err(FB_ERR_LIMIT, "'%s' produces more than %lld "
		    "findings (ingest.max_findings)", run->path,
		    (long long)run->max_findings);
	for (i = 0; i < FB_ARRAY_LEN(rules); i++)
		if (rules[i].rule == rule)
			break;
	subj_name(sj, name);
	who = name + (sj->is_ip ? 3 : 4);
	fb_time_fmt(w->start, wstart);
	fb_time_fmt(w->first, etime);
	window_label(run->cfg.window, wl, sizeof(wl));

	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "rule", rules[i].id);
	fb_json_kstr(j, "subject", name);
	fb_json_kstr(j, "window", wstart);
	fb_json_obj_end(j);
	identity = fb_json_finish(j);
	ingest_fingerprint("gateway", "gateway", identity, fp);

	if (sj->req_mean > 0)
		rq = (double)w->req / sj->req_mean;
	if (sj->out_mean > 0)
		ro = (double)w->out / sj->out_mean;
	switch (rule) {
	case R_REVOKED:
		title = xasprintf("revoked key %s used %lld times in %s "
		    "after its revocation", who, (long long)w->revoked, wl);
		break;
	case R_EXTRACT:
		title = xasprintf("key %s pulled %.0fx its usual %s in %s "
		    "(%lld requests, %lld output tokens): possible model "
		    "extraction", who, ro > rq ? ro : rq,
		    ro > rq ? "output tokens" : "request volume", wl,
		    (long long)w->req, (long long)w->out);
		break;
	case R_STUFFING:
		title = xasprintf("client %s got %lld 401/403 responses in %s: "
		    "credential stuffing", who, (long long)w->auth, wl);
		break;
	default:
		title = xasprintf("%s %s was rate-limited %lld times in %s",
		    sj->is_ip ? "client" : "key", who, (long long)w->rl, wl);
		break;
	}

	/* The evidence window. */
	j = fb_json_new();
	fb_json_obj_begin(j);
	fb_json_kstr(j, "rule", rules[i].id);
	fb_json_kstr(j, "subject", name);
	json_time(j, "window_start", w->start);
	json_time(j, "window_end", w->start + run->cfg.window);
	json_time(j, "first", w->first);
	json_time(j, "last", w->last);
	fb_json_kint(j, "requests", w->req);
	fb_json_kint(j, "tokens_in", w->in);
	fb_json_kint(j, "tokens_out", w->out);
	fb_json_kint(j, "rate_limited", w->rl);
	fb_json_kint(j, "auth_failures", w->auth);
	fb_json_kint(j, "revoked_uses", w->revoked);
	if (sj->revoked) {
		json_time(j, "revoked_at", sj->revoked_at);
	}
	if (rule == R_EXTRACT) {
		fb_json_key(j, "baseline");
		fb_json_obj_begin(j);
		fb_json_kint(j, "windows", sj->n);
		json_num(j, "requests_mean", sj->req_mean);
		json_num(j, "requests_sd", sqrt(sj->req_var));
		json_num(j, "tokens_out_mean", sj->out_mean);
		json_num(j, "tokens_out_sd", sqrt(sj->out_var));
		fb_json_obj_end(j);
		fb_json_kint(j, "factor", run->cfg.factor);
	} else if (rule == R_STUFFING)
		fb_json_kint(j, "threshold", run->cfg.stuffing);
	else if (rule == R_RATELIMIT)
		fb_json_kint(j, "threshold", run->cfg.rl);
	if (w->smp != NULL)
		json_samples(j, "sample_request_ids", rule == R_EXTRACT ?
		    w->smp->all : w->smp->flag, rule == R_EXTRACT ?
		    w->smp->nall : w->smp->nflag);
	fb_json_obj_end(j);
	detail = fb_json_finish(j);

	memset(&f, 0, sizeof(f));
	asset.type = sj->is_ip ? "ip" : "key";
	asset.value = who;
	asset.role = "subject";
	asset.attributes = NULL;
	f.fingerprint = fp;
	f.identity = identity;
	f.source = "gateway";
	f.kind = "gateway";
	f.rule_id = rules[i].id;
	f.title = title;
	f.detail = detail;
	f.severity = rules[i].severity;
	f.event_time = etime;
	f.event_time_assumed_utc = w->assumed_utc;
	f.raw = detail;
	f.assets = &asset;
	f.nassets = 1;
	/* Reported when an earlier input ended with the window open: the
	 * same detection, now with the whole window's counts. */
	f.same_sighting = (w->reported & rule) != 0;
	rc = store_finding_put(run->s, run->ingest_id, &f, &is_new);
	if (rc == 0) {
		if (is_new)
			run->c->n_new++;
		else
			run->c->n_repeat++;
	}
	free(identity);
	free(detail);
	free(title);
	return rc;
}

/* ---- windows ----------------------------------------------------------- */

static int
anomalous(const struct cfg *cfg, double x, double mean, double var,
    int64_t floor)
{
	return x >= (double)floor && x > (double)cfg->factor * mean &&
	    x > mean + (double)cfg->sigmas * sqrt(var);
}

static int
judge(struct run *run, const struct subj *sj, const struct win *w)
{
	const struct cfg *cfg = &run->cfg;
	int fired = 0;

	if (w->revoked > 0)
		fired |= R_REVOKED;
	if (!sj->is_ip && sj->n >= cfg->min_windows &&
	    (anomalous(cfg, (double)w->req, sj->req_mean, sj->req_var,
	    cfg->min_req) || anomalous(cfg, (double)w->out, sj->out_mean,
	    sj->out_var, cfg->min_out)))
		fired |= R_EXTRACT;
	if (sj->is_ip && w->auth > cfg->stuffing)
		fired |= R_STUFFING;
	if (w->rl > cfg->rl)
		fired |= R_RATELIMIT;
	return fired;
}

static int
emit_all(struct run *run, struct subj *sj, const struct win *w, int fired)
{
	int bit, rc;

	for (bit = 1; bit <= R_RATELIMIT; bit <<= 1)
		if ((fired & bit) && (rc = emit(run, sj, w, bit)) != 0)
			return rc;
	return 0;
}

static void
ewma(double alpha, int64_t n, double x, double *mean, double *var)
{
	double d, inc;

	if (n == 0) {
		*mean = x;
		*var = 0;
		return;
	}
	d = x - *mean;
	inc = alpha * d;
	*mean += inc;
	*var = (1 - alpha) * (*var + d * inc);
}

static void
win_reset(struct win *w)
{
	struct samples *smp = w->smp;

	memset(w, 0, sizeof(*w));
	if (smp != NULL) {
		smp->nall = smp->nflag = 0;
		w->smp = smp;
	}
}

/* Judge a window and empty it; fold it into the baseline if asked. */
static int
window_close(struct run *run, struct subj *sj, struct win *w, int fold)
{
	int fired = judge(run, sj, w), rc;

	if ((rc = emit_all(run, sj, w, fired)) != 0)
		return rc;
	if (fold && !sj->is_ip && !(fired & R_EXTRACT) && w->req > 0) {
		ewma(run->cfg.alpha, sj->n, (double)w->req, &sj->req_mean,
		    &sj->req_var);
		ewma(run->cfg.alpha, sj->n, (double)w->out, &sj->out_mean,
		    &sj->out_var);
		sj->n++;
	}
	win_reset(w);
	sj->dirty = 1;
	return 0;
}

static int64_t
sat_add(int64_t a, int64_t b)
{
	return a > INT64_MAX - b ? INT64_MAX : a + b;
}

static void
sample(char (*v)[GW_REQID_LEN], unsigned *n, const char *id)
{
	if (*n < GW_SAMPLES && id[0] != '\0')
		snprintf(v[(*n)++], GW_REQID_LEN, "%s", id);
}

static int
subj_add(struct run *run, struct subj *sj, const struct gw_event *ev,
    int64_t at, int auth)
{
	struct win *w = &sj->o;
	int flagged = 0, rc;

	if (w->open && at > w->start) {
		if ((rc = window_close(run, sj, w, 1)) != 0)
			return rc;
	} else if (w->open && at < w->start) {
		/* Older than the open window: an older log, or a log read
		 * again. Its windows are rebuilt in the late slot, judged
		 * against the baseline as it is, and never folded into it. */
		w = &sj->late;
		if (w->open && at != w->start &&
		    (rc = window_close(run, sj, w, 0)) != 0)
			return rc;
	}
	if (!w->open) {
		w->open = 1;
		w->start = at;
		w->first = w->last = ev->time;
	}
	if (ev->time < w->first)
		w->first = ev->time;
	if (ev->time > w->last)
		w->last = ev->time;
	w->req++;
	if (ev->assumed_utc)
		w->assumed_utc = 1;
	w->in = sat_add(w->in, ev->tokens_in);
	w->out = sat_add(w->out, ev->tokens_out);
	if (ev->rl) {
		w->rl++;
		flagged = 1;
	}
	if (auth) {
		w->auth++;
		flagged = 1;
	}
	if (!sj->is_ip && sj->revoked && ev->time >= sj->revoked_at) {
		w->revoked++;
		flagged = 1;
	}
	if (ev->request_id[0] != '\0' && (flagged || !sj->is_ip)) {
		if (w->smp == NULL)
			w->smp = xcalloc(1, sizeof(*w->smp));
		sample(w->smp->all, &w->smp->nall, ev->request_id);
		if (flagged)
			sample(w->smp->flag, &w->smp->nflag, ev->request_id);
	}
	if (!sj->is_ip) {
		if (!sj->seen || ev->time < sj->seen_first)
			sj->seen_first = ev->time;
		if (!sj->seen || ev->time > sj->seen_last)
			sj->seen_last = ev->time;
		sj->seen = 1;
		sj->seen_req++;
		if (sj->owner[0] == '\0' && ev->owner[0] != '\0' &&
		    fb_utf8_valid(ev->owner, strlen(ev->owner)))
			snprintf(sj->owner, sizeof(sj->owner), "%s", ev->owner);
	}
	sj->dirty = 1;
	return 0;
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int state_save(struct run *run, struct subj *sj);

/*
 * Too many client IPs at once: close every IP window that the stream has
 * passed, and forget IPs with nothing open (their state row goes too).
 * What is still open stays; new IPs beyond the bound are not tracked.
 */
static int
ip_sweep(struct run *run)
{
	size_t i;
	int rc;

	for (i = 0; i < run->cap; i++) {
		struct subj *sj = run->slots[i];

		if (sj == NULL || !sj->is_ip)
			continue;
		if (sj->late.open &&
		    (rc = window_close(run, sj, &sj->late, 0)) != 0)
			return rc;
		if (sj->o.open &&
		    sj->o.start + run->cfg.window <= run->max_time &&
		    (rc = window_close(run, sj, &sj->o, 0)) != 0)
			return rc;
		if (sj->o.open)
			continue;
		if ((rc = state_save(run, sj)) != 0)
			return rc;
		free(sj->o.smp);
		free(sj->late.smp);
		free(sj);
		run->slots[i] = NULL;
		run->nips--;
		run->n--;
	}
	table_rehash(run, run->cap);
	return 0;
}

static int
on_event(struct run *run, const struct gw_event *ev)
{
	int64_t w = floor_div(ev->time, run->cfg.window) * run->cfg.window;
	int auth = ev->status == 401 || ev->status == 403, limit = 0, rc;
	struct subj *sj;

	if (ev->time > run->max_time)
		run->max_time = ev->time;
	if (ev->has_key) {
		/* A failed login with an unknown key makes no subject: the
		 * stuffing detector counts it per IP. */
		sj = subj_get(run, 0, ev->key, NULL, !auth, &limit);
		if (sj != NULL && (rc = subj_add(run, sj, ev, w, auth)) != 0)
			return rc;
	}
	if (limit)
		return fb_err(FB_ERR_LIMIT, "'%s' names more than %d keys",
		    run->path, GW_MAX_KEYS);
	if (ev->ip[0] != '\0' && (auth || (ev->rl && !ev->has_key))) {
		sj = subj_get(run, 1, 0, ev->ip, 1, &limit);
		if (sj == NULL && limit) {
			if ((rc = ip_sweep(run)) != 0)
				return rc;
			limit = 0;
			sj = subj_get(run, 1, 0, ev->ip, 1, &limit);
		}
		if (sj == NULL)
			run->untracked++;
		else if ((rc = subj_add(run, sj, ev, w, auth)) != 0)
			return rc;
	}
	return 0;
}

/* ---- state across ingests ---------------------------------------------- */

static int
sample_item(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct { char (*v)[GW_REQID_LEN]; unsigned *n; } *a = ud;
	char buf[GW_REQID_LEN];

	if (*a->n < GW_SAMPLES && v->type == GW_J_STR &&
	    gw_json_str(v, buf, sizeof(buf)) != (size_t)-1)
		sample(a->v, a->n, buf);
	return 0;
}

static int
samples_member(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct samples *s = ud;
	struct { char (*v)[GW_REQID_LEN]; unsigned *n; } a;

	if (v->type != GW_J_ARR)
		return 0;
	if (gw_json_is(k, kl, "all")) {
		a.v = s->all;
		a.n = &s->nall;
	} else if (gw_json_is(k, kl, "flag")) {
		a.v = s->flag;
		a.n = &s->nflag;
	} else
		return 0;
	gw_json_array(v, sample_item, &a);
	return 0;
}

static int
state_loaded(void *ud, const struct store_gw_state *g)
{
	struct run *run = ud;
	struct subj *sj;
	struct win *w;
	uint64_t key = 0;
	int is_ip = strcmp(g->kind, "ip") == 0, limit = 0;

	if (!is_ip && gw_key_id_hex(g->subject, strlen(g->subject), &key) != 0)
		return 0;
	if (is_ip && strlen(g->subject) >= GW_IP_LEN)
		return 0;
	if ((sj = subj_get(run, is_ip, key, g->subject, 1, &limit)) == NULL)
		return fb_err(FB_ERR_LIMIT, "too many gateway subjects stored");
	w = &sj->o;
	if (g->window != run->cfg.window) {
		/* gateway.window changed: counts in other windows do not
		 * compare, start again */
		sj->dirty = 1;
		return 0;
	}
	sj->n = g->n_windows;
	sj->req_mean = g->req_mean;
	sj->req_var = g->req_var;
	sj->out_mean = g->out_mean;
	sj->out_var = g->out_var;
	if (g->o_start != 0) {
		w->open = 1;
		w->start = g->o_start;
		w->first = g->o_first;
		w->last = g->o_last;
		w->req = g->o_req;
		w->in = g->o_in;
		w->out = g->o_out;
		w->rl = g->o_rl;
		w->auth = g->o_auth;
		w->revoked = g->o_revoked;
		w->reported = g->o_reported;
		w->assumed_utc = g->o_assumed_utc;
		if (g->o_samples != NULL) {
			w->smp = xcalloc(1, sizeof(*w->smp));
			gw_json_object(g->o_samples, strlen(g->o_samples),
			    samples_member, w->smp, NULL);
		}
	}
	return 0;
}

static int
revoked_loaded(void *ud, const char *id, int64_t at)
{
	struct run *run = ud;
	struct subj *sj;
	uint64_t key;
	int limit = 0;

	if (gw_key_id_hex(id, strlen(id), &key) != 0)
		return 0;
	if ((sj = subj_get(run, 0, key, NULL, 1, &limit)) == NULL)
		return fb_err(FB_ERR_LIMIT, "too many revoked keys");
	sj->revoked = 1;
	sj->revoked_at = at;
	return 0;
}

static int
state_save(struct run *run, struct subj *sj)
{
	struct store_gw_state g;
	const struct win *w = &sj->o;
	char name[GW_IP_LEN + 8], *smp = NULL;
	int rc;

	memset(&g, 0, sizeof(g));
	subj_name(sj, name);
	g.kind = sj->is_ip ? "ip" : "key";
	g.subject = name + (sj->is_ip ? 3 : 4);
	g.window = run->cfg.window;
	g.n_windows = sj->n;
	g.req_mean = sj->req_mean;
	g.req_var = sj->req_var;
	g.out_mean = sj->out_mean;
	g.out_var = sj->out_var;
	if (w->open) {
		g.o_start = w->start;
		g.o_first = w->first;
		g.o_last = w->last;
		g.o_req = w->req;
		g.o_in = w->in;
		g.o_out = w->out;
		g.o_rl = w->rl;
		g.o_auth = w->auth;
		g.o_revoked = w->revoked;
		g.o_reported = w->reported;
		g.o_assumed_utc = w->assumed_utc;
		if (w->smp != NULL) {
			struct fb_json *j = fb_json_new();

			fb_json_obj_begin(j);
			json_samples(j, "all", w->smp->all, w->smp->nall);
			json_samples(j, "flag", w->smp->flag, w->smp->nflag);
			fb_json_obj_end(j);
			smp = fb_json_finish(j);
			g.o_samples = smp;
		}
	}
	rc = store_gw_state_put(run->s, &g);
	free(smp);
	return rc;
}

static int
finish(struct run *run)
{
	size_t i;
	int rc;

	for (i = 0; i < run->cap; i++) {
		struct subj *sj = run->slots[i];
		struct win *w;

		if (sj == NULL)
			continue;
		w = &sj->o;
		if (sj->late.open &&
		    (rc = window_close(run, sj, &sj->late, 0)) != 0)
			return rc;
		if (w->open && w->start + run->cfg.window <= run->max_time) {
			if ((rc = window_close(run, sj, w, 1)) != 0)
				return rc;
		} else if (w->open && sj->dirty) {
			/* judged as it stands; judged again when it closes */
			int fired = judge(run, sj, w);

			if ((rc = emit_all(run, sj, w, fired)) != 0)
				return rc;
			w->reported |= fired;
		}
		if (sj->seen) {
			char hex[17];

			gw_key_hex(sj->key, hex);
			if ((rc = store_key_seen(run->s, hex,
			    fmt_names[run->fmt],
			    sj->owner[0] ? sj->owner : NULL, sj->seen_first,
			    sj->seen_last, sj->seen_req)) != 0)
				return rc;
		}
		if (sj->dirty && (rc = state_save(run, sj)) != 0)
			return rc;
	}
	return 0;
}

static int
load_cfg(struct store *s, struct cfg *c)
{
	static const struct {
		const char *key;
		size_t off;
		int64_t min;
	} keys[] = {
#define CFG(k, f, min) { "gateway." k, offsetof(struct cfg, f), min }
		CFG("window", window, 1),
		CFG("ratelimit_threshold", rl, 0),
		CFG("stuffing_threshold", stuffing, 0),
		CFG("anomaly_factor", factor, 1),
		CFG("anomaly_sigmas", sigmas, 0),
		CFG("anomaly_min_requests", min_req, 0),
		CFG("anomaly_min_output_tokens", min_out, 0),
		CFG("baseline_windows", span, 1),
		CFG("baseline_min_windows", min_windows, 0),
#undef CFG
	};
	size_t i;
	int rc;

	for (i = 0; i < FB_ARRAY_LEN(keys); i++) {
		int64_t *v = (int64_t *)((char *)c + keys[i].off);

		if ((rc = store_config_int(s, keys[i].key, v)) != 0)
			return rc;
		if (*v < keys[i].min)
			*v = keys[i].min;
	}
	c->alpha = 2.0 / ((double)c->span + 1.0);
	return 0;
}

/* ---- reading the input ------------------------------------------------- */

static uint64_t
line_of(const char *data, size_t off)
{
	uint64_t line = 1;
	const char *p = data, *end = data + off;

	while ((p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		line++;
		p++;
	}
	return line;
}

static void
rejected(struct run *run, uint64_t line, const char *why)
{
	run->r->rejected++;
	run->c->n_rejected++;
	if (run->r->first_reject[0] == '\0')
		snprintf(run->r->first_reject, sizeof(run->r->first_reject),
		    "line %llu: %s", (unsigned long long)line, why);
}

static int
one_json(struct run *run, const char *data, size_t len, size_t *pos)
{
	struct gw_event ev;
	char why[160];
	size_t used = 0;
	int rc;

	rc = gw_parse_json(run->fmt, data + *pos, len - *pos, &ev, &used, why,
	    sizeof(why));
	if (rc < 0)
		return fb_err(FB_ERR_PARSE, "'%s': line %llu: malformed JSON "
		    "record", run->path,
		    (unsigned long long)line_of(data, *pos + 1));
	if (used > (size_t)run->max_record)
		return fb_err(FB_ERR_LIMIT, "'%s': line %llu: a record over "
		    "ingest.max_record_bytes", run->path,
		    (unsigned long long)line_of(data, *pos));
	run->r->records++;
	if (rc == 0 && ev.time <= 0) {
		snprintf(why, sizeof(why), "%s", "a time before 1970");
		rc = 1;
	}
	if (rc == 1)
		rejected(run, line_of(data, *pos + 1), why);
	else if ((rc = on_event(run, &ev)) != 0)
		return rc;
	*pos += used;
	return 0;
}

static size_t
ws(const char *p, size_t n, size_t i)
{
	while (i < n && (p[i] == ' ' || p[i] == '\n' || p[i] == '\r' ||
	    p[i] == '\t'))
		i++;
	return i;
}

/* JSON Lines, concatenated objects, or one array of objects. */
static int
read_json(struct run *run, const char *data, size_t len)
{
	size_t pos = ws(data, len, 0);
	int rc;

	if (pos < len && data[pos] == '[') {
		pos = ws(data, len, pos + 1);
		if (pos < len && data[pos] == ']')
			pos++;
		else
			for (;;) {
				if ((rc = one_json(run, data, len, &pos)) != 0)
					return rc;
				pos = ws(data, len, pos);
				if (pos < len && data[pos] == ',') {
					pos = ws(data, len, pos + 1);
					continue;
				}
				if (pos < len && data[pos] == ']') {
					pos++;
					break;
				}
				return fb_err(FB_ERR_PARSE, "'%s': line %llu: "
				    "expected , or ] in the array", run->path,
				    (unsigned long long)line_of(data, pos));
			}
		pos = ws(data, len, pos);
		if (pos != len)
			return fb_err(FB_ERR_PARSE, "'%s': line %llu: data "
			    "after the array", run->path,
			    (unsigned long long)line_of(data, pos));
		return 0;
	}
	while ((pos = ws(data, len, pos)) < len)
		if ((rc = one_json(run, data, len, &pos)) != 0)
			return rc;
	return 0;
}

static int
read_lines(struct run *run, const char *data, size_t len)
{
	size_t pos = 0;
	uint64_t line = 0;
	int rc;

	while (pos < len) {
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - data) : len;
		struct gw_event ev;
		char why[160];

		line++;
		if (end - pos > (size_t)run->max_record)
			return fb_err(FB_ERR_LIMIT, "'%s': line %llu: a line "
			    "over ingest.max_record_bytes", run->path,
			    (unsigned long long)line);
		if (end > pos && !(end - pos == 1 && data[pos] == '\r')) {
			run->r->records++;
			rc = gw_parse_nginx(data + pos, end - pos, &ev, why,
			    sizeof(why));
			if (rc < 0)
				rejected(run, line, "not an NGINX combined "
				    "log line");
			else if (rc > 0 || ev.time <= 0)
				rejected(run, line, rc > 0 ? why :
				    "a time before 1970");
			else {
				snprintf(ev.request_id, sizeof(ev.request_id),
				    "line:%llu", (unsigned long long)line);
				if ((rc = on_event(run, &ev)) != 0)
					return rc;
			}
		}
		pos = end + 1;
	}
	return 0;
}

int
gateway_ingest(struct store *s, int64_t ingest_id, enum gw_format fmt,
    const char *path, const char *data, size_t len,
    struct store_ingest_counts *c, struct gateway_result *r)
{
	struct run run;
	size_t i;
	int rc;

	memset(&run, 0, sizeof(run));
	memset(r, 0, sizeof(*r));
	run.s = s;
	run.ingest_id = ingest_id;
	run.fmt = fmt;
	run.path = path;
	run.c = c;
	run.r = r;
	run.max_time = INT64_MIN;
	run.max_record = 16 << 20;
	store_config_int(s, "ingest.max_record_bytes", &run.max_record);
	run.max_findings = 2000000;
	store_config_int(s, "ingest.max_findings", &run.max_findings);
	if ((rc = load_cfg(s, &run.cfg)) != 0)
		goto out;
	if ((rc = store_gw_state_load(s, state_loaded, &run)) != 0)
		goto out;
	if ((rc = store_keys_revoked(s, revoked_loaded, &run)) != 0)
		goto out;
	if (fmt == GW_FMT_NGINX)
		rc = read_lines(&run, data, len);
	else
		rc = read_json(&run, data, len);
	if (rc == 0)
		rc = finish(&run);
	r->untracked = run.untracked;
out:
	for (i = 0; i < run.cap; i++) {
		if (run.slots[i] != NULL) {
			free(run.slots[i]->o.smp);
			free(run.slots[i]->late.smp);
			free(run.slots[i]);
		}
	}
	free(run.slots);
	return rc;
}
