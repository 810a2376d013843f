/*
 * Loading libunicorn (launcher/accel-emu.c) prefaults it from a second
 * thread while the dynamic loader relocates it; that thread is joined before
 * the load returns, so none of ours outlives it (a seccomp filter may be
 * installed right after, on a single-threaded VMM). The load here runs on
 * the calling thread (no accel_preload), as it does when nothing started it.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "launcher/accel.h"

static int thread_count(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void load_leaves_no_thread_behind(void **state)
{
	struct snp_err err = { 0 };

	(void)state;
	assert_int_equal(thread_count(), 1);
	assert_null(dlopen("libunicorn.so.2", RTLD_LAZY | RTLD_NOLOAD));
	if (!accel_select("emu", NULL, &err))
		skip();
	/* loaded, with every symbol emu calls resolved ... */
	assert_non_null(dlopen("libunicorn.so.2", RTLD_LAZY | RTLD_NOLOAD));
	/* ... and the prefault thread gone */
	assert_int_equal(thread_count(), 1);
	/* asked again: nothing loads or starts */
	assert_ptr_equal(accel_select("emu", NULL, &err), &accel_emu_ops);
	assert_int_equal(thread_count(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(load_leaves_no_thread_behind),
	};

	return cmocka_run_group_tests_name("launcher/emu-load", tests, NULL, NULL);
}
