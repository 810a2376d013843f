#include "attestd/admin-init.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/crypto.h>

#include "attestd/admin-routes.h"
#include "attestd/store.h"
#include "util/file.h"

struct paths {
	char key[4096], db[4096], token[4096];
};

static int join(char *out, size_t size, const char *dir, const char *name, struct snp_err *err)
{
	int n = snprintf(out, size, "%s/%s", dir, name);

	if (n < 0 || (size_t)n >= size)
		return snp_errf(err, SNP_E_INVALID, "%s: path too long", dir);
	return 0;
}

/* Makes dir (0700), or accepts an existing empty directory (made 0700). *made: we created it. */
static int dir_prepare(const char *dir, bool *made, struct snp_err *err)
{
	struct dirent *e;
	struct stat st;
	DIR *d;

	*made = false;
	if (mkdir(dir, 0700) == 0) {
		*made = true;
	} else if (errno != EEXIST) {
		return snp_err_sys(err, "%s", dir);
	} else {
		if (lstat(dir, &st) != 0)
			return snp_err_sys(err, "%s", dir);
		if (!S_ISDIR(st.st_mode))
			return snp_errf(err, SNP_E_INVALID, "%s: exists and is not a directory",
					dir);
		if ((d = opendir(dir)) == NULL)
			return snp_err_sys(err, "%s", dir);
		errno = 0;
		while ((e = readdir(d)) != NULL) {
			if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
				/* e lives in d: name it before closedir frees it. */
				snp_errf(err, SNP_E_INVALID,
					 "%s: exists and is not empty (found '%.64s')", dir, e->d_name);
				closedir(d);
				return SNP_E_INVALID;
			}
		}
		closedir(d);
	}
	/* mkdir's mode went through the umask; the directory holds keys, so exactly 0700. */
	if (chmod(dir, 0700) != 0)
		return snp_err_sys(err, "%s: chmod 0700", dir);
	return 0;
}

static void remove_created(const char *dir, const struct paths *p, bool made_dir)
{
	char side[4200];

	unlink(p->token);
	unlink(p->db);
	snprintf(side, sizeof(side), "%s-wal", p->db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", p->db);
	unlink(side);
	snprintf(side, sizeof(side), "%s-journal", p->db);
	unlink(side);
	unlink(p->key);
	if (made_dir)
		rmdir(dir);
}

int admin_init(const char *dir, int64_t now, struct snp_err *err)
{
	char token[STORE_TOKEN_LEN + 2] = "";
	struct store *s = NULL;
	struct paths p;
	bool made = false, wrote = false;
	json_t *rec = NULL;
	int ret = SNP_E_INTERNAL;

	if ((ret = join(p.key, sizeof(p.key), dir, ATTESTD_MASTER_KEY_FILE, err)) != 0 ||
	    (ret = join(p.db, sizeof(p.db), dir, ATTESTD_DB_FILE, err)) != 0 ||
	    (ret = join(p.token, sizeof(p.token), dir, ATTESTD_OPERATOR_TOKEN_FILE, err)) != 0 ||
	    (ret = dir_prepare(dir, &made, err)) != 0)
		return ret;
	wrote = true;
	if ((ret = store_master_key_create(p.key, err)) != 0 ||
	    (ret = store_open(p.db, p.key, &s, err)) != 0 ||
	    (ret = store_principal_create(s, ADMIN_OPERATOR, now, token, err)) != 0)
		goto out;
	rec = json_pack("{s:s,s:s,s:s}", "event", "admin.init", "decision", "ok", "principal",
			ADMIN_OPERATOR);
	if (rec == NULL) {
		ret = snp_errf(err, SNP_E_NOMEM, "audit record: out of memory");
		goto out;
	}
	if ((ret = store_audit_append(s, rec, now, NULL, err)) != 0)
		goto out;
	token[STORE_TOKEN_LEN] = '\n';
	if ((ret = file_write_atomic(p.token, token, STORE_TOKEN_LEN + 1, 0600, err)) != 0)
		goto out;
	ret = 0;
out:
	json_decref(rec);
	store_close(s);
	OPENSSL_cleanse(token, sizeof(token));
	if (ret != 0 && wrote)
		remove_created(dir, &p, made);
	return ret;
}
