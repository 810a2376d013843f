/*
 * libFuzzer target for launch_policy_parse: any bytes either parse into a
 * launch policy with exactly one image and values in range, or fail cleanly
 * with SNP_E_INVALID and a message naming the key.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "launcher/policy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "launch-policy";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct launch_policy p;
	struct snp_err err = { 0 };
	int ret = launch_policy_parse((const char *)data, size, "/d", &p, &err);

	if (ret != 0) {
		if (ret != SNP_E_INVALID || err.msg[0] == '\0' || p.payload || p.sim_dir)
			__builtin_trap();
		return 0;
	}
	if (!p.payload == !p.firmware || p.vcpus < 1 || p.vcpus > 32 || p.memory_mib < 2 ||
	    p.memory_mib > 3072 || !(p.guest_policy & (1ull << 17)) ||
	    strncmp(p.payload ? p.payload : p.firmware, "/", 1) != 0)
		__builtin_trap();
	launch_policy_free(&p);
	return 0;
}
