/* Unit tests of attach/bpf_cause (the line that explains a BPF load
 * failure) and of attach/bpf_features' naming of kernel facilities, on the
 * messages libbpf and the verifier printed on Debian 12's Linux 6.1
 * (6.1.0-57-amd64, under QEMU) loading the objects taskscope had before it
 * probed for what the kernel lacks. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "taskscope/attach/bpf_cause.h"
#include "taskscope/attach/bpf_features.h"

/* libbpf's warnings for a missing kfunc, in order, "libbpf: " removed. */
static void test_missing_kfunc(void **state)
{
	struct ts_bpf_cause c;
	const struct ts_feature *f;

	(void)state;
	ts_bpf_cause_reset(&c);
	ts_bpf_cause_warning(&c, "extern (func ksym) 'bpf_rcu_read_lock': not "
			     "found in kernel or module BTFs\n");
	ts_bpf_cause_warning(&c, "failed to load object 'watch_bpf'\n");
	ts_bpf_cause_warning(&c, "failed to load BPF skeleton 'watch_bpf': -22\n");
	assert_string_equal(c.line, "extern (func ksym) 'bpf_rcu_read_lock': "
			    "not found in kernel or module BTFs");
	assert_false(c.verifier);
	f = ts_feature_named_in(c.line);
	assert_non_null(f);
	assert_string_equal(f->name, "rcu_kfunc");
	assert_string_equal(f->since, "6.2");
}

static void test_missing_tracepoint(void **state)
{
	struct ts_bpf_cause c;
	const struct ts_feature *f;

	(void)state;
	ts_bpf_cause_reset(&c);
	ts_bpf_cause_warning(&c, "prog 'tsw_recv': failed to find kernel BTF "
			     "type ID of 'sock_recv_length': -3\n");
	ts_bpf_cause_warning(&c, "prog 'tsw_recv': failed to prepare load "
			     "attributes: -3\n");
	ts_bpf_cause_warning(&c, "prog 'tsw_recv': failed to load: -3\n");
	assert_string_equal(c.line, "prog 'tsw_recv': failed to find kernel "
			    "BTF type ID of 'sock_recv_length': -3");
	f = ts_feature_named_in(c.line);
	assert_non_null(f);
	assert_int_equal(f->bit, TS_FEAT_SOCK_RECV_LENGTH);
	assert_string_equal(f->since, "6.3");
}

/* A refused program: the log's reason beats libbpf's generic line. */
static void test_verifier_reason(void **state)
{
	struct ts_bpf_cause c;
	const struct ts_feature *f;

	(void)state;
	ts_bpf_cause_reset(&c);
	ts_bpf_cause_warning(&c, "prog 'tsw_exit': BPF program load failed: "
			     "Permission denied\n");
	ts_bpf_cause_warning(&c,
		"prog 'tsw_exit': -- BEGIN PROG LOAD LOG --\n"
		"reg type unsupported for arg#0 function tsw_exit#584\n"
		"0: R1=ctx(off=0,imm=0) R10=fp0\n"
		"func 'sched_process_exit' doesn't have 2-th argument\n"
		"invalid bpf_context access off=8 size=8\n"
		"processed 1 insns (limit 1000000) max_states_per_insn 0 "
		"total_states 0 peak_states 0 mark_read 0\n"
		"-- END PROG LOAD LOG --\n");
	ts_bpf_cause_warning(&c, "prog 'tsw_exit': failed to load: -13\n");
	ts_bpf_cause_warning(&c, "failed to load object 'watch_bpf'\n");
	assert_true(c.verifier);
	assert_string_equal(c.line, "the verifier rejected program tsw_exit: "
			    "func 'sched_process_exit' doesn't have 2-th "
			    "argument; invalid bpf_context access off=8 size=8");
	f = ts_feature_named_in(c.line);
	assert_non_null(f);
	assert_int_equal(f->bit, TS_FEAT_EXIT_GROUP_DEAD);
	assert_string_equal(f->since, "6.16");
}

/* The light skeleton's log (no libbpf), the stack copy on 6.1. */
static void test_lskel_log(void **state)
{
	struct ts_bpf_cause c;
	char out[128];

	(void)state;
	ts_bpf_cause_reset(&c);
	ts_bpf_cause_verifier_log(&c, "ts_snapshot",
		"; if (bpf_copy_from_user_task(buf, len, (void *)sp, task, 0)) {\n"
		"529: (85) call bpf_copy_from_user_task#191\n"
		"R2 min value is negative, either use unsigned or 'var &= const'\n"
		"verification time 57276 usec\n"
		"stack depth 48+8\n"
		"processed 655 insns (limit 1000000) max_states_per_insn 4 "
		"total_states 43 peak_states 42 mark_read 11\n");
	assert_string_equal(c.line, "the verifier rejected program "
			    "ts_snapshot: R2 min value is negative, either use "
			    "unsigned or 'var &= const'");
	assert_false(ts_bpf_verifier_reason("processed 3 insns\n\n", out,
					    sizeof(out)));
}

/* A helper the kernel does not know is named by its number only. */
static void test_unknown_helper(void **state)
{
	const struct ts_feature *f;

	(void)state;
	f = ts_feature_named_in("the verifier rejected program tsw_stuck: "
				"invalid func unknown#191");
	assert_non_null(f);
	assert_string_equal(f->name, "copy_from_user_task");
	assert_string_equal(f->since, "5.18");
	assert_null(ts_feature_named_in("R1 type=scalar expected=fp"));
	/* Whole identifiers only: sched_switch is not sched_switch_x. */
	assert_null(ts_feature_named_in("no sched_switch_x here"));
}

static void test_feature_table(void **state)
{
	const struct ts_feature *t;
	uint64_t bits = 0;
	size_t i, n;

	(void)state;
	t = ts_features_table(&n);
	for (i = 0; i < n; i++) {
		assert_non_null(t[i].name);
		assert_non_null(t[i].since);
		assert_non_null(t[i].what);
		if (t[i].bit) {          /* optional: one bit each, a fallback */
			assert_int_equal(bits & t[i].bit, 0);
			bits |= t[i].bit;
			assert_non_null(t[i].without);
			assert_ptr_equal(ts_feature_of(t[i].bit), &t[i]);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_missing_kfunc),
		cmocka_unit_test(test_missing_tracepoint),
		cmocka_unit_test(test_verifier_reason),
		cmocka_unit_test(test_lskel_log),
		cmocka_unit_test(test_unknown_helper),
		cmocka_unit_test(test_feature_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
