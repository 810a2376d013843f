/*
 * host-check's "firmware" check (--firmware FILE): is this image one the
 * project knows, and fit for SNP? The manifest of known builds
 * (measure/firmware-known.h, ovmf-config/README.md) names each by the sha256
 * of the whole image. An unknown image fails: nobody has vouched for it, so
 * its launch measurement cannot be tied to a reproducible build. A known one
 * fails when it cannot launch SNP at all (no SEV metadata); it passes
 * otherwise, with the manifest's caveat (no measured direct boot: no
 * SNP_KERNEL_HASHES section, which launch and measure then refuse with a
 * kernel).
 */
#include <stdlib.h>

#include "hostcheck/internal.h"
#include "measure/firmware-known.h"
#include "util/file.h"

/* Larger than any OVMF image (4 MiB today); the flash region below 4 GiB is at most 16 MiB. */
#define FIRMWARE_MAX_BYTES (32u << 20)

static const char fix_unknown[] =
	"use a known build: `make ovmf` reproduces the pinned OVMF.amdsev.fd (ovmf-config/); "
	"an image of your own must be reproducible before its measurement means anything";

void hc_firmware(const char *path, struct hostcheck_result *r)
{
	const struct firmware_known *k = NULL;
	char hex[FIRMWARE_SHA256_HEX];
	struct snp_err err = { 0 };
	uint8_t *data = NULL;
	size_t len = 0;

	if (file_read(path, FIRMWARE_MAX_BYTES, &data, &len, &err) != 0) {
		hc_fail(r, "give the path of an OVMF image (a regular file, at most 32 MiB)", "%s",
			err.msg);
		return;
	}
	if (firmware_known_lookup(data, len, hex, &k, &err) != 0) {
		hc_fail(r, "check the OpenSSL installation", "%s: %s", path, err.msg);
	} else if (!k) {
		hc_fail(r, fix_unknown, "%s: sha256 %s is not a known build", path, hex);
	} else if (!k->sev_metadata) {
		hc_fail(r, fix_unknown, "%s: %s has no SEV metadata: it cannot launch an SNP guest",
			path, k->name);
	} else {
		hc_pass(r, "%s: %s, %s", path, k->name,
			k->note ? k->note : k->kernel_hashes ? "measured direct boot (kernel hashes)"
							     : "no measured direct boot");
	}
	free(data);
}
