/*
 * measure/vmsa-build.c and measure/vmm-profile.c: the built VMSA pages against
 * the non-zero bytes and SHA-384 of the VMSAs virtee/sev-snp-measure v0.0.13
 * (sevsnpmeasure/vmsa.py) builds (Debian OVMF.fd, AP reset 0x80B004,
 * guest features 0x1, EPYC-Milan 0x00A00F11; SVSM: EPYC-v4, RIP 0xFFAEA000).
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

#include "measure/vmsa-build.h"
#include "util/hex.h"

struct ref {
	const char *name;
	enum vmm_type vmm;
	bool is_bsp;
	uint32_t eip;
	uint32_t sig;
	const char *sha384;
	const char *bytes; /* "offset:hexbytes ..." in file order; all else zero */
};

static const struct ref refs[] = {
	{ "QEMU BSP", VMM_QEMU, true, VMSA_RESET_VECTOR, 0x00A00F11,
	  "728af287318db5f3fc4d2357a969483c4225956dc555b514a78d64ee372112d13b3dca8afd02cdbd1c55697d8ce087f5",
	  "002:93 004:ffff 011:f09b 014:ffff 01a:ffff 022:93 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:8b 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:f0ff 268:060407 26c:060407 310:110fa0 3b0:01 3e8:01 "
	  "408:801f 410:7f03" },
	{ "QEMU AP", VMM_QEMU, false, 0x80B004, 0x00A00F11,
	  "24d6d6fe1cc2fd76d9504a2e411e2a1e229a6723c94521c373c21dd97514c44895fc07fea07e04b4186d90160c8dad0b",
	  "002:93 004:ffff 011:f09b 014:ffff 01a:80 022:93 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:8b 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:04b0 268:060407 26c:060407 310:110fa0 3b0:01 3e8:01 "
	  "408:801f 410:7f03" },
	{ "EC2 BSP", VMM_EC2, true, VMSA_RESET_VECTOR, 0x00A00F11,
	  "d08442e8bcdb6a5dcd7f22e4f7fd6979beffb9f0bb54a9d1977407fe84f482abf23c1baae6ce95a6a9e7a94c3c51f412",
	  "002:93 004:ffff 011:f09a 014:ffff 01a:ffff 022:92 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:83 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:f0ff 268:060407 26c:060407 311:06 3b0:01 3e8:01" },
	{ "EC2 AP", VMM_EC2, false, 0x80B004, 0x00A00F11,
	  "acff2d22db95b8eb82272d844aa2ad1f8f84218ccbab003697acade12228a6e901256e160d41713c22fed92e0a1ed0e1",
	  "002:93 004:ffff 011:f09b 014:ffff 01a:80 022:92 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:83 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:04b0 268:060407 26c:060407 311:06 3b0:01 3e8:01" },
	{ "GCE BSP", VMM_GCE, true, VMSA_RESET_VECTOR, 0x00A00F11,
	  "f9e03177dad7f4819ee193af7cfb70507d8a923ab513412e908bc73460a9dfdaa54215d58952816118ffb2ec281e7fd2",
	  "002:93 004:ffff 011:f09b 014:ffff 01a:ffff 022:93 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:8b 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:f0ff 268:060107 311:06 3b0:01 3e8:01" },
	{ "GCE AP", VMM_GCE, false, 0x80B004, 0x00A00F11,
	  "5302d262c88780a7a13159a327fa99cf188cab234c680e1f3b6729171380a4312511813a354cab136d69c778050c245a",
	  "002:93 004:ffff 011:f09b 014:ffff 01a:80 022:93 024:ffff 032:93 034:ffff 042:93 044:ffff "
	  "052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff 092:8b 094:ffff 0d1:10 148:40 158:10 "
	  "161:04 168:f00fffff 170:02 178:04b0 268:060107 311:06 3b0:01 3e8:01" },
	{ "SVSM", VMM_QEMU_SVSM, true, 0xFFAEA000, 0x00800F12,
	  "9bcd6592450e93e379ffe14e5e9d4102377d162fddcfaa991c06b2c278e0057836e2c8b6b8617641587b3acfd378eb7d",
	  "000:10 002:930cffffffff 010:08 012:9b0cffffffff 020:10 022:930cffffffff 030:10 "
	  "032:930cffffffff 040:10 042:930cffffffff 052:93 054:ffff 064:ffff 072:82 074:ffff 084:ffff "
	  "092:8b 094:ffff 0d1:10 148:40 158:11 161:04 168:f00fffff 170:02 179:a0aeff 268:060407 "
	  "26c:060407 310:120f80 3b0:01 3e8:01 408:801f" },
};

/* Builds the reference page from its "offset:bytes" list. */
static void ref_page(const char *spec, uint8_t page[SNP_VMSA_SIZE])
{
	const char *p = spec;

	memset(page, 0, SNP_VMSA_SIZE);
	while (*p) {
		char *end;
		unsigned long off = strtoul(p, &end, 16);

		assert_true(*end == ':');
		p = end + 1;
		while (*p && *p != ' ') {
			char hx[3] = { p[0], p[1], 0 };

			assert_true(off < SNP_VMSA_SIZE);
			page[off++] = (uint8_t)strtoul(hx, NULL, 16);
			p += 2;
		}
		while (*p == ' ')
			p++;
	}
}

static void sha384_hex(const uint8_t *page, char out[97])
{
	uint8_t md[48];
	unsigned int n;

	assert_int_equal(EVP_Digest(page, SNP_VMSA_SIZE, md, &n, EVP_sha384(), NULL), 1);
	hex_encode(md, sizeof(md), out);
}

static void vmsa_build_matches_reference_pages(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(refs) / sizeof(refs[0]); i++) {
		const struct ref *r = &refs[i];
		uint8_t want[SNP_VMSA_SIZE], got[SNP_VMSA_SIZE];
		char h[97];

		ref_page(r->bytes, want);
		sha384_hex(want, h);
		if (strcmp(h, r->sha384) != 0)
			fail_msg("%s: the transcribed reference bytes hash to %s", r->name, h);
		vmsa_build_page(vmm_profile_get(r->vmm), r->is_bsp, r->eip, r->sig, 0x1, got);
		for (size_t off = 0; off < SNP_VMSA_SIZE; off++)
			if (got[off] != want[off])
				fail_msg("%s: byte 0x%03zx is 0x%02x, want 0x%02x", r->name, off,
					 got[off], want[off]);
	}
}

/* EC2/GCE fix RDX; SVSM fixes SEV_FEATURES (sevsnpmeasure/vmsa.py). */
static void vmsa_build_profiles_fix_what_they_say(void **state)
{
	struct snp_vmsa v;

	(void)state;
	vmsa_build(vmm_profile_get(VMM_EC2), false, 0x80B004, 0x00A10F10, 0x21, &v);
	assert_int_equal(v.rdx, 0x600);
	assert_int_equal(v.sev_features, 0x21);
	vmsa_build(vmm_profile_get(VMM_QEMU), false, 0x80B004, 0x00A10F10, 0x21, &v);
	assert_int_equal(v.rdx, 0x00A10F10);
	assert_int_equal(v.cs.base, 0x800000);
	assert_int_equal(v.cs.selector, 0xF000);
	assert_int_equal(v.rip, 0xB004);
	vmsa_build(vmm_profile_get(VMM_QEMU_SVSM), false, 0xFFAEA000, 0x00A10F10, 0x21, &v);
	assert_int_equal(v.sev_features, 0x1);
	assert_int_equal(v.rip, 0xFFAEA000);
	assert_int_equal(v.x87_fcw, 0);
}

static void vmm_profile_find_is_case_insensitive_and_strict(void **state)
{
	struct snp_err err = { 0 };
	enum vmm_type t;

	(void)state;
	assert_int_equal(vmm_profile_find("QEMU", &t, &err), 0);
	assert_int_equal(t, VMM_QEMU);
	assert_int_equal(vmm_profile_find("Ec2", &t, &err), 0);
	assert_int_equal(t, VMM_EC2);
	assert_int_equal(vmm_profile_find("gce", &t, &err), 0);
	assert_int_equal(t, VMM_GCE);
	assert_int_equal(vmm_profile_find("qemu-svsm", &t, &err), SNP_E_UNSUPPORTED);
	assert_int_equal(vmm_profile_find("azure", &t, &err), SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "azure"));
	assert_null(vmm_profile_get((enum vmm_type)99));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmsa_build_matches_reference_pages),
		cmocka_unit_test(vmsa_build_profiles_fix_what_they_say),
		cmocka_unit_test(vmm_profile_find_is_case_insensitive_and_strict),
	};

	return cmocka_run_group_tests_name("measure/vmsa-build", tests, NULL, NULL);
}
