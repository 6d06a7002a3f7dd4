/* The table of taskscope commands. Each command lives in its own file,
 * parses its own flags and returns an exit code (exit_codes.h); main.c only
 * dispatches. To add a command, add one TS_COMMAND line here and define
 *   int cmd_<name>(int argc, char **argv);   argv[0] is the command name
 *   void cmd_<name>_help(FILE *out);          full --help text
 * in the command's own file. */
#ifndef TASKSCOPE_COMMANDS_H
#define TASKSCOPE_COMMANDS_H

#define TS_COMMANDS(TS_COMMAND) \
	TS_COMMAND(snapshot, "every thread of a process and what it is blocked on") \
	TS_COMMAND(watch, "stream thread lifecycles and blocking as they happen")

#endif
