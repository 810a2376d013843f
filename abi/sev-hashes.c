#include "abi/sev-hashes.h"

#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

/* QEMU target/i386/sev.c (SevHashTable, SevHashTableEntry, PaddedSevHashTable). */
_Static_assert(sizeof(struct sev_hashes_entry_layout) == SEV_HASHES_ENTRY_LEN, "entry");
_Static_assert(offsetof(struct sev_hashes_entry_layout, hash) == 0x12, "entry hash");
_Static_assert(sizeof(struct sev_hashes_table_layout) == SEV_HASHES_TABLE_SIZE, "padded table");
_Static_assert(offsetof(struct sev_hashes_table_layout, len) == 0x10, "table length");
_Static_assert(offsetof(struct sev_hashes_table_layout, cmdline) == 0x12, "cmdline entry");
_Static_assert(offsetof(struct sev_hashes_table_layout, initrd) == 0x44, "initrd entry");
_Static_assert(offsetof(struct sev_hashes_table_layout, kernel) == 0x76, "kernel entry");
_Static_assert(offsetof(struct sev_hashes_table_layout, padding) == SEV_HASHES_TABLE_LEN,
	       "padding follows the table");

const uint8_t SEV_HASHES_GUID_TABLE[16] = {
	0x06, 0xd6, 0x38, 0x94, 0x22, 0x4f, 0xc9, 0x4c,
	0xb4, 0x79, 0xa7, 0x93, 0xd4, 0x11, 0xfd, 0x21,
};
const uint8_t SEV_HASHES_GUID_CMDLINE[16] = {
	0xd8, 0x2d, 0xd0, 0x97, 0x20, 0xbd, 0x94, 0x4c,
	0xaa, 0x78, 0xe7, 0x71, 0x4d, 0x36, 0xab, 0x2a,
};
const uint8_t SEV_HASHES_GUID_INITRD[16] = {
	0x31, 0xf7, 0xba, 0x44, 0x2f, 0x3a, 0xd7, 0x4b,
	0x9a, 0xf1, 0x41, 0xe2, 0x91, 0x69, 0x78, 0x1d,
};
const uint8_t SEV_HASHES_GUID_KERNEL[16] = {
	0x37, 0x94, 0xe7, 0x4d, 0xd2, 0xab, 0x7f, 0x42,
	0xb8, 0x35, 0xd5, 0xb1, 0x72, 0xd2, 0x04, 0x5b,
};

#define OFF(f) offsetof(struct sev_hashes_table_layout, f)

static void entry_write(uint8_t *p, const uint8_t guid[16], const uint8_t hash[SEV_HASH_SIZE])
{
	memcpy(p + offsetof(struct sev_hashes_entry_layout, guid), guid, 16);
	le16_put(p + offsetof(struct sev_hashes_entry_layout, len), SEV_HASHES_ENTRY_LEN);
	memcpy(p + offsetof(struct sev_hashes_entry_layout, hash), hash, SEV_HASH_SIZE);
}

void sev_hashes_write(const struct sev_hashes *h, uint8_t out[SEV_HASHES_TABLE_SIZE])
{
	memset(out, 0, SEV_HASHES_TABLE_SIZE);
	memcpy(out + OFF(guid), SEV_HASHES_GUID_TABLE, 16);
	le16_put(out + OFF(len), SEV_HASHES_TABLE_LEN);
	entry_write(out + OFF(cmdline), SEV_HASHES_GUID_CMDLINE, h->cmdline);
	entry_write(out + OFF(initrd), SEV_HASHES_GUID_INITRD, h->initrd);
	entry_write(out + OFF(kernel), SEV_HASHES_GUID_KERNEL, h->kernel);
}

static int guid_expect(struct rd *r, const char *field, const uint8_t want[16],
		       struct snp_err *err)
{
	size_t at = rd_pos(r);
	uint8_t got[16];
	int ret;

	if ((ret = rd_bytes(r, field, got, sizeof(got), err)) != 0)
		return ret;
	if (memcmp(got, want, sizeof(got)) != 0)
		return snp_errf(err, SNP_E_INVALID, "%s: %s at 0x%zx: unexpected GUID", r->what,
				field, at);
	return 0;
}

static int len_expect(struct rd *r, const char *field, uint16_t want, struct snp_err *err)
{
	size_t at = rd_pos(r);
	uint16_t got;
	int ret;

	if ((ret = rd_le16(r, field, &got, err)) != 0)
		return ret;
	if (got != want)
		return snp_errf(err, SNP_E_INVALID, "%s: %s at 0x%zx: got %u, want %u", r->what,
				field, at, got, want);
	return 0;
}

static int entry_parse(struct rd *r, const char *name, const uint8_t guid[16],
		       uint8_t hash[SEV_HASH_SIZE], struct snp_err *err)
{
	int ret;

	if ((ret = guid_expect(r, name, guid, err)) != 0 ||
	    (ret = len_expect(r, name, SEV_HASHES_ENTRY_LEN, err)) != 0 ||
	    (ret = rd_bytes(r, name, hash, SEV_HASH_SIZE, err)) != 0)
		return ret;
	return 0;
}

int sev_hashes_parse(const uint8_t *buf, size_t len, struct sev_hashes *h, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;
	struct rd r = rd_init(buf, len, "SEV hashes table");

	memset(h, 0, sizeof(*h));
	if ((ret = guid_expect(&r, "table GUID", SEV_HASHES_GUID_TABLE, err)) != 0 ||
	    (ret = len_expect(&r, "table length", SEV_HASHES_TABLE_LEN, err)) != 0 ||
	    (ret = entry_parse(&r, "cmdline entry", SEV_HASHES_GUID_CMDLINE, h->cmdline, err)) != 0 ||
	    (ret = entry_parse(&r, "initrd entry", SEV_HASHES_GUID_INITRD, h->initrd, err)) != 0 ||
	    (ret = entry_parse(&r, "kernel entry", SEV_HASHES_GUID_KERNEL, h->kernel, err)) != 0 ||
	    (ret = rd_zero(&r, "padding", SEV_HASHES_TABLE_SIZE - SEV_HASHES_TABLE_LEN, err)) != 0 ||
	    (ret = rd_end(&r, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret)
		memset(h, 0, sizeof(*h));
	return ret;
}
