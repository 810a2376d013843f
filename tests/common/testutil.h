/*
 * Shared test helpers: locating fixtures under tests/data, reading them, and
 * running the snpvm binary as a user would. Tests run from the repo root.
 */
#ifndef SNPVM_TESTS_COMMON_TESTUTIL_H
#define SNPVM_TESTS_COMMON_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Reads tests/data/<rel> into a malloc'd buffer; fails the test if missing. */
uint8_t *tdata_read(const char *rel, size_t *len);

struct snp_report;
struct json_t;

/* Parses tests/data/<rel> as JSON (duplicate keys refused); fails the test otherwise. */
struct json_t *tdata_json(const char *rel);

/* Reads and strictly parses the report tests/data/<rel> into *rep; fails the test otherwise. */
void tdata_report(const char *rel, struct snp_report *rep);

/* "tests/data/<rel>" in a static buffer (overwritten by the next call). */
const char *tdata_path(const char *rel);

struct run_result {
	int status;    /* exit status, or 128+signal */
	char *out;     /* captured stdout, NUL-terminated, malloc'd */
	char *err;     /* captured stderr */
};

/*
 * Runs $SNPVM (default build/snpvm) with argv (NULL-terminated, without
 * argv[0]) and optional stdin text; captures stdout and stderr.
 */
void run_snpvm(const char *const argv[], const char *stdin_text, struct run_result *res);

/* The same for any program bin (a path, run with execv; exit 127 if it cannot start). */
void run_program(const char *bin, const char *const argv[], const char *stdin_text,
		 struct run_result *res);
void run_result_free(struct run_result *res);

/* A fresh temporary directory (mkdtemp); the caller removes it with rm_rf. */
char *tmpdir_make(void);
void rm_rf(const char *path);

#endif
