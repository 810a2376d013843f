/*
 * Argument helpers shared by the subcommands: one strict number parser for
 * every numeric flag.
 */
#ifndef SNPVM_CLI_ARGS_H
#define SNPVM_CLI_ARGS_H

#include <stdint.h>

#include "util/err.h"

/*
 * Parses s as an unsigned number: decimal or 0x/0X-hex digits, the whole
 * string, no sign, blank or other text, at most max. Returns 0 and sets *out,
 * or SNP_E_INVALID with a message naming flag (e.g. "--vcpus") and s; *out
 * is 0 then.
 */
int cli_parse_u64(const char *flag, const char *s, uint64_t max, uint64_t *out,
		  struct snp_err *err) SNP_MUST_CHECK;

/*
 * An OPT_CALL conversion (cli/opt.h): value is an enum snp_product *, s a
 * product name (milan, genoa, turin; abi/tcb.h).
 */
int cli_parse_product(void *value, const char *s, struct snp_err *err) SNP_MUST_CHECK;

struct x509_st;
struct stack_st_X509;

/* Simulated ARKs read from a --trust-sim-root file, as verify_opts wants them. */
struct cli_sim_roots {
	struct stack_st_X509 *stack;
	struct x509_st **v; /* the stack's certificates as an array (borrowed from stack) */
	size_t n;
};

/*
 * Reads every certificate in path (PEM or DER) into *r (zeroed first). A file
 * that cannot be read or parsed fails SNP_E_INVALID (the user's input).
 */
int cli_load_sim_roots(const char *path, struct cli_sim_roots *r,
		       struct snp_err *err) SNP_MUST_CHECK;
void cli_sim_roots_free(struct cli_sim_roots *r);

#endif
