/* time.c: UTC times as RFC 3339 text, durations. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core.h"

int64_t
fb_time_now(void)
{
	return (int64_t)time(NULL);
}

void
fb_time_fmt(int64_t t, char out[FB_TIME_LEN])
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, FB_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20) {
		snprintf(out, FB_TIME_LEN, "%s", "1970-01-01T00:00:00Z");
	}
}

static int
digits(const char **p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		x = x * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar. */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
fb_time_parse(const char *s, int64_t *t, int *assumed_utc)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, off = 0, oh, om, noz = 1;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (s == NULL)
		return -FB_ERR_PARSE;
	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -FB_ERR_PARSE;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1])
		return -FB_ERR_PARSE;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -FB_ERR_PARSE;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -FB_ERR_PARSE;
		}
		if (h > 23 || mi > 59 || sec > 60)
			return -FB_ERR_PARSE;
		if (*p == '.' || *p == ',') {
			p++;
			if (!isdigit((unsigned char)*p))
				return -FB_ERR_PARSE;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
			noz = 0;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1;
			if (digits(&p, 2, &oh))
				return -FB_ERR_PARSE;
			if (*p == ':')
				p++;
			if (digits(&p, 2, &om) || oh > 23 || om > 59)
				return -FB_ERR_PARSE;
			off = sign * (oh * 3600 + om * 60);
			noz = 0;
		}
	}
	if (*p != '\0')
		return -FB_ERR_PARSE;
	*t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - off;
	if (assumed_utc != NULL)
		*assumed_utc = noz;
	return 0;
}

int
fb_duration_parse(const char *s, int64_t *secs)
{
	char *end;
	long long v;
	int64_t mult = 1;

	if (s == NULL || !isdigit((unsigned char)*s))
		return -FB_ERR_PARSE;
	v = strtoll(s, &end, 10);
	if (end[0] != '\0' && end[1] != '\0')
		return -FB_ERR_PARSE;
	switch (*end) {
	case '\0': case 's': mult = 1; break;
	case 'm': mult = 60; break;
	case 'h': mult = 3600; break;
	case 'd': mult = 86400; break;
	case 'w': mult = 7 * 86400; break;
	default: return -FB_ERR_PARSE;
	}
	if (v < 0 || v > INT64_MAX / mult / 2)
		return -FB_ERR_PARSE;
	*secs = (int64_t)v * mult;
	return 0;
}
