/*
 * libFuzzer target for the firmware parser: abi/ovmf (footer table, entries,
 * SEV metadata) and measure/firmware (placement and section checks), plus a
 * full measurement of small images. Inputs that are not a multiple of 4 KiB
 * are also tried zero-padded at the front, so the footer stays at the end and
 * mutations reach the deeper parsers.
 *
 * Seeds (tests/fuzz/corpus/ovmf/, each at most 4 KiB): the two sev-snp-measure
 * suffix fixtures, the last 4 KiB of svsm.bin, Debian's OVMF.fd and
 * OVMF_CODE_4M.fd and OVMF.amdsev.fd (all from tests/data), and truncated
 * variants of the AmdSev suffix (last 100 / 2048 / 4095 bytes, first 4095).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "abi/ovmf.h"
#include "abi/page-info.h"
#include "measure/firmware.h"
#include "measure/measure.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

const char fuzz_target_name[] = "ovmf";

static void one(const uint8_t *data, size_t size)
{
	struct snp_err err = { 0 };
	struct ovmf_table t;
	struct firmware fw;
	struct measure_opts o;
	struct measure_result r;
	struct sev_hashes h;
	uint32_t off;
	int ret;

	ret = ovmf_table_parse(data, size, &t, &err);
	(void)ret;
	if (firmware_parse("OVMF", data, size, FIRMWARE_END_GPA, &fw, &err) != 0)
		return;
	ret = firmware_require_reset_block(&fw, &err);
	ret = firmware_require_metadata(&fw, &err);
	ret = firmware_kernel_hashes_offset(&fw, &off, &err);
	(void)ret;
	if (size > 16 * SNP_PAGE_SIZE)
		return;
	memset(&o, 0, sizeof(o));
	memset(&h, 0x5a, sizeof(h));
	o.launch.mode = MEASURE_MODE_SNP;
	o.launch.vmm = VMM_EC2;
	o.launch.vcpus = 2;
	o.launch.guest_features = 1;
	o.launch.ovmf = data;
	o.launch.ovmf_len = size;
	ret = measure_run(&o, &r, &err);
	o.launch.vmm = VMM_QEMU;
	o.launch.kernel_hashes = &h;
	o.launch.allow_no_sev_metadata = true;
	ret = measure_run(&o, &r, &err);
	o.launch.mode = MEASURE_MODE_SVSM;
	o.launch.kernel_hashes = NULL;
	o.launch.svsm = data;
	o.launch.svsm_len = size;
	ret = measure_run(&o, &r, &err);
	(void)ret;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t padded = (size + SNP_PAGE_SIZE - 1) / SNP_PAGE_SIZE * SNP_PAGE_SIZE;
	uint8_t *buf;

	one(data, size);
	if (size == 0 || size == padded || padded > 16 * SNP_PAGE_SIZE)
		return 0;
	buf = calloc(1, padded);
	if (!buf)
		return 0;
	memcpy(buf + padded - size, data, size);
	one(buf, padded);
	free(buf);
	return 0;
}
