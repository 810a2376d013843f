#include "attest/roots.h"

#include "attest/roots-der.h"

/* SHA-256 values of AMD's published certificates (docs/verify.md), typed in, not computed. */
static const struct root_pin pins[] = {
#define PIN(P, R, CN, NAME, HEX) { P, R, CN, roots_der_##NAME, sizeof(roots_der_##NAME), HEX }
	PIN(SNP_PRODUCT_MILAN, ROOT_ARK, "ARK-Milan", ark_milan,
	    "69d063b45344d26a2e94e1f4210de49ef555308287d4c174445c95639a540bcd"),
	PIN(SNP_PRODUCT_MILAN, ROOT_ASK, "SEV-Milan", ask_milan,
	    "67d303bd3905fd38db8b20e0793699870e7fa612eaad5dec358293fd8c0bac1b"),
	PIN(SNP_PRODUCT_MILAN, ROOT_ASVK, "SEV-VLEK-Milan", asvk_milan,
	    "c5e081f59b7efab1fe2f8b505e159704e72f29cab7ef7cf628a05a42439082f5"),
	PIN(SNP_PRODUCT_GENOA, ROOT_ARK, "ARK-Genoa", ark_genoa,
	    "4c6598d19c18719c5dfd4a7d335f674e5bfe1d8f800cea2cf270c10d103db2f1"),
	PIN(SNP_PRODUCT_GENOA, ROOT_ASK, "SEV-Genoa", ask_genoa,
	    "5464738c1546aed5f2cecf1dc98c5c960a92e8913238a61711bc90ec6e828521"),
	PIN(SNP_PRODUCT_GENOA, ROOT_ASVK, "SEV-VLEK-Genoa", asvk_genoa,
	    "197e610743a917d6b9bb982a5a9226ccc0a15b611be0619e626aca9151457372"),
	PIN(SNP_PRODUCT_TURIN, ROOT_ARK, "ARK-Turin", ark_turin,
	    "1f084161a44bb6d93778a904877d4819cafa5d05ef4193b2ded9dd9c73dd3f6a"),
	PIN(SNP_PRODUCT_TURIN, ROOT_ASK, "SEV-Turin", ask_turin,
	    "5b77ef5fe7a7a004fd9032668fba9d0fda22f88c4442069a479636a6ae3b3185"),
	PIN(SNP_PRODUCT_TURIN, ROOT_ASVK, "SEV-VLEK-Turin", asvk_turin,
	    "104e10a8bd060a3c20a434261a57d0588fd65a88915b4f65b08bdecaf8df1a3c"),
#undef PIN
};

#define NPINS (sizeof(pins) / sizeof(pins[0]))

const char *root_role_name(enum root_role r)
{
	switch (r) {
	case ROOT_ARK:
		return "ARK";
	case ROOT_ASK:
		return "ASK";
	case ROOT_ASVK:
		return "ASVK";
	default:
		return "?";
	}
}

const struct root_pin *roots_find(enum snp_product p, enum root_role r)
{
	for (size_t i = 0; i < NPINS; i++)
		if (pins[i].product == p && pins[i].role == r)
			return &pins[i];
	return NULL;
}

const struct root_pin *roots_all(size_t *n)
{
	*n = NPINS;
	return pins;
}
