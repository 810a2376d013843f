#include "cli/args.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/x509.h>

#include "abi/tcb.h"
#include "attest/certs.h"
#include "util/file.h"

#define SIM_ROOTS_MAX (1u << 20)

int cli_parse_u64(const char *flag, const char *s, uint64_t max, uint64_t *out,
		  struct snp_err *err)
{
	unsigned base = 10;
	uint64_t v = 0;
	const char *p = s;

	*out = 0;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	}
	if (!*p)
		return snp_errf(err, SNP_E_INVALID, "%s: '%s' is not a number", flag, s);
	for (; *p; p++) {
		unsigned d;

		if (*p >= '0' && *p <= '9')
			d = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = (unsigned)(*p - 'A' + 10);
		else
			return snp_errf(err, SNP_E_INVALID,
					"%s: '%s' is not a number (want decimal or 0x-hex)", flag, s);
		if (d > max || v > (max - d) / base)
			return snp_errf(err, SNP_E_INVALID, "%s: %s is out of range (max %" PRIu64 ")",
					flag, s, max);
		v = v * base + d;
	}
	*out = v;
	return 0;
}

int cli_parse_product(void *value, const char *s, struct snp_err *err)
{
	return snp_product_from_name(s, value, err);
}

int cli_load_sim_roots(const char *path, struct cli_sim_roots *r, struct snp_err *err)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	int ret;

	memset(r, 0, sizeof(*r));
	if (file_read(path, SIM_ROOTS_MAX, &buf, &n, err) != 0)
		return err->code = SNP_E_INVALID;
	ret = certs_parse_all(buf, n, path, &r->stack, err);
	free(buf);
	if (ret != 0)
		return ret;
	/* A stack is a contiguous array of pointers only through this accessor. */
	r->n = (size_t)sk_X509_num(r->stack);
	if ((r->v = calloc(r->n + 1, sizeof(*r->v))) == NULL) {
		cli_sim_roots_free(r);
		return snp_errf(err, SNP_E_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->n; i++)
		r->v[i] = sk_X509_value(r->stack, (int)i);
	return 0;
}

void cli_sim_roots_free(struct cli_sim_roots *r)
{
	free(r->v);
	sk_X509_pop_free(r->stack, X509_free);
	memset(r, 0, sizeof(*r));
}
