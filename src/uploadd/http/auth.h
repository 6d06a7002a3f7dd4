/* Bearer-token check for uploads.
 *
 * The token comes from a file (--token-file), never from argv. Only its
 * SHA-256 is kept; a request's token is hashed the same way and the two
 * digests are compared with CRYPTO_memcmp, so neither the content nor the
 * length of the secret leaks through timing.
 */
#ifndef UPLOADD_AUTH_H
#define UPLOADD_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct auth {
	bool enabled;
	unsigned char digest[32]; /* SHA-256 of the token */
};

/* Enables a with token[0..len). Returns 0 or -errno (-EINVAL for an empty
 * token). */
int auth_set_token(struct auth *a, const char *token, size_t len);

/* True when uploads are open (no token configured) or header (the
 * Authorization value, may be NULL) is "Bearer <token>". Any thread. */
bool auth_check(const struct auth *a, const char *header);

#endif
