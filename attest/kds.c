#include "attest/kds.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "attest/crl.h"
#include "attest/kds-url.h"
#include "util/file.h"
#include "util/hex.h"

#define KDS_BACKOFF_MAX_MS 5000u
#define CACHE_PATH_MAX 4096

static void sleep_real(void *ctx, unsigned ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };

	(void)ctx;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* The URL without "scheme://host": what messages name. */
static const char *url_path(const char *url)
{
	const char *s = strstr(url, "://");
	const char *slash = s ? strchr(s + 3, '/') : NULL;

	return slash ? slash : url;
}

int kds_get(const struct kds_opts *o, const char *url, uint8_t **body, size_t *len,
	    struct snp_err *err)
{
	size_t max = o->max_body ? o->max_body : KDS_MAX_BODY;
	unsigned tries = o->tries && o->tries <= KDS_TRIES ? o->tries : KDS_TRIES;
	unsigned delay = o->backoff_ms ? o->backoff_ms : KDS_BACKOFF_MS;
	void (*sleep_fn)(void *, unsigned) = o->sleep_ms ? o->sleep_ms : sleep_real;
	uint8_t *b = NULL;
	size_t n = 0;
	long status = 0;
	int ret = SNP_E_INTERNAL;

	*body = NULL;
	*len = 0;
	if (delay > KDS_BACKOFF_MAX_MS)
		delay = KDS_BACKOFF_MAX_MS;
	if (o->fetch.get == NULL)
		return snp_errf(err, SNP_E_INTERNAL, "KDS: no fetcher");
	for (unsigned i = 0; i < tries; i++) {
		if (i > 0) {
			sleep_fn(o->sleep_ctx, delay);
			delay *= 2;
		}
		free(b);
		b = NULL;
		n = 0;
		status = 0;
		if ((ret = o->fetch.get(o->fetch.ctx, url, &b, &n, &status, err)) != 0) {
			snp_err_prefix(err, "KDS: %s: ", url_path(url));
			goto out;
		}
		if (status != 429 && (status < 500 || status > 599))
			break;
	}
	if (status == 404) {
		ret = snp_errf(err, SNP_E_CHAIN, "KDS: HTTP 404, no certificate for this chip/TCB: "
			       "%s", url_path(url));
		goto out;
	}
	if (status != 200) {
		ret = snp_errf(err, SNP_E_SYS, "KDS: HTTP %ld for %s%s", status, url_path(url),
			       status == 429 || status >= 500 ? " (tries exhausted)" : "");
		goto out;
	}
	if (n == 0 || n > max) {
		ret = snp_errf(err, SNP_E_INVALID, "KDS: %s: response of %zu bytes (want 1..%zu)",
			       url_path(url), n, max);
		goto out;
	}
	*body = b;
	*len = n;
	b = NULL;
	ret = 0;
out:
	free(b);
	return ret;
}

static int make_dir(const char *path, struct snp_err *err)
{
	if (mkdir(path, 0755) != 0 && errno != EEXIST)
		return snp_err_sys(err, "KDS cache: mkdir %s", path);
	return 0;
}

/*
 * DIR/vcek/<P>/<hwid>/<tcb>.der (vcek) or DIR/vcek/<P>/cert_chain.pem; with
 * mkdirs the directories are created on the way.
 */
static int cache_path(const char *dir, const struct snp_report *rep, enum snp_product p,
		      bool chain, bool mkdirs, char *out, size_t cap, struct snp_err *err)
{
	char hwid[KDS_HWID_MAX], tcb[2 * SNP_TCB_SIZE + 1];
	const char *parts[] = { dir, "/vcek", "/", snp_product_name(p), "/", hwid, "/", tcb,
				".der" };
	size_t nparts = chain ? 4 : sizeof(parts) / sizeof(parts[0]), n;
	struct snp_tcb t;
	int ret;

	if ((ret = kds_hwid(p, rep->chip_id, hwid, err)) != 0)
		return ret;
	snp_tcb_decode(p, rep->reported_tcb, &t);
	hex_encode(t.raw, sizeof(t.raw), tcb);
	/* Built one component at a time, so that mkdirs can create each directory prefix. */
	out[0] = '\0';
	for (size_t i = 0; i < nparts; i++) {
		n = strlen(out);
		if (snprintf(out + n, cap - n, "%s", parts[i]) >= (int)(cap - n))
			return snp_errf(err, SNP_E_INVALID, "KDS cache: path under %.100s too long",
					dir);
		if (mkdirs && (i == 0 || i == 1 || i == 3 || (!chain && i == 5)) &&
		    (ret = make_dir(out, err)) != 0)
			return ret;
	}
	if (chain) {
		n = strlen(out);
		if (snprintf(out + n, cap - n, "/cert_chain.pem") >= (int)(cap - n))
			return snp_errf(err, SNP_E_INVALID, "KDS cache: path under %.100s too long",
					dir);
	}
	return 0;
}

/* 0 and *buf NULL on a miss (no such file). */
static int cache_read(const struct kds_opts *o, const char *path, uint8_t **buf, size_t *len,
		      struct snp_err *err)
{
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			return 0;
		return snp_err_sys(err, "KDS cache: %s", path);
	}
	return file_read(path, o->max_body ? o->max_body : KDS_MAX_BODY, buf, len, err);
}

/* From the cache, else from KDS; offline and not cached: SNP_E_INVALID (no VEK). */
static int obtain(const struct kds_opts *o, const struct snp_report *rep, enum snp_product p,
		  bool chain, uint8_t **buf, size_t *len, bool *cached, struct snp_err *err)
{
	char path[CACHE_PATH_MAX], url[KDS_URL_MAX];
	int ret;

	*cached = false;
	if (o->cache_dir) {
		if ((ret = cache_path(o->cache_dir, rep, p, chain, false, path, sizeof(path),
				      err)) != 0 ||
		    (ret = cache_read(o, path, buf, len, err)) != 0)
			return ret;
		if (*buf) {
			*cached = true;
			return 0;
		}
	}
	if (o->base_url == NULL)
		return snp_errf(err, SNP_E_INVALID, "KDS cache: no %s for this chip/TCB: %s%s",
				chain ? "cert_chain" : "VCEK", o->cache_dir ? path : "no cache",
				" (and no KDS base URL to fetch it from)");
	ret = chain ? kds_url_chain(o->base_url, p, SNP_SIGNING_KEY_VCEK, url, sizeof(url), err)
		    : kds_url_vcek(o->base_url, p, rep, url, sizeof(url), err);
	if (ret)
		return ret;
	return kds_get(o, url, buf, len, err);
}

int kds_vek_get(const struct kds_opts *o, const struct snp_report *rep, enum snp_product p,
		bool want_chain, struct kds_vek *out, struct snp_err *err)
{
	int ret = SNP_E_INTERNAL;

	memset(out, 0, sizeof(*out));
	if (report_signing_key(rep) != SNP_SIGNING_KEY_VCEK)
		return snp_errf(err, SNP_E_UNSUPPORTED,
				"KDS: the report is signed by a VLEK, which AMD KDS never serves; "
				"the VLEK must come with the evidence or the verifier's certificates");
	if ((ret = obtain(o, rep, p, false, &out->vcek, &out->vcek_len, &out->vcek_cached,
			  err)) != 0 ||
	    (want_chain && (ret = obtain(o, rep, p, true, &out->chain, &out->chain_len,
					 &out->chain_cached, err)) != 0)) {
		kds_vek_free(out);
		return ret;
	}
	return 0;
}

int kds_vek_cache_put(const struct kds_opts *o, const struct snp_report *rep, enum snp_product p,
		      const struct kds_vek *k, struct snp_err *err)
{
	char path[CACHE_PATH_MAX];
	int ret;

	if (o->cache_dir == NULL)
		return 0;
	if (k->vcek && !k->vcek_cached &&
	    ((ret = cache_path(o->cache_dir, rep, p, false, true, path, sizeof(path), err)) != 0 ||
	     (ret = file_write_atomic(path, k->vcek, k->vcek_len, 0644, err)) != 0))
		return ret;
	if (k->chain && !k->chain_cached &&
	    ((ret = cache_path(o->cache_dir, rep, p, true, true, path, sizeof(path), err)) != 0 ||
	     (ret = file_write_atomic(path, k->chain, k->chain_len, 0644, err)) != 0))
		return ret;
	return 0;
}

void kds_vek_free(struct kds_vek *k)
{
	free(k->vcek);
	free(k->chain);
	memset(k, 0, sizeof(*k));
}

int kds_crl_get(const struct kds_opts *o, enum snp_product p, enum snp_signing_key signer,
		X509_CRL **out, struct snp_err *err)
{
	char url[KDS_URL_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	int ret = SNP_E_INTERNAL;

	*out = NULL;
	if (o->base_url == NULL)
		return snp_errf(err, SNP_E_INVALID, "KDS: fetching the CRL needs a KDS base URL");
	if ((ret = kds_url_crl(o->base_url, p, signer, url, sizeof(url), err)) != 0 ||
	    (ret = kds_get(o, url, &buf, &len, err)) != 0 ||
	    (ret = crl_parse(buf, len, url_path(url), out, err)) != 0)
		goto out;
	ret = 0;
out:
	free(buf);
	return ret;
}
