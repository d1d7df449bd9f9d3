/*
 * timeutil.c - Salesforce datetimes and a clock tests can pin
 * (see timeutil.h).
 */
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timeutil.h"

static int digits(const char *s, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil algorithm, restated). */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int dim[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
				   31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : dim[m - 1];
}

int sf_datetime_parse(const char *s, size_t len, int64_t *ms)
{
	int y, mo, d, h, mi, sec, frac = 0, off = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) ||
	    digits(s + 17, 2, &sec))
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		int n = 0, scale = 100;

		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (n < 3)
				frac += (s[i] - '0') * scale;
			scale /= 10;
			n++;
			i++;
		}
		if (n == 0)
			return -1;
	}
	if (i == len - 1 && s[i] == 'Z') {
		off = 0;
	} else if (i < len && (s[i] == '+' || s[i] == '-')) {
		int oh, om;
		const char *o = s + i + 1;
		size_t rest = len - i - 1;

		if (rest == 4 && !digits(o, 2, &oh) && !digits(o + 2, 2, &om))
			;
		else if (rest == 5 && o[2] == ':' && !digits(o, 2, &oh) &&
			 !digits(o + 3, 2, &om))
			;
		else
			return -1;
		off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
	} else {
		return -1;
	}
	*ms = ((days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec) -
	       (int64_t)off * 60) * 1000 + frac;
	return 0;
}

void sf_datetime_format(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
	int frac = (int)(ms - (int64_t)t * 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, frac);
}

int64_t clock_now_ms(void)
{
	const char *pin = getenv("CRMSYNC_NOW");
	struct timespec ts;
	int64_t ms;

	if (pin && sf_datetime_parse(pin, strlen(pin), &ms) == 0)
		return ms;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void run_id_format(int64_t ms, char *buf, size_t size)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%SZ", &tm);
}
