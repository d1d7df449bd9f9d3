/*
 * simbench.c - micro-benchmark of the similarity functions (sim.h) and of
 * folding (norm.h) on realistic names.
 *
 *	simbench [CALLS]     (default 10000000)
 *
 * Builds POOL name pairs from a seeded generator (first and last names
 * of several origins, one pair in three the same name with a typo, some
 * with accents or several words), folds them once, then times CALLS
 * calls of each function cycling over the pool, and prints one line per
 * function:
 *
 *	jaro_winkler           41.2 ns/call  checksum 812345.123
 *
 * Times are CPU time (CLOCK_PROCESS_CPUTIME_ID), per call.  The checksum
 * keeps the compiler from dropping the calls.  Single thread; the match
 * stage runs one such loop per core.  Exit 0, or 64 on
 * a bad argument.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "norm.h"
#include "sim.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *const first[] = {
	"James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael",
	"Linda", "William", "Elizabeth", "David", "Barbara", "Richard",
	"Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Christopher",
	"Karen", "José", "María", "François", "Zoë", "Jürgen", "Søren",
	"Łukasz", "Ömer", "Wei", "Hiroshi", "Priya", "Olumide", "Siobhán",
	"Katherine", "Alexander", "Margaret", "Bob", "Kate", "Bill", "Peggy",
};

static const char *const last[] = {
	"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller",
	"Davis", "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez",
	"Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
	"Martin", "Müller", "Schmidt", "Schneider", "Fischer", "Dubois",
	"Lefèvre", "Rossi", "Kowalczyk", "Nowak", "Yılmaz", "Nakamura",
	"O'Brien", "MacDonald", "van der Berg", "Núñez", "Øvergaard",
	"Papadopoulos", "Ivanova", "Okonkwo", "Christensen",
};

static unsigned long long rng = 88172645463325252ULL;

static unsigned next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng >> 11);
}

struct pair {
	char *a, *b;
	size_t alen, blen;
	uint32_t *ca, *cb;
	size_t na, nb;
};

/* A folded name with, sometimes, one typo (swap, drop or change). */
static char *make_name(const char *const *list, size_t n, char **orig,
		       int typo)
{
	struct strbuf sb = STRBUF_INIT;
	const char *src = list[next_rand() % n];

	norm_fold(&sb, src, strlen(src));
	*orig = xstrdup(sb.buf);
	if (typo && sb.len > 3) {
		size_t i = 1 + next_rand() % (sb.len - 2);

		if (((unsigned char)sb.buf[i] | (unsigned char)sb.buf[i + 1])
		    < 0x80) {
			switch (next_rand() % 3) {
			case 0: {
				char t = sb.buf[i];

				sb.buf[i] = sb.buf[i + 1];
				sb.buf[i + 1] = t;
				break;
			}
			case 1:
				memmove(sb.buf + i, sb.buf + i + 1, sb.len - i);
				sb.len--;
				break;
			default:
				sb.buf[i] = (char)('a' + next_rand() % 26);
			}
		}
	}
	return strbuf_detach(&sb, NULL);
}

/* CPU time of this process: the machine may be shared, and wall time
 * would count the other tenants' share. */
static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static void report(const char *name, double t0, size_t calls, double sum)
{
	printf("%-22s %7.1f ns/call  checksum %.3f\n", name,
	       (now_ns() - t0) / (double)calls, sum);
}

/* Pairs cycled over: small enough to stay in cache, as a block of
 * candidates being scored does, large enough to defeat branch
 * prediction learning the data. */
#define POOL 8192

int main(int argc, char **argv)
{
	size_t npairs = POOL, ncalls = 10000000, i;
	struct pair *p;
	double t0, sum;
	char code[SIM_PHONETIC_LEN + 1];
	struct strbuf sb = STRBUF_INIT;

	if (argc > 2 || (argc == 2 && (ncalls = strtoul(argv[1], NULL, 10))
			 == 0)) {
		fprintf(stderr, "usage: simbench [CALLS]\n");
		return 64;
	}
	p = xcalloc(npairs, sizeof(*p));
	for (i = 0; i < npairs; i++) {
		char *o;
		int same = next_rand() % 3 == 0;

		if (i % 2) {
			p[i].a = make_name(last, sizeof(last) / sizeof(*last),
					   &o, 0);
			free(o);
			if (same) {
				free(p[i].a);
				p[i].b = make_name(last, sizeof(last) /
						   sizeof(*last), &p[i].a, 1);
			} else {
				p[i].b = make_name(last, sizeof(last) /
						   sizeof(*last), &o, 0);
				free(o);
			}
		} else {
			p[i].a = make_name(first, sizeof(first) /
					   sizeof(*first), &o, 0);
			free(o);
			if (same) {
				free(p[i].a);
				p[i].b = make_name(first, sizeof(first) /
						   sizeof(*first), &p[i].a, 1);
			} else {
				p[i].b = make_name(first, sizeof(first) /
						   sizeof(*first), &o, 0);
				free(o);
			}
		}
		p[i].alen = strlen(p[i].a);
		p[i].blen = strlen(p[i].b);
		p[i].ca = xcalloc(p[i].alen + 1, sizeof(uint32_t));
		p[i].cb = xcalloc(p[i].blen + 1, sizeof(uint32_t));
		p[i].na = sim_decode(p[i].a, p[i].alen, p[i].ca, p[i].alen);
		p[i].nb = sim_decode(p[i].b, p[i].blen, p[i].cb, p[i].blen);
	}

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += sim_jaro_winkler(p[i].a, p[i].alen, p[i].b, p[i].blen);
	}
	report("jaro_winkler", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += sim_jaro_winkler_cp(p[i].ca, p[i].na, p[i].cb, p[i].nb);
	}
	report("jaro_winkler_cp", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += (double)sim_lev_bounded(p[i].a, p[i].alen, p[i].b,
					       p[i].blen, 2);
	}
	report("lev_bounded(max 2)", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += (double)sim_lev_bounded(p[i].a, p[i].alen, p[i].b,
					       p[i].blen, 64);
	}
	report("lev_bounded(max 64)", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += sim_token_set(p[i].a, p[i].alen, p[i].b, p[i].blen);
	}
	report("token_set", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls; k++) {
		i = k & (POOL - 1);
		sum += (double)sim_phonetic(p[i].a, p[i].alen, code);
	}
	report("phonetic", t0, ncalls, sum);

	sum = 0;
	t0 = now_ns();
	for (size_t k = 0; k < ncalls / 10; k++) {
		i = k & (POOL - 1);
		norm_fold(&sb, p[i].b, p[i].blen);
		sum += (double)sb.len;
	}
	report("norm_fold", t0, ncalls / 10, sum);

	for (i = 0; i < npairs; i++) {
		free(p[i].a);
		free(p[i].b);
		free(p[i].ca);
		free(p[i].cb);
	}
	free(p);
	strbuf_release(&sb);
	return 0;
}
