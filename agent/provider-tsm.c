/*
 * The tsm provider: Linux configfs-tsm (Documentation/ABI/testing/
 * configfs-tsm, Linux 6.7+). One private entry per request:
 *
 *   mkdir <root>/report/<unique name>
 *   read  generation                      (g0)
 *   write privlevel (if asked), inblob    (64 bytes REPORT_DATA)
 *   read  outblob, auxblob, provider
 *   read  generation                      must be g0 + the writes made
 *   rmdir the entry
 *
 * The ABI's rule for detecting a concurrent writer: "checking generation
 * before writing to any attribute and making sure the number of writes
 * matches expectations after reading @outblob". A mismatch repeats the
 * writes and reads (AGENT_PROVIDER_RETRIES attempts).
 */
#include "agent/provider.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "util/hex.h"

/* Largest text attribute read (provider, generation). */
#define ATTR_TEXT_MAX 64

static int sys_mkdir(void *ctx, const char *path)
{
	(void)ctx;
	return mkdir(path, 0700) != 0 ? -errno : 0;
}

static int sys_rmdir(void *ctx, const char *path)
{
	(void)ctx;
	return rmdir(path) != 0 ? -errno : 0;
}

/*
 * Reads all of dir/name (at most max bytes) into a malloc'd *out. configfs
 * attributes are read whole with read(2) until end of file; their stat size
 * says nothing. A missing attribute is -ENOENT in *missing when missing is
 * non-NULL (and not an error), else an error.
 */
static int attr_read(const char *dir, const char *name, size_t max, uint8_t **out, size_t *len,
		     bool *missing, struct snp_err *err)
{
	char path[4096];
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, ret = SNP_E_INTERNAL;

	*out = NULL;
	*len = 0;
	if (missing)
		*missing = false;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		if (errno == ENOENT && missing) {
			*missing = true;
			return 0;
		}
		return snp_err_sys(err, "tsm: %s", path);
	}
	if ((buf = malloc(max + 1)) == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "tsm: out of memory");
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf + got, max + 1 - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = snp_err_sys(err, "tsm: %s: read", path);
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			ret = snp_errf(err, SNP_E_INVALID, "tsm: %s: more than %zu bytes", path, max);
			goto out;
		}
	}
	*out = buf;
	*len = got;
	buf = NULL;
	ret = 0;
out:
	free(buf);
	close(fd);
	return ret;
}

static int attr_write(const char *dir, const char *name, const void *data, size_t len,
		      struct snp_err *err)
{
	char path[4096];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
		return snp_err_sys(err, "tsm: %s", path);
	/* configfs takes an attribute in one write(2) */
	do
		n = write(fd, data, len);
	while (n < 0 && errno == EINTR);
	if (n < 0 || (size_t)n != len) {
		int ret = n < 0 ? snp_err_sys(err, "tsm: %s: write", path)
				: snp_errf(err, SNP_E_SYS, "tsm: %s: short write (%zd of %zu)", path,
					   n, len);
		close(fd);
		return ret;
	}
	if (close(fd) != 0)
		return snp_err_sys(err, "tsm: %s: close", path);
	return 0;
}

/* A text attribute without its trailing newline, as a NUL-terminated string. */
static int attr_text(const char *dir, const char *name, char *out, size_t size,
		     struct snp_err *err)
{
	uint8_t *buf;
	size_t len;
	int ret;

	if ((ret = attr_read(dir, name, ATTR_TEXT_MAX, &buf, &len, NULL, err)) != 0)
		return ret;
	if (len && buf[len - 1] == '\n')
		len--;
	if (len == 0 || len >= size || memchr(buf, '\0', len) || memchr(buf, '\n', len)) {
		free(buf);
		return snp_errf(err, SNP_E_INVALID, "tsm: %s/%s: not one line of at most %zu bytes",
				dir, name, size - 1);
	}
	memcpy(out, buf, len);
	out[len] = '\0';
	free(buf);
	return 0;
}

static int attr_u64(const char *dir, const char *name, uint64_t *v, struct snp_err *err)
{
	char s[ATTR_TEXT_MAX + 1], *end;
	int ret;

	if ((ret = attr_text(dir, name, s, sizeof(s), err)) != 0)
		return ret;
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || *end || s[0] < '0' || s[0] > '9')
		return snp_errf(err, SNP_E_INVALID, "tsm: %s/%s: \"%s\" is not a number", dir, name,
				s);
	return 0;
}

/*
 * One round on an existing entry. Returns 0 with *raced false and out
 * filled, 0 with *raced true (generation moved: nothing kept), or an error.
 */
static int tsm_round(const struct agent_provider_cfg *cfg, const char *entry,
		     const uint8_t report_data[SNP_REPORT_DATA_SIZE], struct tsm_evidence *out,
		     bool *raced, uint64_t *g_seen, struct snp_err *err)
{
	uint64_t g0, g1, writes = 0;
	uint8_t *outblob = NULL, *auxblob = NULL;
	size_t out_len = 0, aux_len = 0;
	bool no_aux;
	char lvl[16];
	int ret;

	*raced = false;
	if ((ret = attr_u64(entry, "generation", &g0, err)) != 0)
		return ret;
	if (cfg->has_privlevel) {
		snprintf(lvl, sizeof(lvl), "%u\n", cfg->privlevel);
		if ((ret = attr_write(entry, "privlevel", lvl, strlen(lvl), err)) != 0)
			return ret;
		writes++;
	}
	if ((ret = attr_write(entry, "inblob", report_data, SNP_REPORT_DATA_SIZE, err)) != 0)
		return ret;
	writes++;
	if ((ret = attr_read(entry, "outblob", TSM_OUTBLOB_MAX, &outblob, &out_len, NULL, err)) ||
	    (ret = attr_read(entry, "auxblob", TSM_AUXBLOB_MAX, &auxblob, &aux_len, &no_aux,
			     err)) != 0 ||
	    (ret = attr_text(entry, "provider", out->provider, sizeof(out->provider), err)) != 0 ||
	    (ret = attr_u64(entry, "generation", &g1, err)) != 0)
		goto fail;
	*g_seen = g1;
	if (g1 != g0 + writes) {
		*raced = true;
		ret = 0;
		goto fail;
	}
	if (out_len == 0) {
		ret = snp_errf(err, SNP_E_SYS, "tsm: %s/outblob: empty", entry);
		goto fail;
	}
	out->outblob = outblob;
	out->outblob_len = out_len;
	if (aux_len) {
		out->auxblob = auxblob;
		out->auxblob_len = aux_len;
	} else {
		free(auxblob);
	}
	return 0;
fail:
	free(outblob);
	free(auxblob);
	memset(out, 0, sizeof(*out));
	return ret;
}

static int tsm_get(const struct agent_provider_cfg *cfg,
		   const uint8_t report_data[SNP_REPORT_DATA_SIZE], struct tsm_evidence *out,
		   struct snp_err *err)
{
	const char *root = cfg->tsm_root ? cfg->tsm_root : AGENT_TSM_ROOT;
	agent_dir_fn *mk = cfg->tsm_mkdir ? cfg->tsm_mkdir : sys_mkdir;
	agent_dir_fn *rm = cfg->tsm_rmdir ? cfg->tsm_rmdir : sys_rmdir;
	uint8_t rnd[8];
	char entry[4096], name[2 * sizeof(rnd) + 1];
	uint64_t g_seen = 0;
	bool raced = true;
	int ret = SNP_E_INTERNAL, r;

	memset(out, 0, sizeof(*out));
	if (cfg->has_privlevel && cfg->privlevel > 3)
		return snp_errf(err, SNP_E_INVALID, "tsm: privlevel %u (want 0..3)", cfg->privlevel);
	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		return snp_err_openssl(err, "tsm: RAND_bytes");
	hex_encode(rnd, sizeof(rnd), name);
	if ((size_t)snprintf(entry, sizeof(entry), "%s/report/snpvm-agent-%s", root, name) >=
	    sizeof(entry))
		return snp_errf(err, SNP_E_INVALID, "tsm: %s: path too long", root);
	if ((r = mk(cfg->tsm_ctx, entry)) != 0) {
		errno = -r;
		return snp_err_sys(err, "tsm: mkdir %s (is configfs-tsm, Linux 6.7+, available?)",
				   entry);
	}
	for (int attempt = 0; attempt < AGENT_PROVIDER_RETRIES && raced; attempt++)
		if ((ret = tsm_round(cfg, entry, report_data, out, &raced, &g_seen, err)) != 0)
			goto out;
	if (raced) {
		ret = snp_errf(err, SNP_E_STATE,
			       "tsm: %s: generation changed under every one of %d attempts "
			       "(another writer; last seen %" PRIu64 ")",
			       entry, AGENT_PROVIDER_RETRIES, g_seen);
		goto out;
	}
	if (strcmp(out->provider, "sev_guest") != 0 || out->outblob_len != SNP_REPORT_SIZE) {
		ret = snp_errf(err, SNP_E_UNSUPPORTED,
			       "tsm: provider \"%s\" with a %zu-byte outblob: not an SEV-SNP "
			       "guest (want sev_guest, %d bytes)",
			       out->provider, out->outblob_len, SNP_REPORT_SIZE);
		goto out;
	}
	ret = 0;
out:
	if (ret != 0)
		tsm_evidence_free(out);
	if ((r = rm(cfg->tsm_ctx, entry)) != 0 && ret == 0) {
		errno = -r;
		ret = snp_err_sys(err, "tsm: rmdir %s", entry);
		tsm_evidence_free(out);
	}
	return ret;
}

const struct agent_provider agent_provider_tsm = {
	.name = "tsm",
	.insecure = false,
	.help = "Linux configfs-tsm (/sys/kernel/config/tsm/report, Linux 6.7+)",
	.get = tsm_get,
};
