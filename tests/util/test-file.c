/*
 * util/file.c readers: regular files only (a FIFO is refused at once, never
 * waited on), exactly the bytes the file had when opened, and chunked reads
 * whose memory does not depend on the file's size.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "tests/common/testutil.h"
#include "util/err.h"
#include "util/file.h"

/*
 * A reader that waits on a FIFO never returns: the alarm's default action
 * kills the test binary, which tests/run.sh counts as a failure.
 */
#define HANG_GUARD_S 10

static void write_file(const char *path, const uint8_t *p, size_t len)
{
	struct snp_err err = { 0 };

	if (file_write_atomic(path, p, len, 0600, &err) != 0)
		fail_msg("%s", err.msg);
}

static int never_called(void *ctx, const uint8_t *data, size_t len, struct snp_err *err)
{
	(void)ctx;
	(void)data;
	(void)len;
	(void)err;
	fail_msg("the chunk callback ran for a refused file");
	return 0;
}

/* Each reader on path: SNP_E_INVALID, naming path and its type, without blocking. */
static void expect_refused(const char *path, const char *type)
{
	struct snp_err err = { 0 };
	char want[700];
	uint8_t *buf = (uint8_t *)1;
	size_t len = 1;
	uint64_t size = 1;
	struct file_map map;

	snprintf(want, sizeof(want), "%s: not a regular file (%s)", path, type);
	alarm(HANG_GUARD_S);
	assert_int_equal(file_read(path, 1 << 20, &buf, &len, &err), SNP_E_INVALID);
	alarm(0);
	assert_string_equal(err.msg, want);
	assert_null(buf);
	assert_int_equal(len, 0);
	snp_err_clear(&err);
	alarm(HANG_GUARD_S);
	assert_int_equal(file_read_chunks(path, 1 << 20, never_called, NULL, &size, &err),
			 SNP_E_INVALID);
	alarm(0);
	assert_string_equal(err.msg, want);
	assert_int_equal(size, 0);
	snp_err_clear(&err);
	alarm(HANG_GUARD_S);
	assert_int_equal(file_map(path, 1 << 20, &map, &err), SNP_E_INVALID);
	alarm(0);
	assert_string_equal(err.msg, want);
	assert_null(map.map);
	file_unmap(&map);
}

static void file_readers_refuse_a_fifo_without_blocking(void **state)
{
	char *dir = tmpdir_make(), fifo[512];

	(void)state;
	snprintf(fifo, sizeof(fifo), "%s/report.bin", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	expect_refused(fifo, "fifo");
	/* Other non-regular files, by type; /dev/zero would never end. */
	expect_refused("/dev/zero", "character device");
	expect_refused(dir, "directory");
	rm_rf(dir);
	free(dir);
}

struct collect {
	uint8_t *got;
	size_t len, cap, calls, max_chunk;
	const char *path; /* for the callbacks that change the file */
	off_t truncate_to;
	int append;
};

static int collect_chunk(void *ctx, const uint8_t *data, size_t len, struct snp_err *err)
{
	struct collect *c = ctx;

	(void)err;
	assert_true(len > 0);
	assert_true(c->len + len <= c->cap);
	memcpy(c->got + c->len, data, len);
	c->len += len;
	c->calls++;
	if (len > c->max_chunk)
		c->max_chunk = len;
	/* On the first chunk: change the file under the reader, as another process would. */
	if (c->calls == 1 && c->truncate_to >= 0)
		assert_int_equal(truncate(c->path, c->truncate_to), 0);
	if (c->calls == 1 && c->append) {
		int fd = open(c->path, O_WRONLY | O_APPEND);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, "more", 4), 4);
		close(fd);
	}
	return 0;
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len);

	assert_non_null(p);
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + (i >> 12));
	return p;
}

/* /dev/null is the one device read: as an empty file (sev-snp-measure's --kernel=/dev/null). */
static void file_readers_take_dev_null_as_empty(void **state)
{
	struct snp_err err = { 0 };
	uint8_t *buf = NULL;
	size_t len = 1;
	uint64_t size = 1;
	struct file_map map;

	(void)state;
	assert_int_equal(file_read("/dev/null", 10, &buf, &len, &err), 0);
	assert_non_null(buf);
	assert_int_equal(len, 0);
	free(buf);
	assert_int_equal(file_read_chunks("/dev/null", 10, never_called, NULL, &size, &err), 0);
	assert_int_equal(size, 0);
	assert_int_equal(file_map("/dev/null", 10, &map, &err), 0);
	assert_non_null(map.data);
	assert_int_equal(map.len, 0);
	file_unmap(&map);
}

/* file_map: the whole file, read-only, under the cap; empty files and /proc files as above. */
static void file_map_views_the_whole_file(void **state)
{
	struct snp_err err = { 0 };
	char *dir = tmpdir_make(), path[512];
	size_t len = 3 * 4096 + 5;
	uint8_t *want = pattern(len);
	struct file_map m;

	(void)state;
	snprintf(path, sizeof(path), "%s/ovmf", dir);
	write_file(path, want, len);
	assert_int_equal(file_map(path, len, &m, &err), 0);
	assert_int_equal(m.len, len);
	assert_memory_equal(m.data, want, len);
	file_unmap(&m);
	assert_null(m.data);
	file_unmap(&m); /* twice is harmless */
	assert_int_equal(file_map(path, len - 1, &m, &err), SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "larger than the limit"));
	file_unmap(&m);
	write_file(path, NULL, 0);
	assert_int_equal(file_map(path, len, &m, &err), 0);
	assert_non_null(m.data);
	assert_int_equal(m.len, 0);
	file_unmap(&m);
	assert_int_equal(file_map("/proc/self/status", 1 << 20, &m, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "has more than the 0 bytes it had when opened"));
	file_unmap(&m);
	rm_rf(dir);
	free(dir);
	free(want);
}

/* A file of len pattern bytes in a fresh directory, and a collector sized for it. */
struct chunk_fixture {
	char *dir;
	char path[512];
	uint8_t *data;
	size_t len;
	struct collect c;
};

static void chunk_fixture_make(struct chunk_fixture *f, const char *name, size_t len)
{
	memset(f, 0, sizeof(*f));
	f->dir = tmpdir_make();
	snprintf(f->path, sizeof(f->path), "%s/%s", f->dir, name);
	f->len = len;
	f->data = pattern(len);
	write_file(f->path, f->data, len);
	f->c.got = malloc(len);
	assert_non_null(f->c.got);
	f->c.cap = len;
	f->c.path = f->path;
	f->c.truncate_to = -1;
}

static void chunk_fixture_free(struct chunk_fixture *f)
{
	rm_rf(f->dir);
	free(f->dir);
	free(f->data);
	free(f->c.got);
}

static void file_read_chunks_hands_over_every_byte_in_bounded_chunks(void **state)
{
	struct snp_err err = { 0 };
	struct chunk_fixture f;
	uint64_t size = 0;

	(void)state;
	chunk_fixture_make(&f, "kernel", 2 * FILE_CHUNK_SIZE + 12345);
	assert_int_equal(file_read_chunks(f.path, f.len, collect_chunk, &f.c, &size, &err), 0);
	assert_int_equal(size, f.len);
	assert_int_equal(f.c.len, f.len);
	assert_int_equal(f.c.calls, 3);
	assert_int_equal(f.c.max_chunk, FILE_CHUNK_SIZE);
	assert_memory_equal(f.c.got, f.data, f.len);

	/* One byte over the cap: refused before any chunk. */
	assert_int_equal(file_read_chunks(f.path, f.len - 1, never_called, NULL, &size, &err),
			 SNP_E_INVALID);
	assert_non_null(strstr(err.msg, "larger than the limit"));

	/* An empty file: no chunk, size 0. */
	write_file(f.path, NULL, 0);
	size = 1;
	assert_int_equal(file_read_chunks(f.path, 10, never_called, NULL, &size, &err), 0);
	assert_int_equal(size, 0);

	snprintf(f.path, sizeof(f.path), "%s/missing", f.dir);
	assert_int_equal(file_read_chunks(f.path, 10, never_called, NULL, &size, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "No such file"));
	chunk_fixture_free(&f);
}

/* A file cut short while it is read is an error naming it (a mapped file would raise SIGBUS). */
static void file_read_chunks_truncated_while_read_fails(void **state)
{
	struct snp_err err = { 0 };
	struct chunk_fixture f;
	char want[700];
	uint64_t size = 1;

	(void)state;
	chunk_fixture_make(&f, "initrd", 3 * FILE_CHUNK_SIZE);
	f.c.truncate_to = (off_t)(FILE_CHUNK_SIZE * 3 / 2);
	assert_int_equal(file_read_chunks(f.path, f.len, collect_chunk, &f.c, &size, &err),
			 SNP_E_SYS);
	snprintf(want, sizeof(want),
		 "%s: ended after %zu of the %zu bytes it had when opened (truncated while being "
		 "read?)",
		 f.path, FILE_CHUNK_SIZE * 3 / 2, f.len);
	assert_string_equal(err.msg, want);
	assert_int_equal(size, 0);
	assert_int_equal(f.c.calls, 1); /* the short second chunk is never handed over */
	chunk_fixture_free(&f);
}

/* A file that grows while it is read is an error too: the bytes read are not the file. */
static void file_read_chunks_grown_while_read_fails(void **state)
{
	struct snp_err err = { 0 };
	struct chunk_fixture f;
	char want[100];
	uint64_t size = 1;

	(void)state;
	chunk_fixture_make(&f, "kernel", FILE_CHUNK_SIZE + 1);
	f.c.append = 1;
	assert_int_equal(file_read_chunks(f.path, f.len + 10, collect_chunk, &f.c, &size, &err),
			 SNP_E_SYS);
	assert_non_null(strstr(err.msg, f.path));
	snprintf(want, sizeof(want), "has more than the %zu bytes it had when opened", f.len);
	assert_non_null(strstr(err.msg, want));
	assert_int_equal(size, 0);
	chunk_fixture_free(&f);
}

/*
 * Files whose size at open is not their length, with no test seam: /proc
 * reports 0 bytes for files that have content, sysfs 4096 for short ones.
 * file_read returned the first silently as empty and cut nothing short.
 */
static void file_read_refuses_bytes_past_the_size_at_open(void **state)
{
	struct snp_err err = { 0 };
	uint8_t *buf = (uint8_t *)1;
	size_t len = 1;

	(void)state;
	assert_int_equal(file_read("/proc/self/status", 1 << 20, &buf, &len, &err), SNP_E_SYS);
	assert_string_equal(err.msg, "/proc/self/status: has more than the 0 bytes it had when "
				     "opened (changed while being read?)");
	assert_null(buf);
	assert_int_equal(len, 0);
}

static void file_read_refuses_a_file_shorter_than_at_open(void **state)
{
	static const char sysfs[] = "/sys/devices/system/cpu/online";
	struct snp_err err = { 0 };
	struct stat st;
	uint8_t *buf = (uint8_t *)1;
	size_t len = 1;

	(void)state;
	if (stat(sysfs, &st) != 0 || st.st_size != 4096)
		skip(); /* no sysfs here (a container without /sys) */
	assert_int_equal(file_read(sysfs, 1 << 20, &buf, &len, &err), SNP_E_SYS);
	assert_non_null(strstr(err.msg, "/sys/devices/system/cpu/online: ended after "));
	assert_non_null(strstr(err.msg, "of the 4096 bytes it had when opened"));
	assert_null(buf);
}

/* file_read_head: /proc's "0 bytes" and sysfs's "4096 bytes" are read for what they hold. */
static void file_read_head_reads_pseudo_files_whatever_their_size(void **state)
{
	struct snp_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	bool more = true;

	(void)state;
	if (file_read_head("/proc/self/status", 1 << 20, &buf, &len, &more, &err) != 0)
		fail_msg("%s", err.msg);
	assert_false(more);
	assert_true(len > 0);
	assert_int_equal(strlen(buf), len);
	assert_memory_equal(buf, "Name:", 5);
	free(buf);
}

/* Exactly max bytes, NUL-terminated, and *more only when the file goes on past them. */
static void file_read_head_stops_at_max_and_says_so(void **state)
{
	static const uint8_t text[] = "0123456789";
	struct snp_err err = { 0 };
	char *dir = tmpdir_make(), path[512], *buf = (char *)1;
	size_t len = 1;
	bool more = false;

	(void)state;
	snprintf(path, sizeof(path), "%s/f", dir);
	write_file(path, text, 10);
	if (file_read_head(path, 4, &buf, &len, &more, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(more);
	assert_int_equal(len, 4);
	assert_string_equal(buf, "0123");
	free(buf);
	if (file_read_head(path, 10, &buf, &len, &more, &err) != 0)
		fail_msg("%s", err.msg);
	assert_false(more); /* exactly max bytes and then the end */
	assert_string_equal(buf, "0123456789");
	free(buf);
	if (file_read_head(path, 0, &buf, &len, &more, &err) != 0)
		fail_msg("%s", err.msg);
	assert_true(more);
	assert_int_equal(len, 0);
	assert_string_equal(buf, "");
	free(buf);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(file_read_head(path, 4, &buf, &len, &more, &err), SNP_E_SYS);
	assert_null(buf);
	assert_non_null(strstr(err.msg, "No such file or directory"));
	rm_rf(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(file_readers_refuse_a_fifo_without_blocking),
		cmocka_unit_test(file_readers_take_dev_null_as_empty),
		cmocka_unit_test(file_map_views_the_whole_file),
		cmocka_unit_test(file_read_chunks_hands_over_every_byte_in_bounded_chunks),
		cmocka_unit_test(file_read_chunks_truncated_while_read_fails),
		cmocka_unit_test(file_read_chunks_grown_while_read_fails),
		cmocka_unit_test(file_read_refuses_bytes_past_the_size_at_open),
		cmocka_unit_test(file_read_refuses_a_file_shorter_than_at_open),
		cmocka_unit_test(file_read_head_reads_pseudo_files_whatever_their_size),
		cmocka_unit_test(file_read_head_stops_at_max_and_says_so),
	};

	return cmocka_run_group_tests_name("util/file", tests, NULL, NULL);
}
