/* Running as root only as long as needed: uploadd binds its ports, then
 * switches to an unprivileged user (--user) before any thread starts. */
#ifndef UPLOADD_PRIVS_H
#define UPLOADD_PRIVS_H

#include <stddef.h>

/* Switches the process to user: supplementary groups, gid, then uid, and
 * checks root cannot be regained. Returns 0 or -errno with a reason in err.
 * Main thread, before other threads exist. */
int privs_drop(const char *user, char *err, size_t errlen);

#endif
