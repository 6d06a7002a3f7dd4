/* Strict validation of the names a client chooses: file names, versions and
 * expected checksums.
 *
 * Client names never become paths (storage.c derives on-disk names from a
 * hash), but they do end up in Redis keys, JSON, logs and Content-Disposition
 * headers, so they are held to a strict, documented grammar. Pure functions,
 * no I/O: unit tests and fuzzers call them directly.
 */
#ifndef UPLOADD_VALIDATE_H
#define UPLOADD_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#define FILENAME_MAX_LEN 255 /* bytes, like NAME_MAX */
#define VERSION_MAX_LEN  64  /* bytes */
#define SHA256_HEX_LEN   64

/* Returns NULL when s[0..len) is an acceptable file name, else a short reason
 * ("contains '..'") for the 400 body. Rules: 1-255 bytes of valid UTF-8 (no
 * overlong forms or surrogates), no '/', '\', "..", NUL, C0/C1 control
 * characters, DEL, or invisible line/direction controls (U+2028, U+2029,
 * U+202A-U+202E, U+2066-U+2069); not ".". Any thread. */
const char *filename_problem(const char *s, size_t len);

/* Returns NULL when s[0..len) is an acceptable version, else a reason.
 * Grammar: 1-64 bytes of [A-Za-z0-9._+-], first one a letter or digit, no
 * "..". Any thread. */
const char *version_problem(const char *s, size_t len);

/* True when s[0..len) is exactly 64 hexadecimal digits (either case). */
bool valid_sha256_hex(const char *s, size_t len);

/* Lower-cases ASCII hex digits in place (after valid_sha256_hex). */
void sha256_hex_lower(char *s, size_t len);

#endif
