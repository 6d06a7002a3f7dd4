/* taskscope's entry point: global options (--help, --version, -v) and
 * dispatch to a command from the table in commands.h. Each command parses
 * its own flags; this file only maps the command name to its function. */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "taskscope/commands.h"
#include "taskscope/exit_codes.h"
#include "version.h"

#define TS_DECLARE(name, summary) \
	int cmd_##name(int argc, char **argv); \
	void cmd_##name##_help(FILE *out);
TS_COMMANDS(TS_DECLARE)

struct ts_command {
	const char *name;
	int (*run)(int argc, char **argv);
	void (*help)(FILE *out);
	const char *summary;
};

#define TS_ENTRY(name, summary) { #name, cmd_##name, cmd_##name##_help, summary },
static const struct ts_command commands[] = { TS_COMMANDS(TS_ENTRY) };
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out,
		"Usage: taskscope [-v] COMMAND [OPTIONS]\n"
		"       taskscope help COMMAND | --help | --version\n"
		"\n"
		"See what every thread of a process is doing, from the kernel (eBPF),\n"
		"without stopping it.\n"
		"\n"
		"Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out,
		"\n"
		"Global options:\n"
		"  -v, --verbose   more diagnostics: -v what taskscope does (and\n"
		"                  what the kernel lacks), -vv also libbpf's log and\n"
		"                  the verifier's, -vvv libbpf's debug lines\n"
		"  -h, --help      this help\n"
		"  -V, --version   print the version\n"
		"\n"
		"Examples:\n"
		"  taskscope snapshot -p 4242\n"
		"  taskscope snapshot --comm uploadd --json\n"
		"  taskscope help snapshot\n"
		"\n" TS_EXIT_CODES_HELP);
}

static const struct ts_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < N_COMMANDS; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(int argc, char **argv)
{
	const struct ts_command *cmd;
	int i = 1, verbose = 0;

	log_set_prog("taskscope");
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return TS_EXIT_OK;
		} else if (!strcmp(argv[i], "-V") || !strcmp(argv[i], "--version")) {
			printf("taskscope %s\n", TS_VERSION);
			return TS_EXIT_OK;
		} else if (!strcmp(argv[i], "-v") || !strcmp(argv[i], "--verbose")) {
			verbose++;
		} else if (argv[i][1] == 'v' &&
			   strspn(argv[i] + 1, "v") == strlen(argv[i] + 1)) {
			verbose += strlen(argv[i] + 1);   /* -vv, -vvv */
		} else {
			log_err("unknown option '%s' (see taskscope --help)", argv[i]);
			return TS_EXIT_USAGE;
		}
	}
	log_set_verbose(verbose);
	if (i >= argc) {
		log_err("no command given (see taskscope --help)");
		return TS_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help")) {
		if (i + 1 >= argc) {
			usage(stdout);
			return TS_EXIT_OK;
		}
		cmd = find_command(argv[i + 1]);
		if (!cmd) {
			log_err("unknown command '%s' (see taskscope --help)", argv[i + 1]);
			return TS_EXIT_USAGE;
		}
		cmd->help(stdout);
		return TS_EXIT_OK;
	}
	cmd = find_command(argv[i]);
	if (!cmd) {
		log_err("unknown command '%s' (see taskscope --help)", argv[i]);
		return TS_EXIT_USAGE;
	}
	return cmd->run(argc - i, argv + i);
}
