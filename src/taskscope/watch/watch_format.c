/* Text and JSON Lines output of watch events (see watch_format.h). */
#include "taskscope/watch/watch_format.h"

#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>

#include "common/json.h"
#include "threadview/describe.h"

char *watch_exit_status(int status, char *buf, size_t len)
{
	if (status & 0x7f)
		snprintf(buf, len, "killed by signal %d", status & 0x7f);
	else
		snprintf(buf, len, "exit code %d", (status >> 8) & 0xff);
	return buf;
}

/* A wait only a storage I/O completion ends (a sync of a file, a read of
 * a regular file), whose waker sits in another process: block completions
 * run in softirq context on whatever thread was interrupted or enabled
 * bottom halves (a curl sending to loopback, say), on its own stack, which
 * the BPF side cannot tell from that thread waking us itself. Naming it
 * as the waker would be wrong; the completion is what woke us. */
static bool woken_by_io_completion(const struct ts_wait *w, pid_t pid)
{
	bool storage;

	if (!(w->flags & TS_WAIT_F_WAKER) || w->waker_tgid == (uint32_t)pid)
		return false;
	switch (w->syscall) {
	case SYS_fsync:
	case SYS_fdatasync:
	case SYS_sync_file_range:
	case SYS_sync:
	case SYS_syncfs:
	case SYS_msync:
		storage = true;
		break;
	default:
		storage = w->cls == TS_WAIT_READ && (w->flags & TS_WAIT_F_FD) &&
			  w->fd.type == TS_FD_FILE;
	}
	return storage;
}

/* "; woken by 4242 "ping" (futex wake)" for a wait, or "": a waker in
 * another process is named with it, "woken by 4731 "xp-writer" of
 * xp-writer 4731". */
static const char *waker_text(const struct wev_view *v, char *buf, size_t len)
{
	const struct ts_wait *w = &v->ev->wait.w;
	pid_t pid = v->ev->pid;
	const char *name = v->ev->wait.waker_name;
	char proc[64] = "";

	if (!(w->flags & TS_WAIT_F_WAKER))
		snprintf(buf, len, "%s", "");
	else if (woken_by_io_completion(w, pid))
		snprintf(buf, len, "; woken by an I/O completion");
	else if ((w->flags & TS_WAIT_F_WAKER_IRQ) &&
		 (!w->waker_tid || w->waker_tgid != (uint32_t)pid))
		snprintf(buf, len, "; woken by an interrupt (timer or device)");
	else if (w->flags & TS_WAIT_F_WAKER_IRQ)
		snprintf(buf, len, "; woken in an interrupt on %u \"%s\"",
			 w->waker_tid, name);
	else {
		if (w->waker_tgid != (uint32_t)pid)
			snprintf(proc, sizeof(proc), " of %s %u",
				 v->waker_process ? v->waker_process : "process",
				 w->waker_tgid);
		snprintf(buf, len, "; woken by %u \"%s\"%s%s", w->waker_tid, name,
			 proc, w->flags & TS_WAIT_F_WAKER_FUTEX ? " (futex wake)" : "");
	}
	return buf;
}

static void print_wait_text(FILE *f, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	const struct ts_wait *w = &ev->wait.w;
	char d[32], wk[160], bytes[32] = "", fr[512];
	int i;

	ts_format_duration(wev_wait_ns(w), d, sizeof(d));
	if (w->flags & TS_WAIT_F_BYTES)
		snprintf(bytes, sizeof(bytes), "; %" PRId64 " bytes", (int64_t)w->bytes);
	if (ev->type == TS_WEV_STUCK)
		fprintf(f, "STUCK  %6d %-16s blocked %s so far on %s%s\n",
			ev->tid, ev->name, d, v->what,
			w->flags & TS_WAIT_F_ADOPTED ? " (since before watch)" : "");
	else
		fprintf(f, "wait   %6d %-16s %s on %s%s%s\n", ev->tid, ev->name,
			d, v->what, bytes,
			waker_text(v, wk, sizeof(wk)));
	if (v->chain)
		fprintf(f, "%13s    %s: %s\n", "", v->chain->deadlock ?
			"deadlock" : "chain", v->chain->text);
	for (i = 0; i < v->nframes; i++)
		fprintf(f, "%13s    %s\n", "",
			ts_describe_frame(&v->frames[i], NULL, fr, sizeof(fr)));
	if (v->stack_note && (w->flags & TS_WAIT_F_STACK))
		fprintf(f, "%13s    ... (%s)\n", "", v->stack_note);
}

void watch_print_text(FILE *f, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	char d1[32], d2[32], st[48];

	if (ev->type == TS_WEV_TOTALS)
		return;
	fprintf(f, "%12.6f ", v->t_ns / 1e9);
	switch (ev->type) {
	case TS_WEV_CREATE:
		fprintf(f, "create %6d %-16s by %d", ev->tid, ev->name,
			ev->create.parent_tid);
		if (v->parent_name)
			fprintf(f, " \"%s\"", v->parent_name);
		if (v->start_routine || ev->create.start_routine)
			fprintf(f, ", start %s",
				v->start_routine ? v->start_routine : "?");
		fputc('\n', f);
		break;
	case TS_WEV_RENAME:
		fprintf(f, "rename %6d %-16s -> \"%s\"\n", ev->tid, ev->name,
			ev->rename.new_name);
		break;
	case TS_WEV_EXIT:
		ts_format_duration(ev->ts_ns > ev->exit.start_ns ?
				   ev->ts_ns - ev->exit.start_ns : 0,
				   d1, sizeof(d1));
		ts_format_duration(ev->exit.cpu_ns, d2, sizeof(d2));
		fprintf(f, "exit   %6d %-16s lived %s, cpu %s, %s%s%s%s\n",
			ev->tid, ev->name, d1, d2,
			watch_exit_status(ev->exit.exit_code, st, sizeof(st)),
			v->start_routine ? ", start " : "",
			v->start_routine ? v->start_routine : "",
			ev->exit.flags & TS_WEXIT_F_GROUP_DEAD ?
			" (last thread: process exited)" : "");
		break;
	default:
		print_wait_text(f, v);
	}
}

static void json_frames(struct json_writer *w, const struct wev_view *v)
{
	json_key(w, "stack");
	json_array_begin(w);
	for (int i = 0; i < v->nframes; i++) {
		const struct ts_frame *fr = &v->frames[i];

		json_object_begin(w);
		json_kv_hex(w, "pc", fr->pc);
		if (fr->function) {
			json_kv_string(w, "function", fr->function);
			json_kv_uint(w, "offset", fr->offset);
		}
		if (fr->module)
			json_kv_string(w, "module", fr->module);
		if (fr->file) {
			json_kv_string(w, "file", fr->file);
			json_kv_int(w, "line", fr->line);
		}
		json_object_end(w);
	}
	json_array_end(w);
	json_kv_bool(w, "stack_complete", !v->stack_note);
	if (v->stack_note)
		json_kv_string(w, "stack_note", v->stack_note);
}

static void json_object_of_wait(struct json_writer *w, const struct wev_view *v)
{
	const struct ts_wait *wt = &v->ev->wait.w;

	json_key(w, "on");
	json_object_begin(w);
	json_kv_string(w, "class", wev_class_name(wt->cls));
	json_kv_string(w, "kind", ts_block_kind_name(v->kind));
	json_kv_int(w, "syscall_nr", wt->syscall);
	if (v->syscall)
		json_kv_string(w, "syscall", v->syscall);
	if (wt->cls == TS_WAIT_READ || wt->cls == TS_WAIT_POLL) {
		json_kv_int(w, "fd", (int)wt->obj);
	} else if (wt->cls == TS_WAIT_FUTEX) {
		json_kv_hex(w, "addr", v->object);
		json_kv_uint(w, "op", wt->futex_op);
	}
	if (v->owner_tid) {
		json_kv_int(w, v->kind == TS_BLOCK_JOIN ? "join_tid" :
			    "owner_tid", v->owner_tid);
		if (v->owner_name)
			json_kv_string(w, v->kind == TS_BLOCK_JOIN ?
				       "join_name" : "owner_name",
				       v->owner_name);
	}
	if (v->fd_type)
		json_kv_string(w, "fd_type", v->fd_type);
	if (v->fd_local[0])
		json_kv_string(w, "local", v->fd_local);
	if (v->fd_peer[0])
		json_kv_string(w, "peer", v->fd_peer);
	if (wt->flags & TS_WAIT_F_BYTES)
		json_kv_int(w, "bytes", (int64_t)wt->bytes);
	json_kv_string(w, "description", v->what);
	json_object_end(w);
}

/* "chain": where a stuck wait leads across processes. */
static void json_chain(struct json_writer *w, const struct wev_chain *c)
{
	size_t i;

	json_key(w, "chain");
	json_object_begin(w);
	json_key(w, "tids");
	json_array_begin(w);
	for (i = 0; i < c->n; i++)
		json_int(w, c->tids[i]);
	json_array_end(w);
	json_key(w, "pids");
	json_array_begin(w);
	for (i = 0; i < c->n; i++)
		json_int(w, c->pids[i]);
	json_array_end(w);
	json_kv_bool(w, "deadlock", c->deadlock);
	json_kv_string(w, "end_state", c->end_state);
	json_kv_string(w, "end", c->end);
	json_kv_string(w, "text", c->text);
	json_object_end(w);
}

static void json_wait(struct json_writer *w, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	const struct ts_wait *wt = &ev->wait.w;

	json_kv_uint(w, "start_ns", wt->start_ns);
	json_kv_uint(w, "dur_ns", wev_wait_ns(wt));
	json_kv_bool(w, "since_before_watch", wt->flags & TS_WAIT_F_ADOPTED);
	json_object_of_wait(w, v);
	if (wt->flags & TS_WAIT_F_WAKER) {
		json_key(w, "woken_by");
		json_object_begin(w);
		/* In an interrupt, tid is whoever was interrupted: the
		 * sender for loopback traffic, anyone for a timer. */
		if (wt->waker_tid) {
			json_kv_int(w, "tid", wt->waker_tid);
			json_kv_int(w, "pid", wt->waker_tgid);
			json_kv_string(w, "name", ev->wait.waker_name);
			json_kv_bool(w, "other_process",
				     wt->waker_tgid != (uint32_t)ev->pid);
			if (v->waker_process)
				json_kv_string(w, "process", v->waker_process);
		}
		json_kv_string(w, "via",
			       woken_by_io_completion(wt, ev->pid) ? "io_completion" :
			       wt->flags & TS_WAIT_F_WAKER_IRQ ? "interrupt" :
			       wt->flags & TS_WAIT_F_WAKER_FUTEX ? "futex_wake" :
			       "wakeup");
		json_object_end(w);
	}
	if (v->chain)
		json_chain(w, v->chain);
	if (wt->flags & TS_WAIT_F_STACK)
		json_frames(w, v);
}

void watch_print_json(FILE *f, const struct wev_view *v)
{
	const struct wev *ev = v->ev;
	struct json_writer w;

	json_init(&w, f, false);
	json_object_begin(&w);
	json_kv_string(&w, "type", wev_type_name(ev->type));
	json_kv_double(&w, "t", v->t_ns / 1e9);
	json_kv_uint(&w, "ts_ns", ev->ts_ns);
	json_kv_int(&w, "tid", ev->tid);
	json_kv_int(&w, "pid", ev->pid);
	json_kv_string(&w, "name", ev->name);
	switch (ev->type) {
	case TS_WEV_CREATE:
		json_kv_int(&w, "parent_tid", ev->create.parent_tid);
		if (v->parent_name)
			json_kv_string(&w, "parent_name", v->parent_name);
		if (ev->create.start_routine)
			json_kv_hex(&w, "start_routine_addr",
				    ev->create.start_routine);
		if (v->start_routine)
			json_kv_string(&w, "start_routine", v->start_routine);
		break;
	case TS_WEV_RENAME:
		json_kv_string(&w, "new_name", ev->rename.new_name);
		json_kv_int(&w, "by_tid", ev->rename.by_tid);
		break;
	case TS_WEV_EXIT:
	case TS_WEV_TOTALS:
		json_kv_uint(&w, "lifetime_ns", ev->ts_ns > ev->exit.start_ns ?
			     ev->ts_ns - ev->exit.start_ns : 0);
		json_kv_uint(&w, "cpu_ns", ev->exit.cpu_ns);
		if (ev->type == TS_WEV_EXIT) {
			json_kv_int(&w, "exit_status", ev->exit.exit_code);
			json_kv_bool(&w, "process_exit",
				     ev->exit.flags & TS_WEXIT_F_GROUP_DEAD);
		}
		if (v->start_routine)
			json_kv_string(&w, "start_routine", v->start_routine);
		break;
	default:
		json_wait(&w, v);
	}
	json_object_end(&w);
	json_end_document(&w);
}
