/*
 * attestd/tsm-cbor.c: the configfs-tsm evidence map, strict decode and encode.
 *
 * Every CBOR vector below is written out by hand from RFC 8949 (§3: the
 * initial byte is major type << 5 | additional information; 24..27 mean a
 * 1/2/4/8-byte argument follows; 31 an indefinite length; 0xff the break),
 * never produced by the encoder under test. Blob contents are a fill byte,
 * so a vector is "heads written out" + "n bytes of 0xNN".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "abi/report.h"
#include "attestd/tsm-cbor.h"
#include "util/hex.h"

/* Heads and keys, by hand. */
#define MAP2 "a2"
#define MAP3 "a3"
#define K_PROVIDER "68" "70726f7669646572"        /* tstr(8) "provider" */
#define V_SEV_GUEST "69" "7365765f6775657374"     /* tstr(9) "sev_guest" */
#define K_OUTBLOB "67" "6f7574626c6f62"           /* tstr(7) "outblob" */
#define K_AUXBLOB "67" "617578626c6f62"           /* tstr(7) "auxblob" */
#define H_REPORT "5904a0"                          /* bstr, 2-byte length 0x04a0 = 1184 */

struct vec {
	uint8_t *p;
	size_t len, cap;
};

static void put_hex(struct vec *v, const char *hex)
{
	size_t n = strlen(hex) / 2;
	struct snp_err err = { 0 };

	assert_int_equal(strlen(hex) % 2, 0);
	if (v->len + n > v->cap) {
		v->cap = (v->len + n) * 2 + 64;
		v->p = realloc(v->p, v->cap);
		assert_non_null(v->p);
	}
	assert_int_equal(hex_decode(hex, v->p + v->len, n, "vector", &err), 0);
	v->len += n;
}

static void put_fill(struct vec *v, size_t n, uint8_t byte)
{
	if (v->len + n > v->cap) {
		v->cap = v->len + n + 64;
		v->p = realloc(v->p, v->cap);
		assert_non_null(v->p);
	}
	memset(v->p + v->len, byte, n);
	v->len += n;
}

/* {"provider": "sev_guest", "outblob": 1184 x 0xaa} */
static void put_minimal(struct vec *v)
{
	put_hex(v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB H_REPORT);
	put_fill(v, SNP_REPORT_SIZE, 0xaa);
}

static void expect_refused(const struct vec *v, int code, const char *needle)
{
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	assert_int_equal(tsm_cbor_decode(v->p, v->len, &ev, &err), code);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
	assert_null(ev.outblob);
	assert_null(ev.auxblob);
	assert_string_equal(ev.provider, "");
}

static void tsm_decode_minimal_map(void **state)
{
	struct vec v = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	put_minimal(&v);
	assert_int_equal(v.len, 1 + 9 + 10 + 8 + 3 + 1184);
	assert_int_equal(tsm_cbor_decode(v.p, v.len, &ev, &err), 0);
	assert_string_equal(ev.provider, "sev_guest");
	assert_int_equal(ev.outblob_len, SNP_REPORT_SIZE);
	assert_int_equal(ev.outblob[0], 0xaa);
	assert_int_equal(ev.outblob[SNP_REPORT_SIZE - 1], 0xaa);
	assert_null(ev.auxblob);
	assert_int_equal(ev.auxblob_len, 0);
	tsm_evidence_free(&ev);
	free(v.p);
}

static void tsm_decode_auxblob_any_key_order(void **state)
{
	struct vec v = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	/* auxblob first, provider last: map keys may come in any order */
	put_hex(&v, MAP3 K_AUXBLOB "44" "01020304" K_OUTBLOB H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 0x55);
	put_hex(&v, K_PROVIDER V_SEV_GUEST);
	assert_int_equal(tsm_cbor_decode(v.p, v.len, &ev, &err), 0);
	assert_string_equal(ev.provider, "sev_guest");
	assert_int_equal(ev.auxblob_len, 4);
	assert_memory_equal(ev.auxblob, "\x01\x02\x03\x04", 4);
	assert_int_equal(ev.outblob[100], 0x55);
	tsm_evidence_free(&ev);
	free(v.p);
}

static void tsm_decode_other_provider_any_size(void **state)
{
	struct vec v = { 0 };
	struct tsm_evidence ev;
	struct snp_err err = { 0 };

	(void)state;
	/* {"provider": "tdx_guest", "outblob": h'0102'} */
	put_hex(&v, MAP2 K_PROVIDER "69" "7464785f6775657374" K_OUTBLOB "42" "0102");
	assert_int_equal(tsm_cbor_decode(v.p, v.len, &ev, &err), 0);
	assert_string_equal(ev.provider, "tdx_guest");
	assert_int_equal(ev.outblob_len, 2);
	tsm_evidence_free(&ev);
	free(v.p);
}

/* The encoder's bytes equal the hand-written vector, and decode inverts it. */
static void tsm_encode_matches_vector_and_round_trips(void **state)
{
	struct vec v = { 0 };
	struct tsm_evidence in = { .provider = "sev_guest" }, back;
	struct snp_err err = { 0 };
	uint8_t report[SNP_REPORT_SIZE], aux[3] = { 7, 8, 9 }, *enc;
	size_t len;

	(void)state;
	memset(report, 0xaa, sizeof(report));
	in.outblob = report;
	in.outblob_len = sizeof(report);
	assert_int_equal(tsm_cbor_encode(&in, &enc, &len, &err), 0);
	put_minimal(&v);
	assert_int_equal(len, v.len);
	assert_memory_equal(enc, v.p, len);
	free(enc);

	in.auxblob = aux;
	in.auxblob_len = sizeof(aux);
	assert_int_equal(tsm_cbor_encode(&in, &enc, &len, &err), 0);
	v.len = 0;
	put_hex(&v, MAP3 K_PROVIDER V_SEV_GUEST K_OUTBLOB H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 0xaa);
	put_hex(&v, K_AUXBLOB "43" "070809");
	assert_int_equal(len, v.len);
	assert_memory_equal(enc, v.p, len);
	assert_int_equal(tsm_cbor_decode(enc, len, &back, &err), 0);
	assert_string_equal(back.provider, "sev_guest");
	assert_memory_equal(back.outblob, report, sizeof(report));
	assert_int_equal(back.auxblob_len, 3);
	assert_memory_equal(back.auxblob, aux, 3);
	tsm_evidence_free(&back);
	free(enc);
	free(v.p);
}

static void tsm_encode_refuses_what_decode_refuses(void **state)
{
	struct tsm_evidence in = { .provider = "sev_guest" };
	struct snp_err err = { 0 };
	uint8_t report[SNP_REPORT_SIZE] = { 0 }, *enc;
	size_t len;

	(void)state;
	in.outblob = report;
	in.outblob_len = SNP_REPORT_SIZE - 1;
	assert_int_equal(tsm_cbor_encode(&in, &enc, &len, &err), SNP_E_INVALID);
	assert_null(enc);
	in.outblob_len = SNP_REPORT_SIZE;
	in.auxblob = report;
	in.auxblob_len = 0;
	assert_int_equal(tsm_cbor_encode(&in, &enc, &len, &err), SNP_E_INVALID);
	in.auxblob = NULL;
	strcpy(in.provider, "sev guest");
	assert_int_equal(tsm_cbor_encode(&in, &enc, &len, &err), SNP_E_INVALID);
}

static void tsm_decode_duplicate_key_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	put_hex(&v, MAP3 K_PROVIDER V_SEV_GUEST K_OUTBLOB H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 1);
	put_hex(&v, K_PROVIDER V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "duplicate key \"provider\"");
	free(v.p);
}

static void tsm_decode_indefinite_lengths_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	/* indefinite map: 0xbf ... 0xff */
	put_hex(&v, "bf" K_PROVIDER V_SEV_GUEST K_OUTBLOB H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 1);
	put_hex(&v, "ff");
	expect_refused(&v, SNP_E_INVALID, "indefinite-length map");
	/* outblob as an indefinite byte string of two chunks: 0x5f 0x59 04a0 ... 0xff */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "5f" H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 1);
	put_hex(&v, "ff");
	expect_refused(&v, SNP_E_INVALID, "outblob at offset 28: an indefinite-length byte string");
	/* the provider key as an indefinite text string: 0x7f 0x68 "provider" 0xff */
	v.len = 0;
	put_hex(&v, MAP2 "7f" K_PROVIDER "ff" V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "indefinite-length text string, not a text string");
	free(v.p);
}

static void tsm_decode_unknown_key_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	put_hex(&v, MAP3 K_PROVIDER V_SEV_GUEST K_OUTBLOB H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 1);
	put_hex(&v, "65" "6578747261" "40"); /* "extra": h'' */
	expect_refused(&v, SNP_E_INVALID, "unknown key \"extra\"");
	/* a key that differs only in case */
	v.len = 0;
	put_hex(&v, MAP2 "68" "50726f7669646572" V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "unknown key \"Provider\" at offset 1");
	free(v.p);
}

static void tsm_decode_wrong_types_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	/* provider as a byte string */
	put_hex(&v, MAP2 K_PROVIDER "49" "7365765f6775657374");
	expect_refused(&v, SNP_E_INVALID, "provider at offset 10: a byte string, want a text string");
	/* outblob as a text string */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "62" "6869");
	expect_refused(&v, SNP_E_INVALID, "outblob at offset 28: a text string, want a byte string");
	/* an integer key */
	v.len = 0;
	put_hex(&v, MAP2 "01" V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "key at offset 1: an unsigned integer, not a text string");
	/* a tagged value: tag 24 (embedded CBOR) around outblob */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "d818" H_REPORT);
	put_fill(&v, SNP_REPORT_SIZE, 1);
	expect_refused(&v, SNP_E_INVALID, "outblob at offset 28: a tag");
	/* a nested map as the value */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER "a0" K_OUTBLOB "41" "00");
	expect_refused(&v, SNP_E_INVALID, "provider at offset 10: a map");
	/* not a map at all: an array of two */
	v.len = 0;
	put_hex(&v, "82" "01" "02");
	expect_refused(&v, SNP_E_INVALID, "an array where a map was expected");
	free(v.p);
}

static void tsm_decode_entry_counts_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	put_hex(&v, "a1" K_PROVIDER V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "map of 1 entries");
	v.len = 0;
	put_hex(&v, "a4" K_PROVIDER V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "map of 4 entries");
	/* two entries, but auxblob instead of outblob */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_AUXBLOB "41" "00");
	expect_refused(&v, SNP_E_INVALID, "missing key \"outblob\"");
	free(v.p);
}

static void tsm_decode_sizes_refused(void **state)
{
	struct vec v = { 0 };
	char hex[80];

	(void)state;
	/* a sev_guest report one byte short: bstr 0x049f */
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "59049f");
	put_fill(&v, SNP_REPORT_SIZE - 1, 1);
	expect_refused(&v, SNP_E_INVALID, "outblob: 1183 bytes, a sev_guest report has 1184");
	/* a provider of 33 bytes: tstr head 0x78 0x21 */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER "7821");
	put_fill(&v, 33, 'a');
	put_hex(&v, K_OUTBLOB "41" "00");
	expect_refused(&v, SNP_E_INVALID, "provider: 33 bytes (want 1..32)");
	/* an empty auxblob */
	v.len = 0;
	put_minimal(&v);
	v.p[0] = 0xa3;
	put_hex(&v, K_AUXBLOB "40");
	expect_refused(&v, SNP_E_INVALID, "auxblob: 0 bytes");
	/* an auxblob of 64 KiB + 1: bstr head 0x5a 00010001; the whole map is then too long */
	v.len = 0;
	put_minimal(&v);
	v.p[0] = 0xa3;
	snprintf(hex, sizeof(hex), "%s%s", K_AUXBLOB, "5a00010001");
	put_hex(&v, hex);
	put_fill(&v, TSM_AUXBLOB_MAX + 1, 2);
	expect_refused(&v, SNP_E_INVALID, "auxblob: 65537 bytes");
	/* anything above TSM_CBOR_MAX is refused before decoding */
	put_fill(&v, TSM_CBOR_MAX, 0);
	expect_refused(&v, SNP_E_INVALID, "more than the");
	/* an outblob above TSM_OUTBLOB_MAX for another provider: bstr 0x1001 */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER "69" "7464785f6775657374" K_OUTBLOB "591001");
	put_fill(&v, TSM_OUTBLOB_MAX + 1, 3);
	expect_refused(&v, SNP_E_INVALID, "outblob: 4097 bytes (want 1..4096)");
	/* a provider with a NUL inside */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER "63" "610062" K_OUTBLOB "41" "00");
	expect_refused(&v, SNP_E_INVALID, "provider: byte 0x00 at 1");
	free(v.p);
}

static void tsm_decode_trailing_and_truncated_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	put_minimal(&v);
	put_hex(&v, "00");
	expect_refused(&v, SNP_E_TRAILING, "1 trailing bytes after the map");
	/* a second complete map after the first */
	v.len = 0;
	put_minimal(&v);
	put_minimal(&v);
	expect_refused(&v, SNP_E_TRAILING, "trailing bytes");
	/* one byte short of the report */
	v.len = 0;
	put_minimal(&v);
	v.len--;
	expect_refused(&v, SNP_E_TRUNCATED, "outblob at offset 28");
	/* the head of the report's length cut in the middle */
	v.len = 28 + 2;
	expect_refused(&v, SNP_E_TRUNCATED, "outblob at offset 28: input ended inside the item");
	/* map head only */
	v.len = 1;
	expect_refused(&v, SNP_E_TRUNCATED, "key at offset 1: input ended");
	v.len = 0;
	expect_refused(&v, SNP_E_TRUNCATED, "map at offset 0");
	free(v.p);
}

static void tsm_decode_non_shortest_heads_refused(void **state)
{
	struct vec v = { 0 };

	(void)state;
	/* the report's length in 4 bytes (0x5a 000004a0) instead of 2 */
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "5a000004a0");
	put_fill(&v, SNP_REPORT_SIZE, 1);
	expect_refused(&v, SNP_E_INVALID, "outblob at offset 28: length not in the shortest form");
	/* "sev_guest" with a 1-byte length (0x78 0x09) although 9 < 24 */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER "7809" "7365765f6775657374" K_OUTBLOB "41" "00");
	expect_refused(&v, SNP_E_INVALID, "provider at offset 10: length not in the shortest form");
	/* the map head with a 1-byte count (0xb8 0x02) */
	v.len = 0;
	put_hex(&v, "b802" K_PROVIDER V_SEV_GUEST);
	expect_refused(&v, SNP_E_INVALID, "map at offset 0: length not in the shortest form");
	/* an 8-byte length that does not fit the input (and would wrap 9 + n) */
	v.len = 0;
	put_hex(&v, MAP2 K_PROVIDER V_SEV_GUEST K_OUTBLOB "5bfffffffffffffffc" "00");
	expect_refused(&v, SNP_E_TRUNCATED, "outblob at offset 28");
	free(v.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tsm_decode_minimal_map),
		cmocka_unit_test(tsm_decode_auxblob_any_key_order),
		cmocka_unit_test(tsm_decode_other_provider_any_size),
		cmocka_unit_test(tsm_encode_matches_vector_and_round_trips),
		cmocka_unit_test(tsm_encode_refuses_what_decode_refuses),
		cmocka_unit_test(tsm_decode_duplicate_key_refused),
		cmocka_unit_test(tsm_decode_indefinite_lengths_refused),
		cmocka_unit_test(tsm_decode_unknown_key_refused),
		cmocka_unit_test(tsm_decode_wrong_types_refused),
		cmocka_unit_test(tsm_decode_entry_counts_refused),
		cmocka_unit_test(tsm_decode_sizes_refused),
		cmocka_unit_test(tsm_decode_trailing_and_truncated_refused),
		cmocka_unit_test(tsm_decode_non_shortest_heads_refused),
	};

	return cmocka_run_group_tests_name("tsm-cbor", tests, NULL, NULL);
}
