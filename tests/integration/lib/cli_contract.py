#!/usr/bin/env python3
"""Reads the command-line contract out of a program's --help text and out of
its roff man page, so the ship_* tests can compare the two with comm(1).

Each mode prints one item per line, sorted and unique:

  flags-help            < HELP      flags of an option list (-x and --long)
  flags-man MAN SECTION             flags in .TP headings under .SH SECTION
  stray-man MAN SECTION...          .TP headings naming a flag outside the
                                    given option sections (a flag documented
                                    where the flag test does not look)
  commands-help         < HELP      names in the "Commands:" block
  commands-man MAN                  .TP headings under .SH COMMANDS
  exits-help            < HELP      numbers in the "Exit codes:" paragraph
  exits-man MAN                     .TP headings under .SH "EXIT STATUS"

The man-page conventions this relies on are stated atop docs/man/*.8.in.
"""
import re
import sys

# "  -p, --pid PID   ..." or "      --comm NAME  ...": two spaces, then a
# short flag and its long form, or six spaces and a long flag alone.
HELP_FLAG = re.compile(r"^  (-[A-Za-z0-9]), (--[a-z0-9][a-z0-9-]*)|^      (--[a-z0-9][a-z0-9-]*)")
# \fB\-p\fR or \fB\-\-stack\-size\fR in a .TP heading.
MAN_FLAG = re.compile(r"\\fB((?:\\-){1,2}[A-Za-z0-9](?:\\-|[A-Za-z0-9])*)\\f[RP]")


def unescape(s):
    return s.replace("\\-", "-")


def man_entries(path):
    """Yields (section, heading line) for every .TP entry of a man page."""
    section = ""
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        if line.startswith(".SH"):
            section = line[3:].strip().strip('"').upper()
        elif line.startswith(".TP") and i + 1 < len(lines):
            yield section, lines[i + 1]


def flags_help(text):
    out = set()
    for line in text.split("\n"):
        m = HELP_FLAG.match(line)
        if m:
            out.update(g for g in m.groups() if g)
    return out


def flags_man(path, sections):
    out = set()
    for section, heading in man_entries(path):
        if section in sections:
            out.update(unescape(f) for f in MAN_FLAG.findall(heading))
    return out


def stray_man(path, sections):
    return {f"{section}: {unescape(f)}"
            for section, heading in man_entries(path)
            if section not in sections
            for f in MAN_FLAG.findall(heading)}


def block(text, title):
    """The lines after a line starting with title, up to a blank line."""
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.startswith(title):
            rest = [line[len(title):]]
            for more in lines[i + 1:]:
                if not more.strip():
                    break
                rest.append(more)
            return "\n".join(rest)
    return ""


def commands_help(text):
    return {m.group(1) for m in re.finditer(r"^  ([a-z][a-z0-9-]*)  +\S",
                                            block(text, "Commands:"), re.M)}


def exits_help(text):
    para = block(text, "Exit codes:")
    return {m.group(1) for m in re.finditer(r"(?:^|\n|,)\s*(\d+)\s+\S", para)}


def tp_words(path, section):
    out = set()
    for sec, heading in man_entries(path):
        if sec == section:
            m = re.match(r"^\.B\s+(\S+)", heading)
            if m:
                out.add(unescape(m.group(1)))
    return out


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    mode, args = argv[1], argv[2:]
    if mode == "flags-help":
        items = flags_help(sys.stdin.read())
    elif mode == "flags-man" and len(args) == 2:
        items = flags_man(args[0], {args[1].upper()})
    elif mode == "stray-man" and len(args) >= 2:
        items = stray_man(args[0], {a.upper() for a in args[1:]})
    elif mode == "commands-help":
        items = commands_help(sys.stdin.read())
    elif mode == "commands-man" and len(args) == 1:
        items = tp_words(args[0], "COMMANDS")
    elif mode == "exits-help":
        items = exits_help(sys.stdin.read())
    elif mode == "exits-man" and len(args) == 1:
        items = tp_words(args[0], "EXIT STATUS")
    else:
        sys.exit(f"cli_contract.py: bad arguments {argv[1:]} (see the comment atop)")
    for item in sorted(items):
        print(item)


if __name__ == "__main__":
    main(sys.argv)
