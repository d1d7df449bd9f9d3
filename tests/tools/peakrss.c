/*
 * peakrss.c - runs a command and reports its wall time and peak memory,
 * so that the benchmarks measure crmsync and its peers the same way.
 *
 *	peakrss CMD [ARGS...]     runs CMD directly (execvp)
 *	peakrss 'SHELL COMMAND'   one argument: runs /bin/sh -c 'SHELL COMMAND'
 *	                          (for redirections such as '>/dev/null')
 *
 * When the command has ended, one line goes to stderr, or replaces the
 * content of the file named by $PEAKRSS_OUT when that is set:
 *
 *	wall 3.104 user 2.950 sys 0.140 maxrss_kib 1664 status 0
 *
 * wall is in seconds from fork to reaping; user, sys and maxrss_kib come
 * from wait4(), so they cover the command and every descendant it waited
 * for (maxrss_kib is the largest resident set among them, not a sum; the
 * shell of the one-argument form is tiny and never the largest).
 * peakrss exits with the status of the command, 128 + N when signal N
 * killed it, 64 on a bad command line, 71 when it cannot fork and 127 when
 * the command cannot be run.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double tv_sec(const struct timeval *tv)
{
	return (double)tv->tv_sec + (double)tv->tv_usec / 1e6;
}

/* Writes the report line; -1 when $PEAKRSS_OUT cannot be written. */
static int report(double wall, const struct rusage *ru, int code)
{
	const char *path = getenv("PEAKRSS_OUT");
	FILE *f = stderr;
	int ret = 0;

	if (path && *path) {
		f = fopen(path, "w");
		if (!f) {
			fprintf(stderr, "peakrss: cannot open '%s': %s\n",
				path, strerror(errno));
			return -1;
		}
	}
	fprintf(f, "wall %.3f user %.3f sys %.3f maxrss_kib %ld status %d\n",
		wall, tv_sec(&ru->ru_utime), tv_sec(&ru->ru_stime),
		ru->ru_maxrss, code);
	if (f != stderr && fclose(f)) {
		fprintf(stderr, "peakrss: cannot write '%s': %s\n", path,
			strerror(errno));
		ret = -1;
	}
	return ret;
}

int main(int argc, char **argv)
{
	struct rusage ru;
	double start, wall;
	pid_t pid;
	int status, code;

	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		fputs("usage: peakrss CMD [ARGS...] | peakrss 'SHELL COMMAND'\n",
		      argc < 2 ? stderr : stdout);
		return argc < 2 ? 64 : 0;
	}

	fflush(NULL);
	start = now();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "peakrss: cannot fork: %s\n", strerror(errno));
		return 71;
	}
	if (!pid) {
		if (argc == 2)
			execl("/bin/sh", "sh", "-c", argv[1], (char *)NULL);
		else
			execvp(argv[1], argv + 1);
		fprintf(stderr, "peakrss: cannot run '%s': %s\n",
			argc == 2 ? "/bin/sh" : argv[1], strerror(errno));
		_exit(127);
	}

	/* the command gets the terminal's signals; we outlive it to report */
	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	while (wait4(pid, &status, 0, &ru) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "peakrss: wait4: %s\n", strerror(errno));
			return 71;
		}
	}
	wall = now() - start;

	if (WIFEXITED(status))
		code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		code = 128 + WTERMSIG(status);
	else
		code = 71;
	if (report(wall, &ru, code) && !code)
		code = 74;
	return code;
}
