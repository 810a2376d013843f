/*
 * The sev-snp-measure vectors of tests/data/measure/vectors.json for every
 * test that replays them: loading (paths mapped to tests/data) and the
 * library's view of a vector (its flags turned into measure_opts by hand,
 * independently of the CLI's parser, with the inputs opened).
 */
#ifndef SNPVM_TESTS_COMMON_MEASURE_VECTORS_H
#define SNPVM_TESTS_COMMON_MEASURE_VECTORS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "measure/cpu-sig.h"
#include "measure/input.h"
#include "measure/kernel-hashes.h"
#include "measure/measure.h"
#include "tests/common/testutil.h"
#include "util/hex.h"

#define NVECTORS 73
#define MAX_ARGS 16

struct vector {
	size_t index;
	int argc;
	char *argv[MAX_ARGS + 2]; /* mapped flags, NULL-terminated */
	const char *expect;       /* NULL for an error vector */
	bool is_base64;
	bool no_metadata;         /* firmware without SEV metadata: snpvm refuses by default */
};

struct measure_vectors {
	struct vector v[NVECTORS];
	size_t n;
	json_t *root;
};

/* debian:, firmware-amdsev:, firmware/ and inputs/ name files under tests/data. */
static inline char *map_path(const char *v)
{
	static const struct {
		const char *prefix, *dir;
	} map[] = {
		{ "debian:", "tests/data/debian-ovmf/" },
		{ "firmware-amdsev:", "tests/data/firmware/" },
		{ "firmware/", "tests/data/measure/firmware/" },
		{ "inputs/", "tests/data/measure/inputs/" },
	};
	char buf[1024];

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strncmp(v, map[i].prefix, strlen(map[i].prefix)) == 0) {
			snprintf(buf, sizeof(buf), "%s%s", map[i].dir, v + strlen(map[i].prefix));
			return strdup(buf);
		}
	return strdup(v);
}

static inline bool takes_path(const char *flag)
{
	return !strcmp(flag, "--ovmf") || !strcmp(flag, "--kernel") || !strcmp(flag, "--initrd") ||
	       !strcmp(flag, "--svsm");
}

/* Maps the path in "--flag=value" or in the value following "--flag". */
static inline char *map_arg(const char *prev, const char *a)
{
	const char *eq = strchr(a, '=');
	char flag[64], buf[1200];

	if (a[0] == '-' && eq && (size_t)(eq - a) < sizeof(flag)) {
		char *p;

		memcpy(flag, a, (size_t)(eq - a));
		flag[eq - a] = '\0';
		if (!takes_path(flag))
			return strdup(a);
		p = map_path(eq + 1);
		snprintf(buf, sizeof(buf), "%s=%s", flag, p);
		free(p);
		return strdup(buf);
	}
	if (prev && takes_path(prev))
		return map_path(a);
	return strdup(a);
}

/* Loads tests/data/measure/vectors.json into *mv with paths mapped to tests/data. */
static inline void measure_vectors_load(struct measure_vectors *mv)
{
	json_error_t jerr;
	json_t *arr;
	size_t i;
	json_t *v;

	memset(mv, 0, sizeof(*mv));
	mv->root = json_load_file(tdata_path("measure/vectors.json"), 0, &jerr);
	if (!mv->root)
		fail_msg("vectors.json: %s", jerr.text);
	arr = json_object_get(mv->root, "vectors");
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), NVECTORS);
	json_array_foreach(arr, i, v) {
		struct vector *vec = &mv->v[mv->n++];
		json_t *args = json_object_get(v, "args"), *a;
		size_t j;

		vec->index = i;
		vec->expect = json_string_value(json_object_get(v, "expect"));
		assert_true(vec->expect || json_object_get(v, "error"));
		assert_true(json_array_size(args) <= MAX_ARGS);
		json_array_foreach(args, j, a) {
			const char *s = json_string_value(a);

			vec->argv[vec->argc] = map_arg(j ? json_string_value(json_array_get(args, j - 1))
						       : NULL, s);
			if (strstr(s, "OVMF_CODE_4M.fd"))
				vec->no_metadata = true;
			if (!strcmp(s, "--output-format=base64"))
				vec->is_base64 = true;
			vec->argc++;
		}
	}
}

static inline void measure_vectors_free(struct measure_vectors *mv)
{
	for (size_t i = 0; i < mv->n; i++)
		for (int j = 0; j < mv->v[i].argc; j++)
			free(mv->v[i].argv[j]);
	json_decref(mv->root);
}

/* The library's view of a vector: its flags turned into measure_opts by hand. */
struct lib_run {
	struct measure_opts o;
	struct input ovmf, svsm, kernel, initrd;
	struct sev_hashes hashes;
	uint8_t seed[SNP_LD_SIZE];
	const char *kernel_path, *initrd_path, *append;
	unsigned family, model, stepping;
};

static inline const char *flag_value(const struct vector *v, int *i, const char *flag)
{
	size_t n = strlen(flag);

	if (!strncmp(v->argv[*i], flag, n) && v->argv[*i][n] == '=')
		return v->argv[*i] + n + 1;
	if (!strcmp(v->argv[*i], flag) && *i + 1 < v->argc)
		return v->argv[++*i];
	return NULL;
}

static inline uint64_t num(const char *s)
{
	return strtoull(s, NULL, 0);
}

static inline void lib_setup(const struct vector *v, struct lib_run *r)
{
	struct snp_err err = { 0 };
	const char *val;

	memset(r, 0, sizeof(*r));
	r->o.launch.mode = MEASURE_MODE_SNP;
	r->o.launch.vmm = VMM_QEMU;
	r->o.launch.guest_features = 1;
	for (int i = 0; i < v->argc; i++) {
		if ((val = flag_value(v, &i, "--mode"))) {
			r->o.launch.mode = !strcmp(val, "snp")		  ? MEASURE_MODE_SNP
				    : !strcmp(val, "snp:svsm") ? MEASURE_MODE_SVSM
							       : MEASURE_MODE_OVMF_HASH;
		} else if ((val = flag_value(v, &i, "--vmm-type"))) {
			assert_int_equal(vmm_profile_find(val, &r->o.launch.vmm, &err), 0);
		} else if ((val = flag_value(v, &i, "--vcpus"))) {
			r->o.launch.vcpus = (unsigned)num(val);
		} else if ((val = flag_value(v, &i, "--vcpu-type"))) {
			assert_int_equal(cpu_sig_lookup(val, &r->o.launch.vcpu_sig, &err), 0);
		} else if ((val = flag_value(v, &i, "--vcpu-sig"))) {
			r->o.launch.vcpu_sig = (uint32_t)num(val);
		} else if ((val = flag_value(v, &i, "--vcpu-family"))) {
			r->family = (unsigned)num(val);
		} else if ((val = flag_value(v, &i, "--vcpu-model"))) {
			r->model = (unsigned)num(val);
		} else if ((val = flag_value(v, &i, "--vcpu-stepping"))) {
			r->stepping = (unsigned)num(val);
			assert_int_equal(cpu_sig_pack(r->family, r->model, r->stepping,
						      &r->o.launch.vcpu_sig, &err), 0);
		} else if ((val = flag_value(v, &i, "--guest-features"))) {
			r->o.launch.guest_features = num(val);
		} else if ((val = flag_value(v, &i, "--ovmf"))) {
			if (input_open(val, 64u << 20, &r->ovmf, &err) != 0)
				fail_msg("%s", err.msg);
			r->o.launch.ovmf = r->ovmf.data;
			r->o.launch.ovmf_len = r->ovmf.len;
		} else if ((val = flag_value(v, &i, "--svsm"))) {
			if (input_open(val, 64u << 20, &r->svsm, &err) != 0)
				fail_msg("%s", err.msg);
			r->o.launch.svsm = r->svsm.data;
			r->o.launch.svsm_len = r->svsm.len;
		} else if ((val = flag_value(v, &i, "--vars-size"))) {
			r->o.launch.vars_size = num(val);
		} else if ((val = flag_value(v, &i, "--kernel"))) {
			r->kernel_path = val;
		} else if ((val = flag_value(v, &i, "--initrd"))) {
			r->initrd_path = val;
		} else if ((val = flag_value(v, &i, "--append"))) {
			r->append = val;
		} else if ((val = flag_value(v, &i, "--snp-ovmf-hash"))) {
			assert_int_equal(hex_decode(val, r->seed, SNP_LD_SIZE, "seed", &err), 0);
			r->o.ovmf_hash = r->seed;
		} else if (!flag_value(v, &i, "--output-format")) {
			fail_msg("vector %zu: flag %s not handled by the test", v->index, v->argv[i]);
		}
	}
	if (r->kernel_path) {
		if (input_open(r->kernel_path, 64u << 20, &r->kernel, &err) != 0 ||
		    (r->initrd_path && input_open(r->initrd_path, 64u << 20, &r->initrd, &err) != 0))
			fail_msg("%s", err.msg);
		assert_int_equal(kernel_hashes_compute(r->kernel.data, r->kernel.len,
						       r->initrd_path ? r->initrd.data : NULL,
						       r->initrd.len, r->append, &r->hashes, &err),
				 0);
		r->o.launch.kernel_hashes = &r->hashes;
	}
}

static inline void lib_teardown(struct lib_run *r)
{
	input_close(&r->ovmf);
	input_close(&r->svsm);
	input_close(&r->kernel);
	input_close(&r->initrd);
}

#endif
