/*
 * launcher/policy.c: the launch policy file. The issue's example parses as
 * written; defaults; every unknown key and bad value is refused naming the
 * key; the canonical digest is SHA-256 of the sorted, compact JSON (computed
 * here by hand from the expected canonical text).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "launcher/policy.h"

static const char example[] =
	"{\"backend\": \"sim\", \"accel\": \"auto\", \"payload\": \"guest.elf\", \"vcpus\": 1, "
	"\"vcpu_type\": \"EPYC-v4\",\n \"memory_mib\": 64, \"guest_policy\": {\"debug\": false, "
	"\"smt\": true}, \"host_data\": \"policy-digest\",\n \"sim_dir\": \"sp\", \"console\": "
	"\"stdout\"}";

static void parse_ok(const char *text, struct launch_policy *p)
{
	struct snp_err err = { 0 };

	if (launch_policy_parse(text, strlen(text), "/etc/vm", p, &err) != 0)
		fail_msg("%s", err.msg);
}

static void issue_example_parses_as_written(void **state)
{
	/* The canonical form: keys sorted, no whitespace (docs/policy-file.md). */
	static const char canon[] =
		"{\"accel\":\"auto\",\"backend\":\"sim\",\"console\":\"stdout\",\"guest_policy\":"
		"{\"debug\":false,\"smt\":true},\"host_data\":\"policy-digest\",\"memory_mib\":64,"
		"\"payload\":\"guest.elf\",\"sim_dir\":\"sp\",\"vcpu_type\":\"EPYC-v4\",\"vcpus\":1}";
	uint8_t want[32];
	unsigned n = 32;
	struct launch_policy p;

	(void)state;
	parse_ok(example, &p);
	assert_string_equal(p.backend, "sim");
	assert_string_equal(p.accel, "auto");
	assert_string_equal(p.payload, "/etc/vm/guest.elf");
	assert_string_equal(p.sim_dir, "/etc/vm/sp");
	assert_null(p.firmware);
	assert_int_equal(p.vcpus, 1);
	assert_int_equal(p.vcpu_sig, 0x00800F12); /* EPYC-v4: family 0x17 (0xF + ext 8), model 1, stepping 2 */
	assert_int_equal(p.memory_mib, 64);
	assert_int_equal(p.guest_features, 0x1);
	assert_int_equal(p.guest_policy, 0x30000); /* reserved bit 17, SMT */
	assert_int_equal(p.console, LAUNCH_CONSOLE_STDOUT);
	assert_true(p.host_data_is_digest);
	assert_int_equal(EVP_Digest(canon, strlen(canon), want, &n, EVP_sha256(), NULL), 1);
	assert_memory_equal(p.digest, want, 32);
	assert_memory_equal(p.host_data, want, 32);
	launch_policy_free(&p);
}

static void defaults_and_values(void **state)
{
	struct launch_policy p;

	(void)state;
	parse_ok("{\"payload\": \"/abs/g.elf\", \"sim_dir\": \"s\"}", &p);
	assert_string_equal(p.payload, "/abs/g.elf");
	assert_string_equal(p.backend, "sim");
	assert_string_equal(p.accel, "auto");
	assert_int_equal(p.vcpus, 1);
	assert_int_equal(p.memory_mib, 64);
	assert_int_equal(p.guest_policy, 0x30000);
	assert_false(p.host_data_is_digest);
	for (int i = 0; i < 32; i++)
		assert_int_equal(p.host_data[i], 0);
	launch_policy_free(&p);
	parse_ok("{\"firmware\": \"OVMF.fd\", \"kernel\": \"k\", \"initrd\": \"i\", \"cmdline\": "
		 "\"c\", \"sim_dir\": \"s\", \"vcpus\": 4, \"guest_features\": \"0x5\", "
		 "\"guest_policy\": {\"smt\": false, \"debug\": true, \"migration_agent\": true, "
		 "\"single_socket\": true, \"abi_major\": 1, \"abi_minor\": 55}, \"host_data\": "
		 "\"00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\", "
		 "\"console\": \"out.log\", \"timeout\": 30, \"id_block\": {\"id_key\": \"id.pem\", "
		 "\"author_key\": \"a.pem\"}, \"accel\": \"emu\", \"backend\": \"snp\"}",
		 &p);
	assert_string_equal(p.firmware, "/etc/vm/OVMF.fd");
	assert_string_equal(p.kernel, "/etc/vm/k");
	assert_string_equal(p.cmdline, "c");
	assert_int_equal(p.vcpus, 4);
	assert_int_equal(p.guest_features, 5);
	/* bit 17 | DEBUG 19 | MIGRATE_MA 18 | SINGLE_SOCKET 20 | ABI 1.55 (SNP ABI spec 56860 table 9) */
	assert_int_equal(p.guest_policy, (1u << 17) | (1u << 19) | (1u << 18) | (1u << 20) |
						 (1u << 8) | 55);
	assert_int_equal(p.host_data[1], 0x11);
	assert_int_equal(p.console, LAUNCH_CONSOLE_FILE);
	assert_string_equal(p.console_path, "/etc/vm/out.log");
	assert_int_equal(p.timeout_s, 30);
	assert_string_equal(p.id_key, "/etc/vm/id.pem");
	assert_string_equal(p.author_key, "/etc/vm/a.pem");
	assert_string_equal(p.accel, "emu");
	assert_string_equal(p.backend, "snp");
	launch_policy_free(&p);
}

static void bad_policies_name_the_key(void **state)
{
	static const struct {
		const char *text, *needle;
	} cases[] = {
		{ "[]", "top level" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"payloda\": 1}", "payloda: unknown key" },
		{ "{\"payload\": \"g\", \"payload\": \"h\", \"sim_dir\": \"s\"}", "duplicate" },
		{ "{\"sim_dir\": \"s\"}", "exactly one of payload" },
		{ "{\"payload\": \"g\", \"firmware\": \"f\", \"sim_dir\": \"s\"}", "exactly one" },
		{ "{\"payload\": \"g\"}", "sim_dir" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"backend\": \"kvm\"}", "backend: \"kvm\"" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"accel\": \"tcg\"}", "accel: \"tcg\"" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"vcpus\": 0}", "vcpus: 0 is outside" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"vcpus\": 33}", "vcpus: 33" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"vcpus\": \"2\"}", "vcpus: expected an integer" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"vcpu_type\": \"EPYC-X\"}", "vcpu_type" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"memory_mib\": 3}", "memory_mib" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"memory_mib\": 4096}", "memory_mib" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"guest_features\": \"x\"}", "guest_features" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"guest_policy\": {\"smt\": 1}}",
		  "guest_policy.smt: expected true or false" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"guest_policy\": {\"cxl\": true}}",
		  "guest_policy.cxl: unknown key" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"guest_policy\": {\"abi_major\": 256}}",
		  "guest_policy.abi_major" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"host_data\": \"abcd\"}", "host_data" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"host_data\": \"zz112233445566778899aabbccddeeff00112233445566778899aabbccddeeff\"}",
		  "host_data" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"id_block\": {}}", "id_block: needs" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"id_block\": {\"id_key\": \"k\", "
		  "\"id_block_file\": \"b\"}}",
		  "not both" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"id_block\": {\"idkey\": \"k\"}}",
		  "id_block.idkey: unknown key" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"kernel\": \"k\"}", "kernel" },
		{ "{\"firmware\": \"f\", \"sim_dir\": \"s\", \"initrd\": \"i\"}", "initrd: needs kernel" },
		{ "{\"payload\": \"\", \"sim_dir\": \"s\"}", "payload: empty" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"console\": 1}", "console" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\", \"timeout\": -1}", "timeout" },
		{ "{\"payload\": \"g\", \"sim_dir\": \"s\"", "line 1" },
	};
	struct launch_policy p;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct snp_err err = { 0 };
		int ret = launch_policy_parse(cases[i].text, strlen(cases[i].text), ".", &p, &err);

		if (ret != SNP_E_INVALID || !strstr(err.msg, cases[i].needle))
			fail_msg("case %zu: want '%s', got %d '%s'", i, cases[i].needle, ret, err.msg);
		assert_null(p.payload);
		assert_null(p.sim_dir);
	}
}

static void size_cap_and_file_relative_paths(void **state)
{
	struct snp_err err = { 0 };
	struct launch_policy p;
	char *big = calloc(1, LAUNCH_POLICY_MAX_SIZE + 2);

	(void)state;
	assert_non_null(big);
	memset(big, ' ', LAUNCH_POLICY_MAX_SIZE + 1);
	assert_int_equal(launch_policy_parse(big, LAUNCH_POLICY_MAX_SIZE + 1, ".", &p, &err),
			 SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "exceeds"));
	free(big);
	/* The example file of docs/policy-file.md, relative to its own directory. */
	assert_int_equal(launch_policy_load("docs/examples/launch-policy.json", &p, &err), 0);
	assert_string_equal(p.payload, "docs/examples/guest.elf");
	launch_policy_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(issue_example_parses_as_written),
		cmocka_unit_test(defaults_and_values),
		cmocka_unit_test(bad_policies_name_the_key),
		cmocka_unit_test(size_cap_and_file_relative_paths),
	};

	return cmocka_run_group_tests_name("launcher/policy", tests, NULL, NULL);
}
