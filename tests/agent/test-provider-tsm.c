/*
 * agent/provider-tsm.c against a fake configfs-tsm tree in a temporary
 * directory. The test plays the kernel (Linux Documentation/ABI/testing/
 * configfs-tsm): its mkdir hook creates the entry's attributes (generation,
 * provider, inblob, privlevel, auxblob as regular files, outblob as a FIFO),
 * and a thread answers each read of outblob: it takes the inblob written,
 * advances generation by the writes made (plus one when it simulates another
 * writer) and then writes the report into the FIFO, so the agent sees
 * generation only after the report, as from the kernel.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "agent/provider.h"
#include "tests/common/testutil.h"

struct fake_tsm {
	/* set by the test */
	const char *provider;   /* "sev_guest\n" */
	const uint8_t *aux;     /* NULL: no auxblob attribute */
	size_t aux_len;
	unsigned gen_start;
	int clobber_rounds;     /* rounds in which "another writer" bumps generation */
	/* seen by the fake */
	char entry[512];
	int mkdirs, rmdirs, rounds;
	uint8_t inblob[128];
	size_t inblob_len;
	char privlevel[16];
	volatile bool stop;
	pthread_t th;
	bool started;
};

static void write_file(const char *dir, const char *name, const void *p, size_t n)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

static size_t read_file(const char *dir, const char *name, void *p, size_t max)
{
	char path[600];
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(p, 1, max, f);
	fclose(f);
	return n;
}

/* The report the fake kernel makes: a pattern with REPORT_DATA at 0x50. */
static void fake_report(const uint8_t *inblob, uint8_t *rep)
{
	for (size_t i = 0; i < SNP_REPORT_SIZE; i++)
		rep[i] = (uint8_t)(i * 3 + 1);
	memcpy(rep + 0x50, inblob, SNP_REPORT_DATA_SIZE);
}

static void *kernel_fn(void *arg)
{
	struct fake_tsm *f = arg;
	char path[600], gen[32];
	uint8_t rep[SNP_REPORT_SIZE], in[sizeof(f->inblob)];
	size_t n;

	snprintf(path, sizeof(path), "%s/outblob", f->entry);
	while (!f->stop) {
		unsigned g, writes;
		int fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0) {
			struct timespec ts = { 0, 1000000 };

			nanosleep(&ts, NULL);
			continue;
		}
		fcntl(fd, F_SETFL, 0);
		/*
		 * A reader with a fresh inblob: the agent wrote inblob (and privlevel) and
		 * now reads outblob. Without one this is the agent's previous read, not
		 * closed yet: nothing to answer. Consuming inblob tells the two apart.
		 */
		n = read_file(f->entry, "inblob", in, sizeof(in));
		if (n == 0) {
			struct timespec ts = { 0, 1000000 };

			close(fd);
			nanosleep(&ts, NULL);
			continue;
		}
		write_file(f->entry, "inblob", "", 0);
		memcpy(f->inblob, in, n);
		f->inblob_len = n;
		memset(f->privlevel, 0, sizeof(f->privlevel));
		read_file(f->entry, "privlevel", f->privlevel, sizeof(f->privlevel) - 1);
		memset(gen, 0, sizeof(gen));
		read_file(f->entry, "generation", gen, sizeof(gen) - 1);
		g = (unsigned)strtoul(gen, NULL, 10);
		writes = 1 + (f->privlevel[0] != '\0');
		g += writes + (f->rounds < f->clobber_rounds ? 1 : 0);
		snprintf(gen, sizeof(gen), "%u\n", g);
		write_file(f->entry, "generation", gen, strlen(gen));
		fake_report(f->inblob, rep);
		assert_int_equal(write(fd, rep, sizeof(rep)), (ssize_t)sizeof(rep));
		close(fd);
		f->rounds++;
	}
	return NULL;
}

static int fake_mkdir(void *ctx, const char *path)
{
	struct fake_tsm *f = ctx;
	char gen[32], fifo[600];

	if (mkdir(path, 0700) != 0)
		return -errno;
	f->mkdirs++;
	snprintf(f->entry, sizeof(f->entry), "%s", path);
	snprintf(gen, sizeof(gen), "%u\n", f->gen_start);
	write_file(path, "generation", gen, strlen(gen));
	write_file(path, "provider", f->provider, strlen(f->provider));
	write_file(path, "inblob", "", 0);
	write_file(path, "privlevel", "", 0);
	if (f->aux)
		write_file(path, "auxblob", f->aux, f->aux_len);
	snprintf(fifo, sizeof(fifo), "%s/outblob", path);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	f->stop = false;
	assert_int_equal(pthread_create(&f->th, NULL, kernel_fn, f), 0);
	f->started = true;
	return 0;
}

static int fake_rmdir(void *ctx, const char *path)
{
	struct fake_tsm *f = ctx;

	assert_string_equal(path, f->entry);
	f->stop = true;
	pthread_join(f->th, NULL);
	f->started = false;
	f->rmdirs++;
	rm_rf(path); /* configfs removes the attributes with the item */
	return 0;
}

struct tsm_case {
	char *root;
	char report_dir[512];
	struct fake_tsm f;
	struct agent_provider_cfg cfg;
	uint8_t rd[SNP_REPORT_DATA_SIZE];
};

static void case_init(struct tsm_case *c)
{
	memset(c, 0, sizeof(*c));
	c->root = tmpdir_make();
	snprintf(c->report_dir, sizeof(c->report_dir), "%s/report", c->root);
	assert_int_equal(mkdir(c->report_dir, 0755), 0);
	signal(SIGPIPE, SIG_IGN);
	c->f.provider = "sev_guest\n";
	c->cfg.tsm_root = c->root;
	c->cfg.tsm_mkdir = fake_mkdir;
	c->cfg.tsm_rmdir = fake_rmdir;
	c->cfg.tsm_ctx = &c->f;
	for (int i = 0; i < SNP_REPORT_DATA_SIZE; i++)
		c->rd[i] = (uint8_t)(0xc0 + i);
}

/* The entry is gone after the call, whatever happened. */
static void case_done(struct tsm_case *c)
{
	struct run_result res;
	const char *argv[] = { "ls", "-A", c->report_dir, NULL };

	assert_false(c->f.started);
	assert_int_equal(c->f.mkdirs, c->f.rmdirs);
	run_cmd(argv, NULL, &res);
	assert_string_equal(res.out, "");
	run_result_free(&res);
	rm_rf(c->root);
	free(c->root);
}

static void tsm_provider_reads_report_auxblob_and_privlevel(void **state)
{
	static const uint8_t aux[] = { 1, 2, 3, 4, 5 };
	struct tsm_case c;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	uint8_t want[SNP_REPORT_SIZE];

	(void)state;
	case_init(&c);
	c.f.aux = aux;
	c.f.aux_len = sizeof(aux);
	c.f.gen_start = 41;
	c.cfg.has_privlevel = true;
	c.cfg.privlevel = 2;
	assert_int_equal(agent_provider_tsm.get(&c.cfg, c.rd, &ev, &err), 0);
	/* an entry of our own under report/, inblob exactly the 64 bytes, privlevel 2 */
	assert_non_null(strstr(c.f.entry, "/report/snpvm-agent-"));
	assert_int_equal(c.f.inblob_len, SNP_REPORT_DATA_SIZE);
	assert_memory_equal(c.f.inblob, c.rd, SNP_REPORT_DATA_SIZE);
	assert_string_equal(c.f.privlevel, "2\n");
	assert_int_equal(c.f.rounds, 1);
	assert_string_equal(ev.provider, "sev_guest");
	fake_report(c.rd, want);
	assert_int_equal(ev.outblob_len, SNP_REPORT_SIZE);
	assert_memory_equal(ev.outblob, want, SNP_REPORT_SIZE);
	assert_int_equal(ev.auxblob_len, sizeof(aux));
	assert_memory_equal(ev.auxblob, aux, sizeof(aux));
	tsm_evidence_free(&ev);
	case_done(&c);
}

static void tsm_provider_without_auxblob_or_privlevel(void **state)
{
	struct tsm_case c;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	case_init(&c);
	assert_int_equal(agent_provider_tsm.get(&c.cfg, c.rd, &ev, &err), 0);
	assert_string_equal(c.f.privlevel, ""); /* never written */
	assert_null(ev.auxblob);
	assert_int_equal(ev.auxblob_len, 0);
	tsm_evidence_free(&ev);
	case_done(&c);
}

static void tsm_provider_retries_when_generation_moves(void **state)
{
	struct tsm_case c;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	case_init(&c);
	c.f.clobber_rounds = 1;
	assert_int_equal(agent_provider_tsm.get(&c.cfg, c.rd, &ev, &err), 0);
	assert_int_equal(c.f.rounds, 2);
	assert_int_equal(c.f.mkdirs, 1);
	assert_memory_equal(c.f.inblob, c.rd, SNP_REPORT_DATA_SIZE);
	tsm_evidence_free(&ev);
	case_done(&c);
}

static void tsm_provider_gives_up_when_generation_keeps_moving(void **state)
{
	struct tsm_case c;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	case_init(&c);
	c.f.clobber_rounds = 100;
	assert_int_equal(agent_provider_tsm.get(&c.cfg, c.rd, &ev, &err), SNP_E_STATE);
	assert_non_null(strstr(err.msg, "generation changed under every one of 3 attempts"));
	assert_int_equal(c.f.rounds, AGENT_PROVIDER_RETRIES);
	assert_null(ev.outblob);
	case_done(&c);
}

static void tsm_provider_refuses_another_tee(void **state)
{
	struct tsm_case c;
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	case_init(&c);
	c.f.provider = "tdx_guest\n";
	assert_int_equal(agent_provider_tsm.get(&c.cfg, c.rd, &ev, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "provider \"tdx_guest\""));
	assert_null(ev.outblob);
	case_done(&c);
}

static void tsm_provider_names_missing_configfs(void **state)
{
	struct agent_provider_cfg cfg = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	uint8_t rd[SNP_REPORT_DATA_SIZE] = { 0 };
	char *root = tmpdir_make();

	(void)state;
	cfg.tsm_root = root; /* no report/ directory: real mkdir(2) fails */
	assert_int_equal(agent_provider_tsm.get(&cfg, rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "configfs-tsm"));
	assert_non_null(strstr(err.msg, root));
	cfg.has_privlevel = true;
	cfg.privlevel = 4;
	assert_int_equal(agent_provider_tsm.get(&cfg, rd, &ev, &err), SNP_E_INVALID);
	rm_rf(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsm_provider_reads_report_auxblob_and_privlevel),
		cmocka_unit_test(tsm_provider_without_auxblob_or_privlevel),
		cmocka_unit_test(tsm_provider_retries_when_generation_moves),
		cmocka_unit_test(tsm_provider_gives_up_when_generation_keeps_moving),
		cmocka_unit_test(tsm_provider_refuses_another_tee),
		cmocka_unit_test(tsm_provider_names_missing_configfs),
	};

	return cmocka_run_group_tests_name("provider-tsm", tests, NULL, NULL);
}
