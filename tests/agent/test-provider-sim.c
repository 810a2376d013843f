/*
 * agent/provider-sim.c: against a fake report channel peer (a thread that
 * speaks the protocol of docs/guest-request-mailbox.md: read exactly 64
 * bytes, answer LEN bytes, close), and against a real launch of the serving
 * test guest (tests/guests/serve.c) on the sim backend through the
 * launcher's report channel, whose report then parses and carries the
 * REPORT_DATA asked for and the launch's MEASUREMENT.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "abi/report.h"
#include "agent/provider.h"
#include "launcher/launch.h"
#include "launcher/policy.h"
#include "tests/common/testutil.h"
#include "tests/sim/simtest.h"
#include "util/file.h"

struct peer {
	char *dir;
	char path[600];
	int lfd;
	size_t answer_len;  /* bytes to answer */
	bool silent;        /* never answer (until the client gives up) */
	uint8_t got[64];
	size_t got_len;
	pthread_t th;
};

static void *peer_fn(void *arg)
{
	struct peer *p = arg;
	uint8_t rep[0x1000];
	int fd = accept(p->lfd, NULL, NULL);
	ssize_t n;

	if (fd < 0)
		return NULL;
	while (p->got_len < sizeof(p->got) &&
	       (n = recv(fd, p->got + p->got_len, sizeof(p->got) - p->got_len, 0)) > 0)
		p->got_len += (size_t)n;
	if (p->silent) {
		char c;

		(void)!recv(fd, &c, 1, 0); /* until the client closes */
	} else {
		for (size_t i = 0; i < p->answer_len; i++)
			rep[i] = (uint8_t)(i * 11 + 3);
		if (p->answer_len >= 0x50 + 64)
			memcpy(rep + 0x50, p->got, 64);
		(void)!send(fd, rep, p->answer_len, MSG_NOSIGNAL);
	}
	close(fd);
	return NULL;
}

static void peer_start(struct peer *p, size_t answer_len, bool silent)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	memset(p, 0, sizeof(*p));
	p->dir = tmpdir_make();
	p->answer_len = answer_len;
	p->silent = silent;
	snprintf(p->path, sizeof(p->path), "%s/report.sock", p->dir);
	assert_true(strlen(p->path) < sizeof(sa.sun_path));
	strcpy(sa.sun_path, p->path);
	p->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(p->lfd >= 0);
	assert_int_equal(bind(p->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(p->lfd, 1), 0);
	assert_int_equal(pthread_create(&p->th, NULL, peer_fn, p), 0);
}

static void peer_stop(struct peer *p)
{
	pthread_join(p->th, NULL);
	close(p->lfd);
	rm_rf(p->dir);
	free(p->dir);
}

static void rd_fill(uint8_t *rd)
{
	for (int i = 0; i < 64; i++)
		rd[i] = (uint8_t)(0x80 ^ i);
}

static void sim_provider_relays_the_channel_answer(void **state)
{
	struct agent_provider_cfg cfg = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	struct peer p;
	uint8_t rd[64];

	(void)state;
	assert_true(agent_provider_sim.insecure);
	rd_fill(rd);
	peer_start(&p, SNP_REPORT_SIZE, false);
	cfg.sim_socket = p.path;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), 0);
	peer_stop(&p);
	assert_int_equal(p.got_len, 64);
	assert_memory_equal(p.got, rd, 64);
	assert_string_equal(ev.provider, "sev_guest");
	assert_int_equal(ev.outblob_len, SNP_REPORT_SIZE);
	assert_int_equal(ev.outblob[0], 3);
	assert_int_equal(ev.outblob[1], 14);
	assert_memory_equal(ev.outblob + 0x50, rd, 64);
	assert_null(ev.auxblob);
	tsm_evidence_free(&ev);
}

static void sim_provider_refusals(void **state)
{
	struct agent_provider_cfg cfg = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };
	struct peer p;
	uint8_t rd[64];

	(void)state;
	rd_fill(rd);
	/* the guest gave nothing: only the close */
	peer_start(&p, 0, false);
	cfg.sim_socket = p.path;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "no report"));
	peer_stop(&p);
	/* a short answer */
	peer_start(&p, 100, false);
	cfg.sim_socket = p.path;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "report: 100 bytes, want 1184"));
	assert_null(ev.outblob);
	peer_stop(&p);
	/* no answer within the limit */
	peer_start(&p, 0, true);
	cfg.sim_socket = p.path;
	cfg.sim_timeout_ms = 200;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "no answer in time"));
	peer_stop(&p);
	/* nobody listening, and no socket at all */
	cfg.sim_socket = "/nonexistent/report.sock";
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "/nonexistent/report.sock: connect"));
	cfg.sim_socket = NULL;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), SNP_E_INVALID);
}

/* A real `snpvm launch`-style run of tests/guests/serve.c, its channel served by the launcher. */
struct real_launch {
	struct launch_policy pol;
	struct launch_prep prep;
	struct launch_run_opts ro;
	struct launch_result res;
	struct snp_err err;
	int ret;
	char sock[600];
};

static void *launch_fn(void *arg)
{
	struct real_launch *l = arg;

	l->ret = launch_run(&l->pol, &l->prep, &l->ro, &l->res, &l->err);
	return NULL;
}

static void sim_provider_against_a_launched_serving_guest(void **state)
{
	char *sim = simtest_dir(SNP_PRODUCT_MILAN, SNP_SIGNING_KEY_VCEK), cwd[1024], text[4096];
	const char *g = tguest_path("serve");
	struct real_launch *l = calloc(1, sizeof(*l));
	struct agent_provider_cfg cfg = { 0 };
	const struct report_parse_opts strict = { 0 };
	struct tsm_evidence ev;
	struct snp_report rep;
	struct snp_err err = { 0 };
	struct stat st;
	pthread_t th;
	uint8_t rd[64];

	(void)state;
	assert_non_null(l);
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	snprintf(text, sizeof(text),
		 "{\"backend\": \"sim\", \"payload\": \"%s%s%s\", \"cmdline\": \"requests=1\", "
		 "\"vcpus\": 1, \"memory_mib\": 64, \"accel\": \"emu\", \"sim_dir\": \"%s\", "
		 "\"console\": \"none\", \"timeout\": 60}",
		 g[0] == '/' ? "" : cwd, g[0] == '/' ? "" : "/", g, sim);
	if (launch_policy_parse(text, strlen(text), sim, &l->pol, &err) != 0 ||
	    launch_prepare(&l->pol, &l->prep, &err) != 0)
		fail_msg("%s", err.msg);
	snprintf(l->sock, sizeof(l->sock), "%s/report.sock", sim);
	l->ro.channel_path = l->sock;
	l->ro.console_fd = -1;
	l->ro.timeout_ms = 60000;
	assert_int_equal(pthread_create(&th, NULL, launch_fn, l), 0);
	for (int i = 0; i < 6000 && stat(l->sock, &st) != 0; i++) {
		struct timespec ts = { 0, 10000000 };

		nanosleep(&ts, NULL);
	}
	rd_fill(rd);
	cfg.sim_socket = l->sock;
	assert_int_equal(agent_provider_sim.get(&cfg, rd, &ev, &err), 0);
	pthread_join(th, NULL);
	if (l->ret != 0)
		fail_msg("launch: %s", l->err.msg);
	/* a real report: strict parse, our REPORT_DATA, the launch's MEASUREMENT, VMPL 0 */
	assert_int_equal(report_parse(ev.outblob, ev.outblob_len, &strict, &rep, &err), 0);
	assert_memory_equal(rep.report_data, rd, 64);
	assert_memory_equal(rep.measurement, l->res.measurement, SNP_MEASUREMENT_SIZE);
	assert_int_equal(rep.vmpl, 0);
	assert_int_equal(l->res.vm.exit_value, 0); /* serve.c: 0 after its one request */
	tsm_evidence_free(&ev);
	launch_prep_free(&l->prep);
	launch_policy_free(&l->pol);
	free(l);
	rm_rf(sim);
	free(sim);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sim_provider_relays_the_channel_answer),
		cmocka_unit_test(sim_provider_refusals),
		cmocka_unit_test(sim_provider_against_a_launched_serving_guest),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("provider-sim", tests, NULL, NULL);
}
