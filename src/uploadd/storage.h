/* The storage directory: temp files, atomic commit, safe object names.
 *
 * A client's file name never becomes a path. An object's on-disk name is
 * hex(SHA-256(filename NUL version)) "." the upload's random token: fixed
 * length, only [0-9a-f.], so neither traversal nor clashes are possible, and
 * two uploads of the same pair can never overwrite each other's file (the
 * commit also refuses to replace anything). Every open is relative to one
 * directory fd.
 *
 * Uploads stream into ".uploadd-tmp-<token>" files (O_EXCL, mode 0640); the
 * commit renames into place and fsyncs the directory, so a reader never sees
 * a partial object and a crash leaves only temp files, which
 * storage_remove_temps() deletes at start-up.
 */
#ifndef UPLOADD_STORAGE_H
#define UPLOADD_STORAGE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STORAGE_TMP_PREFIX ".uploadd-tmp-"
#define STORAGE_NAME_MAX   128 /* bytes, with the terminating NUL */
#define UPLOAD_TOKEN_HEX   32  /* hex digits of an upload's random token */

struct storage {
	int dirfd;
	char path[PATH_MAX];
};

/* Opens (creating it, mode 0750, when missing) the storage directory.
 * Returns 0 or -errno. Start-up only. */
int storage_open(struct storage *s, const char *path);

/* Closes the directory fd. */
void storage_close(struct storage *s);

/* Returns 0 when the current user may create files in the directory, else
 * -errno (checked after dropping privileges). */
int storage_check_writable(const struct storage *s);

/* Deletes leftover temp files from an earlier run; *removed counts them.
 * Returns 0 or -errno. Start-up only (a running server's temp files are
 * live). */
int storage_remove_temps(struct storage *s, unsigned *removed);

/* Creates the temp file for an upload with the given token; writes its name
 * to name. Returns the fd (caller closes) or -errno. Any thread. */
int storage_create_temp(struct storage *s, const char *token,
			char name[STORAGE_NAME_MAX]);

/* Makes tmp visible as final: rename without replacing, then fsync the
 * directory. Returns 0 or -errno (-EEXIST if final exists). Any thread. */
int storage_commit(struct storage *s, const char *tmp, const char *final);

/* Unlinks name from the directory. Returns 0 or -errno. */
int storage_remove(struct storage *s, const char *name);

/* Opens object name for reading and reports its size. Refuses names that
 * storage_object_name() could not have produced (Redis content is not
 * trusted as a path). Returns the fd (caller owns) or -errno. */
int storage_open_object(struct storage *s, const char *name, uint64_t *size);

/* Writes the object name for (filename, version, token) to out. Returns 0,
 * or -ENOMEM when OpenSSL cannot allocate a digest context. */
int storage_object_name(const char *filename, const char *version,
			const char *token, char out[STORAGE_NAME_MAX]);

/* True when name has the shape storage_object_name() produces. Pure. */
bool storage_valid_object_name(const char *name);

/* Writes UPLOAD_TOKEN_HEX random hex digits and a NUL to out. Returns 0 or
 * -errno. Any thread. */
int storage_new_token(char out[UPLOAD_TOKEN_HEX + 1]);

/* Writes len bytes as lower-case hex plus a NUL into out (2*len+1 bytes). */
void hex_encode(const unsigned char *in, size_t len, char *out);

#endif
