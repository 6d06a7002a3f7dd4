/* Privilege and kernel-feature checks for BPF, and libbpf error/log
 * translation (see bpf_env.h). */
#include "taskscope/attach/bpf_env.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "common/log.h"
#include "taskscope/attach/bpf_cause.h"
#include "taskscope/attach/bpf_features.h"
#include "taskscope/exit_codes.h"

#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39
#define TRACEFS "/sys/kernel/tracing"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/* What explains the current load attempt's failure (bpf_cause.h). */
static struct ts_bpf_cause cause;

void ts_bpf_log_mark(void)
{
	ts_bpf_cause_reset(&cause);
}

void ts_bpf_note_verifier_log(const char *prog, const char *log)
{
	ts_bpf_cause_verifier_log(&cause, prog, log);
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	int need = level == LIBBPF_DEBUG ? 3 : level == LIBBPF_INFO ? 2 : 1;
	char *msg = NULL;
	int n;

	if (level != LIBBPF_WARN && log_verbose_level() < need)
		return 0;
	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return 0;
	if (level == LIBBPF_WARN) {
		/* Strip libbpf's own prefix: our line has the program's. */
		ts_bpf_cause_warning(&cause,
				     strncmp(msg, "libbpf: ", 8) ? msg : msg + 8);
	}
	/* Verbatim: the verifier log spans many lines in one message. */
	if (log_verbose_level() >= need)
		fputs(msg, stderr);
	free(msg);
	return n;
}

void ts_bpf_log_init(void)
{
	libbpf_set_print(libbpf_print);
}

static unsigned long long effective_caps(void)
{
	unsigned long long caps = 0;
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps;
}

bool ts_bpf_privileged(void)
{
	unsigned long long caps;

	if (geteuid() == 0)
		return true;
	caps = effective_caps();
	return (caps >> CAP_BPF_BIT & 1) && (caps >> CAP_PERFMON_BIT & 1);
}

static int check_tracefs(void)
{
	if (access(TRACEFS "/events", F_OK) == 0)
		return 0;
	if (geteuid() == 0 &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL) == 0) {
		log_debug(1, "mounted tracefs on %s", TRACEFS);
		return 0;
	}
	log_err("cannot attach tracepoints: tracefs is not mounted on %s "
		"(as root: mount -t tracefs nodev %s)", TRACEFS, TRACEFS);
	return TS_EXIT_KERNEL;
}

int ts_bpf_preflight(unsigned int needs)
{
	if (!ts_bpf_privileged()) {
		log_err("cannot load BPF programs: not root and CAP_BPF + "
			"CAP_PERFMON are not both effective (run as root, or "
			"setcap cap_bpf,cap_perfmon+ep on taskscope)");
		return TS_EXIT_PRIVILEGE;
	}
	if ((needs & TS_NEED_BTF) && access(BTF_VMLINUX, R_OK) != 0) {
		log_err("cannot load BPF programs: this kernel has no BTF "
			"(%s is missing; boot a kernel built with "
			"CONFIG_DEBUG_INFO_BTF=y)", BTF_VMLINUX);
		return TS_EXIT_KERNEL;
	}
	if (needs & TS_NEED_TRACEFS)
		return check_tracefs();
	return 0;
}

int ts_bpf_explain(const char *what, int err)
{
	const char *why = cause.line[0] ? cause.line : strerror(-err);
	const struct ts_feature *f = cause.line[0] ?
				     ts_feature_named_in(cause.line) : NULL;

	if (!f || (f->bit && ts_feature_present(f)))
		f = ts_features_assumed_missing();
	if (f && (!f->bit || !ts_feature_present(f))) {
		/* It names a facility this kernel lacks: say which and since
		 * when, whatever errno came with it. */
		log_err("cannot %s: %s (this kernel, %s, lacks %s, which Linux "
			"has from %s on; rerun with -vv for libbpf's log)", what,
			why, ts_kernel_release(), f->what, f->since);
		return TS_EXIT_KERNEL;
	}
	switch (-err) {
	case EPERM:
	case EACCES:
		if (cause.verifier)
			break;
		log_err("cannot %s: permission denied (run as root, or grant "
			"CAP_BPF, CAP_PERFMON and CAP_SYS_PTRACE)", what);
		return TS_EXIT_PRIVILEGE;
	case ESRCH:
		log_err("cannot %s: the target process is gone", what);
		return TS_EXIT_NO_TARGET;
	case ENOENT:
	case EINVAL:
	case ENOTSUP:
	case E2BIG:
	case ENOSYS:
		log_err("cannot %s: %s (the kernel may lack a needed BPF "
			"feature; rerun with -vv for libbpf's log)", what, why);
		return TS_EXIT_KERNEL;
	}
	if (cause.verifier) {
		log_err("cannot %s: %s (this kernel's verifier refuses it: "
			"report it with the output of -vv)", what, why);
		return TS_EXIT_KERNEL;
	}
	log_err("cannot %s: %s (rerun with -vv for libbpf's log)", what, why);
	return TS_EXIT_FAILURE;
}
