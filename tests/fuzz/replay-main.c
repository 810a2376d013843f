/*
 * Corpus replay: links with one fuzz-<name>.c and feeds it every file under
 * tests/fuzz/corpus/<name>/, so `make test` exercises each fuzz target with
 * gcc and the sanitizers of `make check`, without libFuzzer.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
extern const char fuzz_target_name[];

static void replay_corpus(void **state)
{
	char dir[512], path[1024];
	struct dirent *de;
	size_t n = 0;
	DIR *d;

	(void)state;
	snprintf(dir, sizeof(dir), "tests/fuzz/corpus/%s", fuzz_target_name);
	d = opendir(dir);
	if (!d)
		fail_msg("no corpus directory %s", dir);
	while ((de = readdir(d)) != NULL) {
		struct snp_err err = { 0 };
		uint8_t *buf;
		size_t len;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (file_read(path, 16u << 20, &buf, &len, &err) != 0)
			fail_msg("%s", err.msg);
		LLVMFuzzerTestOneInput(buf, len);
		free(buf);
		n++;
	}
	closedir(d);
	if (n == 0)
		fail_msg("corpus %s is empty", dir);
	printf("replayed %zu inputs from %s\n", n, dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replay_corpus),
	};

	return cmocka_run_group_tests_name(fuzz_target_name, tests, NULL, NULL);
}
