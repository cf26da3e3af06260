#!/usr/bin/env python3
"""diff's broadening, syntactic against semantic, on before/after template pairs.

Usage: compare-broadening.py SYNTACTIC_BIN SEMANTIC_BIN PAIRS_DIR [EXAMPLES]

SYNTACTIC_BIN is a perimeter from before diff asked the prover (it compares statement
text), SEMANTIC_BIN one that does. Runs `diff old new --format json` with each on every
pair folder (made by ci-pairs.py or git-pairs.py) and compares, pair by pair and IAM
change by IAM change: which the text calls broadening and the prover does not, and the
reverse, with the basis of each semantic answer (proven, syntactic, unknown) and the
witness request; prints EXAMPLES of each kind (default 5) for reading by hand, and the
time each binary took over the corpus (the median of 3 runs per pair, whole processes).
Prints numbers; asserts nothing but that both binaries run.
"""

import collections
import json
import os
import statistics
import subprocess
import sys
import time


def run(binary, d, ext):
    cmd = [binary, "diff", f"old{ext}", f"new{ext}", "--format", "json"]
    ts = []
    out = None
    for _ in range(3):
        s = time.perf_counter()
        r = subprocess.run(cmd, cwd=d, capture_output=True, text=True)
        ts.append(time.perf_counter() - s)
        if r.returncode == 2:
            return None, statistics.median(ts)
        out = r.stdout
    return json.loads(out), statistics.median(ts)


def changes(doc):
    """IAM changes keyed by what they are, with their broadening, basis and witness."""
    out = {}
    for f in doc.get("files", []):
        for c in f.get("diff", f).get("iam", []):
            key = (c["kind"], c["location"], c["effect"], tuple(c["actions"]), tuple(c["resources"]), tuple(c["principals"]), tuple(c["conditions"]))
            out[key] = c
    return out


def main():
    syn_bin, sem_bin, pairs = (os.path.abspath(a) for a in sys.argv[1:4])
    examples = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    dirs = sorted(d for d in os.listdir(pairs) if os.path.isdir(os.path.join(pairs, d)))
    pair_kinds = collections.Counter()
    change_kinds = collections.Counter()
    basis = collections.Counter()
    shown = collections.defaultdict(list)
    t_syn = t_sem = 0.0
    failed = 0
    for name in dirs:
        d = os.path.join(pairs, name)
        meta = json.load(open(os.path.join(d, "meta.json")))
        ext = meta.get("ext", ".yaml")
        a, ta = run(syn_bin, d, ext)
        b, tb = run(sem_bin, d, ext)
        t_syn += ta
        t_sem += tb
        if a is None or b is None:
            failed += 1
            continue
        sa, sb = a["summary"]["broadens_permissions"], b["summary"]["broadens_permissions"]
        pair_kinds[(sa, sb)] += 1
        ca, cb = changes(a), changes(b)
        for key, c in cb.items():
            old = ca.get(key)
            if old is None:
                continue
            basis[c.get("basis", "")] += 1
            kind = (old["broadens"], c["broadens"])
            change_kinds[kind] += 1
            if kind[0] != kind[1] and len(shown[kind]) < examples:
                shown[kind].append((name, f"{meta.get('old', '')} -> {meta.get('new', '')}", c))
    print(f"pairs: {len(dirs)} ({failed} not read by one of the binaries)")
    label = {(True, False): "syntactic broadening, semantic not", (False, True): "semantic broadening, syntactic not", (True, True): "both broadening", (False, False): "neither"}
    for k in [(True, False), (False, True), (True, True), (False, False)]:
        print(f"  pairs {label[k]}: {pair_kinds[k]}")
    print(f"IAM changes: {sum(change_kinds.values())}")
    for k in [(True, False), (False, True), (True, True), (False, False)]:
        print(f"  changes {label[k]}: {change_kinds[k]}")
    print("  semantic basis: " + ", ".join(f"{k or 'none'} {v}" for k, v in sorted(basis.items())))
    for k in [(True, False), (False, True)]:
        for name, source, c in shown[k]:
            print(f"\n[{label[k]}] pair {name} {source}\n  {c['kind']} {c['effect']} {c['actions']} on {c['resources']} {c['conditions']} at {c['location']}\n  basis: {c.get('basis')}; witness: {c.get('witness')}")
    print(f"\ntime over the corpus (medians of 3 per pair, summed): syntactic {t_syn * 1000:.0f} ms, semantic {t_sem * 1000:.0f} ms ({t_sem / max(t_syn, 1e-9):.2f}x)")


main()
