#include "measure/firmware-known.h"

#include <stdio.h>
#include <string.h>

#include "measure/kernel-hashes.h"

/*
 * Sources of the hashes (none computed by running snpvm on the image):
 * - the AmdSev builds: the sha256 published with their build recipe
 *   (tests/data/firmware/README.md; ovmf-config/build.sh rebuilds the pinned
 *   one and compares);
 * - Debian 12's ovmf 2022.11-6+deb12u2: sha256sum of the files as the
 *   package installs them (dpkg --verify ovmf passes on them).
 * The section lists are the images' SEV metadata as QEMU's
 * hw/i386/pc_sysfw_ovmf.c reads it (gpa/size/type; types 1 SNP_SEC_MEM,
 * 2 SECRETS, 3 CPUID, 4 SVSM_CAA, 0x10 SNP_KERNEL_HASHES).
 */
static const struct firmware_known known[] = {
	{
		.sha256 = "5e096d451c351f2c310b3f24bbf5a1487122407b61431f32f36465a6bb15e688",
		.name = "OVMF.amdsev.fd (AmdSevX64, edk2 2025.02-8+deb13u1)",
		.origin = "OvmfPkg/AmdSev/AmdSevX64.dsc X64 GCC5 RELEASE from Debian 13's edk2 "
			  "2025.02-8+deb13u1 source on Debian 12's toolchain, empty grub.efi, fixed "
			  "34-character build path (ovmf-config/build.sh)",
		.sev_metadata = true,
		.kernel_hashes = true,
		.sections = "0x800000/0x9000/1 0x80a000/0x3000/1 0x80d000/0x1000/2 "
			    "0x80e000/0x1000/3 0x80f000/0x1000/4 0x811000/0xf000/1 "
			    "0x810000/0x1000/0x10",
	},
	{
		.sha256 = "36bb342aab17075e886cac1f37e7b2bd6aa50fa0d8a8774309ae085c26079cf2",
		.name = "AmdSevX64, edk2 2022.11-6+deb12u2",
		.origin = "OvmfPkg/AmdSev/AmdSevX64.dsc X64 GCC5 RELEASE from Debian 12's edk2 "
			  "2022.11-6+deb12u2 source, empty grub.efi, 27-character build path",
		.sev_metadata = true,
		.kernel_hashes = false,
		.sections = "0x800000/0x9000/1 0x80a000/0x4000/1 0x80e000/0x1000/2 "
			    "0x80f000/0x1000/3 0x810000/0x10000/1",
		.note = "no SNP_KERNEL_HASHES section, and its blob verifier falls through to other "
			"boot paths on a hash mismatch (fixed in edk2-stable202408)",
	},
	{
		.sha256 = "7b456907dd0786d415999e801a1ac4637b8ed4d7cf5378cfc6edbe5e574dd773",
		.name = "Debian 12 ovmf 2022.11-6+deb12u2 /usr/share/ovmf/OVMF.fd",
		.origin = "Debian package ovmf 2022.11-6+deb12u2 (OvmfPkgX64, 2 MiB)",
		.sev_metadata = true,
		.kernel_hashes = false,
		.sections = "0x800000/0x9000/1 0x80a000/0x3000/1 0x80d000/0x1000/2 "
			    "0x80e000/0x1000/3 0x80f000/0x11000/1",
		.note = "no SNP_KERNEL_HASHES section: no measured direct boot",
	},
	{
		.sha256 = "d9b568def24088c92f34b5479e0ed7e44d0a4d4cea8a0f5716719180bba48106",
		.name = "Debian 12 ovmf 2022.11-6+deb12u2 /usr/share/OVMF/OVMF_CODE.fd",
		.origin = "Debian package ovmf 2022.11-6+deb12u2 (OvmfPkgX64 code volume, 2 MiB)",
		.sev_metadata = true,
		.kernel_hashes = false,
		.sections = "0x800000/0x9000/1 0x80a000/0x3000/1 0x80d000/0x1000/2 "
			    "0x80e000/0x1000/3 0x80f000/0x11000/1",
		.note = "no SNP_KERNEL_HASHES section: no measured direct boot",
	},
	{
		.sha256 = "b157d97b1f69729514feb7f201d2cbe4957f23ab77920e361fe9f822ba49ca4c",
		.name = "Debian 12 ovmf 2022.11-6+deb12u2 /usr/share/OVMF/OVMF_CODE_4M.fd",
		.origin = "Debian package ovmf 2022.11-6+deb12u2 (OvmfPkgX64 4 MiB code volume)",
		.sev_metadata = false,
		.kernel_hashes = false,
		.sections = "",
		.note = "no SEV metadata: cannot launch SNP",
	},
};

int firmware_known_lookup(const uint8_t *data, size_t len, char hex[FIRMWARE_SHA256_HEX],
			  const struct firmware_known **out, struct snp_err *err)
{
	uint8_t h[SEV_HASH_SIZE];
	int ret;

	*out = NULL;
	hex[0] = '\0';
	if ((ret = kernel_hashes_sha256(data, len, h, err)) != 0)
		return ret;
	for (size_t i = 0; i < sizeof(h); i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (strcmp(known[i].sha256, hex) == 0)
			*out = &known[i];
	return 0;
}

const struct firmware_known *firmware_known_all(size_t *n)
{
	*n = sizeof(known) / sizeof(known[0]);
	return known;
}
