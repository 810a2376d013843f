#include "attestd/tsm-cbor.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "abi/report.h"

/*
 * Decoding walks the items with libcbor's stateless streaming decoder, one
 * item per call: it reports each item's major type, length and data without
 * building a tree, so an indefinite length, a nested container or a tag is
 * seen (and refused) as such, and the bytes an item occupied can be compared
 * with the preferred (shortest) header RFC 8949 §4.2.1 requires.
 */

enum item_kind {
	ITEM_NONE = 0,
	ITEM_UINT,
	ITEM_NEGINT,
	ITEM_BSTR,
	ITEM_BSTR_INDEF,
	ITEM_TSTR,
	ITEM_TSTR_INDEF,
	ITEM_ARRAY,
	ITEM_ARRAY_INDEF,
	ITEM_MAP,
	ITEM_MAP_INDEF,
	ITEM_TAG,
	ITEM_SIMPLE, /* false, true, null, undefined, floats */
	ITEM_BREAK,
};

static const char *const kind_names[] = {
	[ITEM_NONE] = "nothing",
	[ITEM_UINT] = "an unsigned integer",
	[ITEM_NEGINT] = "a negative integer",
	[ITEM_BSTR] = "a byte string",
	[ITEM_BSTR_INDEF] = "an indefinite-length byte string",
	[ITEM_TSTR] = "a text string",
	[ITEM_TSTR_INDEF] = "an indefinite-length text string",
	[ITEM_ARRAY] = "an array",
	[ITEM_ARRAY_INDEF] = "an indefinite-length array",
	[ITEM_MAP] = "a map",
	[ITEM_MAP_INDEF] = "an indefinite-length map",
	[ITEM_TAG] = "a tag",
	[ITEM_SIMPLE] = "a simple value or float",
	[ITEM_BREAK] = "a break",
};

struct item {
	enum item_kind kind;
	const uint8_t *data; /* strings */
	size_t len;          /* string bytes or map/array entries */
};

static void on_uint8(void *c, uint8_t v) { (void)v; ((struct item *)c)->kind = ITEM_UINT; }
static void on_uint16(void *c, uint16_t v) { (void)v; ((struct item *)c)->kind = ITEM_UINT; }
static void on_uint32(void *c, uint32_t v) { (void)v; ((struct item *)c)->kind = ITEM_UINT; }
static void on_uint64(void *c, uint64_t v) { (void)v; ((struct item *)c)->kind = ITEM_UINT; }
static void on_neg8(void *c, uint8_t v) { (void)v; ((struct item *)c)->kind = ITEM_NEGINT; }
static void on_neg16(void *c, uint16_t v) { (void)v; ((struct item *)c)->kind = ITEM_NEGINT; }
static void on_neg32(void *c, uint32_t v) { (void)v; ((struct item *)c)->kind = ITEM_NEGINT; }
static void on_neg64(void *c, uint64_t v) { (void)v; ((struct item *)c)->kind = ITEM_NEGINT; }
static void on_tag(void *c, uint64_t v) { (void)v; ((struct item *)c)->kind = ITEM_TAG; }
static void on_float(void *c, float v) { (void)v; ((struct item *)c)->kind = ITEM_SIMPLE; }
static void on_double(void *c, double v) { (void)v; ((struct item *)c)->kind = ITEM_SIMPLE; }
static void on_bool(void *c, bool v) { (void)v; ((struct item *)c)->kind = ITEM_SIMPLE; }
static void on_simple(void *c) { ((struct item *)c)->kind = ITEM_SIMPLE; }
static void on_break(void *c) { ((struct item *)c)->kind = ITEM_BREAK; }
static void on_bstr_indef(void *c) { ((struct item *)c)->kind = ITEM_BSTR_INDEF; }
static void on_tstr_indef(void *c) { ((struct item *)c)->kind = ITEM_TSTR_INDEF; }
static void on_array_indef(void *c) { ((struct item *)c)->kind = ITEM_ARRAY_INDEF; }
static void on_map_indef(void *c) { ((struct item *)c)->kind = ITEM_MAP_INDEF; }

static void on_bstr(void *c, cbor_data d, size_t n)
{
	*(struct item *)c = (struct item){ ITEM_BSTR, d, n };
}

static void on_tstr(void *c, cbor_data d, size_t n)
{
	*(struct item *)c = (struct item){ ITEM_TSTR, d, n };
}

static void on_array(void *c, size_t n)
{
	*(struct item *)c = (struct item){ ITEM_ARRAY, NULL, n };
}

static void on_map(void *c, size_t n)
{
	*(struct item *)c = (struct item){ ITEM_MAP, NULL, n };
}

static const struct cbor_callbacks item_callbacks = {
	.uint8 = on_uint8, .uint16 = on_uint16, .uint32 = on_uint32, .uint64 = on_uint64,
	.negint8 = on_neg8, .negint16 = on_neg16, .negint32 = on_neg32, .negint64 = on_neg64,
	.byte_string_start = on_bstr_indef, .byte_string = on_bstr,
	.string = on_tstr, .string_start = on_tstr_indef,
	.indef_array_start = on_array_indef, .array_start = on_array,
	.indef_map_start = on_map_indef, .map_start = on_map,
	.tag = on_tag, .float2 = on_float, .float4 = on_float, .float8 = on_double,
	.undefined = on_simple, .null = on_simple, .boolean = on_bool, .indef_break = on_break,
};

/* Bytes of the preferred (shortest) head for argument n (RFC 8949 §3, §4.2.1). */
static size_t head_len(size_t n)
{
	if (n < 24)
		return 1;
	if (n <= 0xff)
		return 2;
	if (n <= 0xffff)
		return 3;
	if ((uint64_t)n <= 0xffffffffu)
		return 5;
	return 9;
}

/*
 * Decodes the item at *off into it and advances *off. Refuses a truncated or
 * malformed item and any head longer than the preferred one. String data is
 * checked to lie inside buf (not trusting the decoder's own arithmetic).
 */
static int item_next(const uint8_t *buf, size_t len, size_t *off, const char *what,
		     struct item *it, struct snp_err *err)
{
	struct cbor_decoder_result r;
	size_t left = len - *off, want;

	*it = (struct item){ ITEM_NONE, NULL, 0 };
	if (left == 0)
		return snp_errf(err, SNP_E_TRUNCATED, "tsm-report: %s at offset %zu: input ended",
				what, *off);
	r = cbor_stream_decode(buf + *off, left, &item_callbacks, it);
	if (r.status == CBOR_DECODER_NEDATA)
		return snp_errf(err, SNP_E_TRUNCATED,
				"tsm-report: %s at offset %zu: input ended inside the item", what,
				*off);
	if (r.status != CBOR_DECODER_FINISHED || it->kind == ITEM_NONE || r.read == 0 ||
	    r.read > left)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: %s at offset %zu: malformed CBOR",
				what, *off);
	switch (it->kind) {
	case ITEM_BSTR:
	case ITEM_TSTR:
		if (it->len > left - head_len(it->len))
			return snp_errf(err, SNP_E_TRUNCATED,
					"tsm-report: %s at offset %zu: %zu-byte string, %zu bytes left",
					what, *off, it->len, left);
		want = head_len(it->len) + it->len;
		break;
	case ITEM_MAP:
	case ITEM_ARRAY:
		want = head_len(it->len);
		break;
	default:
		want = r.read;
		break;
	}
	if (r.read != want || (it->data && it->data != buf + *off + head_len(it->len)))
		return snp_errf(err, SNP_E_INVALID,
				"tsm-report: %s at offset %zu: length not in the shortest form", what,
				*off);
	*off += r.read;
	return 0;
}

enum tsm_key { KEY_PROVIDER, KEY_OUTBLOB, KEY_AUXBLOB, KEY_COUNT };

static const char *const key_names[KEY_COUNT] = { "provider", "outblob", "auxblob" };

static int key_lookup(const struct item *k, size_t at, struct snp_err *err)
{
	for (int i = 0; i < KEY_COUNT; i++)
		if (k->len == strlen(key_names[i]) && memcmp(k->data, key_names[i], k->len) == 0)
			return i;
	for (size_t i = 0; i < k->len; i++)
		if (k->data[i] < 0x20 || k->data[i] > 0x7e || k->len > 32)
			return snp_errf(err, SNP_E_INVALID,
					"tsm-report: unknown key at offset %zu (%zu bytes)", at,
					k->len);
	return snp_errf(err, SNP_E_INVALID, "tsm-report: unknown key \"%.*s\" at offset %zu",
			(int)k->len, (const char *)k->data, at);
}

/* The provider name: 1..TSM_PROVIDER_MAX bytes of printable ASCII without spaces. */
static int provider_check(const char *p, size_t n, struct snp_err *err)
{
	if (n == 0 || n > TSM_PROVIDER_MAX)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: provider: %zu bytes (want 1..%d)",
				n, TSM_PROVIDER_MAX);
	for (size_t i = 0; i < n; i++)
		if ((uint8_t)p[i] <= 0x20 || (uint8_t)p[i] > 0x7e)
			return snp_errf(err, SNP_E_INVALID,
					"tsm-report: provider: byte 0x%02x at %zu is not printable "
					"ASCII", (uint8_t)p[i], i);
	return 0;
}

/* Sizes: outblob 1..TSM_OUTBLOB_MAX (a sev_guest report exactly SNP_REPORT_SIZE), auxblob 1..TSM_AUXBLOB_MAX. */
static int blobs_check(const char *provider, size_t out_len, bool has_aux, size_t aux_len,
		       struct snp_err *err)
{
	if (out_len == 0 || out_len > TSM_OUTBLOB_MAX)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: outblob: %zu bytes (want 1..%d)",
				out_len, TSM_OUTBLOB_MAX);
	if (strcmp(provider, "sev_guest") == 0 && out_len != SNP_REPORT_SIZE)
		return snp_errf(err, SNP_E_INVALID,
				"tsm-report: outblob: %zu bytes, a sev_guest report has %d", out_len,
				SNP_REPORT_SIZE);
	if (has_aux && (aux_len == 0 || aux_len > TSM_AUXBLOB_MAX))
		return snp_errf(err, SNP_E_INVALID,
				"tsm-report: auxblob: %zu bytes (want 1..%d; omit it when empty)",
				aux_len, TSM_AUXBLOB_MAX);
	return 0;
}

int tsm_cbor_decode(const uint8_t *buf, size_t len, struct tsm_evidence *out,
		    struct snp_err *err)
{
	struct item map, key, val, found[KEY_COUNT] = { { 0 } };
	size_t off = 0, at;
	int ret = SNP_E_INTERNAL, k;

	memset(out, 0, sizeof(*out));
	if (len > TSM_CBOR_MAX)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: %zu bytes, more than the %d allowed",
				len, TSM_CBOR_MAX);
	if ((ret = item_next(buf, len, &off, "map", &map, err)) != 0)
		return ret;
	if (map.kind != ITEM_MAP)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: %s where a map was expected",
				kind_names[map.kind]);
	if (map.len < 2 || map.len > KEY_COUNT)
		return snp_errf(err, SNP_E_INVALID, "tsm-report: map of %zu entries (want 2 or 3)",
				map.len);
	for (size_t i = 0; i < map.len; i++) {
		at = off;
		if ((ret = item_next(buf, len, &off, "key", &key, err)) != 0)
			return ret;
		if (key.kind != ITEM_TSTR)
			return snp_errf(err, SNP_E_INVALID,
					"tsm-report: key at offset %zu: %s, not a text string", at,
					kind_names[key.kind]);
		if ((k = key_lookup(&key, at, err)) < 0)
			return k;
		if (found[k].kind != ITEM_NONE)
			return snp_errf(err, SNP_E_INVALID,
					"tsm-report: duplicate key \"%s\" at offset %zu", key_names[k],
					at);
		at = off;
		if ((ret = item_next(buf, len, &off, key_names[k], &val, err)) != 0)
			return ret;
		if (val.kind != (k == KEY_PROVIDER ? ITEM_TSTR : ITEM_BSTR))
			return snp_errf(err, SNP_E_INVALID,
					"tsm-report: %s at offset %zu: %s, want %s", key_names[k], at,
					kind_names[val.kind],
					kind_names[k == KEY_PROVIDER ? ITEM_TSTR : ITEM_BSTR]);
		found[k] = val;
	}
	if (off != len)
		return snp_errf(err, SNP_E_TRAILING, "tsm-report: %zu trailing bytes after the map",
				len - off);
	for (k = KEY_PROVIDER; k <= KEY_OUTBLOB; k++)
		if (found[k].kind == ITEM_NONE)
			return snp_errf(err, SNP_E_INVALID, "tsm-report: missing key \"%s\"",
					key_names[k]);
	if ((ret = provider_check((const char *)found[KEY_PROVIDER].data,
				  found[KEY_PROVIDER].len, err)) != 0)
		return ret;
	memcpy(out->provider, found[KEY_PROVIDER].data, found[KEY_PROVIDER].len);
	out->provider[found[KEY_PROVIDER].len] = '\0';
	if ((ret = blobs_check(out->provider, found[KEY_OUTBLOB].len,
			       found[KEY_AUXBLOB].kind != ITEM_NONE, found[KEY_AUXBLOB].len,
			       err)) != 0)
		goto fail;
	ret = SNP_E_NOMEM;
	if ((out->outblob = malloc(found[KEY_OUTBLOB].len)) == NULL)
		goto fail;
	memcpy(out->outblob, found[KEY_OUTBLOB].data, found[KEY_OUTBLOB].len);
	out->outblob_len = found[KEY_OUTBLOB].len;
	if (found[KEY_AUXBLOB].kind != ITEM_NONE) {
		if ((out->auxblob = malloc(found[KEY_AUXBLOB].len)) == NULL)
			goto fail;
		memcpy(out->auxblob, found[KEY_AUXBLOB].data, found[KEY_AUXBLOB].len);
		out->auxblob_len = found[KEY_AUXBLOB].len;
	}
	return 0;
fail:
	if (ret == SNP_E_NOMEM)
		snp_errf(err, ret, "tsm-report: out of memory");
	tsm_evidence_free(out);
	return ret;
}

/* Appends a text key and a string value (text when is_text) with the preferred heads. */
static int put_entry(uint8_t *buf, size_t size, size_t *off, const char *key, const void *v,
		     size_t n, bool is_text)
{
	size_t klen = strlen(key), w;

	if ((w = cbor_encode_string_start(klen, buf + *off, size - *off)) == 0 ||
	    klen > size - *off - w)
		return SNP_E_INTERNAL;
	*off += w;
	memcpy(buf + *off, key, klen);
	*off += klen;
	w = is_text ? cbor_encode_string_start(n, buf + *off, size - *off)
		    : cbor_encode_bytestring_start(n, buf + *off, size - *off);
	if (w == 0 || n > size - *off - w)
		return SNP_E_INTERNAL;
	*off += w;
	memcpy(buf + *off, v, n);
	*off += n;
	return 0;
}

int tsm_cbor_encode(const struct tsm_evidence *in, uint8_t **out, size_t *len,
		    struct snp_err *err)
{
	size_t plen = strnlen(in->provider, sizeof(in->provider)), size, off = 0, w;
	bool aux = in->auxblob != NULL;
	uint8_t *buf = NULL;
	int ret;

	*out = NULL;
	*len = 0;
	if (plen == sizeof(in->provider))
		return snp_errf(err, SNP_E_INVALID, "tsm-report: provider not NUL-terminated");
	if ((ret = provider_check(in->provider, plen, err)) != 0 ||
	    (ret = blobs_check(in->provider, in->outblob ? in->outblob_len : 0, aux,
			       in->auxblob_len, err)) != 0)
		return ret;
	/* map head + three keys (heads 1 byte each) + the values with their heads */
	size = 1 + 9 + strlen("provider") + head_len(plen) + plen + 8 +
	       head_len(in->outblob_len) + in->outblob_len;
	if (aux)
		size += 8 + head_len(in->auxblob_len) + in->auxblob_len;
	if ((buf = malloc(size)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "tsm-report: out of memory");
	if ((w = cbor_encode_map_start(aux ? 3 : 2, buf, size)) == 0)
		goto bug;
	off = w;
	if (put_entry(buf, size, &off, "provider", in->provider, plen, true) != 0 ||
	    put_entry(buf, size, &off, "outblob", in->outblob, in->outblob_len, false) != 0 ||
	    (aux && put_entry(buf, size, &off, "auxblob", in->auxblob, in->auxblob_len, false) != 0))
		goto bug;
	*out = buf;
	*len = off;
	return 0;
bug:
	free(buf);
	return snp_errf(err, SNP_E_INTERNAL, "tsm-report: encoding buffer too small");
}

void tsm_evidence_free(struct tsm_evidence *ev)
{
	if (!ev)
		return;
	free(ev->outblob);
	free(ev->auxblob);
	memset(ev, 0, sizeof(*ev));
}
