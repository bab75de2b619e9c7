/*
 * knownhosts.c: OpenSSH known_hosts, read by firebreak itself rather than
 * libssh2_knownhost_readfile(), which stops at the first line it cannot
 * parse (silently dropping the rest) and ignores @revoked. Here every line
 * stands alone; plain, wildcard, negated, "[host]:port" and hashed
 * ("|1|salt|hmac") host fields are understood; @revoked is enforced;
 * @cert-authority lines are kept out of plain-key matching.
 * HMAC-SHA1 for hashed names comes from libcrypto.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fleet/fleet.h"

#define KH_MAX_LINE 16384
#define KH_MAX_BYTES (64u << 20)

enum { KH_PLAIN, KH_REVOKED, KH_CA };

struct kh_entry {
	int marker;
	int hashed;
	char *hosts;            /* plain patterns, comma-separated */
	unsigned char salt[64], hash[64];
	size_t saltlen, hashlen;
	char *type;
	unsigned char *key;
	size_t keylen;
};

struct fleet_known {
	struct kh_entry *e;
	size_t n, cap;
	size_t nbad;
	char *first_bad;
};

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *
fleet_base64(const unsigned char *p, size_t n, int pad)
{
	struct fb_buf b = FB_BUF_INIT;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 |
		    p[i + 2];

		fb_buf_addch(&b, b64chars[v >> 18 & 63]);
		fb_buf_addch(&b, b64chars[v >> 12 & 63]);
		fb_buf_addch(&b, b64chars[v >> 6 & 63]);
		fb_buf_addch(&b, b64chars[v & 63]);
	}
	if (n - i == 1) {
		uint32_t v = (uint32_t)p[i] << 16;

		fb_buf_addch(&b, b64chars[v >> 18 & 63]);
		fb_buf_addch(&b, b64chars[v >> 12 & 63]);
		if (pad)
			fb_buf_addstr(&b, "==");
	} else if (n - i == 2) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;

		fb_buf_addch(&b, b64chars[v >> 18 & 63]);
		fb_buf_addch(&b, b64chars[v >> 12 & 63]);
		fb_buf_addch(&b, b64chars[v >> 6 & 63]);
		if (pad)
			fb_buf_addch(&b, '=');
	}
	return fb_buf_detach(&b, NULL);
}

int
fleet_unbase64(const char *s, size_t n, unsigned char **out, size_t *outlen)
{
	unsigned char *o;
	uint32_t acc = 0;
	size_t i, k = 0, bits = 0, padding = 0;

	o = xmalloc(n / 4 * 3 + 3);
	for (i = 0; i < n; i++) {
		const char *c;

		if (s[i] == '=') {
			padding++;
			continue;
		}
		if (padding || (c = memchr(b64chars, s[i], 64)) == NULL ||
		    s[i] == '\0') {
			free(o);
			return -FB_ERR_PARSE;
		}
		acc = acc << 6 | (uint32_t)(c - b64chars);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	if (padding > 2 || bits >= 6 || (n > 0 && k == 0)) {
		free(o);
		return -FB_ERR_PARSE;
	}
	*out = o;
	*outlen = k;
	return 0;
}

void
fleet_fingerprint(const unsigned char *key, size_t len, char out[FLEET_FP_LEN])
{
	unsigned char md[32];
	unsigned int mdlen = 0;
	char *b;

	EVP_Digest(key, len, md, &mdlen, EVP_sha256(), NULL);
	b = fleet_base64(md, sizeof(md), 0);
	snprintf(out, FLEET_FP_LEN, "SHA256:%s", b);
	free(b);
}

struct fleet_known *
fleet_known_new(void)
{
	return xcalloc(1, sizeof(struct fleet_known));
}

void
fleet_known_free(struct fleet_known *k)
{
	size_t i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++) {
		free(k->e[i].hosts);
		free(k->e[i].type);
		free(k->e[i].key);
	}
	free(k->e);
	free(k->first_bad);
	free(k);
}

const char *
fleet_known_bad(const struct fleet_known *k, size_t *nbad)
{
	*nbad = k->nbad;
	return k->first_bad;
}

static const char *
next_field(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *f;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	f = s;
	while (s < end && *s != ' ' && *s != '\t')
		s++;
	*len = (size_t)(s - f);
	*p = s;
	return *len ? f : NULL;
}

int
fleet_known_add_line(struct fleet_known *k, const char *line, size_t n,
    const char *where)
{
	const char *p = line, *end = line + n, *f;
	struct kh_entry e;
	size_t fl;
	unsigned char *blob = NULL;
	size_t bloblen = 0;
	uint32_t tl;

	memset(&e, 0, sizeof(e));
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == end || *p == '#')
		return 0;
	if (n > KH_MAX_LINE)
		goto bad;
	if ((f = next_field(&p, end, &fl)) == NULL)
		return 0;
	if (*f == '@') {
		if (fl == 8 && memcmp(f, "@revoked", 8) == 0)
			e.marker = KH_REVOKED;
		else if (fl == 15 && memcmp(f, "@cert-authority", 15) == 0)
			e.marker = KH_CA;
		else
			goto bad;
		if ((f = next_field(&p, end, &fl)) == NULL)
			goto bad;
	}
	if (fl > 3 && memcmp(f, "|1|", 3) == 0) {
		const char *bar = memchr(f + 3, '|', fl - 3);
		unsigned char *s = NULL, *h = NULL;
		size_t sl, hl;

		if (bar == NULL ||
		    fleet_unbase64(f + 3, (size_t)(bar - f - 3), &s, &sl) != 0)
			goto bad;
		if (fleet_unbase64(bar + 1, (size_t)(f + fl - bar - 1), &h,
		    &hl) != 0) {
			free(s);
			goto bad;
		}
		if (sl != 20 || hl != 20) {
			free(s);
			free(h);
			goto bad;
		}
		memcpy(e.salt, s, sl);
		memcpy(e.hash, h, hl);
		e.saltlen = sl;
		e.hashlen = hl;
		e.hashed = 1;
		free(s);
		free(h);
	} else {
		size_t i;

		for (i = 0; i < fl; i++)
			if ((unsigned char)f[i] < 0x21 ||
			    (unsigned char)f[i] == 0x7f)
				goto bad;
		e.hosts = xstrndup(f, fl);
	}
	if ((f = next_field(&p, end, &fl)) == NULL || fl > 64)
		goto bad;
	e.type = xstrndup(f, fl);
	if ((f = next_field(&p, end, &fl)) == NULL ||
	    fleet_unbase64(f, fl, &blob, &bloblen) != 0)
		goto bad;
	/* The blob starts with its own type name: they must agree. */
	if (bloblen < 4)
		goto bad;
	tl = (uint32_t)blob[0] << 24 | (uint32_t)blob[1] << 16 |
	    (uint32_t)blob[2] << 8 | blob[3];
	if (tl != strlen(e.type) || bloblen < 4 + (size_t)tl ||
	    memcmp(blob + 4, e.type, tl) != 0)
		goto bad;
	e.key = blob;
	e.keylen = bloblen;
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 16;
		k->e = xrealloc(k->e, k->cap * sizeof(*k->e));
	}
	k->e[k->n++] = e;
	return 1;
bad:
	free(blob);
	free(e.hosts);
	free(e.type);
	k->nbad++;
	if (k->first_bad == NULL && where != NULL)
		k->first_bad = xstrdup(where);
	return -FB_ERR_PARSE;
}

int
fleet_known_load(struct fleet_known *k, const char *path)
{
	struct fb_buf b = FB_BUF_INIT;
	const char *s, *end;
	size_t lineno = 0;
	int rc;

	if ((rc = fb_buf_read_file(&b, path, KH_MAX_BYTES)) != 0) {
		fb_buf_release(&b);
		fb_err_clear();
		/* A missing file is an empty one; others are reported. */
		return rc == -FB_ERR_NOENT || rc == -FB_ERR_IO ? 0 : rc;
	}
	s = b.data;
	end = b.data + b.len;
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		size_t n = nl ? (size_t)(nl - s) : (size_t)(end - s);
		char where[512];

		lineno++;
		if (n > 0 && s[n - 1] == '\r')
			n--;
		snprintf(where, sizeof(where), "%s:%zu", path, lineno);
		(void)fleet_known_add_line(k, s, n, where);
		s += (nl ? (size_t)(nl - s) + 1 : n);
	}
	fb_buf_release(&b);
	return 0;
}

static char *
lookup_name(const char *host, int port)
{
	char *s = port == 22 ? xstrdup(host) : xasprintf("[%s]:%d", host, port);
	char *c;

	for (c = s; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	return s;
}

/* OpenSSH's match_pattern: only '*' and '?' are special ('[' is not). */
static int
wild(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			while (p[1] == '*')
				p++;
			if (p[1] == '\0')
				return 1;
			for (; *s; s++)
				if (wild(p + 1, s))
					return 1;
			return 0;
		}
		if (*s == '\0' || (*p != '?' && *p != *s))
			return 0;
	}
	return *s == '\0';
}

/* OpenSSH's match_hostname: 1 match, 0 none, -1 negated match. */
static int
match_patterns(const char *list, const char *name)
{
	char *l = xstrdup(list), *p, *save = NULL;
	int got = 0;

	for (p = strtok_r(l, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		int neg = *p == '!';
		char *q = p + neg, *c;

		for (c = q; *c; c++)
			*c = (char)tolower((unsigned char)*c);
		if (wild(q, name)) {
			if (neg) {
				got = -1;
				break;
			}
			got = 1;
		}
	}
	free(l);
	return got;
}

static int
match_hashed(const struct kh_entry *e, const char *name)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (HMAC(EVP_sha1(), e->salt, (int)e->saltlen,
	    (const unsigned char *)name, strlen(name), md, &mdlen) == NULL)
		return 0;
	return mdlen == e->hashlen && memcmp(md, e->hash, mdlen) == 0;
}

static int
entry_matches(const struct kh_entry *e, char *const *names, size_t nnames)
{
	size_t i;

	for (i = 0; i < nnames; i++) {
		if (e->hashed ? match_hashed(e, names[i]) :
		    match_patterns(e->hosts, names[i]) == 1)
			return 1;
	}
	return 0;
}

static size_t
names_for(const char *name, const char *addr, int port, char *out[2])
{
	size_t n = 0;

	out[n++] = lookup_name(addr, port);
	if (name != NULL && strcasecmp(name, addr) != 0)
		out[n++] = lookup_name(name, port);
	return n;
}

enum fleet_hostkey_status
fleet_known_check(const struct fleet_known *k, const char *name,
    const char *addr, int port, const char *keytype,
    const unsigned char *key, size_t keylen)
{
	enum fleet_hostkey_status st = FLEET_HK_UNKNOWN;
	char *names[2];
	size_t nn = names_for(name, addr, port, names), i;
	int known = 0, same = 0, revoked = 0;

	for (i = 0; i < k->n; i++) {
		const struct kh_entry *e = &k->e[i];
		int eq = e->keylen == keylen && memcmp(e->key, key, keylen) == 0 &&
		    strcmp(e->type, keytype) == 0;

		if (e->marker == KH_CA)
			continue;
		if (e->marker == KH_REVOKED) {
			/* A revoked key is revoked for any host it names. */
			if (eq && (entry_matches(e, names, nn) ||
			    (e->hosts && strcmp(e->hosts, "*") == 0)))
				revoked = 1;
			continue;
		}
		if (!entry_matches(e, names, nn))
			continue;
		known = 1;
		if (eq)
			same = 1;
	}
	if (revoked)
		st = FLEET_HK_REVOKED;
	else if (same)
		st = FLEET_HK_OK;
	else if (known)
		st = FLEET_HK_CHANGED;
	for (i = 0; i < nn; i++)
		free(names[i]);
	return st;
}

char *
fleet_known_types(const struct fleet_known *k, const char *name,
    const char *addr, int port)
{
	static const char *const supported[] = { "ssh-ed25519",
		"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
		"ecdsa-sha2-nistp521", "ssh-rsa" };
	struct fb_buf b = FB_BUF_INIT;
	char *names[2];
	size_t nn = names_for(name, addr, port, names), i, t;

	/* In libssh2's supported order, known types only, so the server
	 * offers a key the user has recorded (ed25519 over ECDSA). */
	for (t = 0; t < FB_ARRAY_LEN(supported); t++) {
		for (i = 0; i < k->n; i++) {
			const struct kh_entry *e = &k->e[i];

			if (e->marker != KH_PLAIN ||
			    strcmp(e->type, supported[t]) != 0 ||
			    !entry_matches(e, names, nn))
				continue;
			fb_buf_addf(&b, "%s%s", b.len ? "," : "", supported[t]);
			break;
		}
	}
	for (i = 0; i < nn; i++)
		free(names[i]);
	return fb_buf_detach(&b, NULL);
}

char *
fleet_known_line(const char *addr, int port, const char *keytype,
    const unsigned char *key, size_t keylen)
{
	char *b64 = fleet_base64(key, keylen, 1), *name, *line;

	name = lookup_name(addr, port);
	line = xasprintf("%s %s %s\n", name, keytype, b64);
	free(name);
	free(b64);
	return line;
}
