#!/usr/bin/env python3
"""Checks that src/ keeps the architecture its folders show
(src/*/README.md): who may include whom, no include cycles, no folder
over MAX_C_FILES .c files, a README.md in every folder.

    tools/layout/check_layout.py [ROOT]     check the tree (default: repo)
    tools/layout/check_layout.py --self-test
                                            build broken trees, expect each
                                            rule to catch its breakage

Prints one line per violation and exits 1 if there is any, 0 otherwise.
Only quoted includes count: <...> are system headers."""
import os
import re
import sys
import tempfile

MAX_C_FILES = 25

# Headers made by the build ($(BUILD)/gen): skeletons, tables, version.
GENERATED = re.compile(r'^([a-z_]+\.skel\.h|[a-z_]+_lskel\.h|pprof\.pb-c\.h|'
                       r'ts_syscall_names\.h|version\.h|vmlinux\.h)$')

# Folder prefix -> include prefixes it may use (besides itself and system
# headers). The first matching folder (longest first) decides.
RULES = {
    'src/common/': ['common/'],
    'src/threadview/': ['common/', 'threadview/', 'taskscope_abi.h', 'GEN'],
    'src/taskscope/attach/': ['common/', 'threadview/', 'taskscope/attach/',
                              'taskscope/exit_codes.h', 'taskscope/phase.h',
                              'taskscope_abi.h', 'GEN'],
    'src/taskscope/snapshot/': ['common/', 'threadview/', 'taskscope/',
                                'taskscope_abi.h', 'GEN', '!taskscope/watch/'],
    'src/taskscope/watch/': ['common/', 'threadview/', 'taskscope/',
                             'taskscope_abi.h', 'GEN', '!taskscope/snapshot/'],
    'src/taskscope/': ['common/', 'threadview/', 'taskscope/',
                       'taskscope_abi.h', 'GEN', '!taskscope/snapshot/',
                       '!taskscope/watch/'],
    'src/uploadd/': ['common/', 'threadview/', 'uploadd/', 'GEN'],
}
# The command folders are wired by main.c and commands.h only.
TOP_LEVEL_MAY_USE_COMMANDS = {'src/taskscope/main.c'}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def rule_for(path):
    for folder in sorted(RULES, key=len, reverse=True):
        if path.startswith(folder):
            return folder, RULES[folder]
    return None, None


def allowed(path, inc, allow):
    if GENERATED.match(inc):
        return 'GEN' in allow
    for a in allow:
        if a.startswith('!') and inc.startswith(a[1:]):
            return path in TOP_LEVEL_MAY_USE_COMMANDS
    return any(not a.startswith('!') and a != 'GEN' and inc.startswith(a)
               for a in allow)


def scan(root):
    """Returns {repo-relative path: [quoted includes]} for src/."""
    files = {}
    for dirpath, _, names in os.walk(os.path.join(root, 'src')):
        for n in names:
            if n.endswith(('.c', '.h')):
                p = os.path.join(dirpath, n)
                rel = os.path.relpath(p, root)
                with open(p, encoding='utf-8', errors='replace') as f:
                    files[rel] = INCLUDE.findall(f.read())
    return files


def resolve(root, inc):
    for base in ('src', 'include'):
        p = os.path.join(base, inc)
        if os.path.exists(os.path.join(root, p)):
            return p
    return None


def find_cycles(root, files):
    """Cycles among project headers/sources, each as a list of paths."""
    graph = {}
    for path, incs in files.items():
        graph[path] = [r for r in (resolve(root, i) for i in incs)
                       if r and r != path]
    # A .c file and its own .h are one module: "a.c includes b.h, b.c
    # includes a.h" is the two-file cycle the rule is about.
    mod = lambda p: p[:-2] if p.endswith(('.c', '.h')) else p
    mgraph = {}
    for p, deps in graph.items():
        mgraph.setdefault(mod(p), set()).update(mod(d) for d in deps
                                                if mod(d) != mod(p))
    cycles, state, stack = [], {}, []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for d in sorted(mgraph.get(n, ())):
            if state.get(d) == 1:
                cycles.append(stack[stack.index(d):] + [d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[n] = 2

    for n in sorted(mgraph):
        if n not in state:
            visit(n)
    return cycles


def check(root):
    errors = []
    files = scan(root)
    for path, incs in sorted(files.items()):
        folder, allow = rule_for(path)
        if folder is None:
            errors.append(f'{path}: in no folder with include rules '
                          f'(add it to RULES in {sys.argv[0]})')
            continue
        own = os.path.dirname(path)[len('src/'):] + '/'
        for inc in incs:
            if inc.startswith(own) or allowed(path, inc, allow):
                continue
            errors.append(f'{path}: includes "{inc}", which {folder} may '
                          f'not use (see {folder}README.md)')
    for c in find_cycles(root, files):
        errors.append('include cycle: ' + ' -> '.join(c))
    for dirpath, dirs, names in os.walk(os.path.join(root, 'src')):
        rel = os.path.relpath(dirpath, root)
        nc = sum(1 for n in names if n.endswith('.c'))
        if nc > MAX_C_FILES:
            errors.append(f'{rel}/: {nc} .c files (at most {MAX_C_FILES}: '
                          f'split it into folders by job)')
        if rel != 'src' and 'README.md' not in names:
            errors.append(f'{rel}/: no README.md saying what it owns and '
                          f'may include')
    return errors


def self_test():
    """Each rule must fail on a tree that breaks it."""
    def tree(files):
        d = tempfile.mkdtemp(prefix='layout-selftest.')
        for p, text in files.items():
            os.makedirs(os.path.join(d, os.path.dirname(p)), exist_ok=True)
            with open(os.path.join(d, p), 'w') as f:
                f.write(text)
        return d
    ok_readmes = {f'src/{f}/README.md': 'x' for f in (
        'common', 'threadview', 'taskscope', 'taskscope/watch', 'uploadd',
        'uploadd/debug')}
    cases = {
        'uploadd includes taskscope': {
            'src/uploadd/debug/a.c': '#include "taskscope/watch/w.h"\n',
            'src/taskscope/watch/w.h': ''},
        'library includes a program': {
            'src/threadview/v.c': '#include "uploadd/debug/d.h"\n',
            'src/uploadd/debug/d.h': ''},
        'two-file cycle': {
            'src/threadview/a.c': '#include "threadview/b.h"\n',
            'src/threadview/a.h': '',
            'src/threadview/b.c': '#include "threadview/a.h"\n',
            'src/threadview/b.h': ''},
        'too many .c files': {f'src/common/f{i}.c': '' for i in range(26)},
        'folder without README': {'src/uploadd/newdir/x.c': ''},
    }
    failed = 0
    clean = check(tree(dict(ok_readmes, **{'src/common/ok.c':
                                           '#include "common/ok.h"\n',
                                           'src/common/ok.h': ''})))
    if clean:
        print('self-test: a clean tree was reported:', clean)
        failed += 1
    for name, files in cases.items():
        errs = check(tree(dict(ok_readmes, **files)))
        if not errs:
            print(f'self-test: "{name}" was not caught')
            failed += 1
    print(f'self-test: {len(cases) + 1 - failed} of {len(cases) + 1} cases right')
    return 1 if failed else 0


def main():
    if sys.argv[1:] == ['--self-test']:
        return self_test()
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), '..', '..')
    errors = check(os.path.abspath(root))
    for e in errors:
        print('layout:', e)
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
