/*
 * formats.c: one gateway record to one struct gw_event. Every raw key
 * (an Authorization header, an api_key query parameter, a key field) is
 * hashed here into its key id and the copy wiped: nothing after this file
 * ever holds a secret. Untrusted fields are copied bounded; pure, no
 * allocation, fuzzed by fuzz/fuzz-gateway.c.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "gateway/gateway-int.h"

#define RAW_KEY_MAX 512

static const char hexd[] = "0123456789abcdef";

void
gw_key_hex(uint64_t id, char out[17])
{
	int i;

	for (i = 15; i >= 0; i--) {
		out[i] = hexd[id & 0xf];
		id >>= 4;
	}
	out[16] = '\0';
}

static int
hex_nibble(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int
gw_key_id_hex(const char *s, size_t n, uint64_t *id)
{
	uint64_t x = 0;
	size_t i;

	if (n != 16 && n != 64)
		return -1;
	for (i = 0; i < n; i++) {
		int h = hex_nibble(s[i]);

		if (h < 0)
			return -1;
		if (i < 16)
			x = (x << 4) | (uint64_t)h;
	}
	*id = x;
	return 0;
}

uint64_t
gw_key_id_raw(const char *key, size_t n)
{
	char hex[FB_SHA256_HEX];
	uint64_t id = 0;

	fb_sha256_hex(key, n, hex);
	gw_key_id_hex(hex, 64, &id);
	explicit_bzero(hex, sizeof(hex));
	return id;
}

/* A raw key: strip "Bearer ", hash, wipe the copy. Empty gives nothing. */
static void
set_raw_key(struct gw_event *ev, const char *k, size_t n)
{
	while (n > 0 && (*k == ' ' || *k == '\t')) {
		k++;
		n--;
	}
	if (n > 7 && strncasecmp(k, "Bearer ", 7) == 0) {
		k += 7;
		n -= 7;
	}
	while (n > 0 && (k[n - 1] == ' ' || k[n - 1] == '\t'))
		n--;
	if (n == 0 || (n == 1 && *k == '-'))
		return;
	ev->key = gw_key_id_raw(k, n);
	ev->has_key = 1;
}

/* A JSON string holding a raw key, unescaped into a wiped buffer. */
static void
json_raw_key(struct gw_event *ev, const struct gw_jval *v)
{
	char buf[RAW_KEY_MAX];
	size_t n;

	if (v->type != GW_J_STR)
		return;
	if ((n = gw_json_str(v, buf, sizeof(buf))) != (size_t)-1)
		set_raw_key(ev, buf, n);
	explicit_bzero(buf, sizeof(buf));
}

/* A key hash or id as given (LiteLLM hashes, firebreak key ids). */
static int
json_key_hash(struct gw_event *ev, const struct gw_jval *v)
{
	uint64_t id;

	if (v->type != GW_J_STR || v->esc ||
	    gw_key_id_hex(v->p, v->n, &id) != 0)
		return -1;
	ev->key = id;
	ev->has_key = 1;
	return 0;
}

static void
copy_str(const struct gw_jval *v, char *out, size_t cap)
{
	if (v->type != GW_J_STR || gw_json_str(v, out, cap) == (size_t)-1)
		out[0] = '\0';
}

static int
set_time_text(struct gw_event *ev, const char *s, size_t n)
{
	char buf[64];
	int64_t t;
	int assumed;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (fb_time_parse(buf, &t, &assumed) != 0)
		return -1;
	ev->time = t;
	ev->assumed_utc = assumed;
	ev->has_time = 1;
	return 0;
}

/* A time as RFC 3339 text, or epoch seconds (milliseconds if huge). */
static int
json_time(struct gw_event *ev, const struct gw_jval *v)
{
	int64_t t;

	if (v->type == GW_J_NUM) {
		if (gw_json_int(v, &t) != 0 || t < 0)
			return -1;
		if (t > 100000000000LL)
			t /= 1000;
		ev->time = t;
		ev->has_time = 1;
		ev->assumed_utc = 0;
		return 0;
	}
	if (v->type == GW_J_STR && !v->esc)
		return set_time_text(ev, v->p, v->n);
	return -1;
}

static void
json_int(const struct gw_jval *v, int64_t *out)
{
	int64_t x;

	if (gw_json_int(v, &x) == 0 && x >= 0)
		*out = x;
}

/* An IP from "a.b.c.d", "a.b.c.d:port", "[v6]:port" or an XFF list. */
static void
set_ip(struct gw_event *ev, const char *s, size_t n)
{
	size_t i, k = 0;

	while (n > 0 && *s == ' ') {
		s++;
		n--;
	}
	for (i = 0; i < n && s[i] != ',' && s[i] != ' '; i++)
		;
	n = i;
	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			;
		s++;
		n = i - 1;
	} else {
		size_t colons = 0, last = 0;

		for (i = 0; i < n; i++)
			if (s[i] == ':') {
				colons++;
				last = i;
			}
		if (colons == 1)
			n = last;  /* v4 with a port */
	}
	if (n == 0 || n >= GW_IP_LEN || (n == 1 && *s == '-'))
		return;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!(isxdigit((unsigned char)c) || c == '.' || c == ':'))
			return;  /* not an address: ignore it */
		ev->ip[k++] = c;
	}
	ev->ip[k] = '\0';
}

static void
json_ip(struct gw_event *ev, const struct gw_jval *v)
{
	char buf[256];
	size_t n;

	if (v->type != GW_J_STR || (n = gw_json_str(v, buf, sizeof(buf))) ==
	    (size_t)-1)
		return;
	set_ip(ev, buf, n);
}

/*
 * A request target: the path goes to ev->route without its query; a key
 * in the query (api_key, apikey, key, access_token) is hashed.
 */
static void
set_target(struct gw_event *ev, const char *s, size_t n)
{
	size_t q, i;

	for (q = 0; q < n && s[q] != '?'; q++)
		;
	if (q < sizeof(ev->route)) {
		memcpy(ev->route, s, q);
		ev->route[q] = '\0';
	} else
		ev->route[0] = '\0';
	for (i = q + 1; i < n && !ev->has_key;) {
		size_t e = i, eq;

		while (e < n && s[e] != '&')
			e++;
		for (eq = i; eq < e && s[eq] != '='; eq++)
			;
		if (eq < e) {
			size_t kl = eq - i;

			if ((kl == 7 && memcmp(s + i, "api_key", 7) == 0) ||
			    (kl == 6 && memcmp(s + i, "apikey", 6) == 0) ||
			    (kl == 3 && memcmp(s + i, "key", 3) == 0) ||
			    (kl == 12 && memcmp(s + i, "access_token", 12) == 0)) {
				char buf[RAW_KEY_MAX];
				size_t j, o = 0;

				/* percent-decode the value */
				for (j = eq + 1; j < e && o < sizeof(buf); j++) {
					int h1, h2;

					if (s[j] == '%' && j + 2 < e &&
					    (h1 = hex_nibble(s[j + 1])) >= 0 &&
					    (h2 = hex_nibble(s[j + 2])) >= 0) {
						buf[o++] = (char)(h1 * 16 + h2);
						j += 2;
					} else
						buf[o++] = s[j] == '+' ? ' ' : s[j];
				}
				if (j == e)
					set_raw_key(ev, buf, o);
				explicit_bzero(buf, sizeof(buf));
			}
		}
		i = e + 1;
	}
}

static void
json_target(struct gw_event *ev, const struct gw_jval *v)
{
	char buf[4096];
	size_t n;

	if (v->type != GW_J_STR || (n = gw_json_str(v, buf, sizeof(buf))) ==
	    (size_t)-1)
		return;
	set_target(ev, buf, n);
	explicit_bzero(buf, n);
}

/* ---- firebreak's own gateway event ------------------------------------- */

struct rec {
	struct gw_event *ev;
	struct gw_jval metadata, error_info;
	int has_metadata, has_error_info, failure, has_status;
	char *why;
	size_t whylen;
};

static int
event_member(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct rec *r = ud;
	struct gw_event *ev = r->ev;

	if (gw_json_is(k, kl, "time"))
		json_time(ev, v);
	else if (gw_json_is(k, kl, "key_id")) {
		if (json_key_hash(ev, v) != 0 && v->type == GW_J_STR)
			snprintf(r->why, r->whylen, "%s", "key_id is not 16 hex "
			    "digits");
	} else if (gw_json_is(k, kl, "key"))
		json_raw_key(ev, v);
	else if (gw_json_is(k, kl, "client_ip"))
		json_ip(ev, v);
	else if (gw_json_is(k, kl, "route"))
		json_target(ev, v);
	else if (gw_json_is(k, kl, "model"))
		copy_str(v, ev->model, sizeof(ev->model));
	else if (gw_json_is(k, kl, "status")) {
		int64_t x;
		if (gw_json_int(v, &x) == 0 && x >= 0 && x < 1000)
			ev->status = (int)x;
	} else if (gw_json_is(k, kl, "tokens_in"))
		json_int(v, &ev->tokens_in);
	else if (gw_json_is(k, kl, "tokens_out"))
		json_int(v, &ev->tokens_out);
	else if (gw_json_is(k, kl, "latency_ms"))
		json_int(v, &ev->latency_ms);
	else if (gw_json_is(k, kl, "request_id"))
		copy_str(v, ev->request_id, sizeof(ev->request_id));
	else if (gw_json_is(k, kl, "owner"))
		copy_str(v, ev->owner, sizeof(ev->owner));
	else if (gw_json_is(k, kl, "rate_limited") && v->type == GW_J_TRUE)
		ev->rl = 1;
	return 0;
}

/* ---- LiteLLM: SpendLogs rows and StandardLoggingPayload ---------------- */

static int
litellm_error(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct rec *r = ud;
	int64_t code;
	char cls[64];

	if (gw_json_is(k, kl, "error_code") && gw_json_int(v, &code) == 0 &&
	    code >= 100 && code < 1000)
		r->ev->status = (int)code;
	else if (gw_json_is(k, kl, "error_class")) {
		copy_str(v, cls, sizeof(cls));
		if (strcmp(cls, "RateLimitError") == 0)
			r->ev->rl = 1;
		else if (strcmp(cls, "AuthenticationError") == 0 &&
		    r->ev->status == 0)
			r->ev->status = 401;
	}
	return 0;
}

static int
litellm_meta(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct rec *r = ud;
	struct gw_event *ev = r->ev;

	if ((gw_json_is(k, kl, "user_api_key_hash") ||
	    gw_json_is(k, kl, "user_api_key")) && !ev->has_key)
		json_key_hash(ev, v);
	else if (gw_json_is(k, kl, "requester_ip_address") && ev->ip[0] == '\0')
		json_ip(ev, v);
	else if ((gw_json_is(k, kl, "user_api_key_user_id") ||
	    gw_json_is(k, kl, "user_api_key_alias")) && ev->owner[0] == '\0')
		copy_str(v, ev->owner, sizeof(ev->owner));
	else if (gw_json_is(k, kl, "error_information") &&
	    v->type == GW_J_OBJ && !r->has_error_info)
		gw_json_object(v->p, v->n, litellm_error, r, NULL);
	return 0;
}

static int
litellm_member(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct rec *r = ud;
	struct gw_event *ev = r->ev;

	if (gw_json_is(k, kl, "request_id") || gw_json_is(k, kl, "id"))
		copy_str(v, ev->request_id, sizeof(ev->request_id));
	else if (gw_json_is(k, kl, "api_key")) {
		/* SpendLogs store a hash; anything else is a raw key. */
		if (v->type == GW_J_STR && json_key_hash(ev, v) != 0)
			json_raw_key(ev, v);
	} else if (gw_json_is(k, kl, "startTime"))
		json_time(ev, v);
	else if (gw_json_is(k, kl, "model"))
		copy_str(v, ev->model, sizeof(ev->model));
	else if (gw_json_is(k, kl, "call_type"))
		copy_str(v, ev->route, sizeof(ev->route));
	else if (gw_json_is(k, kl, "requester_ip_address"))
		json_ip(ev, v);
	else if (gw_json_is(k, kl, "prompt_tokens"))
		json_int(v, &ev->tokens_in);
	else if (gw_json_is(k, kl, "completion_tokens"))
		json_int(v, &ev->tokens_out);
	else if (gw_json_is(k, kl, "user") || gw_json_is(k, kl, "end_user")) {
		if (ev->owner[0] == '\0')
			copy_str(v, ev->owner, sizeof(ev->owner));
	} else if (gw_json_is(k, kl, "status")) {
		char st[16];
		copy_str(v, st, sizeof(st));
		r->has_status = 1;
		r->failure = strcmp(st, "success") != 0;
	} else if (gw_json_is(k, kl, "metadata")) {
		r->metadata = *v;
		r->has_metadata = 1;
	} else if (gw_json_is(k, kl, "error_information") &&
	    v->type == GW_J_OBJ) {
		r->error_info = *v;
		r->has_error_info = 1;
	} else if (gw_json_is(k, kl, "response_time")) {
		/* seconds, as a float */
		int64_t s;
		if (gw_json_int(v, &s) == 0 && s >= 0)
			ev->latency_ms = s * 1000;
	}
	return 0;
}

/* The spend log's metadata is JSON inside a string: unescape, scan. */
static void
litellm_metadata(struct rec *r)
{
	static char buf[1 << 16];
	size_t n;

	if (r->metadata.type == GW_J_OBJ) {
		gw_json_object(r->metadata.p, r->metadata.n, litellm_meta, r,
		    NULL);
		return;
	}
	if (r->metadata.type != GW_J_STR)
		return;
	if ((n = gw_json_str(&r->metadata, buf, sizeof(buf))) == (size_t)-1)
		return;
	/* malformed inner JSON is ignored: the outer record stands */
	gw_json_object(buf, n, litellm_meta, r, NULL);
	explicit_bzero(buf, n);
}

static void
litellm_finish(struct rec *r)
{
	struct gw_event *ev = r->ev;

	if (r->has_error_info)
		gw_json_object(r->error_info.p, r->error_info.n, litellm_error,
		    r, NULL);
	/* The metadata is scanned only when it can add something: it is
	 * the largest part of a SpendLogs row. */
	if (r->has_metadata && (!ev->has_key || ev->ip[0] == '\0' ||
	    (r->failure && ev->status == 0)))
		litellm_metadata(r);
	if (r->has_status && !r->failure)
		ev->status = 200;
	else if (r->failure && ev->status == 0)
		ev->status = ev->rl ? 429 : 500;
	if (ev->status == 429)
		ev->rl = 1;
}

/* ---- Envoy JSON access log --------------------------------------------- */

static int
envoy_member(void *ud, const char *k, size_t kl, const struct gw_jval *v)
{
	struct rec *r = ud;
	struct gw_event *ev = r->ev;

	if (gw_json_is(k, kl, "start_time") || gw_json_is(k, kl, "time"))
		json_time(ev, v);
	else if (gw_json_is(k, kl, "response_code")) {
		int64_t x;
		if (gw_json_int(v, &x) == 0 && x >= 0 && x < 1000)
			ev->status = (int)x;
	} else if (gw_json_is(k, kl, "response_flags")) {
		char f[128], *tok, *save = NULL;

		copy_str(v, f, sizeof(f));
		for (tok = strtok_r(f, ",", &save); tok != NULL;
		    tok = strtok_r(NULL, ",", &save))
			if (strcmp(tok, "RL") == 0)
				ev->rl = 1;
	} else if (gw_json_is(k, kl, "response_code_details")) {
		char d[64];

		copy_str(v, d, sizeof(d));
		if (strstr(d, "rate_limited") != NULL)
			ev->rl = 1;
	} else if (gw_json_is(k, kl, "x-request-id") ||
	    gw_json_is(k, kl, "request_id"))
		copy_str(v, ev->request_id, sizeof(ev->request_id));
	else if (gw_json_is(k, kl, "x-forwarded-for") ||
	    gw_json_is(k, kl, "client_ip"))
		json_ip(ev, v);
	else if (gw_json_is(k, kl, "downstream_remote_address")) {
		if (ev->ip[0] == '\0')
			json_ip(ev, v);
	} else if (gw_json_is(k, kl, "path") ||
	    gw_json_is(k, kl, "x-envoy-origin-path") ||
	    gw_json_is(k, kl, ":path"))
		json_target(ev, v);
	else if (gw_json_is(k, kl, "authorization") ||
	    gw_json_is(k, kl, "x-api-key") || gw_json_is(k, kl, "api-key"))
		json_raw_key(ev, v);
	else if (gw_json_is(k, kl, "key_id"))
		json_key_hash(ev, v);
	else if (gw_json_is(k, kl, "duration"))
		json_int(v, &ev->latency_ms);
	else if (gw_json_is(k, kl, "input_tokens") ||
	    gw_json_is(k, kl, "llm_input_token") ||
	    gw_json_is(k, kl, "tokens_in"))
		json_int(v, &ev->tokens_in);
	else if (gw_json_is(k, kl, "output_tokens") ||
	    gw_json_is(k, kl, "llm_output_token") ||
	    gw_json_is(k, kl, "tokens_out"))
		json_int(v, &ev->tokens_out);
	else if (gw_json_is(k, kl, "model") ||
	    gw_json_is(k, kl, "x-ai-eg-model") ||
	    gw_json_is(k, kl, "request_model"))
		copy_str(v, ev->model, sizeof(ev->model));
	return 0;
}

int
gw_parse_json(enum gw_format fmt, const char *p, size_t n,
    struct gw_event *ev, size_t *used, char *why, size_t whylen)
{
	struct rec r;
	gw_member_cb cb;

	memset(ev, 0, sizeof(*ev));
	memset(&r, 0, sizeof(r));
	r.ev = ev;
	r.why = why;
	r.whylen = whylen;
	why[0] = '\0';
	switch (fmt) {
	case GW_FMT_EVENT: cb = event_member; break;
	case GW_FMT_LITELLM: cb = litellm_member; break;
	case GW_FMT_ENVOY: cb = envoy_member; break;
	default: return -1;
	}
	if (gw_json_object(p, n, cb, &r, used) != 0)
		return -1;
	if (fmt == GW_FMT_LITELLM)
		litellm_finish(&r);
	if (ev->status == 429)
		ev->rl = 1;
	if (why[0] != '\0')
		return 1;
	if (!ev->has_time) {
		snprintf(why, whylen, "%s", "no usable time");
		return 1;
	}
	return 0;
}

/* ---- NGINX combined ---------------------------------------------------- */

static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";

/* "10/Oct/2000:13:55:36 -0700" */
static int
nginx_time(struct gw_event *ev, const char *s, size_t n)
{
	char buf[40];
	int m;

	if (n != 26 || s[2] != '/' || s[6] != '/' || s[11] != ':' ||
	    s[20] != ' ')
		return -1;
	for (m = 0; m < 12; m++)
		if (memcmp(months + m * 3, s + 3, 3) == 0)
			break;
	if (m == 12)
		return -1;
	snprintf(buf, sizeof(buf), "%.4s-%02d-%.2sT%.8s%c%.2s:%.2s", s + 7,
	    m + 1, s, s + 12, s[21], s + 22, s + 24);
	return set_time_text(ev, buf, strlen(buf));
}

/* The next space-delimited token at *i. */
static int
token(const char *p, size_t n, size_t *i, const char **t, size_t *tl)
{
	size_t s = *i;

	while (*i < n && p[*i] != ' ')
		(*i)++;
	if (*i == s)
		return -1;
	*t = p + s;
	*tl = *i - s;
	if (*i < n)
		(*i)++;
	return 0;
}

int
gw_parse_nginx(const char *p, size_t n, struct gw_event *ev, char *why,
    size_t whylen)
{
	const char *t, *req;
	size_t i = 0, tl, reql, k;
	int64_t status = 0;

	memset(ev, 0, sizeof(*ev));
	why[0] = '\0';
	if (n > 0 && p[n - 1] == '\r')
		n--;
	/* $remote_addr - $remote_user [$time_local] */
	if (token(p, n, &i, &t, &tl) != 0)
		return -1;
	set_ip(ev, t, tl);
	if (token(p, n, &i, &t, &tl) != 0 || token(p, n, &i, &t, &tl) != 0)
		return -1;
	if (i >= n || p[i] != '[')
		return -1;
	for (k = i + 1; k < n && p[k] != ']'; k++)
		;
	if (k >= n || nginx_time(ev, p + i + 1, k - i - 1) != 0)
		return -1;
	i = k + 1;
	if (i + 1 >= n || p[i] != ' ' || p[i + 1] != '"')
		return -1;
	/* "$request": nginx writes a quote inside as \x22 */
	req = p + i + 2;
	for (k = i + 2; k < n && p[k] != '"'; k++)
		;
	if (k >= n)
		return -1;
	reql = (size_t)(p + k - req);
	i = k + 1;
	if (i < n && p[i] == ' ')
		i++;
	if (token(p, n, &i, &t, &tl) != 0 || tl != 3)
		return -1;
	for (k = 0; k < 3; k++) {
		if (t[k] < '0' || t[k] > '9')
			return -1;
		status = status * 10 + (t[k] - '0');
	}
	ev->status = (int)status;
	if (status == 429)
		ev->rl = 1;
	/* METHOD TARGET PROTOCOL */
	{
		size_t a = 0, b;

		while (a < reql && req[a] != ' ')
			a++;
		for (b = a + 1; b < reql && req[b] != ' '; b++)
			;
		if (a < reql)
			set_target(ev, req + a + 1, b - a - 1);
	}
	(void)why;
	(void)whylen;
	return 0;
}
