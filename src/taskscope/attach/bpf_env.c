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
#include "taskscope/attach/bpf_features.h"
#include "taskscope/exit_codes.h"

#define CAP_PERFMON_BIT 38
#define CAP_BPF_BIT 39
#define TRACEFS "/sys/kernel/tracing"
#define BTF_VMLINUX "/sys/kernel/btf/vmlinux"

/* The line that explains the last load failure: the verifier's reason
 * when a program was rejected, else the first libbpf warning since
 * ts_bpf_log_mark() that is not a generic "failed to load" line. */
static char cause[512];
static bool cause_is_verifier;

/* libbpf's generic follow-up lines: they say that, not why. */
static bool generic_line(const char *line)
{
	static const char *const generic[] = {
		"failed to load object", "failed to load BPF skeleton",
		"failed to load: ", "BPF program load failed:",
		"failed to prepare load attributes", "failed to open",
		"-- END PROG LOAD LOG --",
	};
	size_t i;

	for (i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (strstr(line, generic[i]))
			return true;
	return false;
}

/* Copies the last line of log that says why the verifier refused (the
 * lines after it are statistics) into out. Returns false when none. */
static bool verifier_reason(const char *log, char *out, size_t len)
{
	const char *p = log, *eol, *best = NULL;
	size_t best_len = 0;

	for (; *p; p = *eol ? eol + 1 : eol) {
		size_t n;

		eol = strchrnul(p, '\n');
		n = eol - p;
		while (n && (p[n - 1] == '\r' || p[n - 1] == ' '))
			n--;
		if (!n || !strncmp(p, "processed ", 10) ||
		    !strncmp(p, "verification time", 17) ||
		    !strncmp(p, "stack depth", 11) ||
		    !strncmp(p, "-- END PROG LOAD LOG", 20) ||
		    strstr(p, "-- BEGIN PROG LOAD LOG") == p)
			continue;
		best = p;
		best_len = n;
	}
	if (!best)
		return false;
	snprintf(out, len, "%.*s", (int)best_len, best);
	return true;
}

void ts_bpf_log_mark(void)
{
	cause[0] = '\0';
	cause_is_verifier = false;
}

void ts_bpf_note_verifier_log(const char *prog, const char *log)
{
	char reason[384];

	if (!log || !verifier_reason(log, reason, sizeof(reason)))
		return;
	snprintf(cause, sizeof(cause), "the verifier rejected program %s: %s",
		 prog, reason);
	cause_is_verifier = true;
}

/* Keeps what explains a failure out of one libbpf message. */
static void note_warning(const char *msg)
{
	const char *begin = strstr(msg, "-- BEGIN PROG LOAD LOG --");
	char prog[64] = "?";
	const char *q;

	if (begin) {
		/* "prog 'NAME': -- BEGIN PROG LOAD LOG --\n<log>" */
		q = strstr(msg, "prog '");
		if (q && q < begin)
			sscanf(q + 6, "%63[^']", prog);
		if (!cause_is_verifier)
			ts_bpf_note_verifier_log(prog, begin);
		return;
	}
	if (cause[0] || generic_line(msg))
		return;
	snprintf(cause, sizeof(cause), "%s", msg);
	cause[strcspn(cause, "\n")] = '\0';
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
		note_warning(strncmp(msg, "libbpf: ", 8) ? msg : msg + 8);
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
	const char *why = cause[0] ? cause : strerror(-err);
	const struct ts_feature *f = cause[0] ? ts_feature_named_in(cause) : NULL;

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
		if (cause_is_verifier)
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
	if (cause_is_verifier) {
		log_err("cannot %s: %s (this kernel's verifier refuses it: "
			"report it with the output of -vv)", what, why);
		return TS_EXIT_KERNEL;
	}
	log_err("cannot %s: %s (rerun with -vv for libbpf's log)", what, why);
	return TS_EXIT_FAILURE;
}
