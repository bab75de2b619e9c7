/* t-redact.c: the redactor's kinds and edges; canonical hashes of rows. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "evidence/evidence.h"
#include "store/export.h"
#include "tap.h"

static char *
red(struct evidence_redactor *r, const char *in, int64_t counts[])
{
	struct fb_buf out = FB_BUF_INIT;

	if (evidence_redact(r, in, strlen(in), &out, counts) != 0)
		return xstrdup("(error)");
	return fb_buf_detach(&out, NULL);
}

static int
kind(const char *name)
{
	int k;

	for (k = 0; evidence_redact_kind_name(k) != NULL; k++)
		if (strcmp(evidence_redact_kind_name(k), name) == 0)
			return k;
	return -1;
}

static void
test_redact(void)
{
	static const struct {
		const char *in, *want, *kind;
	} cases[] = {
		{ "db postgres://app:s3cr3t-pw@db:5432/x ok",
		  "db postgres://[REDACTED:url_password]@db:5432/x ok",
		  "url_password" },
		{ "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0."
		  "abcdefghijklmnop", "Authorization: Bearer [REDACTED:jwt]",
		  "jwt" },
		{ "Authorization: bearer abcdefghijklmnopqrstuvwxyz",
		  "Authorization: [REDACTED:bearer_token]", "bearer_token" },
		{ "card 4111 1111 1111 1111 paid", "card [REDACTED:card_number] paid",
		  "card_number" },
		{ "order 4111 1111 1111 1112 paid", "order 4111 1111 1111 1112 paid",
		  NULL },
		{ "mail ops@example.com now", "mail [REDACTED:email] now", "email" },
		{ "AKIAIOSFODNN7EXAMPLE", "[REDACTED:aws_access_key]",
		  "aws_access_key" },
		{ "ghp_0123456789abcdefghijklmnopqrstuvwxyz",
		  "[REDACTED:github_token]", "github_token" },
		{ "version 1.2.3.4 of 10.0.0.1", "version 1.2.3.4 of 10.0.0.1", NULL },
		{ "task-abcdefghijklmnopqrstuvwxyz0123",
		  "task-abcdefghijklmnopqrstuvwxyz0123", NULL },
	};
	struct evidence_redactor *r;
	int64_t counts[EVIDENCE_REDACT_KINDS];
	size_t i;
	char *got;
	int k, n;

	if (!ok(evidence_redactor_new(EVIDENCE_REDACT, &r) == 0,
	    "redactor compiles every pattern"))
		return;
	for (i = 0; i < FB_ARRAY_LEN(cases); i++) {
		memset(counts, 0, sizeof(counts));
		got = red(r, cases[i].in, counts);
		ok(strcmp(got, cases[i].want) == 0, "redact '%s' -> '%s'",
		    cases[i].in, got);
		for (n = 0, k = 0; k < EVIDENCE_REDACT_KINDS; k++)
			n += (int)counts[k];
		if (cases[i].kind != NULL)
			ok(n == 1 && counts[kind(cases[i].kind)] == 1,
			    "counted once as %s", cases[i].kind);
		else
			ok(n == 0, "nothing counted");
		free(got);
	}
	evidence_redactor_free(r);
	if (evidence_redactor_new(EVIDENCE_REDACT | EVIDENCE_REDACT_IPV4,
	    &r) != 0)
		return;
	memset(counts, 0, sizeof(counts));
	got = red(r, "from 10.0.0.1 and 256.1.1.1 via 192.168.1.254", counts);
	ok(strcmp(got, "from [REDACTED:ipv4] and 256.1.1.1 via "
	    "[REDACTED:ipv4]") == 0 && counts[kind("ipv4")] == 2,
	    "ipv4 by flag: %s", got);
	free(got);
	evidence_redactor_free(r);
}

static void
test_canon(void)
{
	struct store_json_tool *t;
	char h[FB_SHA256_HEX], want[FB_SHA256_HEX], *v = NULL;
	const char *canon = "{\"a\":1,\"b\":\"x\\\"y\",\"c\":null,\"d\":[1,2]}";

	if (!ok(store_json_tool_new(&t) == 0, "json tool opens"))
		return;
	fb_sha256_hex(canon, strlen(canon), want);
	ok(store_json_canon_hash(t, "{ \"d\": [1, 2], \"hash\": \"zz\", "
	    "\"c\": null, \"b\": \"x\\\"y\", \"a\": 1 }", h) == 0 &&
	    strcmp(h, want) == 0, "canonical form: keys sorted, no spaces, "
	    "hash left out");
	ok(store_json_canon_hash(t, "[1]", h) == -FB_ERR_PARSE,
	    "an array is refused");
	ok(store_json_canon_hash(t, "{\"a\":", h) == -FB_ERR_PARSE,
	    "malformed JSON is refused");
	ok(store_json_get(t, "{\"x\":{\"y\":\"z\"}}", "$.x.y", &v) == 0 &&
	    v != NULL && strcmp(v, "z") == 0, "get a nested string");
	free(v);
	store_json_tool_free(t);
}

int
main(void)
{
	test_redact();
	test_canon();
	return done_testing();
}
