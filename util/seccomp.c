/* A seccomp filter from allow-list tables, and the SIGSYS report (util/seccomp.h). */
#include "util/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

/* What every filter allows: the SIGSYS report once a call was refused, and restart_syscall. */
static const struct sc_rule report_rules[] = {
	SC_ALLOW("write"), SC_ALLOW("rt_sigreturn"), SC_ALLOW("rt_sigaction"),
	SC_ALLOW("rt_sigprocmask"), SC_ALLOW("getpid"), SC_ALLOW("gettid"),
	SC_ALLOW("tgkill"), SC_ALLOW("exit"), SC_ALLOW("exit_group"),
	{ .name = "prctl", .how = SC_ARG_IN, .arg = 0, .vals = { PR_SET_DUMPABLE }, .nvals = 1 },
	/*
	 * The kernel's own continuation of a poll/nanosleep a signal handler
	 * interrupted (ERESTART_RESTARTBLOCK): glibc's set*id broadcast reaches every
	 * thread just before the filter goes on, and one in poll() then comes back
	 * through restart_syscall (attestd died of it under ASan's timing).
	 */
	SC_ALLOW("restart_syscall"),
	{ .name = NULL },
};

/*
 * Sanitizer builds (make check) only: LeakSanitizer's exit-time check stops
 * the world from a traced helper process (clone without CLONE_THREAD, ptrace,
 * /proc reads), which the filter forbids. It runs once now instead, before the
 * filter; leaks after this point go unreported in those builds.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SC_SANITIZED 1
#endif
#endif
#ifdef SC_SANITIZED
#include <sanitizer/lsan_interface.h>
#endif

/* System call names, resolved before the filter is loaded: the handler may not allocate. */
#define SC_NAMES 512
static char *sc_names[SC_NAMES];

static void put(char *buf, size_t *n, size_t cap, const char *s)
{
	while (*s && *n < cap)
		buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t *n, size_t cap, unsigned long v)
{
	char d[24];
	size_t i = sizeof(d);

	d[--i] = '\0';
	do
		d[--i] = (char)('0' + v % 10);
	while ((v /= 10) != 0 && i > 0);
	put(buf, n, cap, &d[i]);
}

/* Async-signal-safe: write, prctl, sigaction, raise. */
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	const int nr = si->si_syscall;
	char msg[128];
	size_t n = 0;

	(void)uc;
	put(msg, &n, sizeof(msg), "snpvm: seccomp: forbidden system call ");
	put_num(msg, &n, sizeof(msg), (unsigned long)(nr < 0 ? 0 : nr));
	put(msg, &n, sizeof(msg), " (");
	put(msg, &n, sizeof(msg), nr >= 0 && nr < SC_NAMES && sc_names[nr] ? sc_names[nr] : "?");
	put(msg, &n, sizeof(msg), "), killed\n");
	(void)!write(STDERR_FILENO, msg, n);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* no core file */
	sigaction(sig, &dfl, NULL);
	raise(sig); /* delivered on return from this handler: death by SIGSYS */
}

static void resolve_names(void)
{
	static atomic_flag done = ATOMIC_FLAG_INIT;

	if (atomic_flag_test_and_set(&done))
		return;
	for (int nr = 0; nr < SC_NAMES; nr++)
		sc_names[nr] = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
}

static int add_rule(scmp_filter_ctx ctx, const struct sc_rule *r, struct snp_err *err)
{
	const int nr = seccomp_syscall_resolve_name(r->name);
	int rc = 0;

	if (nr == __NR_SCMP_ERROR)
		return snp_errf(err, SNP_E_INVALID, "seccomp: unknown system call '%s'", r->name);
	switch (r->how) {
	case SC_ANY:
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
		break;
	case SC_ENOSYS:
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), nr, 0);
		break;
	case SC_EACCES:
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 0);
		break;
	case SC_ARG_IN:
		for (size_t i = 0; i < r->nvals && rc == 0; i++)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					      SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, 0xffffffffu,
						       r->vals[i] & 0xffffffffu));
		break;
	case SC_EACCES_IN:
		for (size_t i = 0; i < r->nvals && rc == 0; i++)
			rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), nr, 1,
					      SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, 0xffffffffu,
						       r->vals[i] & 0xffffffffu));
		break;
	case SC_ARG_HAS:
		rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
				      SCMP_CMP(r->arg, SCMP_CMP_MASKED_EQ, r->vals[0], r->vals[0]));
		break;
	case SC_ARGS_EQ: {
		struct scmp_arg_cmp cmp[6];

		if (r->nvals == 0 || r->nvals > 6)
			return snp_errf(err, SNP_E_INVALID, "seccomp: rule for %s: %zu arguments",
					r->name, r->nvals);
		for (size_t i = 0; i < r->nvals; i++)
			cmp[i] = (struct scmp_arg_cmp){ .arg = (unsigned)i, .op = SCMP_CMP_EQ,
							.datum_a = r->vals[i], .datum_b = 0 };
		rc = seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, (unsigned)r->nvals, cmp);
		break;
	}
	}
	if (rc != 0)
		return snp_errf(err, SNP_E_INVALID, "seccomp: rule for %s: %s", r->name,
				strerror(-rc));
	return 0;
}

/* Loads the filter of tables for all threads (tsync) or the calling thread only. */
static int load(const struct sc_rule *const *tables, size_t ntables, bool tsync,
		struct snp_err *err)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };
	scmp_filter_ctx ctx;
	int ret = SNP_E_INTERNAL, rc;

	resolve_names();
	if ((ctx = seccomp_init(SCMP_ACT_TRAP)) == NULL)
		return snp_errf(err, SNP_E_NOMEM, "seccomp: seccomp_init failed");
	if (tsync && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1)) != 0) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED, "seccomp: TSYNC: %s", strerror(-rc));
		goto out;
	}
	/*
	 * A thread's own filter comes after the process-wide one, which set
	 * no_new_privs for every thread (inherited by later ones): libseccomp then
	 * needs no prctl, and the only call it makes is
	 * seccomp(SECCOMP_SET_MODE_FILTER, 0, prog), which that filter must allow.
	 */
	if (!tsync && (rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0)) != 0) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED, "seccomp: NNP: %s", strerror(-rc));
		goto out;
	}
	for (const struct sc_rule *r = report_rules; r->name; r++)
		if ((ret = add_rule(ctx, r, err)) != 0)
			goto out;
	for (size_t t = 0; t < ntables; t++)
		for (const struct sc_rule *r = tables[t]; r->name; r++)
			if ((ret = add_rule(ctx, r, err)) != 0)
				goto out;
	if (sigaction(SIGSYS, &sa, NULL) != 0) {
		ret = snp_err_sys(err, "seccomp: SIGSYS handler");
		goto out;
	}
#ifdef SC_SANITIZED
	if (tsync)
		__lsan_do_leak_check();
#endif
	if ((rc = seccomp_load(ctx)) != 0) {
		errno = -rc;
		ret = snp_err_sys(err, "seccomp: loading the filter");
		goto out;
	}
	ret = 0;
out:
	seccomp_release(ctx);
	return ret;
}

int sc_confine(const struct sc_rule *const *tables, size_t ntables, struct snp_err *err)
{
	return load(tables, ntables, true, err);
}

int sc_confine_thread(const struct sc_rule *const *tables, size_t ntables, struct snp_err *err)
{
	return load(tables, ntables, false, err);
}
