/*
 * attestd/jose-dl.h loads libjose on first use, not at start-up: snpvm does
 * not link it (its constructors cost every command ~5 ms of start-up), a
 * process that has not used JOSE has not loaded it, and where it is missing
 * the JOSE operations fail naming the Debian package - they do not crash.
 *
 * The "missing" case runs in a forked child (the load happens once per
 * process), with libjose.so.0 hidden (tests/common/dl-hide.h).
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "attestd/jose-cfg.h"
#include "attestd/jose-dl.h"
#include "attestd/jwk.h"
#include "tests/common/dl-hide.h"
#include "tests/common/testutil.h"

/* snpvm's own list of needed libraries (its ELF NEEDED entries) lacks libjose. */
static void snpvm_does_not_link_jose(void **state)
{
	const char *bin = getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
	const char *argv[] = { "readelf", "--dynamic", bin, NULL };
	struct run_result res;

	(void)state;
	run_cmd(argv, NULL, &res);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out, "[libcrypto.so")); /* the list is there ... */
	assert_null(strstr(res.out, "libjose"));            /* ... without libjose */
	run_result_free(&res);
}

/* In the child: libjose hidden, every way in fails naming the package; nothing crashes. */
static int missing_child(void *arg)
{
	struct snp_err err = { 0 };
	struct josecfg jc;
	json_t *k = NULL;

	(void)arg;
	dl_hide(JOSE_DL_SONAME, "libjose-not-installed.so.0");
	if (josecfg_open(&jc, &err) != SNP_E_UNSUPPORTED || !strstr(err.msg, "libjose0") ||
	    !strstr(err.msg, "libjose-not-installed.so.0"))
		return 10;
	memset(&err, 0, sizeof(err));
	/* asked again (the load is not retried): the same answer, through a library call */
	if (jwk_generate(JWK_EC_P256, &k, &err) != SNP_E_UNSUPPORTED || k != NULL ||
	    !strstr(err.msg, "libjose0"))
		return 11;
	if (jose_dl_load(NULL) != SNP_E_UNSUPPORTED)
		return 12;
	if (dlopen(JOSE_DL_SONAME, RTLD_LAZY | RTLD_NOLOAD) != NULL)
		return 13;
	return 0;
}

static void missing_jose_names_the_package(void **state)
{
	char errbuf[512];
	int status;

	(void)state;
	status = fork_capture_stderr(missing_child, NULL, errbuf, sizeof(errbuf));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("status 0x%x, stderr: %s", status, errbuf);
	assert_string_equal(errbuf, ""); /* the library prints nothing */
}

/* Not loaded before the first JOSE operation; loaded by it, which then works. */
static void loaded_by_first_use(void **state)
{
	struct snp_err err = { 0 };
	json_t *k = NULL;

	(void)state;
	assert_null(dlopen(JOSE_DL_SONAME, RTLD_LAZY | RTLD_NOLOAD));
	if (jwk_generate(JWK_EC_P256, &k, &err) != 0)
		fail_msg("%s", err.msg);
	assert_string_equal(json_string_value(json_object_get(k, "crv")), "P-256");
	json_decref(k);
	assert_non_null(dlopen(JOSE_DL_SONAME, RTLD_LAZY | RTLD_NOLOAD));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(snpvm_does_not_link_jose),
		cmocka_unit_test(missing_jose_names_the_package),
		cmocka_unit_test(loaded_by_first_use),
	};

	return cmocka_run_group_tests_name("attestd/jose-dl", tests, NULL, NULL);
}
