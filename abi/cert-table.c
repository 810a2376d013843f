#include "abi/cert-table.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "abi/endian.h"
#include "abi/reader.h"

const uint8_t SNP_CERT_GUID_VCEK[SNP_CERT_GUID_SIZE] = {
	0x63, 0xda, 0x75, 0x8d, 0xe6, 0x64, 0x45, 0x64,
	0xad, 0xc5, 0xf4, 0xb9, 0x3b, 0xe8, 0xac, 0xcd,
};
const uint8_t SNP_CERT_GUID_VLEK[SNP_CERT_GUID_SIZE] = {
	0xa8, 0x07, 0x4b, 0xc2, 0xa2, 0x5a, 0x48, 0x3e,
	0xaa, 0xe6, 0x39, 0xc0, 0x45, 0xa0, 0xb8, 0xa1,
};
const uint8_t SNP_CERT_GUID_ASK[SNP_CERT_GUID_SIZE] = {
	0x4a, 0xb7, 0xb3, 0x79, 0xbb, 0xac, 0x4f, 0xe4,
	0xa0, 0x2f, 0x05, 0xae, 0xf3, 0x27, 0xc7, 0x82,
};
const uint8_t SNP_CERT_GUID_ARK[SNP_CERT_GUID_SIZE] = {
	0xc0, 0xb4, 0x06, 0xa4, 0xa8, 0x03, 0x49, 0x52,
	0x97, 0x43, 0x3f, 0xb6, 0x01, 0x4c, 0xd0, 0xae,
};
const uint8_t SNP_CERT_GUID_CRL[SNP_CERT_GUID_SIZE] = {
	0x92, 0xf8, 0x1b, 0xc3, 0x58, 0x11, 0x4d, 0x3d,
	0x97, 0xff, 0xd1, 0x9f, 0x88, 0xdc, 0x67, 0xea,
};
const uint8_t SNP_CERT_GUID_EXTRA_PLATFORM_INFO[SNP_CERT_GUID_SIZE] = {
	0xec, 0xae, 0x0c, 0x0f, 0x95, 0x02, 0x43, 0xb1,
	0xaf, 0xa2, 0x0a, 0xe2, 0xe0, 0xd5, 0x65, 0xb6,
};

static const struct {
	const uint8_t *guid;
	const char *name;
} known[] = {
	{ SNP_CERT_GUID_VCEK, "VCEK" },
	{ SNP_CERT_GUID_VLEK, "VLEK" },
	{ SNP_CERT_GUID_ASK, "ASK" },
	{ SNP_CERT_GUID_ARK, "ARK" },
	{ SNP_CERT_GUID_CRL, "CRL" },
	{ SNP_CERT_GUID_EXTRA_PLATFORM_INFO, "extra platform info" },
};

const char *cert_table_guid_name(const uint8_t guid[SNP_CERT_GUID_SIZE])
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (memcmp(known[i].guid, guid, SNP_CERT_GUID_SIZE) == 0)
			return known[i].name;
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

int cert_table_parse(const uint8_t *buf, size_t len, struct snp_cert_table *out,
		     struct snp_err *err)
{
	struct rd r = rd_init(buf, len, "cert table");
	struct snp_cert_table t;
	size_t array_end;
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	memset(&t, 0, sizeof(t));
	for (;;) {
		struct snp_cert_entry e;

		if ((ret = rd_bytes(&r, "entry GUID", e.guid, SNP_CERT_GUID_SIZE, err)) != 0 ||
		    (ret = rd_le32(&r, "entry offset", &e.offset, err)) != 0 ||
		    (ret = rd_le32(&r, "entry length", &e.len, err)) != 0)
			goto out;
		if (all_zero(e.guid, SNP_CERT_GUID_SIZE)) {
			if (e.offset != 0 || e.len != 0) {
				ret = snp_errf(err, SNP_E_INVALID,
					       "cert table: entry %zu at 0x%zx: zero GUID with offset 0x%x length %u (a terminator must be all zero)",
					       t.n, rd_pos(&r) - SNP_CERT_ENTRY_SIZE, e.offset, e.len);
				goto out;
			}
			break;
		}
		if (t.n == SNP_CERT_TABLE_MAX) {
			ret = snp_errf(err, SNP_E_INVALID,
				       "cert table: more than %d entries before the terminator",
				       SNP_CERT_TABLE_MAX);
			goto out;
		}
		for (size_t i = 0; i < t.n; i++) {
			if (memcmp(t.entry[i].guid, e.guid, SNP_CERT_GUID_SIZE) == 0) {
				const char *name = cert_table_guid_name(e.guid);

				ret = snp_errf(err, SNP_E_INVALID,
					       "cert table: entry %zu: duplicate GUID (%s) of entry %zu",
					       t.n, name ? name : "unknown", i);
				goto out;
			}
		}
		t.entry[t.n++] = e;
	}
	array_end = r.off;
	for (size_t i = 0; i < t.n; i++) {
		struct rd blob;

		if (t.entry[i].offset < array_end) {
			ret = snp_errf(err, SNP_E_INVALID,
				       "cert table: entry %zu: offset 0x%x lies inside the entry array (ends at 0x%zx)",
				       i, t.entry[i].offset, array_end);
			goto out;
		}
		/* rd_view checks offset + length against the buffer without overflow. */
		if ((ret = rd_view(&r, "cert table blob", t.entry[i].offset, t.entry[i].len, &blob,
				   err)) != 0) {
			snp_err_prefix(err, "cert table: entry %zu (offset 0x%x, length %u): ", i,
				       t.entry[i].offset, t.entry[i].len);
			goto out;
		}
		t.data[i] = blob.buf;
	}
	*out = t;
	ret = 0;
out:
	return ret;
}

const uint8_t *cert_table_find(const struct snp_cert_table *t,
			       const uint8_t guid[SNP_CERT_GUID_SIZE], size_t *len)
{
	*len = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (memcmp(t->entry[i].guid, guid, SNP_CERT_GUID_SIZE) == 0) {
			*len = t->entry[i].len;
			return t->data[i];
		}
	}
	return NULL;
}

int cert_table_write(const struct snp_cert_blob *blobs, size_t n, uint8_t **out,
		     size_t *out_len, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t total, off;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	*out_len = 0;
	if (n > SNP_CERT_TABLE_MAX) {
		ret = snp_errf(err, SNP_E_INVALID, "cert table: %zu blobs, at most %d", n,
			       SNP_CERT_TABLE_MAX);
		goto out;
	}
	total = (n + 1) * SNP_CERT_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		if (all_zero(blobs[i].guid, SNP_CERT_GUID_SIZE)) {
			ret = snp_errf(err, SNP_E_INVALID, "cert table: blob %zu has a zero GUID", i);
			goto out;
		}
		for (size_t j = 0; j < i; j++) {
			if (memcmp(blobs[i].guid, blobs[j].guid, SNP_CERT_GUID_SIZE) == 0) {
				ret = snp_errf(err, SNP_E_INVALID,
					       "cert table: blob %zu duplicates the GUID of blob %zu",
					       i, j);
				goto out;
			}
		}
		if (blobs[i].len > UINT32_MAX || blobs[i].len > UINT32_MAX - total) {
			ret = snp_errf(err, SNP_E_INVALID,
				       "cert table: blob %zu of %zu bytes does not fit u32 offsets", i,
				       blobs[i].len);
			goto out;
		}
		total += blobs[i].len;
	}
	buf = calloc(1, total);
	if (!buf) {
		ret = snp_errf(err, SNP_E_NOMEM, "cert table: %zu bytes", total);
		goto out;
	}
	off = (n + 1) * SNP_CERT_ENTRY_SIZE;
	for (size_t i = 0; i < n; i++) {
		uint8_t *e = buf + i * SNP_CERT_ENTRY_SIZE;

		memcpy(e, blobs[i].guid, SNP_CERT_GUID_SIZE);
		le32_put(e + 16, (uint32_t)off);
		le32_put(e + 20, (uint32_t)blobs[i].len);
		if (blobs[i].len)
			memcpy(buf + off, blobs[i].data, blobs[i].len);
		off += blobs[i].len;
	}
	*out = buf;
	*out_len = total;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	return ret;
}
