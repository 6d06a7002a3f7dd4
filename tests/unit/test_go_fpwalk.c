/* cmocka tests of the goroutine stack walk (ts_go_fpwalk, go_build.c) on
 * hand-made stack copies: a complete chain to runtime.goexit, and each way
 * a copy taken from a running program can be wrong (a frame pointer
 * outside the stack, going down, a return address outside Go code, a
 * chain deeper than the copy), which must end the stack with a note and
 * never yield a frame read from the wrong bytes; plus the goroutine
 * header wording (ts_go_header, threadview/output_go.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "taskscope/go/go_build.h"
#include "threadview/goroutine.h"

#define LO 0xc000100000ull
#define HI (LO + 0x2000)
#define TEXT_LO 0x401000ull
#define TEXT_HI 0x500000ull
#define GOEXIT 0x468000ull

static uint64_t words[0x2000 / 8];

static void put(uint64_t addr, uint64_t v)
{
	words[(addr - LO) / 8] = v;
}

static struct ts_fpwalk walk(void)
{
	struct ts_fpwalk w = {
		.lo = LO, .hi = HI, .text_lo = TEXT_LO, .text_hi = TEXT_HI,
		.goexit_lo = GOEXIT, .goexit_hi = GOEXIT + 16,
		.data = (const unsigned char *)words, .addr = LO,
		.len = sizeof(words),
	};
	return w;
}

/* Three frames: bp chain LO+0x100 -> +0x200 -> +0x300 -> goexit. */
static void chain(void)
{
	memset(words, 0, sizeof(words));
	put(LO + 0x100, LO + 0x200);
	put(LO + 0x108, 0x402000);
	put(LO + 0x200, LO + 0x300);
	put(LO + 0x208, 0x403000);
	put(LO + 0x300, 0);
	put(LO + 0x308, GOEXIT + 1);
}

static void test_complete(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;
	int n;

	(void)state;
	chain();
	n = ts_go_fpwalk(&w, 0x401500, LO + 0x100, pcs, 8, &note);
	assert_int_equal(n, 3);
	assert_null(note);
	assert_int_equal(pcs[0], 0x401500);
	assert_int_equal(pcs[1], 0x402000);
	assert_int_equal(pcs[2], 0x403000);
}

static void test_bp_outside_stack(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;
	int n;

	(void)state;
	chain();
	put(LO + 0x200, HI + 0x100);       /* the stack moved meanwhile */
	n = ts_go_fpwalk(&w, 0x401500, LO + 0x100, pcs, 8, &note);
	assert_int_equal(n, 3);
	assert_non_null(note);
	assert_non_null(strstr(note, "outside"));
}

static void test_bp_going_down(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;
	int n;

	(void)state;
	chain();
	put(LO + 0x200, LO + 0x80);
	n = ts_go_fpwalk(&w, 0x401500, LO + 0x100, pcs, 8, &note);
	assert_int_equal(n, 3);
	assert_non_null(strstr(note, "not increasing"));
}

static void test_pc_outside_text(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;
	int n;

	(void)state;
	chain();
	put(LO + 0x208, 0xdeadbeef);
	n = ts_go_fpwalk(&w, 0x401500, LO + 0x100, pcs, 8, &note);
	assert_int_equal(n, 2);             /* never the bad pc */
	assert_non_null(strstr(note, "outside Go code"));
}

static void test_deeper_than_copy(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;
	int n;

	(void)state;
	chain();
	w.len = 0x200;                      /* the copy ends before frame 2 */
	n = ts_go_fpwalk(&w, 0x401500, LO + 0x100, pcs, 8, &note);
	assert_int_equal(n, 2);
	assert_non_null(strstr(note, "copied window"));
}

static void test_new_goroutine(void **state)
{
	struct ts_fpwalk w = walk();
	uint64_t pcs[8];
	const char *note;

	(void)state;
	/* Never ran: sched.bp is 0, the start function is the only frame. */
	assert_int_equal(ts_go_fpwalk(&w, 0x401800, 0, pcs, 8, &note), 1);
	assert_null(note);
}

static void test_header(void **state)
{
	struct ts_goroutine g = { .goid = 18, .status = 4,
				  .reason = "chan receive", .wait_ns = -1,
				  .state = "waiting" };
	char buf[128];

	(void)state;
	assert_string_equal(ts_go_header(&g, buf, sizeof(buf)),
			    "goroutine 18 [chan receive]");
	g.wait_ns = 150ll * 1000000000ll;
	g.locked = true;
	assert_string_equal(ts_go_header(&g, buf, sizeof(buf)),
			    "goroutine 18 [chan receive, 2 minutes, locked to thread]");
	g.status = 3;
	g.state = "syscall";
	g.wait_ns = -1;
	g.locked = false;
	assert_string_equal(ts_go_header(&g, buf, sizeof(buf)),
			    "goroutine 18 [syscall]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_complete),
		cmocka_unit_test(test_bp_outside_stack),
		cmocka_unit_test(test_bp_going_down),
		cmocka_unit_test(test_pc_outside_text),
		cmocka_unit_test(test_deeper_than_copy),
		cmocka_unit_test(test_new_goroutine),
		cmocka_unit_test(test_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
