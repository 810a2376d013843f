/*
 * Verifier policy JSON (docs/verifier-policy.md) to struct appraise_opts.
 * Each JSON object is described by one table of {key, kind, offset}; the
 * walker rejects keys not in the table, so a typo never silently weakens a
 * policy. Absent keys keep the zero (strict) value.
 */
#include "attest/appraise-policy.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "abi/policy.h"
#include "attest/appraise.h"
#include "util/file.h"
#include "util/hex.h"

enum field_kind {
	F_IGNORED_STRING, /* free text for people ("description") */
	F_BOOL,           /* bool at off */
	F_HEX,            /* len bytes at off; sets the bool at flag_off */
	F_HEX_LIST,       /* up to max entries of len bytes at off; count at count_off */
	F_U8,             /* uint8_t at off */
	F_U32,            /* uint32_t at off */
	F_VMPL,           /* uint8_t mask at off: 0..3, [..], or "any" */
	F_ABI_VERSION,    /* "MAJOR.MINOR" into two uint8_t at off */
	F_FW_VERSION,     /* "MAJOR.MINOR.BUILD" into struct appraise_fw_version at off */
	F_BITS,           /* uint64_t mask at off from bit numbers (or names, if bit_names) */
	F_OBJECT,         /* nested object described by sub, based at off */
};

#define NO_FLAG SIZE_MAX

struct field {
	const char *key;
	enum field_kind kind;
	size_t off;
	size_t len;       /* F_HEX, F_HEX_LIST: entry size in bytes */
	size_t short_len; /* F_HEX_LIST: a shorter accepted entry size, zero-padded (0: none) */
	size_t max;       /* F_HEX_LIST: capacity */
	size_t count_off; /* F_HEX_LIST: size_t count */
	size_t flag_off;  /* F_HEX, F_HEX_LIST: bool set when the key is present, or NO_FLAG */
	const struct field *sub;             /* F_OBJECT */
	bool bit_names;   /* F_BITS: PLATFORM_INFO bit names are accepted too */
};

/* A scalar field: no length, list or flag. */
#define SCALAR(k, kind, o) { k, kind, o, 0, 0, 0, 0, NO_FLAG, NULL, false }
#define END SCALAR(NULL, F_BOOL, 0)

#define GP(m) offsetof(struct appraise_guest_policy, m)
static const struct field guest_policy_fields[] = {
	SCALAR("allow_debug", F_BOOL, GP(allow_debug)),
	SCALAR("allow_migrate_ma", F_BOOL, GP(allow_migrate_ma)),
	SCALAR("allow_smt", F_BOOL, GP(allow_smt)),
	SCALAR("allow_cxl", F_BOOL, GP(allow_cxl)),
	SCALAR("require_single_socket", F_BOOL, GP(require_single_socket)),
	SCALAR("require_mem_aes_256_xts", F_BOOL, GP(require_mem_aes_256_xts)),
	SCALAR("require_rapl_dis", F_BOOL, GP(require_rapl_dis)),
	SCALAR("require_ciphertext_hiding", F_BOOL, GP(require_ciphertext_hiding)),
	SCALAR("require_page_swap_disable", F_BOOL, GP(require_page_swap_disable)),
	SCALAR("abi_min", F_ABI_VERSION, GP(abi_major_min)),
	SCALAR("allow_unknown_bits", F_BOOL, GP(allow_unknown_bits)),
	END,
};

#define TF(m) offsetof(struct appraise_tcb_floor, m)
static const struct field tcb_fields[] = {
	SCALAR("fmc", F_U8, TF(fmc)),
	SCALAR("bootloader", F_U8, TF(bootloader)),
	SCALAR("tee", F_U8, TF(tee)),
	SCALAR("snp", F_U8, TF(snp)),
	SCALAR("microcode", F_U8, TF(microcode)),
	END,
};

#define O(m) offsetof(struct appraise_opts, m)
static const struct field platform_fields[] = {
	{ "required", F_BITS, O(platform_info_required), 0, 0, 0, 0, NO_FLAG, NULL, true },
	{ "forbidden", F_BITS, O(platform_info_forbidden), 0, 0, 0, 0, NO_FLAG, NULL,
	  true },
	SCALAR("allow_unknown_bits", F_BOOL, O(allow_unknown_platform_info)),
	END,
};

static const struct field top_fields[] = {
	SCALAR("description", F_IGNORED_STRING, 0),
	{ "measurements", F_HEX_LIST, O(measurements), SNP_MEASUREMENT_SIZE, 0,
	  APPRAISE_MAX_MEASUREMENTS, O(nmeasurements), NO_FLAG, NULL, false },
	SCALAR("allow_any_measurement", F_BOOL, O(allow_any_measurement)),
	{ "host_data", F_HEX, O(host_data), SNP_HOST_DATA_SIZE, 0, 0, 0, O(check_host_data), NULL,
	  false },
	{ "report_data", F_HEX, O(report_data), SNP_REPORT_DATA_SIZE, 0, 0, 0,
	  O(check_report_data), NULL, false },
	SCALAR("vmpl", F_VMPL, O(vmpl_mask)),
	{ "guest_policy", F_OBJECT, O(guest_policy), 0, 0, 0, 0, NO_FLAG, guest_policy_fields,
	  false },
	{ "min_reported_tcb", F_OBJECT, O(min_reported_tcb), 0, 0, 0, 0, NO_FLAG, tcb_fields, false },
	{ "min_committed_tcb", F_OBJECT, O(min_committed_tcb), 0, 0, 0, 0, NO_FLAG, tcb_fields,
	  false },
	{ "min_launch_tcb", F_OBJECT, O(min_launch_tcb), 0, 0, 0, 0, NO_FLAG, tcb_fields, false },
	SCALAR("allow_provisional_firmware", F_BOOL, O(allow_provisional_firmware)),
	SCALAR("min_firmware_version", F_FW_VERSION, O(min_firmware)),
	SCALAR("allow_any_id_key", F_BOOL, O(allow_any_id_key)),
	SCALAR("require_author_key", F_BOOL, O(require_author_key)),
	{ "trusted_id_keys", F_HEX_LIST, O(trusted_id_keys), SNP_KEY_DIGEST_SIZE, 0,
	  APPRAISE_MAX_KEY_DIGESTS, O(ntrusted_id_keys), NO_FLAG, NULL, false },
	{ "trusted_author_keys", F_HEX_LIST, O(trusted_author_keys), SNP_KEY_DIGEST_SIZE, 0,
	  APPRAISE_MAX_KEY_DIGESTS, O(ntrusted_author_keys), NO_FLAG, NULL, false },
	SCALAR("min_guest_svn", F_U32, O(min_guest_svn)),
	{ "family_id", F_HEX, O(family_id), 16, 0, 0, 0, O(check_family_id), NULL, false },
	{ "image_id", F_HEX, O(image_id), 16, 0, 0, 0, O(check_image_id), NULL, false },
	{ "platform_info", F_OBJECT, 0, 0, 0, 0, 0, NO_FLAG, platform_fields, false },
	{ "chip_ids", F_HEX_LIST, O(chip_ids), SNP_CHIP_ID_SIZE, 8, APPRAISE_MAX_CHIP_IDS,
	  O(nchip_ids), O(check_chip_id), NULL, false },
	{ "mit_vector_required", F_BITS, O(mit_vector_required), 0, 0, 0, 0, NO_FLAG, NULL, false },
	END,
};

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a real number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "?";
}

static int want_type(const json_t *v, json_type t, const char *path, const char *what,
		     struct snp_err *err)
{
	bool ok = json_typeof(v) == t || (t == JSON_TRUE && json_is_boolean(v));

	if (ok)
		return 0;
	return snp_errf(err, SNP_E_INVALID, "policy: %s: expected %s, got %s", path, what,
			type_name(v));
}

static int get_int(const json_t *v, const char *path, long long lo, long long hi, long long *out,
		   struct snp_err *err)
{
	int ret = want_type(v, JSON_INTEGER, path, "an integer", err);

	if (ret != 0)
		return ret;
	*out = json_integer_value(v);
	if (*out < lo || *out > hi)
		return snp_errf(err, SNP_E_INVALID, "policy: %s: %lld is out of range %lld..%lld",
				path, *out, lo, hi);
	return 0;
}

static int get_hex(const json_t *v, const char *path, uint8_t *out, size_t len, size_t short_len,
		   struct snp_err *err)
{
	char what[96];
	const char *s;
	int ret = want_type(v, JSON_STRING, path, "a hex string", err);

	if (ret != 0)
		return ret;
	s = json_string_value(v);
	if (json_string_length(v) != strlen(s))
		return snp_errf(err, SNP_E_INVALID, "policy: %s: NUL inside the string", path);
	snprintf(what, sizeof(what), "policy: %s", path);
	memset(out, 0, len);
	if (short_len && strlen(s) == 2 * short_len)
		return hex_decode(s, out, short_len, what, err);
	if (short_len && strlen(s) != 2 * len)
		return snp_errf(err, SNP_E_INVALID, "%s: expected %zu or %zu hex digits, got %zu",
				what, 2 * len, 2 * short_len, strlen(s));
	return hex_decode(s, out, len, what, err);
}

/*
 * "1.55.21" with exactly n dot-separated decimal parts, each 0..255 with at
 * most 3 digits. No strtoul: every character is checked here.
 */
static int get_version(const json_t *v, const char *path, size_t n, uint8_t *out,
		       struct snp_err *err)
{
	static const char *const shapes[] = { "", "", "MAJOR.MINOR", "MAJOR.MINOR.BUILD" };
	const char *s, *p;
	size_t part = 0;
	int ret = want_type(v, JSON_STRING, path, "a version string", err);

	if (ret != 0)
		return ret;
	s = p = json_string_value(v);
	while (part < n) {
		unsigned val = 0, digits = 0;

		while (*p >= '0' && *p <= '9' && digits < 4) {
			val = val * 10 + (unsigned)(*p - '0');
			digits++;
			p++;
		}
		if (digits == 0 || digits > 3 || val > 255)
			break;
		out[part++] = (uint8_t)val;
		if (part < n) {
			if (*p != '.')
				break;
			p++;
		}
	}
	if (part != n || *p != '\0' || json_string_length(v) != strlen(s))
		return snp_errf(err, SNP_E_INVALID,
				"policy: %s: expected %s with each part 0..255, got '%.32s'", path,
				shapes[n], s);
	return 0;
}

static int get_vmpl(const json_t *v, const char *path, uint8_t *mask, struct snp_err *err)
{
	char ipath[96];
	long long n;
	size_t i;
	json_t *e;
	int ret = SNP_E_INTERNAL;

	*mask = 0;
	if (json_is_string(v)) {
		if (strcmp(json_string_value(v), "any") != 0)
			return snp_errf(err, SNP_E_INVALID,
					"policy: %s: expected 0..3, a list of them or \"any\", got '%.32s'",
					path, json_string_value(v));
		*mask = 0xf;
		return 0;
	}
	if (json_is_integer(v)) {
		if ((ret = get_int(v, path, 0, 3, &n, err)) != 0)
			return ret;
		*mask = (uint8_t)(1u << n);
		return 0;
	}
	if (!json_is_array(v))
		return snp_errf(err, SNP_E_INVALID,
				"policy: %s: expected 0..3, a list of them or \"any\", got %s", path,
				type_name(v));
	json_array_foreach(v, i, e) {
		snprintf(ipath, sizeof(ipath), "%.64s[%zu]", path, i);
		if ((ret = get_int(e, ipath, 0, 3, &n, err)) != 0)
			return ret;
		*mask |= (uint8_t)(1u << n);
	}
	return 0;
}

/* A list of bit numbers 0..63, or (with bit_names) PLATFORM_INFO bit names. */
static int get_bits(const json_t *v, const char *path, bool bit_names, uint64_t *out,
		    struct snp_err *err)
{
	char ipath[96];
	size_t i;
	json_t *e;
	int ret = want_type(v, JSON_ARRAY, path, "an array of bit numbers", err);

	if (ret != 0)
		return ret;
	*out = 0;
	json_array_foreach(v, i, e) {
		long long n = -1;

		snprintf(ipath, sizeof(ipath), "%.64s[%zu]", path, i);
		if (bit_names && json_is_string(e)) {
			for (unsigned b = 0; snp_platform_bit_name(b); b++)
				if (strcmp(json_string_value(e), snp_platform_bit_name(b)) == 0)
					n = b;
			if (n < 0)
				return snp_errf(err, SNP_E_INVALID,
						"policy: %s: unknown bit name '%.40s'", ipath,
						json_string_value(e));
		} else if ((ret = get_int(e, ipath, 0, 63, &n, err)) != 0) {
			return ret;
		}
		*out |= 1ull << n;
	}
	return 0;
}

static int parse_object(const json_t *obj, const char *path, const struct field *table,
			uint8_t *base, struct snp_err *err);

static int parse_field(const json_t *v, const char *path, const struct field *f, uint8_t *base,
		       struct snp_err *err)
{
	char ipath[96];
	long long n;
	size_t i;
	json_t *e;
	int ret = SNP_E_INTERNAL;

	switch (f->kind) {
	case F_IGNORED_STRING:
		return want_type(v, JSON_STRING, path, "a string", err);
	case F_BOOL:
		if ((ret = want_type(v, JSON_TRUE, path, "a boolean", err)) != 0)
			return ret;
		*(bool *)(base + f->off) = json_is_true(v);
		return 0;
	case F_HEX:
		if ((ret = get_hex(v, path, base + f->off, f->len, 0, err)) != 0)
			return ret;
		*(bool *)(base + f->flag_off) = true;
		return 0;
	case F_HEX_LIST:
		if ((ret = want_type(v, JSON_ARRAY, path, "an array of hex strings", err)) != 0)
			return ret;
		if (json_array_size(v) > f->max)
			return snp_errf(err, SNP_E_INVALID, "policy: %s: %zu entries, at most %zu",
					path, json_array_size(v), f->max);
		json_array_foreach(v, i, e) {
			snprintf(ipath, sizeof(ipath), "%.64s[%zu]", path, i);
			if ((ret = get_hex(e, ipath, base + f->off + i * f->len, f->len, f->short_len,
					   err)) != 0)
				return ret;
		}
		*(size_t *)(base + f->count_off) = json_array_size(v);
		if (f->flag_off != NO_FLAG)
			*(bool *)(base + f->flag_off) = true;
		return 0;
	case F_U8:
		if ((ret = get_int(v, path, 0, UINT8_MAX, &n, err)) != 0)
			return ret;
		*(uint8_t *)(base + f->off) = (uint8_t)n;
		return 0;
	case F_U32:
		if ((ret = get_int(v, path, 0, UINT32_MAX, &n, err)) != 0)
			return ret;
		*(uint32_t *)(base + f->off) = (uint32_t)n;
		return 0;
	case F_VMPL:
		return get_vmpl(v, path, base + f->off, err);
	case F_ABI_VERSION:
		return get_version(v, path, 2, base + f->off, err);
	case F_FW_VERSION: {
		struct appraise_fw_version *fw = (struct appraise_fw_version *)(base + f->off);
		uint8_t parts[3];

		if ((ret = get_version(v, path, 3, parts, err)) != 0)
			return ret;
		fw->major = parts[0];
		fw->minor = parts[1];
		fw->build = parts[2];
		return 0;
	}
	case F_BITS:
		return get_bits(v, path, f->bit_names, (uint64_t *)(base + f->off), err);
	case F_OBJECT:
		return parse_object(v, path, f->sub, base + f->off, err);
	}
	return snp_errf(err, SNP_E_INTERNAL, "policy: %s: unhandled field kind", path);
}

static int parse_object(const json_t *obj, const char *path, const struct field *table,
			uint8_t *base, struct snp_err *err)
{
	const char *key;
	json_t *v;
	int ret = want_type(obj, JSON_OBJECT, *path ? path : "top level", "an object", err);

	if (ret != 0)
		return ret;
	json_object_foreach((json_t *)obj, key, v) {
		const struct field *f = table;
		char kpath[96];

		while (f->key && strcmp(f->key, key) != 0)
			f++;
		if (!f->key)
			return snp_errf(err, SNP_E_INVALID, "policy: %s%sunknown key '%.40s'", path,
					*path ? ": " : "", key);
		snprintf(kpath, sizeof(kpath), "%.40s%s%.40s", path, *path ? "." : "", key);
		if ((ret = parse_field(v, kpath, f, base, err)) != 0)
			return ret;
	}
	return 0;
}

int appraise_opts_from_json(const char *text, size_t len, struct appraise_opts *o,
			    struct snp_err *err)
{
	json_error_t jerr;
	json_t *root = NULL;
	int ret = SNP_E_INTERNAL;

	memset(o, 0, sizeof(*o));
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ret = snp_errf(err, SNP_E_INVALID, "policy: line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
		goto out;
	}
	if ((ret = parse_object(root, "", top_fields, (uint8_t *)o, err)) != 0)
		goto out;
	ret = 0;
out:
	if (ret != 0)
		memset(o, 0, sizeof(*o));
	json_decref(root);
	return ret;
}

int appraise_opts_from_file(const char *path, struct appraise_opts *o, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = SNP_E_INTERNAL;

	memset(o, 0, sizeof(*o));
	if ((ret = file_read(path, APPRAISE_POLICY_MAX_SIZE, &buf, &len, err)) != 0)
		goto out;
	if ((ret = appraise_opts_from_json((const char *)buf, len, o, err)) != 0) {
		snp_err_prefix(err, "%s: ", path);
		goto out;
	}
	ret = 0;
out:
	free(buf);
	return ret;
}
