/* libFuzzer target: the names a client chooses, wherever they enter
 * uploadd: validate.c's file name, version and sha256 rules, and routes.c's
 * URL parsing (raw path split on '/', then each segment percent-decoded
 * and validated), so "%2e%2e%2f", "%252e" and overlong UTF-8 such as
 * "%c0%af" can never turn into a name that escapes.
 *
 * Differential: filename_problem() and version_problem() must agree with
 * independent oracles written here from the documented grammar (the file
 * name oracle checks UTF-8 with the Unicode well-formed byte table, not by
 * decoding). Round trips: percent_decode(percent_encode(x)) == x, and every
 * valid name and version, encoded into a URL, parses back to themselves.
 *
 * Input: [mode byte][bytes]. */
#include <stdbool.h>
#include <string.h>

#include "fuzz_util.h"
#include "uploadd/http/routes.h"
#include "uploadd/http/validate.h"

/* Length of the well-formed UTF-8 sequence at s (Unicode Table 3-7), or 0. */
static size_t wf_len(const uint8_t *s, size_t avail)
{
	uint8_t b = s[0], lo = 0x80, hi = 0xbf;
	size_t n;

	if (b < 0x80)
		return 1;
	if (b >= 0xc2 && b <= 0xdf)
		n = 2;
	else if (b >= 0xe0 && b <= 0xef)
		n = 3;
	else if (b >= 0xf0 && b <= 0xf4)
		n = 4;
	else
		return 0;
	if (b == 0xe0)
		lo = 0xa0;
	else if (b == 0xed)
		hi = 0x9f;
	else if (b == 0xf0)
		lo = 0x90;
	else if (b == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* The documented file-name grammar, byte by byte. */
static bool oracle_filename(const uint8_t *s, size_t len)
{
	if (len == 0 || len > FILENAME_MAX_LEN || (len == 1 && s[0] == '.'))
		return false;
	for (size_t i = 0; i < len;) {
		size_t n = wf_len(s + i, len - i);

		if (n == 0)
			return false;
		if (n == 1 && (s[i] < 0x20 || s[i] == 0x7f || s[i] == '/' ||
			       s[i] == '\\'))
			return false;
		if (n == 1 && s[i] == '.' && i + 1 < len && s[i + 1] == '.')
			return false;
		if (n == 2 && s[i] == 0xc2 && s[i + 1] <= 0x9f)
			return false;                   /* C1 controls */
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x80 &&
		    s[i + 2] >= 0xa8 && s[i + 2] <= 0xae)
			return false;                   /* U+2028-U+202E */
		if (n == 3 && s[i] == 0xe2 && s[i + 1] == 0x81 &&
		    s[i + 2] >= 0xa6 && s[i + 2] <= 0xa9)
			return false;                   /* U+2066-U+2069 */
		i += n;
	}
	return true;
}

static bool alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static bool oracle_version(const uint8_t *s, size_t len)
{
	if (len == 0 || len > VERSION_MAX_LEN || !alnum(s[0]))
		return false;
	for (size_t i = 1; i < len; i++) {
		if (!alnum(s[i]) && !strchr("._+-", s[i]))
			return false;
		if (s[i] == '\0' || (s[i] == '.' && s[i - 1] == '.'))
			return false;
	}
	return true;
}

/* A valid name and version, encoded into a URL, come back unchanged. */
static void check_reachable(const char *name, const char *version)
{
	char enc_name[3 * FILENAME_MAX_LEN + 1], enc_ver[3 * VERSION_MAX_LEN + 1];
	char path[sizeof(enc_name) + sizeof(enc_ver) + 16];
	struct route r;

	percent_encode(name, enc_name, sizeof(enc_name));
	percent_encode(version, enc_ver, sizeof(enc_ver));
	snprintf(path, sizeof(path), "/files/%s/%s/meta", enc_name, enc_ver);
	route_parse(path, &r);
	FZ_ASSERT(r.kind == ROUTE_META);
	FZ_ASSERT(strcmp(r.filename, name) == 0 && strcmp(r.version, version) == 0);
}

static void check_route(const char *path)
{
	struct route r;

	route_parse(path, &r);
	switch (r.kind) {
	case ROUTE_LIST:
	case ROUTE_DOWNLOAD:
	case ROUTE_META:
		FZ_ASSERT(strncmp(path, "/files/", 7) == 0);
		FZ_ASSERT(strlen(r.filename) == r.filename_len);
		FZ_ASSERT(oracle_filename((const uint8_t *)r.filename,
					  r.filename_len));
		FZ_ASSERT(!strchr(r.filename, '/') && !strstr(r.filename, ".."));
		if (r.kind != ROUTE_LIST) {
			FZ_ASSERT(oracle_version((const uint8_t *)r.version,
						 strlen(r.version)));
			check_reachable(r.filename, r.version);
		}
		break;
	case ROUTE_BAD_NAME:
		FZ_ASSERT(r.detail[0] != '\0');
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };
	unsigned mode = fz_u8(&in) % 4;
	char buf[4096], dec[4096], enc[3 * sizeof(buf) + 1];
	size_t len = in.n < sizeof(buf) - 1 ? in.n : sizeof(buf) - 1;
	const char *why;
	long n;

	memcpy(buf, in.p, len);
	buf[len] = '\0';
	switch (mode) {
	case 0:
		why = filename_problem(buf, len);
		FZ_ASSERT((why == NULL) == oracle_filename(in.p, len));
		break;
	case 1:
		why = version_problem(buf, len);
		FZ_ASSERT((why == NULL) == oracle_version(in.p, len));
		if (!why && len >= 1) {
			/* Any valid version with some valid name is reachable. */
			check_reachable("f", buf);
		}
		break;
	case 2:
		if (valid_sha256_hex(buf, len)) {
			FZ_ASSERT(len == SHA256_HEX_LEN);
			sha256_hex_lower(buf, len);
			for (size_t i = 0; i < len; i++)
				FZ_ASSERT((buf[i] >= '0' && buf[i] <= '9') ||
					  (buf[i] >= 'a' && buf[i] <= 'f'));
		}
		break;
	default:
		check_route(buf);
		/* Encoding then decoding any C string gives it back. */
		FZ_ASSERT(percent_encode_with(buf, alnum, enc, sizeof(enc)));
		n = percent_decode(enc, strlen(enc), dec, sizeof(dec));
		FZ_ASSERT(n == (long)strlen(buf) && memcmp(dec, buf, (size_t)n) == 0);
		break;
	}
	return 0;
}
