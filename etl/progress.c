/*
 * progress.c - rate-limited progress lines on a terminal (see progress.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "progress.h"
#include "xalloc.h"

#define REFRESH_NS (1000000000LL / 6)

static int g_enabled = 1;

struct progress {
	char *label;
	uint64_t total;
	long long last_ns;
	int drawn;
};

void progress_enable(int on)
{
	g_enabled = on;
}

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

struct progress *progress_start(const char *label, uint64_t total)
{
	struct progress *p;

	if (!g_enabled || !isatty(2))
		return NULL;
	p = xcalloc(1, sizeof(*p));
	p->label = xstrdup(label);
	p->total = total;
	p->last_ns = now_ns();
	return p;
}

static void human(uint64_t n, char *buf, size_t size)
{
	if (n >= (1ULL << 30))
		snprintf(buf, size, "%.1f GiB", (double)n / (1 << 30));
	else if (n >= (1ULL << 20))
		snprintf(buf, size, "%.1f MiB", (double)n / (1 << 20));
	else if (n >= 1024)
		snprintf(buf, size, "%.1f KiB", (double)n / 1024);
	else
		snprintf(buf, size, "%llu B", (unsigned long long)n);
}

void progress_update(struct progress *p, uint64_t done)
{
	long long t;
	char a[32], b[32];

	if (!p)
		return;
	t = now_ns();
	if (t - p->last_ns < REFRESH_NS)
		return;
	p->last_ns = t;
	human(done, a, sizeof(a));
	if (p->total) {
		human(p->total, b, sizeof(b));
		fprintf(stderr, "\rcrmsync: %s  %s / %s  %3d%%  ", p->label, a,
			b, (int)(done * 100 / p->total));
	} else {
		fprintf(stderr, "\rcrmsync: %s  %s  ", p->label, a);
	}
	fflush(stderr);
	p->drawn = 1;
}

void progress_end(struct progress *p)
{
	if (!p)
		return;
	if (p->drawn)
		fprintf(stderr, "\r%79s\r", "");
	free(p->label);
	free(p);
}
