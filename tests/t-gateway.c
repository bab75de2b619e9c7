/*
 * t-gateway.c: the gateway module's parsers on edge cases: the JSON
 * scanner, string unescaping, key ids (expected values from sha256sum),
 * IPs, query keys, Envoy flags, LiteLLM failures, NGINX times (expected
 * epochs from date -u).
 */
#include "config.h"

#include "gateway/gateway-int.h"
#include "tap.h"

static const char *
hex(uint64_t id)
{
	static char buf[17];

	gw_key_hex(id, buf);
	return buf;
}

static int
parse(enum gw_format f, const char *s, struct gw_event *ev)
{
	char why[160];
	size_t used;

	return gw_parse_json(f, s, strlen(s), ev, &used, why, sizeof(why));
}

int
main(void)
{
	struct gw_event ev;
	struct gw_jval v;
	char buf[64], why[160];
	size_t used;
	int64_t x;

	/* scanner: valid, invalid, bounded */
	{
		const char *o = "{\"a\":[1,2.5e3,-0,true,null,{}]} ";
		ok(gw_json_value(o, strlen(o), &v, &used) == 0 &&
		    v.type == GW_J_OBJ && used == strlen(o) - 1,
		    "a valid object scans whole");
	}
	ok(gw_json_value("{\"a\":01}", 8, &v, &used) != 0, "a leading zero is refused");
	ok(gw_json_value("{\"a\":\"\x01\"}", 9, &v, &used) != 0, "a raw control byte is refused");
	ok(gw_json_value("{\"a\":\"\\x\"}", 10, &v, &used) != 0, "a bad escape is refused");
	ok(gw_json_value("{\"a\":1,}", 8, &v, &used) != 0, "a trailing comma is refused");
	ok(gw_json_value("{\"a\":1", 6, &v, &used) != 0, "a cut object is refused");
	{
		char deep[200];
		memset(deep, '[', 100);
		memset(deep + 100, ']', 100);
		ok(gw_json_value(deep, 200, &v, &used) != 0, "nesting over the bound is refused");
	}
	/* unescaping, surrogate pairs, lone surrogates, the bound */
	v.type = GW_J_STR;
	v.p = "a\\u00e9\\ud83d\\ude00\\n\\ud800";
	v.n = strlen(v.p);
	v.esc = 1;
	ok(gw_json_str(&v, buf, sizeof(buf)) != (size_t)-1 &&
	    strcmp(buf, "a\xc3\xa9\xf0\x9f\x98\x80\n\xef\xbf\xbd") == 0,
	    "escapes, a surrogate pair and a lone surrogate unescape");
	ok(gw_json_str(&v, buf, 4) == (size_t)-1, "a string over the buffer is refused");
	v.type = GW_J_NUM;
	v.p = "1737710446.847371";
	v.n = strlen(v.p);
	ok(gw_json_int(&v, &x) == 0 && x == 1737710446, "a fraction is truncated");
	v.p = "99999999999999999999";
	v.n = strlen(v.p);
	ok(gw_json_int(&v, &x) != 0, "an integer over 64 bits is refused");

	/* key ids */
	is_str(hex(gw_key_id_raw("sk-test-123", 11)), "e0dbaa0c6455768b",
	    "a raw key's id is the start of its SHA-256");
	ok(parse(GW_FMT_EVENT, "{\"time\":1,\"key\":\"Bearer sk-test-123\"}", &ev) == 0 &&
	    ev.has_key && strcmp(hex(ev.key), "e0dbaa0c6455768b") == 0,
	    "Bearer is stripped before hashing");
	ok(parse(GW_FMT_LITELLM, "{\"startTime\":1,\"api_key\":"
	    "\"E0DBAA0C6455768B0000000000000000000000000000000000000000000000ff\"}", &ev) == 0 &&
	    strcmp(hex(ev.key), "e0dbaa0c6455768b") == 0,
	    "a LiteLLM hash is used as given");
	ok(parse(GW_FMT_EVENT, "{\"time\":1,\"key_id\":\"e0dbaa0c6455768\"}", &ev) == 1,
	    "a short key_id makes the record unusable");
	ok(parse(GW_FMT_EVENT, "{\"time\":1,\"route\":\"/v1/x?a=1&api_key=a%20b&key=c\"}", &ev) == 0 &&
	    strcmp(hex(ev.key), "c8687a08aa5d6ed2") == 0 && strcmp(ev.route, "/v1/x") == 0,
	    "a query key is percent-decoded and hashed, the query dropped");

	/* addresses */
	ok(parse(GW_FMT_ENVOY, "{\"start_time\":\"2025-01-24T09:20:46Z\","
	    "\"downstream_remote_address\":\"[2001:db8::1]:443\"}", &ev) == 0 &&
	    strcmp(ev.ip, "2001:db8::1") == 0, "a bracketed v6 address loses its port");
	ok(parse(GW_FMT_ENVOY, "{\"start_time\":\"2025-01-24T09:20:46Z\","
	    "\"x-forwarded-for\":\"203.0.113.9:5, 10.0.0.1\"}", &ev) == 0 &&
	    strcmp(ev.ip, "203.0.113.9") == 0, "the first forwarded address counts");
	ok(parse(GW_FMT_EVENT, "{\"time\":1,\"client_ip\":\"x\\u001b]0;y\"}", &ev) == 0 &&
	    ev.ip[0] == '\0', "something that is not an address is dropped");

	/* Envoy flags, LiteLLM failures */
	ok(parse(GW_FMT_ENVOY, "{\"start_time\":\"2025-01-24T09:20:46Z\",\"response_code\":200,"
	    "\"response_flags\":\"UH,RL\"}", &ev) == 0 && ev.rl, "RL among flags is a rate limit");
	ok(parse(GW_FMT_ENVOY, "{\"start_time\":\"2025-01-24T09:20:46Z\",\"response_code\":500,"
	    "\"response_flags\":\"RLSE\"}", &ev) == 0 && !ev.rl, "RLSE is not RL");
	ok(parse(GW_FMT_ENVOY, "{\"start_time\":\"2025-01-24T09:20:46Z\",\"response_code\":200,"
	    "\"response_code_details\":\"local_rate_limited\"}", &ev) == 0 && ev.rl,
	    "local_rate_limited details are a rate limit");
	ok(parse(GW_FMT_LITELLM, "{\"startTime\":\"2025-01-24 09:20:46.847371\",\"status\":\"failure\","
	    "\"metadata\":\"{\\\"error_information\\\":{\\\"error_code\\\":\\\"429\\\"}}\"}", &ev) == 0 &&
	    ev.status == 429 && ev.rl && ev.assumed_utc && ev.time == 1737710446,
	    "a spend-log failure's code is read from its metadata string");

	/* NGINX */
	ok(gw_parse_nginx("127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /a.gif?key=c "
	    "HTTP/1.0\" 401 2326 \"-\" \"x\"", 90, &ev, why, sizeof(why)) == 0 &&
	    ev.time == 971211336 && ev.status == 401 && strcmp(ev.route, "/a.gif") == 0 &&
	    strcmp(hex(ev.key), "2e7d2c03a9507ae2") == 0,
	    "an NGINX combined line: time with offset, status, route, query key");
	{
		const char *l = "127.0.0.1 - - [10/Oct/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 20";
		ok(gw_parse_nginx(l, strlen(l), &ev, why, sizeof(why)) < 0, "a cut line is refused");
		l = "127.0.0.1 - - [10/Foo/2000:13:55:36 -0700] \"GET / HTTP/1.0\" 200 1";
		ok(gw_parse_nginx(l, strlen(l), &ev, why, sizeof(why)) < 0, "a bad month is refused");
	}
	ok(parse(GW_FMT_EVENT, "{\"key_id\":\"e0dbaa0c6455768b\"}", &ev) == 1,
	    "a record without a time is unusable");
	done_testing();
	return 0;
}
