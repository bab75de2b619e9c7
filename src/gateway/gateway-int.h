/* gateway-int.h: shared by the files of the gateway module only. */
#ifndef FB_GATEWAY_INT_H
#define FB_GATEWAY_INT_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "gateway/gateway.h"

/* ---- jscan.c: validating JSON scanner, no tree ------------------------ */
enum gw_jtype {
	GW_J_STR, GW_J_NUM, GW_J_TRUE, GW_J_FALSE, GW_J_NULL, GW_J_OBJ,
	GW_J_ARR,
};
/* A value as a slice of the input; for strings, the bytes between quotes. */
struct gw_jval {
	enum gw_jtype type;
	const char *p;
	size_t n;
	int esc;        /* a string holding backslash escapes */
};
/* key is not NUL-terminated; for array items it is NULL. */
typedef int (*gw_member_cb)(void *ud, const char *key, size_t klen,
    const struct gw_jval *v);
/* One value (after optional whitespace); 0 or -1 if malformed. */
int gw_json_value(const char *p, size_t n, struct gw_jval *v, size_t *used);
/*
 * One object: validated as a whole, each top-level member to cb. Returns
 * 0, -1 if malformed, or cb's nonzero return. used (may be NULL) gets the
 * bytes consumed.
 */
int gw_json_object(const char *p, size_t n, gw_member_cb cb, void *ud,
    size_t *used);
/* Each item of an array value. */
int gw_json_array(const struct gw_jval *arr, gw_member_cb cb, void *ud);
/* Unescape a string into out (NUL-terminated); (size_t)-1 if over cap. */
size_t gw_json_str(const struct gw_jval *v, char *out, size_t cap);
/* An integer from a number or a numeric string (a fraction truncated). */
int gw_json_int(const struct gw_jval *v, int64_t *out);
/* key[0..klen) is the string literal lit (a macro: no strlen per call). */
#define gw_json_is(key, klen, lit)                                        \
	((klen) == sizeof(lit) - 1 &&                                    \
	    memcmp((key), (lit), sizeof(lit) - 1) == 0)

/* ---- formats.c: one record to one event ------------------------------- */
#define GW_IP_LEN 48
#define GW_REQID_LEN 48  /* longer request ids are cut */

struct gw_event {
	int64_t time;
	int has_time, assumed_utc;
	uint64_t key;              /* key id as a number */
	int has_key;
	int status;                /* HTTP status, 0 unknown */
	int rl;                    /* rate limited: 429 or Envoy RL */
	int64_t tokens_in, tokens_out, latency_ms;
	char ip[GW_IP_LEN];
	char request_id[GW_REQID_LEN];
	char route[128];
	char model[96];
	char owner[64];
};

/*
 * Parse one JSON record (an object) of format fmt into ev. Returns 0, 1
 * when the record is well-formed but unusable (why[] says why), or -1
 * when it is not valid JSON.
 */
int gw_parse_json(enum gw_format fmt, const char *p, size_t n,
    struct gw_event *ev, size_t *used, char *why, size_t whylen);
/* One NGINX combined line (without its newline): 0, 1 unusable, -1 bad. */
int gw_parse_nginx(const char *p, size_t n, struct gw_event *ev,
    char *why, size_t whylen);
/* The key id of a raw key (the first 16 hex digits of its SHA-256). */
uint64_t gw_key_id_raw(const char *key, size_t n);
/* A key id or a 64-hex key hash as given: 0 and *id, or -1. */
int gw_key_id_hex(const char *s, size_t n, uint64_t *id);
void gw_key_hex(uint64_t id, char out[17]);

#endif
