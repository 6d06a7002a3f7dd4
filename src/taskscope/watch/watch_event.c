/* Ring-buffer record decoding for taskscope watch (see watch_event.h). */
#include "taskscope/watch/watch_event.h"

#include <errno.h>
#include <string.h>

static void copy_name(char *dst, const char *src)
{
	memcpy(dst, src, TS_COMM_LEN);
	dst[TS_COMM_LEN] = '\0';
	dst[strnlen(dst, TS_COMM_LEN)] = '\0';
}

/* The stack tail of a wait record: regs, window, then window.len bytes. */
static int decode_stack(const uint8_t *p, size_t size, struct wev *out)
{
	const struct ts_wev_stack *s;

	if (size < sizeof(struct ts_wev_wait) + sizeof(*s))
		return -EPROTO;
	s = (const struct ts_wev_stack *)(p + sizeof(struct ts_wev_wait));
	if (s->stack.len > TS_STACK_MAX ||
	    size < sizeof(struct ts_wev_wait) + sizeof(*s) + s->stack.len)
		return -EPROTO;
	out->wait.regs = &s->regs;
	out->wait.win = &s->stack;
	out->wait.stack = p + sizeof(struct ts_wev_wait) + sizeof(*s);
	return 0;
}

int wev_decode(const void *data, size_t size, struct wev *out)
{
	const struct ts_wev_hdr *h = data;
	const uint8_t *p = data;

	if (!data || !out || size < sizeof(*h))
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (h->size > size)
		return -EINVAL;
	out->type = h->type;
	out->ts_ns = h->ts_ns;
	out->tid = (pid_t)h->tid;
	out->pid = (pid_t)h->tgid;
	copy_name(out->name, h->comm);
	switch (h->type) {
	case TS_WEV_CREATE: {
		const struct ts_wev_create *c = data;

		if (h->size != sizeof(*c))
			return -EPROTO;
		out->create.parent_tid = (pid_t)c->parent_tid;
		out->create.clone_flags = c->clone_flags;
		out->create.start_routine = c->start_routine;
		return 0;
	}
	case TS_WEV_RENAME: {
		const struct ts_wev_rename *r = data;

		if (h->size != sizeof(*r))
			return -EPROTO;
		copy_name(out->rename.new_name, r->new_comm);
		out->rename.by_tid = (pid_t)r->by_tid;
		return 0;
	}
	case TS_WEV_EXIT:
	case TS_WEV_TOTALS: {
		const struct ts_wev_exit *e = data;

		if (h->size != sizeof(*e))
			return -EPROTO;
		out->exit.start_ns = e->start_ns;
		out->exit.cpu_ns = e->cpu_ns;
		out->exit.run_delay_ns = e->run_delay_ns;
		out->exit.start_routine = e->start_routine;
		out->exit.exit_code = e->exit_code;
		out->exit.flags = e->flags;
		out->exit.tot = e->tot;
		return 0;
	}
	case TS_WEV_WAIT:
	case TS_WEV_STUCK: {
		const struct ts_wev_wait *w = data;

		if (h->size < sizeof(*w))
			return -EPROTO;
		out->wait.w = w->w;
		copy_name(out->wait.waker_name, w->w.waker_comm);
		if (w->w.cls >= TS_WAIT_NCLASS)
			return -EPROTO;
		if (w->w.flags & TS_WAIT_F_STACK)
			return decode_stack(p, h->size, out);
		return h->size == sizeof(*w) ? 0 : -EPROTO;
	}
	}
	return -EPROTO;
}

uint64_t wev_wait_ns(const struct ts_wait *w)
{
	uint64_t end = w->wake_ns ? w->wake_ns : w->end_ns;

	return end > w->start_ns ? end - w->start_ns : 0;
}

const char *wev_class_name(uint32_t cls)
{
	static const char *const names[TS_WAIT_NCLASS] = {
		[TS_WAIT_FUTEX] = "futex", [TS_WAIT_READ] = "read",
		[TS_WAIT_POLL] = "poll", [TS_WAIT_SLEEP] = "sleep",
		[TS_WAIT_OTHER] = "other",
	};

	return cls < TS_WAIT_NCLASS ? names[cls] : "unknown";
}

const char *wev_type_name(uint32_t type)
{
	static const char *const names[TS_WEV_TYPE_MAX] = {
		[TS_WEV_CREATE] = "create", [TS_WEV_RENAME] = "rename",
		[TS_WEV_EXIT] = "exit", [TS_WEV_WAIT] = "wait",
		[TS_WEV_STUCK] = "stuck", [TS_WEV_TOTALS] = "totals",
	};

	return type && type < TS_WEV_TYPE_MAX ? names[type] : "unknown";
}
