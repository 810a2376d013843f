/*
 * RFC 8785 JSON Canonicalization Scheme (JCS) of a jansson value: the exact
 * bytes that are hashed into REPORT_DATA (attestd/binding.h).
 *
 * Object members are sorted by their names' UTF-16 code units (RFC 8785
 * §3.2.3), nothing is emitted between tokens, strings are escaped as RFC 8785
 * §3.2.2.2 says (only '"', '\\' and U+0000..U+001F; \b \t \n \f \r in their
 * short forms, the rest as lowercase \u00xx; everything else as raw UTF-8).
 *
 * Numbers: RFC 8785 §3.2.2.3 serialises numbers as ECMAScript does. The
 * runtime-data object has none, so this implementation supports only the
 * integers an IEEE 754 double holds exactly, |n| <= 2^53 (jansson integers,
 * or reals with an integral value; -0 prints as "0"), for which ECMAScript's
 * Number::toString is the plain decimal digits. Any other number (4.5, 1e30,
 * NaN) is refused with SNP_E_UNSUPPORTED rather than formatted differently
 * from ECMAScript.
 */
#ifndef SNPVM_ATTESTD_JCS_H
#define SNPVM_ATTESTD_JCS_H

#include <stddef.h>

#include <jansson.h>

#include "util/err.h"

/* Deepest nesting of arrays and objects jcs_serialize accepts. */
#define JCS_MAX_DEPTH 32

/* Largest canonical output jcs_serialize produces (bytes). */
#define JCS_MAX_SIZE (1024 * 1024)

/*
 * Writes the canonical form of v to a malloc'd buffer *out (NUL-terminated;
 * the NUL is not counted in *len). The caller frees *out. Fails with
 * SNP_E_INVALID on a string or member name that is not valid UTF-8, too deep
 * nesting or too large output, and SNP_E_UNSUPPORTED on a number outside the
 * supported set; on failure *out is NULL.
 */
int jcs_serialize(const json_t *v, char **out, size_t *len, struct snp_err *err) SNP_MUST_CHECK;

#endif
