/*
 * The processor checks: vendor, family and model and the sev_snp flag from
 * /proc/cpuinfo's first processor entry; SNP support and the ASID split from
 * CPUID Fn8000_001F (AMD APM vol. 3, appendix E, "Function 8000_001Fh:
 * Encrypted Memory Capabilities").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "abi/tcb.h"
#include "hostcheck/internal.h"

/* The first entry is all we read; 64 KiB holds it many times over. */
#define CPUINFO_MAX ((size_t)64 << 10)

#define CPUID_EXT_MAX 0x80000000u
#define CPUID_SEV 0x8000001Fu
#define SEV_EAX_SEV (1u << 1)
#define SEV_EAX_SEV_ES (1u << 3)
#define SEV_EAX_SNP (1u << 4)

/* SEV-SNP first shipped in family 19h (EPYC 7003, Milan). */
#define SNP_MIN_FAMILY 0x19

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* [s, e) without leading and trailing blanks. */
static void trim(const char **s, const char **e)
{
	while (*s < *e && is_blank(**s))
		(*s)++;
	while (*e > *s && is_blank((*e)[-1]))
		(*e)--;
}

static bool span_is(const char *s, const char *e, const char *word)
{
	size_t n = strlen(word);

	return (size_t)(e - s) == n && memcmp(s, word, n) == 0;
}

/* A decimal number of 1..6 digits and nothing else. */
static bool parse_dec(const char *s, const char *e, unsigned *out)
{
	unsigned v = 0;

	if (s == e || e - s > 6)
		return false;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return true;
}

static void parse_flags(const char *s, const char *e, struct hc_cpuinfo *ci)
{
	while (s < e) {
		const char *t;

		while (s < e && is_blank(*s))
			s++;
		for (t = s; t < e && !is_blank(*t); t++)
			;
		if (span_is(s, t, "sev"))
			ci->flag_sev = true;
		else if (span_is(s, t, "sev_es"))
			ci->flag_sev_es = true;
		else if (span_is(s, t, "sev_snp"))
			ci->flag_sev_snp = true;
		s = t;
	}
}

/*
 * The first processor entry of a /proc/cpuinfo head: "key<blanks>: value"
 * lines up to the first empty line. Lines without a colon and unknown keys
 * are ignored; a last line cut off by the read limit (more) is dropped, one
 * that merely lacks its newline at the end of the file is kept.
 */
static void parse_cpuinfo(const char *buf, size_t len, bool more, struct hc_cpuinfo *ci)
{
	const char *p = buf, *end = buf + len;
	bool seen = false;

	memset(ci, 0, sizeof(*ci));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p)), *le = nl ? nl : end, *colon;
		const char *ks = p, *ke, *vs, *ve = le;

		if (!nl && more)
			break;
		p = nl ? nl + 1 : end;
		if (ks == le) {
			if (seen)
				break;
			continue;
		}
		colon = memchr(ks, ':', (size_t)(le - ks));
		if (!colon)
			continue;
		ke = colon;
		vs = colon + 1;
		trim(&ks, &ke);
		trim(&vs, &ve);
		seen = true;
		if (span_is(ks, ke, "vendor_id"))
			hc_printable(ci->vendor, sizeof(ci->vendor), vs, (size_t)(ve - vs));
		else if (span_is(ks, ke, "cpu family"))
			ci->have_family = parse_dec(vs, ve, &ci->family);
		else if (span_is(ks, ke, "model"))
			ci->have_model = parse_dec(vs, ve, &ci->model);
		else if (span_is(ks, ke, "flags"))
			parse_flags(vs, ve, ci);
	}
}

static void read_cpuinfo(struct hc_ctx *c)
{
	struct snp_err err = { 0 };
	char *buf = NULL;
	size_t len = 0;
	bool more = false;

	if (hc_read(c, "/proc/cpuinfo", CPUINFO_MAX, &buf, &len, &more, &err) != 0) {
		snprintf(c->cpuinfo_why, sizeof(c->cpuinfo_why), "%s", err.msg);
		return;
	}
	parse_cpuinfo(buf, len, more, &c->cpu);
	free(buf);
	c->cpuinfo_ok = true;
}

void hc_cpu_vendor(struct hc_ctx *c, struct hostcheck_result *r)
{
	read_cpuinfo(c);
	if (!c->cpuinfo_ok) {
		hc_fail(r, "Mount /proc: the CPU checks read /proc/cpuinfo.", "%s", c->cpuinfo_why);
		return;
	}
	if (!c->cpu.vendor[0]) {
		hc_fail(r, "Check /proc/cpuinfo: its first processor entry has no vendor_id line.",
			"no vendor_id in /proc/cpuinfo");
		return;
	}
	if (strcmp(c->cpu.vendor, "AuthenticAMD") != 0) {
		hc_fail(r,
			"SEV-SNP is a feature of AMD EPYC processors (7003 Milan and later): "
			"run on such a host.",
			"vendor %s, not AuthenticAMD", c->cpu.vendor);
		return;
	}
	c->amd = true;
	hc_pass(r, "AuthenticAMD");
}

void hc_cpu_model(struct hc_ctx *c, struct hostcheck_result *r)
{
	enum snp_product p;

	if (!c->amd) {
		hc_skip(r, "needs an AMD processor (cpu-vendor)");
		return;
	}
	if (!c->cpu.have_family || !c->cpu.have_model) {
		hc_fail(r, "Check /proc/cpuinfo: its first processor entry lacks a decimal "
			   "'cpu family' or 'model'.",
			"no cpu family or model in /proc/cpuinfo");
		return;
	}
	if (c->cpu.family < SNP_MIN_FAMILY) {
		hc_fail(r,
			"SEV-SNP needs an AMD EPYC of family 19h (7003 Milan, 9004 Genoa) or "
			"later (9005 Turin): this processor predates it.",
			"family 0x%x model 0x%x: older than family 0x19", c->cpu.family,
			c->cpu.model);
		return;
	}
	p = c->cpu.family <= 0xff && c->cpu.model <= 0xff
		    ? snp_product_from_cpuid((uint8_t)c->cpu.family, (uint8_t)c->cpu.model)
		    : SNP_PRODUCT_UNKNOWN;
	if (p == SNP_PRODUCT_UNKNOWN)
		hc_pass(r, "family 0x%x model 0x%x (not an EPYC model snpvm knows; the sev_snp "
			   "flag decides)",
			c->cpu.family, c->cpu.model);
	else
		hc_pass(r, "family 0x%x model 0x%x: %s", c->cpu.family, c->cpu.model,
			snp_product_name(p));
}

void hc_cpu_flag(struct hc_ctx *c, struct hostcheck_result *r)
{
	if (!c->cpuinfo_ok) {
		hc_skip(r, "needs /proc/cpuinfo (cpu-vendor)");
		return;
	}
	if (!c->cpu.flag_sev_snp) {
		hc_fail(r,
			"Enable SEV-SNP in the BIOS setup (SMEE, SEV-SNP support, SNP memory "
			"coverage, IOMMU) on bare metal: Linux shows sev_snp only when the "
			"firmware set up SNP and the RMP table (dmesg | grep -i -e rmp -e sev).",
			"no sev_snp in the flags of /proc/cpuinfo (sev %s, sev_es %s)",
			c->cpu.flag_sev ? "yes" : "no", c->cpu.flag_sev_es ? "yes" : "no");
		return;
	}
	hc_pass(r, "sev_snp (sev %s, sev_es %s)", c->cpu.flag_sev ? "yes" : "no",
		c->cpu.flag_sev_es ? "yes" : "no");
}

void hc_cpuid_snp(struct hc_ctx *c, struct hostcheck_result *r)
{
	uint32_t max[4], *v = c->sev_leaf;

	if (!c->amd) {
		hc_skip(r, "needs an AMD processor (cpu-vendor)");
		return;
	}
	c->sys.cpuid(c->sys.ctx, CPUID_EXT_MAX, 0, max);
	if (max[0] < CPUID_SEV) {
		hc_fail(r,
			"The processor hides its memory-encryption leaf: run on bare metal with "
			"SME/SEV enabled in the BIOS setup.",
			"CPUID has no leaf 0x8000001F (highest extended leaf 0x%08x)", max[0]);
		return;
	}
	c->sys.cpuid(c->sys.ctx, CPUID_SEV, 0, v);
	if (!(v[0] & SEV_EAX_SNP)) {
		hc_fail(r,
			"Enable SEV-SNP in the BIOS setup; under a hypervisor the leaf is "
			"filtered: SNP guests are launched from bare metal.",
			"CPUID 0x8000001F EAX 0x%08x: SNP bit 4 clear (SEV %s, SEV-ES %s)", v[0],
			v[0] & SEV_EAX_SEV ? "yes" : "no", v[0] & SEV_EAX_SEV_ES ? "yes" : "no");
		return;
	}
	c->cpuid_ok = true;
	hc_pass(r, "CPUID 0x8000001F EAX 0x%08x: SNP (SEV %s, SEV-ES %s); C-bit %u, %u VMPLs",
		v[0], v[0] & SEV_EAX_SEV ? "yes" : "no", v[0] & SEV_EAX_SEV_ES ? "yes" : "no",
		v[1] & 0x3f, (v[1] >> 12) & 0xf);
}

void hc_snp_asids(struct hc_ctx *c, struct hostcheck_result *r)
{
	uint32_t max_asid, min_sev, es;

	if (!c->cpuid_ok) {
		hc_skip(r, "needs SNP in CPUID 0x8000001F (cpuid-snp)");
		return;
	}
	/*
	 * ECX: number of encrypted guests supported at once (the highest ASID);
	 * EDX: the lowest ASID of an SEV guest without SEV-ES. ASIDs 1..EDX-1
	 * are the ones SEV-ES and SNP guests can use.
	 */
	max_asid = c->sev_leaf[2];
	min_sev = c->sev_leaf[3];
	es = min_sev > 1 ? min_sev - 1 : 0;
	if (es > max_asid)
		es = max_asid;
	if (es == 0) {
		hc_fail(r,
			"Raise the BIOS setting 'SEV-ES ASID Space Limit' above 1: SEV-ES and "
			"SNP guests get the ASIDs below it.",
			"no ASIDs for SEV-ES/SNP guests (CPUID 0x8000001F ECX %u, EDX %u)",
			max_asid, min_sev);
		return;
	}
	hc_pass(r, "%u ASIDs for SEV-ES and SNP guests, %u in all", es, max_asid);
}
