/* What taskscope needs to know about a Go binary before reading a process
 * that runs it: whether it is Go at all (runtime.buildVersion), its Go
 * version, the addresses of the runtime's globals (allgs, semtable) and
 * functions (newproc1, goexit1, goexit), the runtime's own table of wait
 * reasons (runtime.waitReasonStrings, read from the file, never
 * hard-coded), and the layout of runtime.g, m, sudog and pollDesc from the
 * binary's DWARF. Nothing here reads the running process except
 * /proc/PID/exe and /proc/PID/maps (for the load bias of a PIE).
 *
 * The DWARF handle stays open: go_symbolize.c uses it for file:line and
 * inlined frames. Not thread-safe. */
#ifndef TASKSCOPE_GO_BINARY_H
#define TASKSCOPE_GO_BINARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct Dwarf;

#define TS_GO_NO_OFF UINT32_MAX   /* a field this Go version lacks */

/* Offsets (bytes) of the fields taskscope reads, from DWARF. */
struct ts_go_layout {
	uint32_t g_size;
	uint32_t g_stack_lo, g_stack_hi;
	uint32_t g_sched_sp, g_sched_pc, g_sched_bp;
	uint32_t g_syscallsp, g_syscallpc;
	uint32_t g_status, g_goid, g_waitsince, g_waitreason;
	uint32_t g_m, g_lockedm, g_gopc, g_startpc, g_waiting;
	uint32_t g_parent_goid;          /* Go 1.21+, else TS_GO_NO_OFF */
	uint32_t waitreason_size;        /* bytes of g.waitreason (1) */
	uint32_t m_size, m_procid, m_curg, m_id, m_lockedg;
	uint32_t sudog_g, sudog_elem, sudog_c, sudog_waitlink, sudog_next,
		 sudog_prev;
	uint32_t pd_fd, pd_rg, pd_wg;
	uint32_t semtable_stride;        /* bytes per semtable entry */
	uint32_t semtable_n;             /* entries (251) */
	uint32_t semroot_treap;          /* semaRoot.treap within an entry */
};

struct ts_go_binary {
	char path[4096];                 /* /proc/PID/root + the executable */
	char version[48];                /* "go1.19.8" */
	uint64_t bias;                   /* runtime address - link address */
	uint64_t text_lo, text_hi;       /* .text, link addresses */
	/* Link-time addresses of runtime symbols (0: absent). */
	uint64_t allgs, semtable, newproc1, goexit1, goexit, mcall, mstart,
		 rt0_go;
	uint64_t newproc1_size;
	char **reasons;                  /* waitReasonStrings, owned */
	int nreasons;
	bool has_dwarf;
	struct ts_go_layout lay;
	struct Dwarf *dwarf;             /* open while the binary is */
	void *elf;                       /* Elf * behind dwarf */
	int fd;
};

/* Outcome of ts_go_binary_open. */
enum ts_go_open {
	TS_GO_OK = 0,
	TS_GO_NOT_GO,                    /* not a Go binary: nothing to do */
	TS_GO_NO_DWARF,                  /* Go, but built without DWARF */
	TS_GO_UNSUPPORTED,               /* Go, but a layout we cannot read */
	TS_GO_ERROR,                     /* cannot read the file (errno) */
};

/* Opens the executable of process pid and fills b. Returns an enum
 * ts_go_open; for everything but TS_GO_NOT_GO and TS_GO_ERROR, b->version
 * is set, and why (if non-NULL, len bytes) says what is missing in words
 * for a one-line message. b is closed with ts_go_binary_close in every
 * case. */
enum ts_go_open ts_go_binary_open(pid_t pid, struct ts_go_binary *b,
				  char *why, size_t len);

/* Same, for an executable file (no process: bias 0). */
enum ts_go_open ts_go_binary_open_file(const char *path, struct ts_go_binary *b,
				       char *why, size_t len);

void ts_go_binary_close(struct ts_go_binary *b);

/* The runtime's name for wait reason r, or NULL when out of the table. */
const char *ts_go_reason(const struct ts_go_binary *b, unsigned int r);

/* Where a uprobe sees each new goroutine (file offsets for uprobes):
 * after each `call runtime.newproc1`, the `call runtime.runqput` that
 * queues the new g (in BX, its second argument) when one follows within
 * 64 bytes, else the instruction right after the call (the new g in AX).
 * A call is emulated by the kernel's uprobe code; other instructions are
 * single-stepped, a second trap. Returns how many sites (<= max) or
 * -errno. */
struct ts_go_site {
	uint64_t off;                    /* file offset */
	bool newg_in_bx;                 /* at the runqput call */
};
int ts_go_create_sites(const struct ts_go_binary *b, struct ts_go_site *sites,
		       int max);

/* Where a uprobe sees each goroutine exit, R14 being the exiting g: the
 * `call runtime.goexit1` in runtime.goexit (a call: emulated) when it is
 * there, else runtime.goexit1's entry. File offset, or 0. */
uint64_t ts_go_exit_site(const struct ts_go_binary *b);

/* The CFA of the frame at link address pc (a return address: looked up
 * at pc - 1) as rsp + *off, from .debug_frame. Returns 0 or -ENOENT. */
int ts_go_cfa_offset(const struct ts_go_binary *b, uint64_t pc, int64_t *off);

/* One named entry of .symtab. */
struct ts_go_sym {
	const char *name;
	uint64_t value, size;   /* link address, bytes */
	bool func;              /* STT_FUNC */
};

/* Calls fn for each named entry of .symtab, in table order, until fn
 * returns non-zero; returns that value, or 0 when every entry was seen. */
int ts_go_each_symbol(const struct ts_go_binary *b,
		      int (*fn)(const struct ts_go_sym *sym, void *arg),
		      void *arg);

/* Link address of the symbol named name, or 0. */
uint64_t ts_go_symbol(const struct ts_go_binary *b, const char *name);

/* File offset of the link address addr (for uprobes), or 0. */
uint64_t ts_go_file_offset(const struct ts_go_binary *b, uint64_t addr);

#endif
