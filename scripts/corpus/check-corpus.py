#!/usr/bin/env python3
"""`perimeter check` beside cfn-lint on a corpus of real templates nobody here wrote.

The corpus: cfn-lint's own fixture templates (scripts/fetch-cfn-lint-fixtures) and, when
present, the templates of public repositories that scripts/corpus/git-templates.py copied
from the search tool's fetch (target/corpus/templates). Nothing of it is committed.

It reports: files; the files cfn-lint reads and how many of them check cannot (T001);
the recall of cfn-lint's errors (each matched to a check error of a corresponding rule at
the same resource, output, parameter or condition, as compare_cfn_lint.py matches them),
the misses grouped by cfn-lint rule; check's errors where cfn-lint reports nothing at that
place (to examine by hand), by rule; the perimeter-family findings per profile; and the
time of both tools on the whole corpus.

cfn-lint's results are cached per file content in target/corpus/cfn-lint-cache.json,
with the wall time of the run that produced them (one cfn-lint process over all files, as
a team runs it), since a cold cfn-lint run on a thousand templates takes minutes.

Usage: check-corpus.py PERIMETER_BINARY [--min-recall PCT] [--sample] [--examples N] [DIR...]
  --sample      only cfn-lint's fixture templates (what CI has: no fetched repositories)
  --min-recall  exit 1 when the recall is below PCT
"""

import argparse
import collections
import concurrent.futures
import hashlib
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import compare_cfn_lint as cmp  # noqa: E402

ROOT = cmp.ROOT
EXTS = (".yaml", ".yml", ".json", ".template")
FIXTURES = os.path.join(ROOT, "target/cfn-lint-fixtures")
FETCHED = os.path.join(ROOT, "target/corpus/templates")
CACHE = os.path.join(ROOT, "target/corpus/cfn-lint-cache.json")
# Check's own families that cfn-lint has no counterpart for: network, IAM, data, access.
PERIMETER_FAMILIES = ("N", "I", "D", "A")


def templates(dirs):
    files = []
    for d in dirs:
        for base, subdirs, names in os.walk(d):
            subdirs.sort()
            files.extend(os.path.join(base, n) for n in sorted(names) if n.endswith(EXTS))
    return files


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def cfn_lint_version():
    return subprocess.run(["cfn-lint", "--version"], capture_output=True, text=True, check=True).stdout.strip()


CHUNK = 100
CRASH = "cfn-lint crashed"


def run_cfn_lint(paths):
    """One cfn-lint process over paths: (findings by path, seconds, files). A file that
    makes cfn-lint itself fail is found by running the chunk's files one by one and is
    recorded as a crash, to be left out of the comparison."""
    start = time.perf_counter()
    r = subprocess.run(["cfn-lint", "-f", "json", "--", *paths], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if r.stdout.strip().startswith("["):
        found = {p: [] for p in paths}
        for m in json.loads(r.stdout):
            found.setdefault(os.path.abspath(m["Filename"]), []).append(m)
        return {p: found[p] for p in paths}, seconds, len(paths)
    if len(paths) == 1:
        return {paths[0]: [{"crash": CRASH, "stderr": r.stderr[-500:]}]}, seconds, 1
    found = {}
    for p in paths:
        one, s, _ = run_cfn_lint([p])
        found.update(one)
        seconds += s
    return found, seconds, len(paths)


def crashed(findings):
    return any("crash" in m for m in findings)


def cfn_lint(files):
    """cfn-lint's findings by file, from the cache or one run over the files it lacks."""
    version = cfn_lint_version()
    cache = {"version": version, "results": {}, "runs": []}
    if os.path.exists(CACHE):
        with open(CACHE) as f:
            old = json.load(f)
        if old.get("version") == version:
            cache = old
    keys = {p: digest(p) for p in files}
    missing = [p for p in files if keys[p] not in cache["results"]]
    if missing:
        print(f"cfn-lint: running on {len(missing)} files not in the cache ...", file=sys.stderr)
        chunks = [missing[i:i + CHUNK] for i in range(0, len(missing), CHUNK)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
            for found, seconds, count in pool.map(run_cfn_lint, chunks):
                for p, ms in found.items():
                    cache["results"][keys[p]] = ms
                cache["runs"].append({"files": count, "seconds": round(seconds, 2)})
        os.makedirs(os.path.dirname(CACHE), exist_ok=True)
        with open(CACHE, "w") as f:
            json.dump(cache, f)
    return {p: cache["results"][keys[p]] for p in files}, cache["runs"]


def check(binary, files, *flags):
    """Check's findings by file and the best wall time of three runs."""
    best = None
    for _ in range(3):
        start = time.perf_counter()
        r = subprocess.run([binary, "check", "--format", "json", *flags, "--", *files], capture_output=True, text=True)
        seconds = time.perf_counter() - start
        best = seconds if best is None else min(best, seconds)
    if r.returncode not in (0, 1):
        sys.exit(f"perimeter check failed: {r.stderr[-2000:]}")
    out = {p: [] for p in files}
    for file in json.loads(r.stdout)["files"]:
        out[os.path.abspath(file["file"])] = file["findings"]
    return out, best


def place(err):
    """Where a cfn-lint finding is: (section, name) or None for the whole template."""
    path = err["Location"].get("Path") or []
    return (path[0], str(path[1])) if len(path) >= 2 else None


def at(finding):
    if finding.get("resource"):
        return ("Resources", finding["resource"])
    parts = finding.get("path", "").split(".")
    return (parts[0], parts[1].split("[")[0]) if len(parts) >= 2 else None


def groups(title, by_rule, examples):
    """Prints findings grouped by rule, the largest group first, with a few examples."""
    if not by_rule:
        return
    print(title)
    for rule, items in sorted(by_rule.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        print(f"  {rule}: {len(items)}")
        for item in items[:examples]:
            print(f"    {item}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("dirs", nargs="*")
    ap.add_argument("--sample", action="store_true")
    ap.add_argument("--min-recall", type=float)
    ap.add_argument("--examples", type=int, default=3)
    args = ap.parse_args()
    binary = os.path.abspath(args.binary)
    cmp.CORRESPONDING.update(cmp.correspondences(binary))
    dirs = args.dirs or ([FIXTURES] if args.sample else [FIXTURES, FETCHED])
    dirs = [d for d in dirs if os.path.isdir(d)]
    files = [os.path.abspath(p) for p in templates(dirs)]
    if not files:
        sys.exit(f"no templates under {', '.join(dirs) or 'the corpus folders'}")
    lint, runs = cfn_lint(files)
    found, seconds = check(binary, files)

    crashes = [p for p in files if crashed(lint[p])]
    read = [p for p in files if not crashed(lint[p]) and not any(m["Rule"]["Id"] == "E0000" for m in lint[p])]
    t001 = [p for p in read if any(f["rule"] == "T001" for f in found[p])]
    errors = matched = 0
    misses = collections.defaultdict(list)
    for p in read:
        ours = [f for f in found[p] if f["severity"] == "error"]
        for e in lint[p]:
            if e["Level"] != "Error":
                continue
            errors += 1
            if cmp.covered(e, ours):
                matched += 1
            else:
                line = e["Location"]["Start"]["LineNumber"]
                misses[e["Rule"]["Id"]].append(f"{os.path.relpath(p, ROOT)}:{line}: {e['Message'][:160]}")

    # Check's errors where cfn-lint has no error at the same place: false positives, or
    # problems cfn-lint does not look for. Perimeter families are meant to be the latter.
    extra = collections.defaultdict(list)
    for p in read:
        theirs = {place(e) for e in lint[p] if e["Level"] == "Error"}
        for f in found[p]:
            if f["severity"] != "error" or f["rule"].startswith(PERIMETER_FAMILIES) or f["rule"] == "T001":
                continue
            if at(f) not in theirs and None not in theirs:
                extra[f["rule"]].append(f"{os.path.relpath(p, ROOT)}:{f.get('line', 0)}: {f['message'][:160]}")

    print(f"corpus: {len(files)} files under {', '.join(os.path.relpath(d, ROOT) for d in dirs)}")
    if crashes:
        print(f"cfn-lint crashes on {len(crashes)} (left out): " + ", ".join(os.path.relpath(p, ROOT) for p in crashes[: args.examples]))
    print(f"cfn-lint reads {len(read)}; check cannot read (T001) {len(t001)} of them")
    for p in t001[: args.examples]:
        print(f"  T001 {os.path.relpath(p, ROOT)}")
    recall = 100.0 * matched / errors if errors else 100.0
    print(f"cfn-lint errors: {errors}; check reports {matched} at the same place: recall {recall:.1f}%")
    groups("misses by cfn-lint rule:", misses, args.examples)
    groups("check errors where cfn-lint reports no error at that place, by rule:", extra, args.examples)
    for profile in ("baseline", "private"):
        counted, _ = check(binary, read, "--profile", profile)
        by = collections.Counter(f["rule"] for fs in counted.values() for f in fs if f["rule"].startswith(PERIMETER_FAMILIES))
        flagged = sum(1 for fs in counted.values() if any(f["rule"].startswith(PERIMETER_FAMILIES) for f in fs))
        rules = ", ".join(f"{r} {n}" for r, n in sorted(by.items())) or "none"
        print(f"profile {profile}: perimeter findings on {flagged} of {len(read)} files: {rules}")
    lint_seconds = sum(r["seconds"] for r in runs)
    lint_files = sum(r["files"] for r in runs)
    print(f"time: check {seconds * 1000:.0f} ms on {len(files)} files (best of 3); "
          f"cfn-lint {lint_seconds:.1f} s on {lint_files} files (cached runs)"
          + (f"; {lint_seconds / lint_files * len(files) / seconds:.0f}x" if lint_files else ""))
    if args.min_recall is not None and recall < args.min_recall:
        sys.exit(f"recall {recall:.1f}% is below {args.min_recall}%")


if __name__ == "__main__":
    main()
