/*
 * attestd's confinement (docs/attestd.md, "Confinement"): after the
 * listeners are bound and the store, keys and every database connection are
 * open, attestd drops to an unprivileged user (--user), gives up every
 * capability (util/caps.h) and loads its own seccomp allow-list
 * (util/seccomp.h) covering what serving needs: accepting and answering on
 * sockets it already has, the store's I/O on files and connections it
 * already has, memory, threads, clocks, randomness and the stop signals;
 * with --kds-url/--kds-cache also what the VCEK fetch and cache need.
 * Everything else (execve, fork, open/openat, socket, connect, ptrace, ...)
 * kills attestd with SIGSYS. It happens between attestd_bind and
 * attestd_serve (attestd/service.h): no request is answered before.
 */
#ifndef SNPVM_ATTESTD_CONFINE_H
#define SNPVM_ATTESTD_CONFINE_H

#include <stdbool.h>

#include "util/err.h"
#include "util/seccomp.h"

/* The allow-list, NULL-terminated (exposed for the tests). */
extern const struct sc_rule attestd_seccomp_rules[];

/*
 * What fetching VCEKs (--kds-url, attest/kds-curl.h) and keeping them in a
 * cache directory (--kds-cache) add while serving: TCP sockets and connect,
 * opening files read-only or creating new ones, mkdir, fchmod, rename. The
 * caller loads libcurl and runs its global initialisation before the filter
 * (kds_curl_preload).
 */
extern const struct sc_rule attestd_seccomp_kds_rules[];

/* Without the KDS: open and openat fail with EACCES (util/seccomp.h, SC_EACCES). */
extern const struct sc_rule attestd_seccomp_no_open_rules[];

/* With the KDS and without PostgreSQL: an AF_UNIX socket fails with EACCES (nscd). */
extern const struct sc_rule attestd_seccomp_no_unix_socket_rules[];

/*
 * A PostgreSQL store: what libpq's reconnect after a server restart needs -
 * socket (AF_UNIX, AF_INET, AF_INET6), connect, and the resolver's calls.
 */
extern const struct sc_rule attestd_seccomp_pg_rules[];

/*
 * Switches the whole process to user (a name from the password database):
 * chowns admin_sock (may be NULL) to it so the admin socket stays 0600 and
 * usable, then setgroups to the user's primary group only, setgid, setuid, and
 * checks that real, effective and saved ids all changed and that neither
 * setuid(0) nor seteuid(0) succeeds. glibc applies set*id to every thread.
 */
int attestd_drop_user(const char *user, const char *admin_sock,
		      struct snp_err *err) SNP_MUST_CHECK;

/*
 * Drops every capability (caps_drop_all, which sets PR_SET_NO_NEW_PRIVS) and
 * loads attestd_seccomp_rules, plus attestd_seccomp_kds_rules when kds or
 * attestd_seccomp_no_open_rules when not, plus attestd_seccomp_pg_rules when
 * store_uri (the store's URI; NULL: the default SQLite file) is PostgreSQL's
 * or else, with kds, attestd_seccomp_no_unix_socket_rules, for all threads of
 * the process (TSYNC).
 */
int attestd_confine(bool kds, const char *store_uri, struct snp_err *err) SNP_MUST_CHECK;

#endif
