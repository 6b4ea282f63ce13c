#!/usr/bin/env python3
"""Fails if the modules of a crate use each other in a loop.

For every crate given (its `src/lib.rs` or `src/main.rs`), reads the module tree (`mod x;`
declarations, files `x.rs` or `x/mod.rs`), and every path each module names: `use` trees and
paths in code (`crate::a::b`, `super::x`, `self::x`, or a child module's name). A reference
from module A to module B is an edge between the two siblings, under their closest common
ancestor, that contain A and B; a module using its own ancestors or descendants is the
normal shape of a Rust crate and is not an edge. Each group of siblings must then be free of
cycles: `conf` may use `registry`, but `registry` may not use `conf` too, directly or through
another sibling.

Test code (`#[cfg(test)]` modules) is left out: tests may use anything.

Usage: check-module-cycles.py CRATE_DIR...   (exit 1 and a report when a cycle exists)
"""

import re
import sys
from pathlib import Path


def strip_code(text):
    """Removes comments, string and char literals (keeping line breaks)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    if text[i] == "\n":
                        out.append("\n")
                    i += 1
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'r(#*)"', text[i:])
            end = '"' + m.group(1)
            j = text.find(end, i + len(m.group(0)))
            j = n if j < 0 else j + len(end)
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append('""' + "\n" * text.count("\n", i, j))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append("' '")
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def drop_test_blocks(code):
    """Blanks `#[cfg(test)] mod name { ... }` blocks (keeping line breaks)."""
    while True:
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\([^)]*\))?\s+)?mod\s+\w+\s*\{", code)
        if not m:
            return code
        depth, j = 1, m.end()
        while j < len(code) and depth:
            depth += {"{": 1, "}": -1}.get(code[j], 0)
            j += 1
        code = code[:m.start()] + "\n" * code.count("\n", m.start(), j) + code[j:]


class Module:
    def __init__(self, path, file, parent):
        self.path = path  # tuple of names from the crate root
        self.file = file
        self.parent = parent
        self.children = {}
        self.code = ""


def load(crate_dir):
    src = Path(crate_dir) / "src"
    root_file = src / "lib.rs" if (src / "lib.rs").exists() else src / "main.rs"
    root = Module((), root_file, None)
    stack = [root]
    while stack:
        m = stack.pop()
        m.code = drop_test_blocks(strip_code(m.file.read_text()))
        base = m.file.parent if m.file.name in ("lib.rs", "main.rs", "mod.rs") else m.file.with_suffix("")
        for decl in re.finditer(r"(#\[[^\]]*\]\s*)*(pub(\([^)]*\))?\s+)?mod\s+(\w+)\s*;", m.code):
            attrs, name = decl.group(0), decl.group(4)
            if "cfg(test)" in attrs:
                continue
            f = base / f"{name}.rs"
            if not f.exists():
                f = base / name / "mod.rs"
            if not f.exists():
                continue
            child = Module(m.path + (name,), f, m)
            m.children[name] = child
            stack.append(child)
    return root


def expand_use(tree):
    """`a::{b, c::{d, e}}` -> ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+", "", tree)
    i = tree.find("{")
    if i < 0:
        return [tree.split(" as ")[0]]
    prefix, inner = tree[:i], tree[i + 1:tree.rfind("}")]
    parts, depth, cur = [], 0, ""
    for c in inner:
        if c == "," and depth == 0:
            parts.append(cur)
            cur = ""
            continue
        depth += {"{": 1, "}": -1}.get(c, 0)
        cur += c
    parts.append(cur)
    out = []
    for p in parts:
        if p:
            out.extend(prefix + e for e in expand_use(p))
    return out


def resolve(module, root, segs):
    """The deepest module a path names, or None for paths outside the crate."""
    if not segs:
        return None
    i = 1
    if segs[0] == "crate":
        node = root
    elif segs[0] == "self":
        node = module
    elif segs[0] == "super":
        node, i = module, 0
        while i < len(segs) and segs[i] == "super":
            node = node.parent
            if node is None:
                return None
            i += 1
    elif segs[0] in module.children:
        node = module.children[segs[0]]
    else:
        return None
    while i < len(segs) and segs[i] in node.children:
        node = node.children[segs[i]]
        i += 1
    return node


def references(module, root):
    """(target module, line) for each path this module names."""
    code = module.code
    found = []
    line_of = lambda pos: code.count("\n", 0, pos) + 1
    for m in re.finditer(r"\buse\s+([^;]+);", code):
        for path in expand_use(m.group(1)):
            found.append((path.split("::"), line_of(m.start())))
    names = ["crate", "super", "self"] + list(module.children)
    pattern = r"(?<![\w:])((?:%s)(?:::\w+)+)" % "|".join(map(re.escape, names))
    for m in re.finditer(pattern, code):
        found.append((m.group(1).split("::"), line_of(m.start())))
    out = []
    for segs, line in found:
        target = resolve(module, root, [s for s in segs if s])
        if target is not None and target is not module:
            out.append((target, line))
    return out


def ancestors(m):
    chain = []
    while m is not None:
        chain.append(m)
        m = m.parent
    return chain


def all_modules(root):
    stack, out = [root], []
    while stack:
        m = stack.pop()
        out.append(m)
        stack.extend(m.children.values())
    return out


def name(m):
    return "::".join(m.path) or "crate"


def check(crate_dir):
    root = load(crate_dir)
    # edges[parent][(a, b)] = first (file, line) seen
    edges = {}
    for m in all_modules(root):
        up = ancestors(m)
        for target, line in references(m, root):
            t_up = ancestors(target)
            if target in up or m in t_up:
                continue  # a module and its ancestors or descendants
            common = next(a for a in up if a in t_up)
            a = up[up.index(common) - 1]
            b = t_up[t_up.index(common) - 1]
            edges.setdefault(common, {}).setdefault((a, b), f"{m.file}:{line}")
    problems = []
    for parent, group in edges.items():
        graph = {}
        for (a, b) in group:
            graph.setdefault(a, set()).add(b)
        # Depth-first search for a cycle.
        state = {}

        def visit(node, path):
            state[node] = "open"
            for nxt in sorted(graph.get(node, ()), key=name):
                if state.get(nxt) == "open":
                    cycle = path[path.index(nxt):] + [nxt]
                    hops = [f"{name(x)} -> {name(y)} ({group[(x, y)]})" for x, y in zip(cycle, cycle[1:])]
                    problems.append(f"cycle among the modules of {name(parent)}:\n    " + "\n    ".join(hops))
                    return True
                if nxt not in state and visit(nxt, path + [nxt]):
                    return True
            state[node] = "done"
            return False

        for node in sorted(graph, key=name):
            if node not in state and visit(node, [node]):
                break
    return problems


def main():
    problems = []
    for crate_dir in sys.argv[1:]:
        problems.extend(f"{crate_dir}: {p}" for p in check(crate_dir))
    if problems:
        print("\n".join(problems))
        sys.exit(1)
    print(f"no module cycles in {len(sys.argv) - 1} crates")


if __name__ == "__main__":
    main()
