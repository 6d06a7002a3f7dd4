/* Dropping root privileges (see privs.h). */
#include "uploadd/privs.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int privs_drop(const char *user, char *err, size_t errlen)
{
	struct passwd *pw;
	int e;

	errno = 0;
	pw = getpwnam(user);
	if (!pw) {
		e = errno ? errno : ENOENT;
		snprintf(err, errlen, "no user named '%s'%s%s", user,
			 errno ? ": " : "", errno ? strerror(errno) : "");
		return -e;
	}
	/* Groups first: once the uid changes, they can no longer be set. */
	if (initgroups(pw->pw_name, pw->pw_gid) < 0 || setgid(pw->pw_gid) < 0 ||
	    setuid(pw->pw_uid) < 0) {
		e = errno;
		snprintf(err, errlen, "cannot switch to user '%s': %s (--user "
			 "needs uploadd to start as root)", user, strerror(e));
		return -e;
	}
	if (pw->pw_uid != 0 && setuid(0) == 0) {
		snprintf(err, errlen, "switched to user '%s' but root can be "
			 "regained; refusing to run", user);
		return -EPERM;
	}
	return 0;
}
