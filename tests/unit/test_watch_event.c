/* Unit tests: decoding watch ring-buffer records (watch_event.c) from
 * hand-made records, including malformed ones. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "taskscope/watch/watch_event.h"

static void hdr(struct ts_wev_hdr *h, uint32_t type, uint32_t size)
{
	memset(h, 0, sizeof(*h));
	h->type = type;
	h->size = size;
	h->ts_ns = 5000;
	h->tid = 43;
	h->tgid = 42;
	memcpy(h->comm, "0123456789abcdef", 16);   /* no NUL: 16 chars */
}

static void test_create(void **state)
{
	struct ts_wev_create c;
	struct wev ev;

	(void)state;
	hdr(&c.h, TS_WEV_CREATE, sizeof(c));
	c.parent_tid = 42;
	c.clone_flags = 0x3d0f00;
	c.start_routine = 0x401234;
	assert_int_equal(wev_decode(&c, sizeof(c), &ev), 0);
	assert_int_equal(ev.type, TS_WEV_CREATE);
	assert_int_equal(ev.tid, 43);
	assert_int_equal(ev.pid, 42);
	assert_string_equal(ev.name, "0123456789abcdef");
	assert_int_equal(ev.create.parent_tid, 42);
	assert_int_equal(ev.create.start_routine, 0x401234);
	assert_string_equal(wev_type_name(ev.type), "create");
}

static void test_rename_and_exit(void **state)
{
	struct ts_wev_rename r;
	struct ts_wev_exit e;
	struct wev ev;

	(void)state;
	hdr(&r.h, TS_WEV_RENAME, sizeof(r));
	memset(r.new_comm, 0, sizeof(r.new_comm));
	strcpy(r.new_comm, "up-hash");
	r.by_tid = 42;
	assert_int_equal(wev_decode(&r, sizeof(r), &ev), 0);
	assert_string_equal(ev.rename.new_name, "up-hash");
	memset(&e, 0, sizeof(e));
	hdr(&e.h, TS_WEV_EXIT, sizeof(e));
	e.start_ns = 1000;
	e.cpu_ns = 77;
	e.flags = TS_WEXIT_F_GROUP_DEAD | TS_WEXIT_F_TOTALS;
	e.tot.blocked_ns[TS_WAIT_FUTEX] = 300;
	assert_int_equal(wev_decode(&e, sizeof(e), &ev), 0);
	assert_int_equal(ev.exit.start_ns, 1000);
	assert_int_equal(ev.exit.tot.blocked_ns[TS_WAIT_FUTEX], 300);
	assert_true(ev.exit.flags & TS_WEXIT_F_GROUP_DEAD);
}

static void test_wait_with_stack(void **state)
{
	unsigned char buf[sizeof(struct ts_wev_wait) + sizeof(struct ts_wev_stack) + 64];
	struct ts_wev_wait *w = (void *)buf;
	struct ts_wev_stack *s = (void *)(buf + sizeof(*w));
	struct wev ev;

	(void)state;
	memset(buf, 0, sizeof(buf));
	hdr(&w->h, TS_WEV_WAIT, sizeof(buf));
	w->w.start_ns = 1000;
	w->w.wake_ns = 4000;
	w->w.end_ns = 4000;
	w->w.cls = TS_WAIT_FUTEX;
	w->w.flags = TS_WAIT_F_STACK | TS_WAIT_F_WAKER;
	memcpy(w->w.waker_comm, "holder", 7);
	s->regs.r[TS_REG_SP] = 0x7ffd0000;
	s->stack.addr = 0x7ffd0000;
	s->stack.len = 64;
	buf[sizeof(buf) - 1] = 0xab;
	assert_int_equal(wev_decode(buf, sizeof(buf), &ev), 0);
	assert_int_equal(wev_wait_ns(&ev.wait.w), 3000);
	assert_string_equal(ev.wait.waker_name, "holder");
	assert_non_null(ev.wait.regs);
	assert_int_equal(ev.wait.win->len, 64);
	assert_int_equal(ev.wait.stack[63], 0xab);
	/* The ring buffer hands out the reserved size: larger is fine. */
	assert_int_equal(wev_decode(buf, sizeof(buf) + 0, &ev), 0);
	/* A stack length past the record is malformed. */
	s->stack.len = 65;
	assert_int_equal(wev_decode(buf, sizeof(buf), &ev), -EPROTO);
}

static void test_malformed(void **state)
{
	struct ts_wev_create c;
	struct ts_wev_wait w;
	struct wev ev;

	(void)state;
	hdr(&c.h, TS_WEV_CREATE, sizeof(c) - 8);
	assert_int_equal(wev_decode(&c, sizeof(c), &ev), -EPROTO);
	hdr(&c.h, 99, sizeof(c));
	assert_int_equal(wev_decode(&c, sizeof(c), &ev), -EPROTO);
	hdr(&c.h, TS_WEV_CREATE, sizeof(c));
	assert_int_equal(wev_decode(&c, sizeof(c.h) - 1, &ev), -EINVAL);
	assert_int_equal(wev_decode(&c, sizeof(c) - 1, &ev), -EINVAL);
	assert_int_equal(wev_decode(NULL, 100, &ev), -EINVAL);
	memset(&w, 0, sizeof(w));
	hdr(&w.h, TS_WEV_WAIT, sizeof(w));
	w.w.cls = TS_WAIT_NCLASS;
	assert_int_equal(wev_decode(&w, sizeof(w), &ev), -EPROTO);
	assert_string_equal(wev_class_name(TS_WAIT_READ), "read");
	assert_string_equal(wev_class_name(77), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create),
		cmocka_unit_test(test_rename_and_exit),
		cmocka_unit_test(test_wait_with_stack),
		cmocka_unit_test(test_malformed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
