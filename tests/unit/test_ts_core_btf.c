/* cmocka test of src/taskscope/core_btf.c on this machine: the tests run on
 * the kernel the build cut the minimal BTF from, so it must be offered, be
 * valid BTF that libbpf parses, and hold the types the snapshot object
 * relocates against (task_struct, pt_regs, sock), each much smaller than
 * the kernel's own. Skips when the build had no kernel BTF. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include <bpf/btf.h>

#include "taskscope/core_btf.h"
#include "snapshot_core_btf.h"

#if TS_CORE_BTF
static void test_offered_on_build_kernel(void **state)
{
	static const char *const types[] = { "task_struct", "pt_regs", "sock" };
	unsigned char copy[sizeof(ts_core_btf) + 1];
	struct btf *min, *full;
	char path[64];
	size_t i;
	FILE *f;
	int fd, id;

	(void)state;
	fd = ts_core_btf_open(path, sizeof(path));
	assert_true(fd >= 0);
	/* The path opens the embedded BTF, whole. */
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(copy, 1, sizeof(copy), f), sizeof(ts_core_btf));
	assert_memory_equal(copy, ts_core_btf, sizeof(ts_core_btf));
	fclose(f);
	min = btf__parse(path, NULL);
	assert_non_null(min);
	full = btf__load_vmlinux_btf();
	assert_non_null(full);
	assert_true(btf__type_cnt(min) < btf__type_cnt(full) / 100);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		id = btf__find_by_name_kind(min, types[i], BTF_KIND_STRUCT);
		assert_true(id > 0);
		/* Same size as the kernel's: cut from it, not from elsewhere. */
		assert_int_equal(btf__resolve_size(min, id),
				 btf__resolve_size(full, btf__find_by_name_kind(
					 full, types[i], BTF_KIND_STRUCT)));
	}
	btf__free(min);
	btf__free(full);
	close(fd);
}
#else
static void test_offered_on_build_kernel(void **state)
{
	(void)state;
	skip();    /* built without this kernel's BTF: nothing to offer */
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offered_on_build_kernel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
