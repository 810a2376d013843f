/*
 * attest/roots.c: the built-in AMD certificates are exactly the fixture
 * copies, their SHA-256 equals the digests of AMD's published certificates
 * (listed in docs/verify.md; the hex below was typed in separately, not copied
 * from attest/roots.c),
 * and each ARK self-signature and ARK -> ASK/ASVK signature verifies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "attest/chain.h"
#include "attest/roots.h"
#include "attest/verify.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

static const struct {
	enum snp_product product;
	enum root_role role;
	const char *cn, *sha256, *bundle; /* bundle: fixture PEM holding the cert */
} table[] = {
	{ SNP_PRODUCT_MILAN, ROOT_ARK, "ARK-Milan",
	  "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd",
	  "attest/virtee_sev/builtin_milan_ark.pem" },
	{ SNP_PRODUCT_MILAN, ROOT_ASK, "SEV-Milan",
	  "67d303bd3905fd38db8b20e0793699870e7fa612eaad5dec358293fd8c0bac1b",
	  "attest/virtee_sev/builtin_milan_ask.pem" },
	{ SNP_PRODUCT_MILAN, ROOT_ASVK, "SEV-VLEK-Milan",
	  "c5e081f59b7efab1fe2f8b505e159704e72f29cab7ef7cf628a05a42439082f5",
	  "attest/gosevguest/ask_ark_milan_vlek.pem" },
	{ SNP_PRODUCT_GENOA, ROOT_ARK, "ARK-Genoa",
	  "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1",
	  "attest/virtee_sev/builtin_genoa_ark.pem" },
	{ SNP_PRODUCT_GENOA, ROOT_ASK, "SEV-Genoa",
	  "5464738c1546aed5f2cecf1dc98c5c960a92e8913238a61711bc90ec6e828521",
	  "attest/virtee_sev/builtin_genoa_ask.pem" },
	{ SNP_PRODUCT_GENOA, ROOT_ASVK, "SEV-VLEK-Genoa",
	  "197e610743a917d6b9bb982a5a9226ccc0a15b611be0619e626aca9151457372",
	  "attest/gosevguest/ask_ark_genoa_vlek.pem" },
	{ SNP_PRODUCT_TURIN, ROOT_ARK, "ARK-Turin",
	  "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a",
	  "attest/virtee_sev/builtin_turin_ark.pem" },
	{ SNP_PRODUCT_TURIN, ROOT_ASK, "SEV-Turin",
	  "5b77ef5fe7a7a004fd9032668fba9d0fda22f88c4442069a479636a6ae3b3185",
	  "attest/virtee_sev/builtin_turin_ask.pem" },
	{ SNP_PRODUCT_TURIN, ROOT_ASVK, "SEV-VLEK-Turin",
	  "104e10a8bd060a3c20a434261a57d0588fd65a88915b4f65b08bdecaf8df1a3c",
	  "attest/gosevguest/ask_ark_turin_vlek.pem" },
};

#define NTABLE (sizeof(table) / sizeof(table[0]))

static void pins_match_reference_sha256(void **state)
{
	size_t n;

	(void)state;
	roots_all(&n);
	assert_int_equal(n, NTABLE);
	for (size_t i = 0; i < NTABLE; i++) {
		const struct root_pin *pin = roots_find(table[i].product, table[i].role);
		unsigned char md[32];
		unsigned int mdlen = 0;
		char hex[65];

		assert_non_null(pin);
		assert_string_equal(pin->cn, table[i].cn);
		assert_int_equal(EVP_Digest(pin->der, pin->len, md, &mdlen, EVP_sha256(), NULL), 1);
		hex_encode(md, 32, hex);
		assert_string_equal(hex, table[i].sha256);
	}
}

/* The built-in DER is one of the certificates of the fixture bundle, byte for byte. */
static void pins_equal_fixture_pems(void **state)
{
	(void)state;
	for (size_t i = 0; i < NTABLE; i++) {
		const struct root_pin *pin = roots_find(table[i].product, table[i].role);
		FILE *fp = fopen(tdata_path(table[i].bundle), "r");
		X509 *x;
		int found = 0;

		assert_non_null(fp);
		while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
			unsigned char *der = NULL;
			int len = i2d_X509(x, &der);

			found |= len == (int)pin->len && memcmp(der, pin->der, pin->len) == 0;
			OPENSSL_free(der);
			X509_free(x);
		}
		fclose(fp);
		if (!found)
			fail_msg("%s not found in %s", table[i].cn, table[i].bundle);
	}
}

static void pinned_chain_signatures_verify(void **state)
{
	struct snp_err err = { 0 };
	struct verifier *v = NULL;

	(void)state;
	if (verifier_new(&v, &err) != 0)
		fail_msg("%s", err.msg);
	for (size_t i = 0; i < NTABLE; i++) {
		X509 *x = verifier_pinned(v, table[i].product, table[i].role);
		X509 *ark = verifier_pinned(v, table[i].product, ROOT_ARK);

		assert_non_null(x);
		if (chain_check_signed(x, table[i].cn, ark, "ARK", &err) != 0)
			fail_msg("%s", err.msg);
	}
	/* Cross-product: the Genoa ARK did not sign the Milan ASK. */
	assert_int_equal(chain_check_signed(verifier_pinned(v, SNP_PRODUCT_MILAN, ROOT_ASK), "ASK",
					    verifier_pinned(v, SNP_PRODUCT_GENOA, ROOT_ARK), "ARK",
					    &err),
			 SNP_E_CHAIN);
	verifier_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pins_match_reference_sha256),
		cmocka_unit_test(pins_equal_fixture_pems),
		cmocka_unit_test(pinned_chain_signatures_verify),
	};

	return cmocka_run_group_tests_name("attest/roots", tests, NULL, NULL);
}
