/*
 * attestd's persistent state, on SQLite or PostgreSQL (attestd/db.h) with one
 * schema and one implementation:
 *
 *   principals   the operator and each tenant's admin credential (SHA-256 of
 *                a random bearer token; the token itself is never stored)
 *   repositories each resource repository belongs to exactly one tenant
 *   resources    secrets by repository/type/tag, versioned; encrypted at rest
 *                with AES-256-GCM under the master key (AAD binds tenant,
 *                path and version, so rows cannot be swapped)
 *   policies     verifier-policy JSON (the format `snpvm verify --policy`
 *                reads) per repository ("repo") or per resource
 *                ("repo/type/tag"), versioned; the newest version is current
 *   sessions     KBS sessions (Authed -> Attested) with expiry
 *   nonces       consumed challenge nonces with expiry: single use is a
 *                primary-key constraint, never check-then-insert
 *   audit        an append-only hash chain of every decision and change:
 *                hash(n) = SHA-256(hash(n-1) || JCS(record n)), hash(0) = 0^32
 *   signing keys the EAR signing keys (private JWK encrypted under the master
 *                key), each with the time it stops signing and stops being
 *                published, for rotation with an overlap window
 *
 * The master key file holds 32 random bytes, must be a regular file of mode
 * 0600 or stricter owned by the caller, and is refused otherwise (naming the
 * file and its mode). Every call takes the current time as `now` (seconds
 * since the epoch) so tests control expiry.
 *
 * Rows that are not secret but must not change (owners, token digests,
 * policies, sessions, signing-key windows, the audit head) carry an
 * HMAC-SHA-256 under a key derived from the master key: a row edited in the
 * database is refused with SNP_E_SIGNATURE, never obeyed. docs/attestd.md
 * ("Store") says what is and is not detected.
 */
#ifndef SNPVM_ATTESTD_STORE_H
#define SNPVM_ATTESTD_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "util/err.h"
#include "util/secret.h"

#define STORE_MASTER_KEY_SIZE 32
/* Bearer tokens handed out by store_principal_create: 43 base64url characters (32 bytes). */
#define STORE_TOKEN_LEN 43
/* Names of tenants and repositories, and resource types and tags: [A-Za-z0-9._-]{1,64}, not "." or "..". */
#define STORE_NAME_MAX 64
/* Largest secret a resource holds. */
#define STORE_SECRET_MAX (64 * 1024)
/* Session ids: 36-character UUIDs. Nonces: 44-character standard base64 of 32 bytes. */
#define STORE_SESSION_ID_LEN 36
#define STORE_NONCE_LEN 44

/* Returned (positive) by lookups when the thing does not exist. */
#define STORE_NOT_FOUND 2

struct store;

/* Creates a master key file (32 random bytes, mode 0600, O_EXCL). */
int store_master_key_create(const char *path, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Opens (and on first use creates) the store at uri (attestd/db.h) with the
 * master key file. A key file that breaks the rules above, or that is not
 * the key the store was created with, fails SNP_E_REFUSED.
 */
int store_open(const char *uri, const char *master_key_path, struct store **out,
	       struct snp_err *err) SNP_MUST_CHECK;

/* db_reserve on the store's database: every connection it will use, opened now. */
int store_reserve(struct store *s, size_t nconns, struct snp_err *err) SNP_MUST_CHECK;

/* Closes; NULL is allowed. Wipes the master key. */
void store_close(struct store *s);

/* True when name is a valid tenant/repository/type/tag name (see STORE_NAME_MAX). */
bool store_name_valid(const char *name);

/* --- principals: "operator" and tenants -------------------------------- */

/*
 * Creates principal name ("operator", or a tenant name) and writes its new
 * bearer token into token (STORE_TOKEN_LEN + 1 bytes, shown once). A second
 * create of the same name fails SNP_E_STATE; store_principal_rotate replaces
 * the token instead (STORE_NOT_FOUND for an unknown name).
 */
int store_principal_create(struct store *s, const char *name, int64_t now,
			   char token[STORE_TOKEN_LEN + 1], struct snp_err *err) SNP_MUST_CHECK;
int store_principal_rotate(struct store *s, const char *name, int64_t now,
			   char token[STORE_TOKEN_LEN + 1], struct snp_err *err) SNP_MUST_CHECK;

/*
 * Returns 0 when token is name's current token (compared in constant time on
 * SHA-256 digests), SNP_E_REFUSED otherwise (also for an unknown name, so
 * callers learn nothing else).
 */
int store_principal_check(struct store *s, const char *name, const char *token,
			  struct snp_err *err) SNP_MUST_CHECK;

/* --- repositories and resources ----------------------------------------- */

/*
 * Assigns repository repo to tenant (which must exist). A repository already
 * owned by another tenant fails SNP_E_REFUSED; re-assigning to its owner is a
 * no-op.
 */
int store_repo_assign(struct store *s, const char *tenant, const char *repo, int64_t now,
		      struct snp_err *err) SNP_MUST_CHECK;

/* The owning tenant of repo into owner (STORE_NAME_MAX + 1); STORE_NOT_FOUND if unowned. */
int store_repo_owner(struct store *s, const char *repo, char owner[STORE_NAME_MAX + 1],
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * Stores a new version of repo/type/tag (repo must belong to tenant, else
 * SNP_E_REFUSED), 1..STORE_SECRET_MAX bytes, encrypted at rest. *version
 * (may be NULL) receives the new version (1 for the first).
 */
int store_resource_put(struct store *s, const char *tenant, const char *repo, const char *type,
		       const char *tag, const uint8_t *secret, size_t len, int64_t now,
		       uint64_t *version, struct snp_err *err) SNP_MUST_CHECK;

/*
 * The newest version of repo/type/tag, decrypted into out (secret_free it);
 * STORE_NOT_FOUND if there is none. A row that fails to decrypt (edited or
 * moved) fails SNP_E_SIGNATURE. tenant_out (may be NULL; STORE_NAME_MAX + 1)
 * receives the owner.
 */
int store_resource_get(struct store *s, const char *repo, const char *type, const char *tag,
		       struct secret *out, uint64_t *version, char *tenant_out,
		       struct snp_err *err) SNP_MUST_CHECK;

/* Deletes every version of repo/type/tag (tenant must own repo); STORE_NOT_FOUND if none. */
int store_resource_delete(struct store *s, const char *tenant, const char *repo,
			  const char *type, const char *tag, int64_t now,
			  struct snp_err *err) SNP_MUST_CHECK;

/*
 * Lists tenant's repositories, resources (path, newest version, created) and
 * policies (scope, newest version) as a JSON object - never a secret:
 *   {"tenant": T, "repositories": [{"name","tenant","created"}],
 *    "resources": [{"path","version","created"}],
 *    "policies": [{"scope","version","created"}]}
 * tenant NULL lists every tenant's (the operator's view, without "tenant").
 */
int store_list(struct store *s, const char *tenant, json_t **out,
	       struct snp_err *err) SNP_MUST_CHECK;

/* --- resource policies --------------------------------------------------- */

/*
 * Stores policy (a JSON object, kept as its canonical JCS text) as the next
 * version for scope "repo" or "repo/type/tag" (tenant must own repo).
 * The caller validates the policy's content first (attest/policy.h).
 */
int store_policy_set(struct store *s, const char *tenant, const char *scope,
		     const json_t *policy, int64_t now, uint64_t *version,
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * The policy that governs repo/type/tag: the newest version of the resource's
 * own scope if it has one, else of its repository's. *policy is a new
 * reference (json_decref it), scope_out (STORE_NAME_MAX * 3 + 3) the scope it
 * came from (the policy id). STORE_NOT_FOUND when neither exists.
 */
int store_policy_for(struct store *s, const char *repo, const char *type, const char *tag,
		     json_t **policy, char *scope_out, uint64_t *version,
		     struct snp_err *err) SNP_MUST_CHECK;

/* --- sessions and nonces ------------------------------------------------- */

enum store_session_state { STORE_SESSION_AUTHED = 1, STORE_SESSION_ATTESTED = 2 };

struct store_session {
	char id[STORE_SESSION_ID_LEN + 1];
	char nonce[STORE_NONCE_LEN + 1];
	enum store_session_state state;
	int64_t expires;
	char *token;       /* ATTESTED: the EAR token (malloc'd) */
	char *tee_pubkey;  /* ATTESTED: the guest's JWK as JSON text (malloc'd) */
};

/* Records a new AUTHED session (id and nonce made by the caller from a CSPRNG). */
int store_session_create(struct store *s, const char *id, const char *nonce, int64_t expires,
			 struct snp_err *err) SNP_MUST_CHECK;

/* Loads session id; STORE_NOT_FOUND if absent or expired at now. Free with store_session_free. */
int store_session_get(struct store *s, const char *id, int64_t now, struct store_session *out,
		      struct snp_err *err) SNP_MUST_CHECK;

/*
 * Moves session id to ATTESTED with the token and key; STORE_NOT_FOUND if it
 * does not exist (expiry is not checked here: store_session_get did).
 */
int store_session_attest(struct store *s, const char *id, const char *token,
			 const char *tee_pubkey, struct snp_err *err) SNP_MUST_CHECK;

void store_session_free(struct store_session *ss);

/*
 * Consumes nonce: 0 the first time, SNP_E_REFUSED if it was consumed before
 * (on any replica: the insert itself decides). Kept until expires.
 */
int store_nonce_consume(struct store *s, const char *nonce, int64_t expires,
			struct snp_err *err) SNP_MUST_CHECK;

/* Deletes sessions and nonces expired at now; *removed (may be NULL) counts them. */
int store_expire(struct store *s, int64_t now, uint64_t *removed,
		 struct snp_err *err) SNP_MUST_CHECK;

/* --- audit chain --------------------------------------------------------- */

/*
 * Appends record (a JSON object: event, decision, reason, correlation id,
 * tenant, resource, policy id/version, report ids, peer - never a secret) as
 * the next link; "seq" and "time" are added by the store. *seq (may be NULL)
 * receives its position (1 for the first).
 */
int store_audit_append(struct store *s, const json_t *record, int64_t now, uint64_t *seq,
		       struct snp_err *err) SNP_MUST_CHECK;

/*
 * An admin change and its audit record, committed together or not at all.
 * change makes the change with store calls (each joins this transaction,
 * attestd/db.h db_tx) and then sets *record (a new reference) to the record
 * to append as store_audit_append would; a non-zero return rolls back and
 * is returned, as is a failed append (the change then is not made either).
 * change may run more than once (retries) and must have no other effects.
 * *seq (may be NULL) receives the record's position.
 */
typedef int store_change_fn(struct store *s, void *ctx, json_t **record, struct snp_err *err);

int store_change_audited(struct store *s, store_change_fn *change, void *ctx, int64_t now,
			 uint64_t *seq, struct snp_err *err) SNP_MUST_CHECK;

/*
 * Recomputes the whole chain. 0 when every link holds (*rows = its length);
 * SNP_E_SIGNATURE naming the first sequence number that is missing, edited or
 * out of order.
 */
int store_audit_verify(struct store *s, uint64_t *rows, struct snp_err *err) SNP_MUST_CHECK;

/*
 * The chain's head as the store recorded it (MAC checked, SNP_E_SIGNATURE if
 * edited): the last seq (0 before the first append) and hash(seq) as 64
 * lowercase hex digits. Kept outside the database, it lets a later
 * store_audit_verify show a rollback of the whole database, which the chain
 * alone cannot (docs/attestd.md, "Audit chain").
 */
int store_audit_head(struct store *s, uint64_t *seq, char hash_hex[65],
		     struct snp_err *err) SNP_MUST_CHECK;

/*
 * The audit rows after seq `after` (at most limit), as a JSON array of
 * records; tenant non-NULL keeps only the rows whose record's "tenant" is
 * tenant, NULL keeps all.
 */
int store_audit_list(struct store *s, const char *tenant, uint64_t after, unsigned limit,
		     json_t **out, struct snp_err *err) SNP_MUST_CHECK;

/* --- EAR signing keys ---------------------------------------------------- */

/*
 * Stores a signing key (private JWK from ear_key_generate, encrypted under
 * the master key): it signs until sign_until, and its public half is
 * published until publish_until (>= sign_until: the overlap window in which
 * tokens it signed still verify).
 */
int store_signing_key_add(struct store *s, const json_t *jwk, int64_t now, int64_t sign_until,
			  int64_t publish_until, struct snp_err *err) SNP_MUST_CHECK;

/*
 * The newest key that still signs at now (*jwk: caller frees with
 * jwk_free_private), STORE_NOT_FOUND if none; and (jwks may be NULL) the
 * JWKS {"keys": [...]} of every public key published at now (filled also
 * when the answer is STORE_NOT_FOUND).
 */
int store_signing_keys(struct store *s, int64_t now, json_t **jwk, json_t **jwks,
		       struct snp_err *err) SNP_MUST_CHECK;

/*
 * Key rotation, in one transaction: every key that still signs at now stops
 * signing at now and stays published until min(its own publish_until,
 * retired_publish_until) - the overlap in which tokens it signed still
 * verify - and jwk is added as by store_signing_key_add.
 */
int store_signing_key_rotate(struct store *s, const json_t *jwk, int64_t now, int64_t sign_until,
			     int64_t publish_until, int64_t retired_publish_until,
			     struct snp_err *err) SNP_MUST_CHECK;

/* Ends signing by every key at now (publishing continues until its own time). */
int store_signing_key_retire_all(struct store *s, int64_t now,
				 struct snp_err *err) SNP_MUST_CHECK;

#endif
