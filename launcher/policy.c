#include "launcher/policy.h"

#include <jansson.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/policy.h"
#include "measure/cpu-sig.h"
#include "util/file.h"
#include "util/hex.h"

#define DEFAULT_VCPU_TYPE "EPYC-v4"
#define MAX_MEMORY_MIB 3072 /* launcher/guest-mem.h GUEST_MEM_MAX_SIZE */

static int bad(struct snp_err *err, const char *key, const char *why)
{
	return snp_errf(err, SNP_E_INVALID, "policy: %s: %s", key, why);
}

static int get_str(const json_t *v, const char *key, const char **out, struct snp_err *err)
{
	if (!json_is_string(v))
		return bad(err, key, "expected a string");
	if (json_string_length(v) != strlen(json_string_value(v)) || json_string_length(v) == 0)
		return bad(err, key, "empty or contains a NUL byte");
	*out = json_string_value(v);
	return 0;
}

static int get_uint(const json_t *v, const char *key, uint64_t lo, uint64_t hi, uint64_t *out,
		    struct snp_err *err)
{
	json_int_t n;

	if (!json_is_integer(v))
		return bad(err, key, "expected an integer");
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n < lo || (uint64_t)n > hi)
		return snp_errf(err, SNP_E_INVALID, "policy: %s: %lld is outside %llu..%llu", key,
				(long long)n, (unsigned long long)lo, (unsigned long long)hi);
	*out = (uint64_t)n;
	return 0;
}

/* "0x..." or a decimal string, or an integer (JSON integers are signed 64-bit). */
static int get_u64_any(const json_t *v, const char *key, uint64_t *out, struct snp_err *err)
{
	const char *s;
	char *end;

	if (json_is_integer(v))
		return get_uint(v, key, 0, INT64_MAX, out, err);
	if (!json_is_string(v))
		return bad(err, key, "expected an integer or a \"0x...\" string");
	s = json_string_value(v);
	if (s[0] == '-' || s[0] == '\0' || s[0] == ' ')
		return bad(err, key, "not a non-negative number");
	*out = strtoull(s, &end, 0);
	if (*end != '\0')
		return bad(err, key, "not a number");
	return 0;
}

static int get_bool(const json_t *v, const char *key, bool *out, struct snp_err *err)
{
	if (!json_is_boolean(v))
		return bad(err, key, "expected true or false");
	*out = json_is_true(v);
	return 0;
}

/* path resolved against dir unless absolute; malloc'd. */
static int get_path(const json_t *v, const char *key, const char *dir, char **out,
		    struct snp_err *err)
{
	const char *s;
	size_t n;
	int ret;

	if ((ret = get_str(v, key, &s, err)) != 0)
		return ret;
	if (strlen(s) >= LAUNCH_POLICY_MAX_PATH)
		return bad(err, key, "path too long");
	n = strlen(dir) + strlen(s) + 2;
	if (!(*out = malloc(n)))
		return snp_errf(err, SNP_E_NOMEM, "policy: %s: out of memory", key);
	if (s[0] == '/' || !dir[0])
		snprintf(*out, n, "%s", s);
	else
		snprintf(*out, n, "%s/%s", dir, s);
	return 0;
}

static int one_of(const json_t *v, const char *key, const char *const *names, char *out,
		  size_t cap, struct snp_err *err)
{
	const char *s;
	int ret;

	if ((ret = get_str(v, key, &s, err)) != 0)
		return ret;
	for (size_t i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) {
			snprintf(out, cap, "%s", s);
			return 0;
		}
	return snp_errf(err, SNP_E_INVALID, "policy: %s: \"%s\" is not one of the accepted values",
			key, s);
}

static int guest_policy(const json_t *o, uint64_t *pol, struct snp_err *err)
{
	static const struct {
		const char *key;
		uint64_t bit;
	} bits[] = {
		{ "debug", SNP_POLICY_DEBUG },
		{ "smt", SNP_POLICY_SMT },
		{ "migration_agent", SNP_POLICY_MIGRATE_MA },
		{ "single_socket", SNP_POLICY_SINGLE_SOCKET },
	};
	const char *k;
	json_t *v;
	int ret;

	if (!json_is_object(o))
		return bad(err, "guest_policy", "expected an object");
	*pol = SNP_POLICY_RESERVED1 | SNP_POLICY_SMT; /* SMT allowed unless said otherwise */
	json_object_foreach((json_t *)o, k, v) {
		char key[64];
		size_t i;

		snprintf(key, sizeof(key), "guest_policy.%s", k);
		for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
			if (strcmp(k, bits[i].key) == 0)
				break;
		if (i < sizeof(bits) / sizeof(bits[0])) {
			bool on = false;

			if ((ret = get_bool(v, key, &on, err)) != 0)
				return ret;
			*pol = on ? *pol | bits[i].bit : *pol & ~bits[i].bit;
		} else if (strcmp(k, "abi_major") == 0 || strcmp(k, "abi_minor") == 0) {
			uint64_t n;

			if ((ret = get_uint(v, key, 0, 255, &n, err)) != 0)
				return ret;
			if (k[4] == 'm' && k[5] == 'a')
				*pol = (*pol & ~SNP_POLICY_ABI_MAJOR_MASK) |
				       n << SNP_POLICY_ABI_MAJOR_SHIFT;
			else
				*pol = (*pol & ~SNP_POLICY_ABI_MINOR_MASK) | n;
		} else {
			return bad(err, key, "unknown key (want debug, smt, migration_agent, "
					     "single_socket, abi_major, abi_minor)");
		}
	}
	return 0;
}

static int id_block(const json_t *o, const char *dir, struct launch_policy *p,
		    struct snp_err *err)
{
	const char *k;
	json_t *v;
	int ret;

	if (!json_is_object(o))
		return bad(err, "id_block", "expected an object");
	json_object_foreach((json_t *)o, k, v) {
		char key[64];
		char **slot = strcmp(k, "id_key") == 0		? &p->id_key
			      : strcmp(k, "author_key") == 0	? &p->author_key
			      : strcmp(k, "id_block_file") == 0 ? &p->id_block_file
			      : strcmp(k, "id_auth_file") == 0	? &p->id_auth_file
								: NULL;

		snprintf(key, sizeof(key), "id_block.%s", k);
		if (!slot)
			return bad(err, key, "unknown key (want id_key, author_key, id_block_file, "
					     "id_auth_file)");
		if ((ret = get_path(v, key, dir, slot, err)) != 0)
			return ret;
	}
	if (p->id_key && (p->id_block_file || p->id_auth_file))
		return bad(err, "id_block", "give keys (id_key) or precomputed blocks "
					    "(id_block_file, id_auth_file), not both");
	if (!p->id_key && (!p->id_block_file || !p->id_auth_file))
		return bad(err, "id_block", "needs id_key, or both id_block_file and id_auth_file");
	if (p->author_key && !p->id_key)
		return bad(err, "id_block.author_key", "needs id_key");
	return 0;
}

static int console(const json_t *v, const char *dir, struct launch_policy *p,
		   struct snp_err *err)
{
	const char *s;
	int ret;

	if ((ret = get_str(v, "console", &s, err)) != 0)
		return ret;
	if (strcmp(s, "stdout") == 0)
		p->console = LAUNCH_CONSOLE_STDOUT;
	else if (strcmp(s, "none") == 0)
		p->console = LAUNCH_CONSOLE_NONE;
	else {
		p->console = LAUNCH_CONSOLE_FILE;
		return get_path(v, "console", dir, &p->console_path, err);
	}
	return 0;
}

/* min_tcb {bootloader, tee, snp, microcode[, fmc]}: for the verifier policy only. */
static int min_tcb(const json_t *o, struct launch_policy *p, struct snp_err *err)
{
	const char *k;
	json_t *v;
	int ret;

	if (!json_is_object(o))
		return bad(err, "min_tcb", "expected an object");
	json_object_foreach((json_t *)o, k, v) {
		char key[64];
		uint8_t *slot = strcmp(k, "bootloader") == 0   ? &p->min_tcb_bootloader
				: strcmp(k, "tee") == 0	       ? &p->min_tcb_tee
				: strcmp(k, "snp") == 0	       ? &p->min_tcb_snp
				: strcmp(k, "microcode") == 0  ? &p->min_tcb_microcode
				: strcmp(k, "fmc") == 0	       ? &p->min_tcb_fmc
							       : NULL;
		uint64_t n;

		snprintf(key, sizeof(key), "min_tcb.%s", k);
		if (!slot)
			return bad(err, key, "unknown key (want bootloader, tee, snp, microcode, fmc)");
		if ((ret = get_uint(v, key, 0, 255, &n, err)) != 0)
			return ret;
		*slot = (uint8_t)n;
		p->min_tcb_has_fmc |= slot == &p->min_tcb_fmc;
	}
	p->has_min_tcb = true;
	return 0;
}

static int key(const char *k, const json_t *v, const char *dir, struct launch_policy *p,
	       struct snp_err *err)
{
	static const char *const backends[] = { "sim", "snp", NULL };
	static const char *const accels[] = { "auto", "kvm", "emu", NULL };
	const char *s;
	uint64_t n;
	int ret;

	if (strcmp(k, "backend") == 0)
		return one_of(v, k, backends, p->backend, sizeof(p->backend), err);
	if (strcmp(k, "accel") == 0)
		return one_of(v, k, accels, p->accel, sizeof(p->accel), err);
	if (strcmp(k, "payload") == 0)
		return get_path(v, k, dir, &p->payload, err);
	if (strcmp(k, "firmware") == 0)
		return get_path(v, k, dir, &p->firmware, err);
	if (strcmp(k, "kernel") == 0)
		return get_path(v, k, dir, &p->kernel, err);
	if (strcmp(k, "initrd") == 0)
		return get_path(v, k, dir, &p->initrd, err);
	if (strcmp(k, "cmdline") == 0) {
		if (!json_is_string(v) || json_string_length(v) != strlen(json_string_value(v)))
			return bad(err, k, "expected a string without NUL bytes");
		if (json_string_length(v) > 3839)
			return bad(err, k, "longer than 3839 bytes");
		return (p->cmdline = strdup(json_string_value(v))) ? 0
			: snp_errf(err, SNP_E_NOMEM, "policy: cmdline: out of memory");
	}
	if (strcmp(k, "vcpus") == 0) {
		if ((ret = get_uint(v, k, 1, 32, &n, err)) != 0)
			return ret;
		p->vcpus = (unsigned)n;
		return 0;
	}
	if (strcmp(k, "vcpu_type") == 0) {
		if ((ret = get_str(v, k, &s, err)) != 0)
			return ret;
		if (cpu_sig_lookup(s, &p->vcpu_sig, err) != 0) {
			snp_err_prefix(err, "policy: vcpu_type: ");
			return err ? (err->code = SNP_E_INVALID) : SNP_E_INVALID;
		}
		snprintf(p->vcpu_type, sizeof(p->vcpu_type), "%s", s);
		return 0;
	}
	if (strcmp(k, "guest_features") == 0)
		return get_u64_any(v, k, &p->guest_features, err);
	if (strcmp(k, "memory_mib") == 0) {
		if ((ret = get_uint(v, k, 2, MAX_MEMORY_MIB, &p->memory_mib, err)) != 0)
			return ret;
		return p->memory_mib % 2 ? bad(err, k, "must be a multiple of 2 (2 MiB pages)") : 0;
	}
	if (strcmp(k, "guest_policy") == 0)
		return guest_policy(v, &p->guest_policy, err);
	if (strcmp(k, "host_data") == 0) {
		if ((ret = get_str(v, k, &s, err)) != 0)
			return ret;
		if (strcmp(s, "policy-digest") == 0) {
			p->host_data_is_digest = true;
			return 0;
		}
		if (strlen(s) != 64)
			return bad(err, k, "expected 64 hex digits or \"policy-digest\"");
		return hex_decode(s, p->host_data, 32, "policy: host_data", err);
	}
	if (strcmp(k, "id_block") == 0)
		return id_block(v, dir, p, err);
	if (strcmp(k, "console") == 0)
		return console(v, dir, p, err);
	if (strcmp(k, "sim_dir") == 0)
		return get_path(v, k, dir, &p->sim_dir, err);
	if (strcmp(k, "certs_dir") == 0) {
		if ((ret = get_str(v, k, &s, err)) != 0)
			return ret;
		if (!s[0])
			return bad(err, k, "an empty path");
		return get_path(v, k, dir, &p->certs_dir, err);
	}
	if (strcmp(k, "min_tcb") == 0)
		return min_tcb(v, p, err);
	if (strcmp(k, "timeout") == 0)
		return get_uint(v, k, 0, 86400, &p->timeout_s, err);
	return snp_errf(err, SNP_E_INVALID, "policy: %s: unknown key (docs/policy-file.md)", k);
}

/* SHA-256 over the JSON re-serialised with sorted keys and no whitespace. */
static int canonical_digest(const json_t *root, uint8_t out[32], struct snp_err *err)
{
	char *c = json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	unsigned n = 32;
	int ok;

	if (!c)
		return snp_errf(err, SNP_E_NOMEM, "policy: out of memory");
	ok = EVP_Digest(c, strlen(c), out, &n, EVP_sha256(), NULL);
	free(c);
	return ok ? 0 : snp_err_openssl(err, "policy: SHA-256");
}

int launch_policy_parse(const char *text, size_t len, const char *dir, struct launch_policy *p,
			struct snp_err *err)
{
	json_error_t jerr;
	json_t *root = NULL, *v;
	const char *k;
	int ret = SNP_E_INTERNAL;

	memset(p, 0, sizeof(*p));
	snprintf(p->backend, sizeof(p->backend), "sim");
	snprintf(p->accel, sizeof(p->accel), "auto");
	snprintf(p->vcpu_type, sizeof(p->vcpu_type), DEFAULT_VCPU_TYPE);
	p->vcpus = 1;
	p->guest_features = 0x1;
	p->memory_mib = 64;
	p->guest_policy = SNP_POLICY_RESERVED1 | SNP_POLICY_SMT;
	if ((ret = cpu_sig_lookup(DEFAULT_VCPU_TYPE, &p->vcpu_sig, err)) != 0)
		goto out;
	if (len > LAUNCH_POLICY_MAX_SIZE) {
		ret = snp_errf(err, SNP_E_INVALID, "policy: %zu bytes exceeds %d", len,
			       LAUNCH_POLICY_MAX_SIZE);
		goto out;
	}
	root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		ret = snp_errf(err, SNP_E_INVALID, "policy: line %d column %d: %s", jerr.line,
			       jerr.column, jerr.text);
		goto out;
	}
	if (!json_is_object(root)) {
		ret = snp_errf(err, SNP_E_INVALID, "policy: the top level is not an object");
		goto out;
	}
	json_object_foreach(root, k, v)
		if ((ret = key(k, v, dir, p, err)) != 0)
			goto out;
	if (!p->payload == !p->firmware) {
		ret = bad(err, "payload", "give exactly one of payload (an ELF) and firmware (OVMF)");
		goto out;
	}
	if (p->payload && (p->kernel || p->initrd)) {
		ret = bad(err, "kernel", "measured direct boot (kernel, initrd) needs firmware, not "
					 "a payload");
		goto out;
	}
	if (p->initrd && !p->kernel) {
		ret = bad(err, "initrd", "needs kernel");
		goto out;
	}
	if (strcmp(p->backend, "sim") == 0 && !p->sim_dir) {
		ret = bad(err, "sim_dir", "the sim backend needs its state directory");
		goto out;
	}
	if (p->certs_dir && strcmp(p->backend, "snp") != 0) {
		ret = bad(err, "certs_dir", "only the snp backend serves certificates to guests");
		goto out;
	}
	if ((ret = snp_policy_check(p->guest_policy, "policy: guest_policy", err)) != 0 ||
	    (ret = canonical_digest(root, p->digest, err)) != 0)
		goto out;
	if (p->host_data_is_digest)
		memcpy(p->host_data, p->digest, 32);
	ret = 0;
out:
	json_decref(root);
	if (ret)
		launch_policy_free(p);
	return ret;
}

int launch_policy_load(const char *path, struct launch_policy *p, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	char dir[LAUNCH_POLICY_MAX_PATH];
	const char *slash = strrchr(path, '/');
	int ret;

	memset(p, 0, sizeof(*p));
	if (strlen(path) >= sizeof(dir))
		return snp_errf(err, SNP_E_INVALID, "policy: path too long");
	if (slash)
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path == 0 ? 1 : slash - path), path);
	else
		snprintf(dir, sizeof(dir), ".");
	if ((ret = file_read(path, LAUNCH_POLICY_MAX_SIZE, &buf, &len, err)) != 0)
		return ret;
	ret = launch_policy_parse((const char *)buf, len, dir, p, err);
	if (ret)
		snp_err_prefix(err, "%s: ", path);
	free(buf);
	return ret;
}

void launch_policy_free(struct launch_policy *p)
{
	if (!p)
		return;
	free(p->payload);
	free(p->firmware);
	free(p->kernel);
	free(p->initrd);
	free(p->cmdline);
	free(p->id_key);
	free(p->author_key);
	free(p->id_block_file);
	free(p->id_auth_file);
	free(p->console_path);
	free(p->sim_dir);
	free(p->certs_dir);
	memset(p, 0, sizeof(*p));
}
