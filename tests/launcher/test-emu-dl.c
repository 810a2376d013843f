/*
 * launcher/accel-emu.c loads libunicorn on first use (util/dl.h), not at
 * start-up: snpvm does not link it, and where it is missing the `emu` and
 * `auto` accelerators say so, naming the Debian package.
 *
 * The "missing" case hides libunicorn.so.2 (tests/common/dl-hide.h): the
 * loader's own message then reads as it would on a host without the
 * package. libunicorn is loaded once per process, so a load never happens
 * here.
 */
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "launcher/accel.h"
#include "launcher/guest-mem.h"
#include "launcher/vm.h"
#include "tests/common/dl-hide.h"
#include "tests/common/testutil.h"

#define UNICORN "libunicorn.so.2"

/* Linked as snpvm is, this process has not loaded libunicorn before emu is asked for. */
static void unicorn_is_not_loaded_at_start(void **state)
{
	(void)state;
	assert_null(dlopen(UNICORN, RTLD_LAZY | RTLD_NOLOAD));
}

/* snpvm itself does not need it: the loader's list of what the binary needs lacks it. */
static void snpvm_does_not_link_unicorn(void **state)
{
	const char *bin = getenv("SNPVM") ? getenv("SNPVM") : "build/snpvm";
	const char *argv[] = { "env", "LD_TRACE_LOADED_OBJECTS=1", bin, NULL };
	struct run_result res;

	(void)state;
	run_cmd(argv, NULL, &res);
	assert_int_equal(res.status, 0);
	assert_non_null(strstr(res.out, "libcrypto")); /* the list is there ... */
	assert_null(strstr(res.out, "libunicorn"));    /* ... without libunicorn */
	run_result_free(&res);
}

static void missing_unicorn_names_the_package(void **state)
{
	struct snp_err err = { 0 }, kvm_err = { 0 }, why = { 0 };
	bool kvm_works = accel_select("kvm", NULL, &kvm_err) != NULL;
	struct guest_mem mem = { 0 };
	struct vm_config cfg = { .accel = "emu", .vcpus = 1, .console_fd = -1 };
	struct vm *vm = NULL;

	(void)state;
	dl_hide(UNICORN, "libunicorn-not-installed.so.2");
	/* the background load (snpvm launch starts it early) fails; the probe reports it */
	accel_preload("emu");
	assert_null(accel_select("emu", NULL, &err));
	assert_int_equal(err.code, SNP_E_UNSUPPORTED);
	assert_non_null(strstr(err.msg, "install the Debian package libunicorn2"));
	assert_non_null(strstr(err.msg, "libunicorn-not-installed.so.2")); /* the loader's reason */
	/* asked again (the load is not retried): the same answer */
	memset(&err, 0, sizeof(err));
	assert_null(accel_select("emu", NULL, &err));
	assert_non_null(strstr(err.msg, "libunicorn2"));
	/* auto: kvm where it works, else no accelerator, with both reasons */
	memset(&err, 0, sizeof(err));
	if (kvm_works) {
		assert_ptr_equal(accel_select("auto", &why, &err), &accel_kvm_ops);
	} else {
		assert_null(accel_select("auto", &why, &err));
		assert_non_null(strstr(err.msg, "no accelerator: kvm: "));
		assert_non_null(strstr(err.msg, kvm_err.msg));
		assert_non_null(strstr(err.msg, "libunicorn2"));
	}
	/* and a VM asked to run on emu is refused with the same message */
	memset(&err, 0, sizeof(err));
	assert_int_equal(guest_mem_alloc(&mem, GUEST_MEM_MIN_SIZE, &err), 0);
	assert_int_not_equal(vm_create(&cfg, &mem, &vm, &err), 0);
	assert_null(vm);
	assert_non_null(strstr(err.msg, "libunicorn2"));
	guest_mem_free(&mem);
	assert_null(dlopen(UNICORN, RTLD_LAZY | RTLD_NOLOAD));
	dl_hide(NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(unicorn_is_not_loaded_at_start),
		cmocka_unit_test(snpvm_does_not_link_unicorn),
		cmocka_unit_test(missing_unicorn_names_the_package),
	};

	return cmocka_run_group_tests_name("launcher/emu-dl", tests, NULL, NULL);
}
