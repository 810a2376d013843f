/* attest/chain.c: certificate validity at its boundaries (RFC 5280 includes both ends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/chain.h"
#include "tests/common/testutil.h"

/* The mstav Turin VCEK; its dates as `openssl x509 -startdate -enddate` prints them. */
#define TURIN_NOT_BEFORE 1770253473 /* 2026-02-05T01:04:33Z */
#define TURIN_NOT_AFTER 1991178273  /* 2033-02-05T01:04:33Z */

static void chain_validity_includes_both_ends(void **state)
{
	FILE *f = fopen(tdata_path("attest/mstav/turin_vcek.pem"), "r");
	struct snp_err err = { 0 };
	X509 *x;

	(void)state;
	assert_non_null(f);
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	assert_non_null(x);
	assert_int_equal(chain_check_validity(x, "VCEK", TURIN_NOT_BEFORE, &err), 0);
	assert_int_equal(chain_check_validity(x, "VCEK", TURIN_NOT_AFTER, &err), 0);
	assert_int_equal(chain_check_validity(x, "VCEK", TURIN_NOT_BEFORE - 1, &err), SNP_E_CHAIN);
	assert_non_null(strstr(err.msg, "not yet valid"));
	assert_int_equal(chain_check_validity(x, "VCEK", TURIN_NOT_AFTER + 1, &err), SNP_E_CHAIN);
	assert_non_null(strstr(err.msg, "expired"));
	X509_free(x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chain_validity_includes_both_ends),
	};

	return cmocka_run_group_tests_name("attest/chain", tests, NULL, NULL);
}
