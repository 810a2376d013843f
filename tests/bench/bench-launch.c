/*
 * Launcher figures for `make bench` (scripts/bench-launch.sh); not part of snpvm.
 *   bench-launch [--runs N] [--status S] [--expect TEXT] -- CMD [ARG...]
 *       Runs CMD N times with stdout on a pipe. Per run: CLOCK_MONOTONIC just
 *       before fork() to the first byte read from the pipe (process start ->
 *       first guest serial byte), then the output is drained, the exit status
 *       must be S (default 0) and the output must contain TEXT; peak RSS is
 *       wait4's ru_maxrss. Prints medians (and min/max) of N runs.
 *   bench-launch --rss --mem-mib M [--after-ms T] [--runs N] -- CMD [ARG...]
 *       For a guest that keeps running: T ms (default 300) after the first
 *       byte reads /proc/PID/smaps, sums Rss over every mapping and over the
 *       guest RAM mapping (anonymous, rw, exactly M MiB: how both snpvm and
 *       QEMU map guest RAM), then ends CMD (SIGTERM, SIGKILL after 2 s).
 *       Prints the medians of total RSS, guest RAM RSS and their difference,
 *       the VMM's own memory beyond guest memory.
 * Output: one line of key=value pairs, times in ms, sizes in KiB.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 1000
#define FIRST_BYTE_TIMEOUT_MS 60000

struct opts {
	int runs;
	int status;
	const char *expect;
	int rss;
	unsigned long mem_mib;
	int after_ms;
	char **argv;
};

struct run {
	double first_byte_ms;
	long maxrss_kib;
	long rss_total_kib, rss_guest_kib;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Total Rss and the Rss of the anonymous rw mapping of exactly mem_kib (guest RAM). */
static int read_smaps(pid_t pid, unsigned long mem_kib, long *total, long *guest)
{
	char path[64], line[512];
	FILE *f;
	int is_guest = 0;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	if (!(f = fopen(path, "r")))
		return -1;
	*total = *guest = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, ino;
		char perms[8], dev[16];
		long kib;

		if (sscanf(line, "%lx-%lx %7s %*x %15s %lu", &lo, &hi, perms, dev, &ino) == 5) {
			/* An anonymous mapping has inode 0 and no path; guest RAM is rw, not x. */
			is_guest = ino == 0 && perms[0] == 'r' && perms[1] == 'w' && perms[2] != 'x' &&
				   (hi - lo) / 1024 == mem_kib && !strchr(line, '/') && !strchr(line, '[');
		} else if (sscanf(line, "Rss: %ld kB", &kib) == 1) {
			*total += kib;
			if (is_guest)
				*guest += kib;
		}
	}
	fclose(f);
	return 0;
}

static int run_once(const struct opts *o, struct run *r)
{
	int pfd[2], devnull, wstatus = 0, ret = -1;
	size_t cap = 1 << 16, len = 0;
	char *out = malloc(cap);
	struct rusage ru;
	struct pollfd pf;
	double t0;
	pid_t pid;

	if (!out || pipe(pfd) != 0 || (devnull = open("/dev/null", O_RDWR)) < 0) {
		perror("bench-launch: setup");
		exit(1);
	}
	fflush(NULL);
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("bench-launch: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(devnull, 0);
		dup2(pfd[1], 1);
		dup2(devnull, 2);
		close(pfd[0]);
		close(pfd[1]);
		execvp(o->argv[0], o->argv);
		_exit(127);
	}
	close(pfd[1]);
	close(devnull);
	pf.fd = pfd[0];
	pf.events = POLLIN;
	if (poll(&pf, 1, FIRST_BYTE_TIMEOUT_MS) != 1 || read(pfd[0], out, 1) != 1) {
		fprintf(stderr, "bench-launch: %s wrote nothing to stdout\n", o->argv[0]);
		kill(pid, SIGKILL);
		goto out_wait;
	}
	r->first_byte_ms = now_ms() - t0;
	len = 1;
	if (o->rss) {
		usleep((useconds_t)o->after_ms * 1000);
		if (read_smaps(pid, o->mem_mib * 1024, &r->rss_total_kib, &r->rss_guest_kib) != 0) {
			fprintf(stderr, "bench-launch: %s ended before its RSS was read\n", o->argv[0]);
			goto out_wait;
		}
		kill(pid, SIGTERM);
		pf.events = POLLIN;
		if (poll(&pf, 1, 2000) == 0)
			kill(pid, SIGKILL);
	}
	for (;;) {
		ssize_t n;

		if (len + 1 >= cap) {
			char *bigger = realloc(out, cap * 2);

			if (!bigger)
				break;
			out = bigger;
			cap *= 2;
		}
		n = read(pfd[0], out + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	ret = 0;
	if (!o->rss && o->expect && !strstr(out, o->expect)) {
		fprintf(stderr, "bench-launch: output lacks \"%s\":\n%s\n", o->expect, out);
		ret = -1;
	}
out_wait:
	close(pfd[0]);
	if (wait4(pid, &wstatus, 0, &ru) != pid) {
		perror("bench-launch: wait4");
		exit(1);
	}
	r->maxrss_kib = ru.ru_maxrss;
	if (ret == 0 && !o->rss && !(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == o->status)) {
		fprintf(stderr, "bench-launch: %s ended with status 0x%x, expected exit %d:\n%s\n",
			o->argv[0], wstatus, o->status, out);
		ret = -1;
	}
	free(out);
	return ret;
}

static void usage(void)
{
	fprintf(stderr, "usage: bench-launch [--runs N] [--status S] [--expect TEXT] -- CMD [ARG...]\n"
			"       bench-launch --rss --mem-mib M [--after-ms T] [--runs N] -- CMD [ARG...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct opts o = { .runs = 20, .after_ms = 300 };
	static struct run runs[MAX_RUNS];
	static double v[MAX_RUNS];
	int i;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (strcmp(a, "--rss") == 0) {
			o.rss = 1;
			continue;
		}
		if (!val)
			usage();
		if (strcmp(a, "--runs") == 0)
			o.runs = atoi(val);
		else if (strcmp(a, "--status") == 0)
			o.status = atoi(val);
		else if (strcmp(a, "--expect") == 0)
			o.expect = val;
		else if (strcmp(a, "--mem-mib") == 0)
			o.mem_mib = strtoul(val, NULL, 10);
		else if (strcmp(a, "--after-ms") == 0)
			o.after_ms = atoi(val);
		else
			usage();
		i++;
	}
	if (i + 1 >= argc || o.runs < 1 || o.runs > MAX_RUNS || (o.rss && !o.mem_mib))
		usage();
	o.argv = argv + i + 1;
	signal(SIGPIPE, SIG_IGN);
	for (int k = 0; k < o.runs; k++) {
		if (run_once(&o, &runs[k]) != 0)
			return 1;
	}
	printf("runs=%d", o.runs);
	for (int k = 0; k < o.runs; k++)
		v[k] = runs[k].first_byte_ms;
	printf(" first_byte_ms_median=%.2f", median(v, o.runs));
	printf(" first_byte_ms_min=%.2f first_byte_ms_max=%.2f", v[0], v[o.runs - 1]);
	if (o.rss) {
		for (int k = 0; k < o.runs; k++)
			v[k] = (double)runs[k].rss_total_kib;
		printf(" rss_total_kib=%.0f", median(v, o.runs));
		for (int k = 0; k < o.runs; k++)
			v[k] = (double)runs[k].rss_guest_kib;
		printf(" rss_guest_kib=%.0f", median(v, o.runs));
		for (int k = 0; k < o.runs; k++)
			v[k] = (double)(runs[k].rss_total_kib - runs[k].rss_guest_kib);
		printf(" rss_beyond_guest_kib=%.0f", median(v, o.runs));
	} else {
		for (int k = 0; k < o.runs; k++)
			v[k] = (double)runs[k].maxrss_kib;
		printf(" maxrss_kib_median=%.0f", median(v, o.runs));
	}
	printf("\n");
	return 0;
}
