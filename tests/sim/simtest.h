/*
 * Shared setup for the sim tests: a sim state directory per (product,
 * signer), made with a fixed seed. RSA-4096 key generation takes seconds, so
 * the first test that needs a given sim creates it once under
 * <build>/test-cache/ (the build directory of $SNPVM) and every test gets a
 * private copy. The seed makes the keys deterministic, so the cache changes
 * nothing but time: a test may delete it and get the same keys back.
 */
#ifndef SNPVM_TESTS_SIM_SIMTEST_H
#define SNPVM_TESTS_SIM_SIMTEST_H

#include <libgen.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "sim/sp.h"
#include "sim/store.h"
#include "tests/common/testutil.h"

static inline void simtest_cache_root(char *buf, size_t len)
{
	const char *bin = getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
	char *copy = strdup(bin);

	snprintf(buf, len, "%s/test-cache", dirname(copy));
	free(copy);
}

/*
 * A private copy of the cached sim for (product, signer); the caller removes
 * it with rm_rf and frees the string. Fails the test if the sim cannot be made.
 */
static inline char *simtest_dir(enum snp_product product, enum snp_signing_key signer)
{
	char root[1024], cached[1200], tmp[1300], seed[64], cmd[3000];
	const char *signame = signer == SNP_SIGNING_KEY_VLEK ? "vlek" : "vcek";
	struct stat st;
	char *dir;

	simtest_cache_root(root, sizeof(root));
	snprintf(cached, sizeof(cached), "%s/sim-%s-%s-v1", root, snp_product_name(product),
		 signame);
	snprintf(seed, sizeof(seed), "snpvm-test-%s-%s", snp_product_name(product), signame);
	if (stat(cached, &st) != 0) {
		struct snp_err err = { 0 };
		struct sim_init_opts o = {
			.product = product,
			.signer = signer,
			.seed = (const uint8_t *)seed,
			.seed_len = strlen(seed),
			.now = time(NULL) - 3600,
		};

		/* a fuzz build (build-fuzz/) may run before build/ exists */
		snprintf(tmp, sizeof(tmp), "%s", root);
		mkdir(dirname(tmp), 0755);
		mkdir(root, 0755);
		snprintf(tmp, sizeof(tmp), "%s.tmp%ld", cached, (long)getpid());
		o.dir = tmp;
		if (sim_store_init(&o, &err) != 0) {
			fprintf(stderr, "simtest: sim init: %s\n", err.msg);
			abort();
		}
		if (rename(tmp, cached) != 0)
			rm_rf(tmp); /* another test made it first */
	}
	dir = tmpdir_make();
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", cached, dir);
	if (system(cmd) != 0) {
		fprintf(stderr, "simtest: %s failed\n", cmd);
		abort();
	}
	return dir;
}

/* LAUNCH_UPDATE that must succeed; fails the test naming the page type, GPA and status. */
static inline void simtest_update(struct sim_guest *g, uint64_t gpa, uint8_t *data, size_t len,
				  enum snp_page_type t)
{
	struct snp_err err = { 0 };
	uint32_t st = 0xff;

	if (sim_launch_update(g, gpa, data, len, t, &st, &err) != 0 || st != 0)
		fail_msg("LAUNCH_UPDATE %s at 0x%llx: status %u: %s", snp_page_type_name(t),
			 (unsigned long long)gpa, st, err.msg);
}

#endif
