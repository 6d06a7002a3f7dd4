/* File name, version and checksum validation (pure, see validate.h). */
#include "uploadd/http/validate.h"

#include <stdint.h>
#include <string.h>

/* Decodes one UTF-8 sequence at s (avail bytes left). Returns its length and
 * stores the code point, or 0 for anything RFC 3629 forbids: stray
 * continuation bytes, truncation, overlong forms (the classic "%C0%AE" dot),
 * surrogates and code points past U+10FFFF. */
static size_t utf8_decode(const unsigned char *s, size_t avail, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if ((c & 0xe0) == 0xc0) {
		n = 2, c &= 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, c &= 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, c &= 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters that are invisible or reorder text: harmless on disk here, but
 * they make names in logs and listings lie about what they are. */
static bool is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
	       cp == 0x2028 || cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

const char *filename_problem(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	if (len == 0)
		return "is empty";
	if (len > FILENAME_MAX_LEN)
		return "is longer than 255 bytes";
	if (len == 1 && s[0] == '.')
		return "is '.'";
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (n == 0)
			return "is not valid UTF-8";
		if (cp == 0)
			return "contains a NUL byte";
		if (cp == '/')
			return "contains '/'";
		if (cp == '\\')
			return "contains '\\'";
		if (cp == '.' && i + 1 < len && s[i + 1] == '.')
			return "contains '..'";
		if (is_control(cp))
			return "contains a control character";
		i += n;
	}
	return NULL;
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9');
}

const char *version_problem(const char *s, size_t len)
{
	if (len == 0)
		return "is empty";
	if (len > VERSION_MAX_LEN)
		return "is longer than 64 bytes";
	if (!is_alnum(s[0]))
		return "must start with a letter or digit";
	for (size_t i = 1; i < len; i++) {
		char c = s[i];

		if (!is_alnum(c) && c != '.' && c != '_' && c != '+' && c != '-')
			return "may only contain letters, digits and . _ + -";
		if (c == '.' && s[i - 1] == '.')
			return "contains '..'";
	}
	return NULL;
}

static bool is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

bool valid_sha256_hex(const char *s, size_t len)
{
	if (len != SHA256_HEX_LEN)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!is_hex(s[i]))
			return false;
	return true;
}

void sha256_hex_lower(char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] >= 'A' && s[i] <= 'F')
			s[i] = (char)(s[i] - 'A' + 'a');
}
