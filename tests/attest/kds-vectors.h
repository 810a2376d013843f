/*
 * KDS URLs of the real mstav reports, written by hand for tests/attest/test-kds*.c.
 * CHIP_ID read with `xxd -s 0x1a0 -l 64`, SPLs from REPORTED_TCB (xxd -s 0x180)
 * by the TCB_VERSION layout (SNP ABI 56860); they equal the VCEKs' extensions
 * (`openssl asn1parse`) and tests/data/attest/README.md (Turin:
 * fmc1/bl1/tee1/snp4/ucode81).
 */
#ifndef SNPVM_TESTS_ATTEST_KDS_VECTORS_H
#define SNPVM_TESTS_ATTEST_KDS_VECTORS_H

#define KV_MILAN_HWID                                                                              \
	"4ffb5cb4fd594f3fee6528fc3fb10370bb38abe89dcd5ba2cf0ab6a11df2ca28"                         \
	"2add516bef45a890a8c9f9732bdca68f9f3f16c42e846030a800295dbeb19ba5"
#define KV_GENOA_HWID                                                                              \
	"b1e24a27bbc3a4d58090d8b89851dce3b8031544be249b9ac17132bb222b0276"                         \
	"22347ee4d0fe4f689efdfc47a68cefc686cbb448d01436506ee1e28010cab7c0"
#define KV_TURIN_HWID "59790fb1c39f35c1"

/* The path and query after the base URL. */
#define KV_MILAN_VCEK "/vcek/v1/Milan/" KV_MILAN_HWID "?blSPL=04&teeSPL=00&snpSPL=24&ucodeSPL=219"
#define KV_GENOA_VCEK "/vcek/v1/Genoa/" KV_GENOA_HWID "?blSPL=10&teeSPL=00&snpSPL=23&ucodeSPL=84"
#define KV_TURIN_VCEK                                                                              \
	"/vcek/v1/Turin/" KV_TURIN_HWID "?blSPL=01&teeSPL=01&snpSPL=04&ucodeSPL=81&fmcSPL=01"

/* REPORTED_TCB bytes in report order (the cache file name). */
#define KV_MILAN_TCB "04000000000018db"
#define KV_TURIN_TCB "0101010400000051"

#endif
