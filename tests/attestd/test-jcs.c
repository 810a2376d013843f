/*
 * attestd/jcs.c: RFC 8785 canonical JSON. Expected bytes are typed in from
 * RFC 8785 (§3.2.2 and §3.2.3 examples, §3.2.4 UTF-8 example, Appendix B
 * number table, integer rows) or written out by hand for the runtime-data
 * shape of the Trustee KBS protocol, never produced by the code under test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "attestd/jcs.h"

static json_t *load(const char *text)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);

	if (!v)
		fail_msg("test JSON does not parse: %s: %s", jerr.text, text);
	return v;
}

static void expect_canon(json_t *v, const char *want, size_t want_len)
{
	struct snp_err err = { 0 };
	char *out;
	size_t len;

	if (jcs_serialize(v, &out, &len, &err) != 0)
		fail_msg("jcs_serialize: %s", err.msg);
	if (len != want_len || memcmp(out, want, len) != 0)
		fail_msg("canonical form\n got: %s\nwant: %s", out, want);
	assert_int_equal(out[len], '\0');
	free(out);
	json_decref(v);
}

#define EXPECT_CANON(v, lit) expect_canon((v), (lit), sizeof(lit) - 1)

static void expect_refused(json_t *v, int code, const char *needle)
{
	struct snp_err err = { 0 };
	char *out = (char *)1;
	size_t len = 1;

	assert_int_equal(jcs_serialize(v, &out, &len, &err), code);
	assert_int_equal(err.code, code);
	assert_null(out);
	assert_int_equal(len, 0);
	if (!strstr(err.msg, needle))
		fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
	json_decref(v);
}

/* RFC 8785 §3.2.2, with the "numbers" member left out (see jcs_numbers_*). */
static void jcs_rfc8785_primitives_example(void **state)
{
	(void)state;
	EXPECT_CANON(load("{\n"
			  "  \"string\": \"\\u20ac$\\u000F\\u000aA'\\u0042\\u0022\\u005c\\\\\\\"\\/\",\n"
			  "  \"literals\": [null, true, false]\n"
			  "}"),
		     "{\"literals\":[null,true,false],"
		     "\"string\":\"\xe2\x82\xac$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\"}");
}

/* RFC 8785 §3.2.3: sorting by UTF-16 code units puts U+1F600 before U+FB33. */
static void jcs_rfc8785_sorting_example(void **state)
{
	(void)state;
	EXPECT_CANON(load("{\n"
			  "  \"\\u20ac\": \"Euro Sign\",\n"
			  "  \"\\r\": \"Carriage Return\",\n"
			  "  \"\\ufb33\": \"Hebrew Letter Dalet With Dagesh\",\n"
			  "  \"1\": \"One\",\n"
			  "  \"\\ud83d\\ude00\": \"Emoji: Grinning Face\",\n"
			  "  \"\\u0080\": \"Control\",\n"
			  "  \"\\u00f6\": \"Latin Small Letter O With Diaeresis\"\n"
			  "}"),
		     "{\"\\r\":\"Carriage Return\","
		     "\"1\":\"One\","
		     "\"\xc2\x80\":\"Control\","
		     "\"\xc3\xb6\":\"Latin Small Letter O With Diaeresis\","
		     "\"\xe2\x82\xac\":\"Euro Sign\","
		     "\"\xf0\x9f\x98\x80\":\"Emoji: Grinning Face\","
		     "\"\xef\xac\xb3\":\"Hebrew Letter Dalet With Dagesh\"}");
}

/* RFC 8785 §3.2.4: no Unicode normalisation; the bytes are listed in the RFC. */
static void jcs_rfc8785_utf8_example(void **state)
{
	static const unsigned char want[] = {
		0x7b, 0x22, 0x55, 0x6e, 0x6e, 0x6f, 0x72, 0x6d, 0x61, 0x6c, 0x69, 0x7a,
		0x65, 0x64, 0x20, 0x55, 0x6e, 0x69, 0x63, 0x6f, 0x64, 0x65, 0x22, 0x3a,
		0x22, 0x41, 0xcc, 0x8a, 0x22, 0x7d,
	};

	(void)state;
	expect_canon(load("{\n  \"Unnormalized Unicode\":\"A\\u030a\"\n}"), (const char *)want,
		     sizeof(want));
}

/* Nested objects are sorted at every level; arrays keep their order. */
static void jcs_nested_objects_sorted_arrays_kept(void **state)
{
	(void)state;
	EXPECT_CANON(load("{\"b\": [3, {\"z\": 1, \"a\": 2}, \"x\"], \"a\": {\"d\": {}, \"c\": []}}"),
		     "{\"a\":{\"c\":[],\"d\":{}},\"b\":[3,{\"a\":2,\"z\":1},\"x\"]}");
}

/* Every control character escapes; '/' and DEL do not. */
static void jcs_string_escapes(void **state)
{
	(void)state;
	EXPECT_CANON(json_stringn("\x00\x01\x08\x09\x0a\x0b\x0c\x0d\x1f /\x7f", 12),
		     "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f /\x7f\"");
}

/*
 * RFC 8785 Appendix B, the rows whose value is an integer within 2^53:
 * 0x0000000000000000 -> "0", 0x8000000000000000 (minus zero) -> "0",
 * 0x4340000000000000 -> "9007199254740992", 0xc340000000000000 ->
 * "-9007199254740992".
 */
static void jcs_numbers_exact_integers(void **state)
{
	(void)state;
	EXPECT_CANON(json_real(0.0), "0");
	EXPECT_CANON(json_real(-0.0), "0");
	EXPECT_CANON(json_real(9007199254740992.0), "9007199254740992");
	EXPECT_CANON(json_real(-9007199254740992.0), "-9007199254740992");
	EXPECT_CANON(json_integer(9007199254740992LL), "9007199254740992");
	EXPECT_CANON(load("[1.0, -7, 100e0]"), "[1,-7,100]");
}

/* The §3.2.2 numbers and the Appendix B row 0x4430000000000000 are refused, not misformatted. */
static void jcs_numbers_outside_the_supported_set_refused(void **state)
{
	(void)state;
	expect_refused(load("{\"numbers\": [333333333.33333329]}"), SNP_E_UNSUPPORTED, "numbers");
	expect_refused(json_real(1e30), SNP_E_UNSUPPORTED, "not an integer within");
	expect_refused(json_real(4.5), SNP_E_UNSUPPORTED, "4.5");
	expect_refused(json_real(0.002), SNP_E_UNSUPPORTED, "number");
	expect_refused(json_real(295147905179352830000.0), SNP_E_UNSUPPORTED, "2^53");
	expect_refused(json_integer(9007199254740993LL), SNP_E_UNSUPPORTED, "9007199254740993");
	expect_refused(json_integer(-9007199254740993LL), SNP_E_UNSUPPORTED, "outside");
}

static void jcs_invalid_utf8_refused(void **state)
{
	json_t *obj = json_object();

	(void)state;
	/* An overlong '/', a lone surrogate (ED A0 80) and a truncated sequence. */
	expect_refused(json_stringn_nocheck("\xc0\xaf", 2), SNP_E_INVALID, "invalid UTF-8");
	expect_refused(json_stringn_nocheck("a\xed\xa0\x80", 4), SNP_E_INVALID, "at byte 1");
	expect_refused(json_stringn_nocheck("\xe2\x82", 2), SNP_E_INVALID, "UTF-8");
	assert_int_equal(json_object_setn_new_nocheck(obj, "\xff", 1, json_true()), 0);
	expect_refused(obj, SNP_E_INVALID, "member name");
}

/* JCS_MAX_DEPTH nested arrays pass; one more is refused before recursing further. */
static void jcs_depth_bounded(void **state)
{
	char want[2 * JCS_MAX_DEPTH + 1];
	json_t *v = json_array();

	(void)state;
	for (int i = 1; i < JCS_MAX_DEPTH; i++) {
		json_t *outer = json_array();

		json_array_append_new(outer, v);
		v = outer;
	}
	memset(want, '[', JCS_MAX_DEPTH);
	memset(want + JCS_MAX_DEPTH, ']', JCS_MAX_DEPTH);
	want[2 * JCS_MAX_DEPTH] = '\0';
	expect_canon(json_incref(v), want, 2 * JCS_MAX_DEPTH);
	expect_refused(json_pack("[o]", v), SNP_E_INVALID, "nesting deeper than 32");
}

/*
 * The runtime-data shape of the KBS protocol: a nonce in standard base64
 * (with '+' and '/', which JCS leaves unescaped) and an EC tee-pubkey whose
 * members arrive in an arbitrary order.
 */
static void jcs_runtime_data(void **state)
{
	(void)state;
	EXPECT_CANON(load("{\"tee-pubkey\": {\"y\": \"Yy-_\", \"x\": \"Xx\", \"kty\": \"EC\","
			  " \"crv\": \"P-256\", \"alg\": \"ECDH-ES+A256KW\"},"
			  " \"nonce\": \"q+/a0Z9=\"}"),
		     "{\"nonce\":\"q+/a0Z9=\",\"tee-pubkey\":{\"alg\":\"ECDH-ES+A256KW\","
		     "\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"Xx\",\"y\":\"Yy-_\"}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(jcs_rfc8785_primitives_example),
		cmocka_unit_test(jcs_rfc8785_sorting_example),
		cmocka_unit_test(jcs_rfc8785_utf8_example),
		cmocka_unit_test(jcs_nested_objects_sorted_arrays_kept),
		cmocka_unit_test(jcs_string_escapes),
		cmocka_unit_test(jcs_numbers_exact_integers),
		cmocka_unit_test(jcs_numbers_outside_the_supported_set_refused),
		cmocka_unit_test(jcs_invalid_utf8_refused),
		cmocka_unit_test(jcs_depth_bounded),
		cmocka_unit_test(jcs_runtime_data),
	};

	return cmocka_run_group_tests_name("jcs", tests, NULL, NULL);
}
