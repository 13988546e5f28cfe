#!/usr/bin/env python3
"""Which src/*.c file names which other file's functions, and no circle.

A function belongs to the file that defines it non-static (nginx style: the
name at column 0 followed by '(', the line before not starting with
'static').  File A depends on file B when A's code (comments and strings
left out) names one of B's functions: a call, a pointer in a table or a
handler, any use.  Prints each file's dependencies, layer by layer (a file
sits one layer below the lowest file that names it), then any circle, and
exits 1 when there is one.

    python3 tools/layers.py [src] [--dot]
"""

import pathlib
import re
import sys

COMMENT_OR_STRING = re.compile(r'/\*.*?\*/|"(?:\\.|[^"\\\n])*"', re.S)
DEFINITION = re.compile(r'^([A-Za-z_]\w*)\(', re.M)
WORD = re.compile(r'\b[A-Za-z_]\w*\b')


def short(path):
    return path.stem.replace('ngx_http_freshdesk_', '')


def graph(src):
    files = sorted(pathlib.Path(src).glob('*.c'))
    owner, words = {}, {}
    for f in files:
        text = f.read_text(errors='replace')
        for m in DEFINITION.finditer(text):
            before = text[:m.start()].rstrip('\n').rsplit('\n', 1)[-1]
            line_end = text.find('\n', m.start())
            line = text[m.start():line_end]
            if before.lstrip().startswith('static') or line.rstrip().endswith(';'):
                continue
            owner.setdefault(m.group(1), short(f))
        words[short(f)] = set(WORD.findall(COMMENT_OR_STRING.sub(' ', text)))
    deps = {name: set() for name in words}
    for name, ws in words.items():
        for w in ws:
            o = owner.get(w)
            if o and o != name:
                deps[name].add(o)
    return deps


def circles(deps):
    """Strongly connected components of more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(deps[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(deps):
        if v not in index:
            visit(v)
    return out


def layers(deps):
    """Longest path from the top: a file is one below its lowest caller."""
    depth = {}

    def d(v, seen=()):
        if v in depth:
            return depth[v]
        callers = [u for u in deps if v in deps[u] and u not in seen]
        depth[v] = 0 if not callers else 1 + max(d(u, seen + (v,))
                                                 for u in callers)
        return depth[v]

    for v in deps:
        d(v)
    return depth


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    deps = graph(args[0] if args else 'src')
    found = circles(deps)
    if '--dot' in sys.argv:
        print('digraph freshdesk {\n  rankdir=TB; node [shape=box];')
        for a in sorted(deps):
            for b in sorted(deps[a]):
                print(f'  "{a}" -> "{b}";')
        print('}')
    else:
        depth = {} if found else layers(deps)
        for n in range(max(depth.values(), default=0) + 1):
            row = sorted(v for v in deps if depth.get(v) == n)
            for v in row:
                down = ' '.join(sorted(deps[v])) or '-'
                print(f'{n:2}  {v:<16} -> {down}')
        for c in found:
            print('circle:', ' '.join(c))
        edges = sum(len(e) for e in deps.values())
        print(f'{len(deps)} files, {edges} edges, {len(found)} circle(s)')
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main())
