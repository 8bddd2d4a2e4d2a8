#!/usr/bin/env python3
"""Set two `xensim bench ... --json F` results side by side: each row's values in A and B and B/A.

usage: bench/compare.py A.json B.json [--all]

Rows are matched by bench, row name and value name. Where both rows have a baseline measured in
the same run (raw Akka tell, or the raw read of the log), the last column divides B/A by the
baselines' ratio: the change with the machine's own speed taken out (machines and moments differ
2x; only ratios within one run mean much). Where a row has a share of its bound, that is compared
too. Text cells (verdicts) are shown only with --all. A file may hold one bench object or a JSON
list of them. Only the Python 3 standard library is used, so any two files compare without
building xensim, whichever versions wrote them.
"""
import json
import sys


def load(path):
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"compare.py: {path}: {e}", file=sys.stderr)
        sys.exit(2)
    benches = data if isinstance(data, list) else [data]
    for b in benches:
        if not isinstance(b, dict) or not str(b.get("schema", "")).startswith("xensim-bench/"):
            print(f"compare.py: {path}: not an xensim bench JSON (no schema xensim-bench/N)", file=sys.stderr)
            sys.exit(2)
    return benches


def rows(benches):
    """(bench, row, value name) -> (value, unit, text, baseline value or None); and share-of-bound entries."""
    out = {}
    order = []
    for b in benches:
        for r in b.get("rows", []):
            base = r.get("baseline", {}).get("value") if isinstance(r.get("baseline"), dict) else None
            # a row's leading text cells belong to its name: bench blkback has two "deterministic"
            # rows, one per image ("sparse (holes)", "written (pread)")
            label = r.get("row", "")
            leading = []
            for v in r.get("values", []):
                if v.get("value") is not None:
                    break
                leading.append(str(v.get("text", "")))
            if leading:
                label = f'{label} ({", ".join(leading)})'
            for v in r.get("values", []):
                key = (b.get("bench", "?"), label, v.get("name", ""))
                if key not in out:
                    order.append(key)
                out[key] = (v.get("value"), v.get("unit", ""), v.get("text", ""), base)
            if "shareOfBound" in r:
                key = (b.get("bench", "?"), label, "share of bound")
                if key not in out:
                    order.append(key)
                out[key] = (r["shareOfBound"], "fraction", f'{100 * r["shareOfBound"]:.1f}%', None)
    return out, order


def describe(tag, benches):
    b = benches[0]
    x = b.get("xensim", {})
    m = b.get("machine", {})
    load = f', load {m["loadAverage"]}' if "loadAverage" in m else ""
    names = ", ".join(sorted({str(c.get("bench")) for c in benches}))
    return (f'{tag}: bench {names}, {b.get("date", "?")}, xensim {x.get("version", "?")} {x.get("commit", "?")}, '
            f'{m.get("cores", "?")} cores{load}')


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, (int, float)):
        if v != 0 and abs(v) < 10:
            return f"{v:.3g}"
        return f"{v:,.0f}"
    return str(v)


def ratio(a, b):
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a != 0:
        return b / a
    return None


def main(argv):
    args = [a for a in argv if not a.startswith("--")]
    show_all = "--all" in argv
    if len(args) != 2 or any(a not in ("--all",) for a in argv if a.startswith("--")):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    a_b, b_b = load(args[0]), load(args[1])
    a, a_order = rows(a_b)
    b, b_order = rows(b_b)
    print(describe("A", a_b))
    print(describe("B", b_b))
    keys = a_order + [k for k in b_order if k not in a]
    table = [("bench", "row", "value", "unit", "A", "B", "B/A", "B/A per baseline")]
    for k in keys:
        va, vb = a.get(k), b.get(k)
        numeric = any(x is not None and isinstance(x[0], (int, float)) for x in (va, vb))
        if not numeric and not show_all:
            continue
        unit = (va or vb)[1]
        cell_a = fmt(va[0]) if va and isinstance(va[0], (int, float)) else (va[2] if va else "-")
        cell_b = fmt(vb[0]) if vb and isinstance(vb[0], (int, float)) else (vb[2] if vb else "-")
        r = ratio(va[0], vb[0]) if va and vb else None
        per = None
        if r is not None and va[3] and vb[3]:
            per = r / (vb[3] / va[3])
        table.append((k[0], k[1], k[2], unit, cell_a, cell_b, "-" if r is None else f"{r:.2f}",
                      "-" if per is None else f"{per:.2f}"))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for n, row in enumerate(table):
        cells = [row[i].ljust(widths[i]) if i < 4 else row[i].rjust(widths[i]) for i in range(len(row))]
        print("  ".join(cells).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
