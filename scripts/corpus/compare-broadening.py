#!/usr/bin/env python3
"""diff's broadening, syntactic against semantic, on before/after template pairs.

Usage: compare-broadening.py SYNTACTIC_BIN SEMANTIC_BIN PAIRS_DIR [--runs N]
           [--jobs N] [--examples N] [--table FILE] [--batch DIR] [--callgrind]

SYNTACTIC_BIN is a perimeter from before diff asked the prover (it compares statement
text), SEMANTIC_BIN one that does. PAIRS_DIR holds pair folders (old.<ext>, new.<ext>,
meta.json; made by git-pairs.py or ci-pairs.py), at any depth.

For every pair, `diff old new --format json` runs with each binary (N times, default 3;
whole processes; --jobs N pairs at a time, default 1), and the IAM changes of the two
answers are matched statement by statement. Each change falls in a kind: what the text
said (broadens or not), what the prover said, and the semantic answer's basis (`proven`,
`syntactic` where the prover does not reach, `unknown: why`); unknown answers are counted
by their reason with the names taken out. A pair broadens when one of its IAM changes
does (the summary's flag also counts security group rules, which the prover does not
judge). Prints the counts of each kind, EXAMPLES of each disagreement (default 5) with
the witness request, for reading by hand; --table FILE writes every change, one a line
(tab-separated), to grep.

Timing: for each binary, the sum over the pairs, p50 and p95 of each pair's median wall
time and of its CPU time (user + system of the process, less disturbed by other load on
the machine than wall time). --batch DIR also writes the pairs both binaries read as two
folders, DIR/old and DIR/new (a file per pair, by relative path), and times one process
of each binary on them (`diff DIR/old DIR/new`), N times; with --callgrind, each batch
runs once more under valgrind's callgrind and its instruction count is printed (the
machine-independent figure).

Prints numbers; asserts nothing but that both binaries run (exit 1 when a binary crashes,
an exit code other than 0 to 3, or when the semantic binary fails a pair the syntactic
reads).

The README's figures: pairs from `git-pairs.py target/corpus/pairs 800` on the six
repositories the README names (fetched with the search tool), SYNTACTIC_BIN built from
3cfe541 (the last commit before the prover decided broadening) in a separate worktree,
both `cargo build --release --no-default-features`; `--runs 3 --jobs 2 --batch DIR`. """

import argparse
import collections
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor


def run(cmd, cwd, runs):
    """(exit code, stdout, median wall seconds, median CPU seconds) over `runs` runs."""
    walls, cpus = [], []
    code, out = None, ""
    for _ in range(runs):
        with tempfile.TemporaryFile() as o, tempfile.TemporaryFile() as e:
            s = time.perf_counter()
            p = subprocess.Popen(cmd, cwd=cwd, stdout=o, stderr=e)
            # This child's own resource use (other pairs may run at the same time).
            _, status, use = os.wait4(p.pid, 0)
            walls.append(time.perf_counter() - s)
            p.returncode = code = os.waitstatus_to_exitcode(status)
            cpus.append(use.ru_utime + use.ru_stime)
            o.seek(0)
            e.seek(0)
            out = o.read().decode()
            if code not in (0, 1, 2, 3):
                print(f"crash: {' '.join(cmd)} in {cwd}: exit {code}\n{e.read().decode()[-2000:]}", file=sys.stderr)
                break
    return code, out, statistics.median(walls), statistics.median(cpus)


def key(c):
    return (c["kind"], c["location"], c["effect"], tuple(c["actions"]), tuple(c["resources"]), tuple(c["principals"]), tuple(c["conditions"]))


def changes(doc):
    """The IAM changes of an answer, by key (a key may repeat: identical statements)."""
    out = collections.defaultdict(list)
    for f in doc.get("files", []):
        for c in f.get("diff", f).get("iam", []):
            out[key(c)].append(c)
    return out


def reason(basis):
    """An unknown answer's reason with the template's names taken out, to count alike."""
    why = basis[len("unknown: "):]
    m = re.match(r"^.*? names (.*) which is known only at deployment$", why)
    if m:
        return f"a policy names {kind_of(m.group(1))}, known only at deployment"
    if why.endswith(" is chosen by Fn::If"):
        return "a policy is chosen by Fn::If"
    if why.startswith("the policies go with"):
        return why
    m = re.search(r" names the principal (\w+): .*, a caller the prover does not model$", why)
    if m:
        return f"a policy names a principal ({m.group(1)}) the prover does not model"
    # The prover's reader refused the policy: `X resource policy: Statement[1].…`.
    why = re.sub(r"\[\d+\]", "[n]", why.split(": ", 1)[-1])
    return f"the policy does not read: {why}"


def kind_of(expr):
    """What a value known only at deployment is, by the first name that is no pseudo
    parameter: an import, a resource's attribute (GetAtt), a parameter or resource (Ref)."""
    if "ImportValue" in expr:
        return "an import"
    names = [n for n in re.findall(r"\$\{([^}]*)\}", expr) if not n.startswith("AWS::")]
    if not names:
        return "a pseudo parameter or function"
    return "an attribute (GetAtt)" if "." in names[0] else "a Ref (a parameter or resource)"


def percentile(xs, p):
    xs = sorted(xs)
    if not xs:
        return 0.0
    return xs[min(len(xs) - 1, round(p / 100 * (len(xs) - 1)))]


def pair_dirs(root):
    out = []
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        if "meta.json" in names:
            out.append(dirpath)
            dirnames[:] = []
    return sorted(out)


LABEL = {(True, False): "text broadening, prover not", (False, True): "prover broadening, text not", (True, True): "both broadening", (False, False): "neither"}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("syntactic")
    ap.add_argument("semantic")
    ap.add_argument("pairs")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--examples", type=int, default=5)
    ap.add_argument("--table")
    ap.add_argument("--batch")
    ap.add_argument("--callgrind", action="store_true")
    a = ap.parse_args()
    bins = {"syntactic": os.path.abspath(a.syntactic), "semantic": os.path.abspath(a.semantic)}
    root = os.path.abspath(a.pairs)
    dirs = pair_dirs(root)
    pair_kinds = collections.Counter()
    pair_summary = collections.Counter()
    change_kinds = collections.Counter()
    basis = collections.Counter()
    unknown = collections.Counter()
    unknown_by_kind = collections.Counter()
    shown = collections.defaultdict(list)
    unmatched = collections.Counter()
    times = {b: {"wall": [], "cpu": []} for b in bins}
    not_read = collections.Counter()
    crashed = 0
    both_read = []
    table = open(a.table, "w") if a.table else None
    if table:
        table.write("pair\tsource\tchange\tlocation\teffect\tactions\ttext\tprover\tbasis\n")

    def both(d):
        ext = json.load(open(os.path.join(d, "meta.json"))).get("ext", ".yaml")
        return {b: run([path, "diff", f"old{ext}", f"new{ext}", "--format", "json"], d, a.runs) for b, path in bins.items()}

    with ThreadPoolExecutor(a.jobs) as pool:
        results = pool.map(both, dirs)
    for d, result in zip(dirs, results):
        name = os.path.relpath(d, root)
        meta = json.load(open(os.path.join(d, "meta.json")))
        ext = meta.get("ext", ".yaml")
        source = f"{meta.get('repo', '')} {meta.get('commit', '')[:10]} {meta.get('path', '')}".strip() or f"{meta.get('old', '')} -> {meta.get('new', '')}"
        answers = {}
        for b, (code, out, wall, cpu) in result.items():
            times[b]["wall"].append(wall)
            times[b]["cpu"].append(cpu)
            if code not in (0, 1, 2, 3):
                crashed += 1
            answers[b] = json.loads(out) if code in (0, 1, 3) else None
        syn, sem = answers["syntactic"], answers["semantic"]
        if syn is None or sem is None:
            not_read[("syntactic" if syn is None else "") + ("+" if syn is None and sem is None else "") + ("semantic" if sem is None else "")] += 1
            continue
        both_read.append((d, ext))
        pair_summary[(syn["summary"]["broadens_permissions"], sem["summary"]["broadens_permissions"])] += 1
        ca, cb = changes(syn), changes(sem)
        pa = pb = False
        for k in set(ca) | set(cb):
            xs, ys = ca.get(k, []), cb.get(k, [])
            unmatched["syntactic only"] += max(0, len(xs) - len(ys))
            unmatched["semantic only"] += max(0, len(ys) - len(xs))
            pa |= any(x["broadens"] for x in xs)
            pb |= any(y["broadens"] for y in ys)
            for x, y in zip(xs, ys):
                bs = y.get("basis", "")
                kind = (x["broadens"], y["broadens"])
                short = "unknown" if bs.startswith("unknown") else bs
                change_kinds[kind] += 1
                basis[(kind, short)] += 1
                if short == "unknown":
                    unknown[reason(bs)] += 1
                    unknown_by_kind[(kind, reason(bs))] += 1
                if kind[0] != kind[1] and len(shown[(kind, short)]) < a.examples:
                    shown[(kind, short)].append((name, source, y))
                if table:
                    table.write("\t".join([name, source, y["kind"], y["location"], y["effect"], " ".join(y["actions"]), str(x["broadens"]).lower(), str(y["broadens"]).lower(), bs]) + "\n")
        pair_kinds[(pa, pb)] += 1
    if table:
        table.close()

    print(f"pairs: {len(dirs)}; both binaries read {len(both_read)}; not read by {dict(not_read) or 'none'}; crashes: {crashed}")
    print("pairs whose IAM changes broaden (text = syntactic binary, prover = semantic):")
    for k in LABEL:
        print(f"  {LABEL[k]}: {pair_kinds[k]}")
    print("pairs by the summary's flag (IAM and security group rules):")
    for k in LABEL:
        print(f"  {LABEL[k]}: {pair_summary[k]}")
    print(f"IAM changes matched: {sum(change_kinds.values())} (unmatched: {dict(unmatched) or 'none'})")
    for k in LABEL:
        by = ", ".join(f"{s or 'none'} {n}" for (kk, s), n in sorted(basis.items()) if kk == k)
        print(f"  {LABEL[k]}: {change_kinds[k]}" + (f" ({by})" if by else ""))
    print("unknown, by reason (all kinds):")
    for why, n in unknown.most_common():
        print(f"  {n:6}  {why}")
    for k in [(True, False), (False, True)]:
        for why, n in sorted(((w, n) for (kk, w), n in unknown_by_kind.items() if kk == k), key=lambda x: -x[1]):
            print(f"  of {LABEL[k]}: {n:6}  {why}")
    for (k, short), items in sorted(shown.items()):
        for name, source, c in items:
            w = c.get("witness")
            w = json.dumps(json.loads(w), sort_keys=True) if isinstance(w, str) else w
            print(f"\n[{LABEL[k]}, basis {short}] pair {name}: {source}\n  {c['kind']} {c['effect']} {c['actions']} on {c['resources']} for {c['principals']} {c['conditions']} at {c['location']}\n  basis: {c.get('basis')}\n  witness: {w}")

    print(f"\ntime per pair, whole processes, median of {a.runs} runs each (sum / p50 / p95):")
    for b in bins:
        for what in ("wall", "cpu"):
            xs = times[b][what]
            print(f"  {b:9} {what:4}: {sum(xs):8.2f} s / {percentile(xs, 50) * 1000:6.1f} ms / {percentile(xs, 95) * 1000:6.1f} ms")
    for what in ("wall", "cpu"):
        print(f"  semantic / syntactic, {what}: {sum(times['semantic'][what]) / max(sum(times['syntactic'][what]), 1e-9):.2f}x")

    if a.batch:
        batch(a, bins, both_read, root)
    return 1 if crashed or not_read.get("semantic") else 0


def batch(a, bins, pairs, root):
    """One process per binary over every pair both read, as two folders."""
    top = os.path.abspath(a.batch)
    shutil.rmtree(top, ignore_errors=True)
    for d, ext in pairs:
        old = open(os.path.join(d, f"old{ext}")).read()
        new = open(os.path.join(d, f"new{ext}")).read()
        # Folders are read by extension: .template is JSON or YAML by its first character.
        if ext == ".template":
            ext = ".json" if old.lstrip().startswith("{") else ".yaml"
        rel = os.path.relpath(d, root) + ext
        for side, text in (("old", old), ("new", new)):
            p = os.path.join(top, side, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            open(p, "w").write(text)
    print(f"\nbatch: {len(pairs)} pairs in {top}/old and {top}/new, one process each, median of {a.runs}:")
    for b, path in bins.items():
        code, out, wall, cpu = run([path, "diff", "old", "new", "--format", "json"], top, a.runs)
        files = len(json.loads(out).get("files", [])) if code in (0, 1, 3) else None
        print(f"  {b:9}: exit {code}, {files} files changed, wall {wall:.2f} s, cpu {cpu:.2f} s")
    if a.callgrind:
        for b, path in bins.items():
            out = os.path.join(top, f"callgrind.{b}")
            r = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", path, "diff", "old", "new", "--format", "json"], cwd=top, capture_output=True, text=True)
            m = re.search(r"Collected : (\d+)", r.stderr)
            print(f"  {b:9}: {int(m.group(1)) if m else '?'} instructions (callgrind, {out})")


if __name__ == "__main__":
    sys.exit(main())
