/* Unit tests for uploadd's upload files in a real directory (under
 * $TMPDIR): an unnamed O_TMPFILE file linked into place, and the named temp
 * file renamed into place where O_TMPFILE is missing (forced here with
 * named_temps). Each checks what the directory holds after create, commit,
 * a refused commit (the object exists: never replaced) and discard. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "uploadd/store/storage.h"

struct fixture {
	char dir[PATH_MAX];
	struct storage s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *tmp = getenv("TMPDIR");

	if (!f)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "%s/uploadd-storage-XXXXXX",
		 tmp ? tmp : "/tmp");
	if (!mkdtemp(f->dir) || storage_open(&f->s, f->dir) < 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	struct dirent *de;
	DIR *d = opendir(f->dir);

	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.' || strlen(de->d_name) > 2)
			unlinkat(dirfd(d), de->d_name, 0);
	if (d)
		closedir(d);
	storage_close(&f->s);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* The directory's entries other than . and .., sorted, joined by spaces. */
static void entries(const struct fixture *f, char *out, size_t cap)
{
	struct dirent **list;
	int n = scandir(f->dir, &list, NULL, alphasort);

	out[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (strcmp(name, ".") && strcmp(name, "..")) {
			if (out[0])
				strncat(out, " ", cap - strlen(out) - 1);
			strncat(out, name, cap - strlen(out) - 1);
		}
		free(list[i]);
	}
	free(list);
}

/* Reads object name back; returns its bytes in a static buffer. */
static const char *content(const struct fixture *f, const char *name)
{
	static char buf[64];
	uint64_t size = 0;
	int fd = storage_open_object((struct storage *)&f->s, name, &size);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	assert_true(n >= 0);
	assert_int_equal((uint64_t)n, size);
	buf[n] = '\0';
	return buf;
}

/* Creates an upload file holding text, written and fdatasync'ed as the
 * writer thread does. */
static void make_tmp(struct fixture *f, const char *token, const char *text,
		     struct storage_tmp *t)
{
	assert_int_equal(storage_tmp_create(&f->s, token, t), 0);
	assert_true(t->fd >= 0);
	assert_int_equal(write(t->fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fdatasync(t->fd), 0);
}

static void commit_and_refuse(struct fixture *f, bool named)
{
	const char *a = "aa.0123456789abcdef0123456789abcdef";
	struct storage_tmp t, u;
	char list[512];

	f->s.named_temps = named;
	make_tmp(f, "0123456789abcdef0123456789abcdef", "first", &t);
	entries(f, list, sizeof(list));
	assert_string_equal(list, named ?
			    ".uploadd-tmp-0123456789abcdef0123456789abcdef" : "");
	assert_int_equal(storage_tmp_commit(&f->s, &t, a), 0);
	storage_tmp_discard(&f->s, &t);
	assert_int_equal(t.fd, -1);
	entries(f, list, sizeof(list));
	assert_string_equal(list, a);
	assert_string_equal(content(f, a), "first");

	/* A second file for the same object name: refused, first kept. */
	make_tmp(f, "fedcba9876543210fedcba9876543210", "second", &u);
	assert_int_equal(storage_tmp_commit(&f->s, &u, a), -EEXIST);
	storage_tmp_discard(&f->s, &u);
	storage_tmp_discard(&f->s, &u); /* twice is safe */
	entries(f, list, sizeof(list));
	assert_string_equal(list, a);
	assert_string_equal(content(f, a), "first");
}

static void test_unnamed_commit(void **state)
{
	struct fixture *f = *state;

	/* tmpfs and ext4 have O_TMPFILE; the probe found it. */
	assert_false(f->s.named_temps);
	commit_and_refuse(f, false);
}

static void test_named_commit(void **state)
{
	commit_and_refuse(*state, true);
}

static void discard_leaves_nothing(struct fixture *f, bool named)
{
	struct storage_tmp t;
	char list[512];

	f->s.named_temps = named;
	make_tmp(f, "00000000000000000000000000000000", "dropped", &t);
	storage_tmp_discard(&f->s, &t);
	entries(f, list, sizeof(list));
	assert_string_equal(list, "");
}

static void test_unnamed_discard(void **state)
{
	discard_leaves_nothing(*state, false);
}

static void test_named_discard(void **state)
{
	discard_leaves_nothing(*state, true);
}

/* A crash leaves named temp files only; start-up removes them and nothing
 * else. */
static void test_remove_temps(void **state)
{
	struct fixture *f = *state;
	struct storage_tmp t;
	unsigned removed = 0;
	char list[512];

	f->s.named_temps = true;
	make_tmp(f, "11111111111111111111111111111111", "left", &t);
	close(t.fd); /* the process "died": the name stays */
	make_tmp(f, "22222222222222222222222222222222", "kept", &t);
	assert_int_equal(storage_tmp_commit(&f->s, &t, "bb.22"), 0);
	storage_tmp_discard(&f->s, &t);
	assert_int_equal(storage_remove_temps(&f->s, &removed), 0);
	assert_int_equal(removed, 1);
	entries(f, list, sizeof(list));
	assert_string_equal(list, "bb.22");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unnamed_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unnamed_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_named_discard, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remove_temps, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
