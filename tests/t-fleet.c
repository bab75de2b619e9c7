/* t-fleet.c: known_hosts semantics, base64, quoting (src/fleet). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fleet/fleet.h"
#include "tap.h"

/* An SSH wire blob of type type with a 32-byte body of byte fill. */
static size_t
blob(unsigned char *out, const char *type, int fill)
{
	size_t tl = strlen(type), n = 0;

	out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = (unsigned char)tl;
	memcpy(out + n, type, tl);
	n += tl;
	out[n++] = 0; out[n++] = 0; out[n++] = 0; out[n++] = 32;
	memset(out + n, fill, 32);
	return n + 32;
}

static char *
line(const char *hosts, const char *type, int fill)
{
	unsigned char b[128];
	size_t n = blob(b, type, fill);
	char *b64 = fleet_base64(b, n, 1), *l;

	l = xasprintf("%s %s %s", hosts, type, b64);
	free(b64);
	return l;
}

static void
add(struct fleet_known *k, const char *hosts, const char *type, int fill)
{
	char *l = line(hosts, type, fill);

	fleet_known_add_line(k, l, strlen(l), "test");
	free(l);
}

static int
check(struct fleet_known *k, const char *name, const char *addr, int port,
    const char *type, int fill)
{
	unsigned char b[128];
	size_t n = blob(b, type, fill);

	return fleet_known_check(k, name, addr, port, type, b, n);
}

int
main(void)
{
	struct fleet_known *k = fleet_known_new();
	struct fb_buf q = FB_BUF_INIT;
	struct fleet_host h;
	unsigned char *dec = NULL, salt[20], md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *s, *hs, *hh, *types;
	size_t n, nbad;

	plan(20);

	add(k, "gpu-01", "ssh-ed25519", 1);
	is_int(check(k, "gpu-01", "10.0.0.1", 22, "ssh-ed25519", 1), FLEET_HK_OK,
	    "a plain name matches on port 22");
	is_int(check(k, "gpu-01", "10.0.0.1", 2222, "ssh-ed25519", 1),
	    FLEET_HK_UNKNOWN, "a plain name is not [name]:2222 (as OpenSSH)");
	is_int(check(k, "gpu-01", "10.0.0.1", 22, "ssh-ed25519", 2),
	    FLEET_HK_CHANGED, "another key for a known name is a change");

	add(k, "[10.0.0.2]:2222", "ssh-ed25519", 3);
	is_int(check(k, "x", "10.0.0.2", 2222, "ssh-ed25519", 3), FLEET_HK_OK,
	    "[addr]:port matches the address");
	is_int(check(k, "x", "10.0.0.2", 22, "ssh-ed25519", 3),
	    FLEET_HK_UNKNOWN, "[addr]:2222 does not match port 22");

	add(k, "*.gpu.example,!bad.gpu.example", "ssh-ed25519", 4);
	is_int(check(k, "a.gpu.example", "10.0.0.3", 22, "ssh-ed25519", 4),
	    FLEET_HK_OK, "wildcard");
	is_int(check(k, "bad.gpu.example", "10.0.0.4", 22, "ssh-ed25519", 4),
	    FLEET_HK_UNKNOWN, "negated pattern");
	is_int(check(k, "[x]", "[x]", 22, "ssh-ed25519", 4), FLEET_HK_UNKNOWN,
	    "'[' is not a character class");

	/* |1|salt|HMAC-SHA1(salt, "[10.0.0.5]:2200") */
	memset(salt, 7, sizeof(salt));
	HMAC(EVP_sha1(), salt, sizeof(salt),
	    (const unsigned char *)"[10.0.0.5]:2200", 15, md, &mdlen);
	hs = fleet_base64(salt, sizeof(salt), 1);
	hh = fleet_base64(md, mdlen, 1);
	s = xasprintf("|1|%s|%s", hs, hh);
	add(k, s, "ssh-ed25519", 5);
	is_int(check(k, "h", "10.0.0.5", 2200, "ssh-ed25519", 5), FLEET_HK_OK,
	    "hashed [host]:port entry");
	is_int(check(k, "h", "10.0.0.5", 22, "ssh-ed25519", 5),
	    FLEET_HK_UNKNOWN, "hashed entry is for its port only");
	free(s);
	free(hs);
	free(hh);

	ok(fleet_known_add_line(k, "garbage", 7, "f:9") == -FB_ERR_PARSE,
	    "a bad line is refused");
	ok(fleet_known_add_line(k, "h ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQAB", 38,
	    "f:10") == -FB_ERR_PARSE, "a blob whose type disagrees is refused");
	add(k, "late", "ssh-ed25519", 6);
	is_int(check(k, "late", "10.0.0.6", 22, "ssh-ed25519", 6), FLEET_HK_OK,
	    "lines after a bad one still count");
	is_str(fleet_known_bad(k, &nbad), "f:9", "the first bad line is named");

	add(k, "@revoked *", "ssh-ed25519", 6);
	is_int(check(k, "late", "10.0.0.6", 22, "ssh-ed25519", 6),
	    FLEET_HK_REVOKED, "@revoked wins over a matching entry");

	add(k, "multi", "ecdsa-sha2-nistp256", 8);
	add(k, "multi", "ssh-ed25519", 9);
	types = fleet_known_types(k, "multi", "10.0.0.9", 22);
	is_str(types, "ssh-ed25519,ecdsa-sha2-nistp256",
	    "known key types, ed25519 first");
	free(types);

	ok(fleet_unbase64("aGVsbG8=", 8, &dec, &n) == 0 && n == 5 &&
	    memcmp(dec, "hello", 5) == 0, "base64 decodes");
	free(dec);

	fleet_shell_quote(&q, "it's $(x)");
	is_str(q.data, "'it'\\''s $(x)'", "shell quoting");
	fb_buf_release(&q);

	memset(&h, 0, sizeof(h));
	h.become = 1;
	s = fleet_remote_command(&h, "id -u");
	is_str(s, "sudo -n -- /bin/sh -c 'id -u'", "become goes through sudo -n");
	free(s);
	h.become = 0;
	s = fleet_remote_command(&h, "id -u");
	is_str(s, "id -u", "no become, the command as given");
	free(s);

	fleet_known_free(k);
	return tap_failed != 0;
}
