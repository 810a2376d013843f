/*
 * snpvm host-check: is this host ready to launch SEV-SNP guests on upstream
 * KVM? A fixed table of checks (hostcheck/checks.c), each answering pass,
 * fail or skip with what it saw and, on failure, the fix. The library reads
 * /proc, /sys and /dev under a root directory (a fake tree in tests) and
 * reaches the devices and the CPU only through struct hostcheck_sys, so tests
 * answer the ioctls and CPUID themselves. It never prints (docs/host-check.md).
 */
#ifndef SNPVM_HOSTCHECK_HOSTCHECK_H
#define SNPVM_HOSTCHECK_HOSTCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum hostcheck_status {
	HOSTCHECK_PASS = 0,
	HOSTCHECK_FAIL,
	HOSTCHECK_SKIP, /* not run: a check it depends on failed (detail says which) */
};

/*
 * The operating-system boundary. A NULL member means the real call:
 * open(2), ioctl(2), the CPUID instruction. Paths handed to open are already
 * under the root.
 */
struct hostcheck_sys {
	/* Returns an fd (closed with close(2)) or -errno. */
	int (*open)(void *ctx, const char *path, int flags);
	/* Returns the ioctl's non-negative result or -errno. */
	int (*ioctl)(void *ctx, int fd, unsigned long req, void *arg);
	/* CPUID leaf/subleaf: regs = EAX, EBX, ECX, EDX. */
	void (*cpuid)(void *ctx, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
	void *ctx;
};

struct hostcheck_opts {
	const char *root;                /* NULL or "/": this host; else a tree holding proc/ sys/ dev/ */
	const struct hostcheck_sys *sys; /* NULL: every call real */
	/*
	 * A firmware image to check too (a path, not under root), or NULL: the
	 * "firmware" check then looks it up in the manifest of known builds
	 * (measure/firmware-known.h) and runs last.
	 */
	const char *firmware;
};

#define HOSTCHECK_MAX_CHECKS 32
#define HOSTCHECK_TEXT 320

struct hostcheck_result {
	const char *name; /* the check's stable name ("dev-kvm"), static */
	enum hostcheck_status status;
	char detail[HOSTCHECK_TEXT]; /* what was seen; for skip, why it did not run */
	char fix[HOSTCHECK_TEXT];    /* fail only: what to do; else "" */
};

struct hostcheck_report {
	size_t n;
	struct hostcheck_result checks[HOSTCHECK_MAX_CHECKS];
};

/*
 * Runs every check in order into *out. Returns 0 whatever the checks found
 * (a failing check is an answer, not an error); SNP_E_INVALID for a root that
 * is not a directory. Opens nothing that outlives the call.
 */
int hostcheck_run(const struct hostcheck_opts *o, struct hostcheck_report *out,
		  struct snp_err *err) SNP_MUST_CHECK;

/* True when every check passed: the host can launch SNP guests. */
bool hostcheck_ready(const struct hostcheck_report *r);

/* The result named name, or NULL. */
const struct hostcheck_result *hostcheck_find(const struct hostcheck_report *r, const char *name);

/* "pass", "fail", "skip". */
const char *hostcheck_status_name(enum hostcheck_status s);

struct json_t;

/*
 * The report as JSON: {"ready": bool, "checks": [{"name", "status", "detail",
 * "fix"}...]}, fix null unless failed. Returns a new reference, NULL when out
 * of memory.
 */
struct json_t *hostcheck_report_json(const struct hostcheck_report *r);

#endif
