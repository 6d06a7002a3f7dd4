/* Bearer-token comparison in constant time (see auth.h). */
#include "uploadd/http/auth.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static bool sha256(const char *s, size_t len, unsigned char out[32])
{
	unsigned int n = 0;

	return EVP_Digest(s, len, out, &n, EVP_sha256(), NULL) && n == 32;
}

int auth_set_token(struct auth *a, const char *token, size_t len)
{
	if (len == 0)
		return -EINVAL;
	if (!sha256(token, len, a->digest))
		return -ENOMEM;
	a->enabled = true;
	return 0;
}

bool auth_check(const struct auth *a, const char *header)
{
	unsigned char got[32];

	if (!a->enabled)
		return true;
	if (!header || strncasecmp(header, "Bearer ", 7) != 0)
		return false;
	header += 7;
	while (*header == ' ')
		header++;
	if (!sha256(header, strlen(header), got))
		return false;
	return CRYPTO_memcmp(got, a->digest, sizeof(got)) == 0;
}
