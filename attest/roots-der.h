/* The pinned AMD certificates as DER (attest/roots-der.c, generated once). */
#ifndef SNPVM_ATTEST_ROOTS_DER_H
#define SNPVM_ATTEST_ROOTS_DER_H

#define ROOTS_DER_ARK_MILAN_LEN 1639
extern const unsigned char roots_der_ark_milan[ROOTS_DER_ARK_MILAN_LEN];
#define ROOTS_DER_ASK_MILAN_LEN 1677
extern const unsigned char roots_der_ask_milan[ROOTS_DER_ASK_MILAN_LEN];
#define ROOTS_DER_ASVK_MILAN_LEN 1683
extern const unsigned char roots_der_asvk_milan[ROOTS_DER_ASVK_MILAN_LEN];
#define ROOTS_DER_ARK_GENOA_LEN 1639
extern const unsigned char roots_der_ark_genoa[ROOTS_DER_ARK_GENOA_LEN];
#define ROOTS_DER_ASK_GENOA_LEN 1677
extern const unsigned char roots_der_ask_genoa[ROOTS_DER_ASK_GENOA_LEN];
#define ROOTS_DER_ASVK_GENOA_LEN 1683
extern const unsigned char roots_der_asvk_genoa[ROOTS_DER_ASVK_GENOA_LEN];
#define ROOTS_DER_ARK_TURIN_LEN 1639
extern const unsigned char roots_der_ark_turin[ROOTS_DER_ARK_TURIN_LEN];
#define ROOTS_DER_ASK_TURIN_LEN 1677
extern const unsigned char roots_der_ask_turin[ROOTS_DER_ASK_TURIN_LEN];
#define ROOTS_DER_ASVK_TURIN_LEN 1683
extern const unsigned char roots_der_asvk_turin[ROOTS_DER_ASVK_TURIN_LEN];

#endif
