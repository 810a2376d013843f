/*
 * The ID block reference vectors of tests/data/idblock/README.md (the second
 * from sev-snp-measure's tests/test_id_block.py), typed in once for every idblock
 * test. Hex forms of the digests were decoded from the README's base64 with
 * Python, not with snpvm.
 */
#ifndef SNPVM_TESTS_COMMON_IDBLOCK_VECTORS_H
#define SNPVM_TESTS_COMMON_IDBLOCK_VECTORS_H

#define IDV_ID_KEY "idblock/id_key_test.pem"
#define IDV_AUTHOR_KEY "idblock/author_key_test.pem"

/* Vector 1: Debian OVMF.fd, 1 vCPU, EPYC-v4; zero ids, VERSION 1, GUEST_SVN 0, POLICY 0x30000. */
#define IDV_LD_HEX                                                                         \
	"11570979c77a0adb515761a702527c8b9e11554e730552621d950988613a3a75c6ff1703f540bd22" \
	"a9beede8fe7a97e3"
#define IDV_BLOCK_B64                                                    \
	"EVcJecd6CttRV2GnAlJ8i54RVU5zBVJiHZUJiGE6OnXG/xcD9UC9Iqm+7ej+epfj" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA"

/* Vector 2: sev-snp-measure's unit test, same keys and fields. */
#define IDV2_LD_B64 "B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t"
#define IDV2_BLOCK_B64                                                   \
	"B28FLQi9p6cAqipgjFyqawDrrSl7bWioWkWx5mmlWLZ+G5HShKMB/mPE+gdQRn7t" \
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAABAAAAAAAAAAAAAwAAAAAA"

/* SHA-384 of the ID and author public key structures (report ID_KEY_DIGEST, AUTHOR_KEY_DIGEST). */
#define IDV_ID_DIGEST_B64 "hwt+NcU/inLQ0yL3WrKvgmJ5Kq9leWIs5BMcPyHyied8sFYKXjuQs5MuZ07HCcsU"
#define IDV_AUTHOR_DIGEST_B64 "YxEcNLv8Ckk4+aAJvQdJgNgXIyPmFZnJ/TNtqGcySOHcqY0L6PdjdqEGuK/UwKBX"
#define IDV_ID_DIGEST_HEX                                                                  \
	"870b7e35c53f8a72d0d322f75ab2af8262792aaf6579622ce4131c3f21f289e77cb0560a5e3b90b3" \
	"932e674ec709cb14"
#define IDV_AUTHOR_DIGEST_HEX                                                              \
	"63111c34bbfc0a4938f9a009bd074980d8172323e61599c9fd336da8673248e1dca98d0be8f76376" \
	"a106b8afd4c0a057"

#endif
