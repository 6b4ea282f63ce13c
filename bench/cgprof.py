#!/usr/bin/env python3
"""Self cost per function of one callgrind dump (callgrind_annotate cannot read the parts that
`callgrind_control -d` writes), or the difference between two dumps.
Usage: cgprof.py FILE [REQUESTS] [TOP]   or   cgprof.py --diff BASE FILE [REQUESTS] [TOP]."""
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


def main():
    argv = sys.argv[1:]
    base = None
    if argv and argv[0] == "--diff":
        base, argv = self_costs(argv[1]), argv[2:]
    path = argv[0]
    n = int(argv[1]) if len(argv) > 1 else 1
    top = int(argv[2]) if len(argv) > 2 else 40
    costs = self_costs(path)
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
