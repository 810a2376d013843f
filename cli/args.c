#include "cli/args.h"

#include <inttypes.h>

#include "abi/tcb.h"

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
