#!/usr/bin/env python3
"""Self cost per function of one callgrind dump (callgrind_annotate cannot read the parts that
`callgrind_control -d` writes), or the difference between two dumps.
Usage: cgprof.py [--perf-map MAP] FILE [REQUESTS] [TOP]
   or  cgprof.py [--perf-map MAP] --diff BASE FILE [REQUESTS] [TOP].
MAP: the /tmp/perf-<pid>.map wasmtime writes when nginx runs with NGX_WASM_PERF_MAP=1; guest
code (shown by callgrind as bare addresses in [???]) is then named by its function."""
import re
import sys
from collections import Counter


def self_costs(path):
    costs, names = Counter(), {}
    fn, obj, skip_next = "?", "?", False
    for line in open(path, errors="replace"):
        if line.startswith(("fn=", "ob=")):
            m = re.match(r"(fn|ob)=(?:\((\d+)\))?\s*(.*)", line.rstrip("\n"))
            kind, ident, name = m.groups()
            key = (kind, ident)
            if name:
                names[key] = name
            value = names.get(key, name) if ident else name
            if kind == "fn":
                fn = f"{value} [{obj.rsplit('/', 1)[-1]}]"
            else:
                obj = value
        elif line.startswith(("cfn=", "cob=", "cfi=", "cfl=")):
            m = re.match(r"(c\w+)=(?:\((\d+)\))?\s*(.*)", line.rstrip("\n"))
            kind, ident, name = m.groups()
            if name and ident:
                names[(kind[1:] if kind in ("cfn", "cob") else kind, ident)] = name
        elif line.startswith("calls="):
            skip_next = True
        elif line[:1].isdigit() or line[:1] in "+-*":
            if skip_next:
                skip_next = False
                continue
            parts = line.split()
            if len(parts) >= 2:
                costs[fn] += int(parts[1])
    return costs


def perf_map(path):
    """Sorted (start, end, name) of the code ranges in a perf map file."""
    ranges = []
    for line in open(path, errors="replace"):
        parts = line.rstrip("\n").split(" ", 2)
        if len(parts) == 3:
            start, size = int(parts[0], 16), int(parts[1], 16)
            ranges.append((start, start + size, parts[2]))
    return sorted(ranges)


def name_guest_code(costs, ranges):
    """Merges the costs of bare JIT addresses into the guest functions they lie in."""
    import bisect
    starts = [r[0] for r in ranges]
    out = Counter()
    for name, c in costs.items():
        m = re.match(r"0x([0-9a-f]+) \[\?\?\?\]$", name)
        if m:
            addr = int(m.group(1), 16)
            i = bisect.bisect_right(starts, addr) - 1
            if i >= 0 and addr < ranges[i][1]:
                name = f"{ranges[i][2]} [wasm]"
        out[name] += c
    return out


def main():
    argv = sys.argv[1:]
    ranges = None
    if argv and argv[0] == "--perf-map":
        ranges, argv = perf_map(argv[1]), argv[2:]
    base = None
    if argv and argv[0] == "--diff":
        base, argv = self_costs(argv[1]), argv[2:]
    path = argv[0]
    n = int(argv[1]) if len(argv) > 1 else 1
    top = int(argv[2]) if len(argv) > 2 else 40
    costs = self_costs(path)
    if ranges is not None:
        costs = name_guest_code(costs, ranges)
        if base is not None:
            base = name_guest_code(base, ranges)
    if base is not None:
        costs.subtract(base)
        costs = Counter({k: v for k, v in costs.items() if v})
        print(f"difference {sum(costs.values()) / n:,.0f} per request")
        for name, c in sorted(costs.items(), key=lambda kv: -abs(kv[1]))[:top]:
            print(f"{c / n:+10,.0f}  {name[:150]}")
        return
    total = sum(costs.values())
    print(f"total {total / n:,.0f} per request")
    for name, c in costs.most_common(top):
        print(f"{c / n:10,.0f}  {name[:150]}")


if __name__ == "__main__":
    main()
