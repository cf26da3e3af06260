#!/usr/bin/env python3
"""Every error cfn-lint reports on the broken templates, `perimeter check` reports too.

For each template under tests/fixtures/check/broken/ and each *.bad.yaml under
tests/fixtures/check/rules/, runs the pinned cfn-lint and `perimeter check` (both with
JSON output) and matches each cfn-lint error to a check error on the same resource (or
output, parameter, condition) of a corresponding rule. An error without a match fails
the run, unless NOT_COVERED names its cfn-lint rule with the reason.

A bad fixture may say which of cfn-lint's rules report the same problem, in a line
`# cfn-lint: E1041` (several ids separated by spaces), or `# cfn-lint: none: why` where
cfn-lint is silent and check is right; cfn-lint's errors on it must be exactly those.
Then prints which of the cfn-lint rules the table maps no fixture exercises.

Usage: compare_cfn_lint.py PERIMETER_BINARY
"""

import glob
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# cfn-lint rule -> the check rules that report the same problem: the table in
# src/check/rules.rs (CFN_LINT), read from `perimeter check --rules`.
CORRESPONDING = {}


def correspondences(binary):
    out = subprocess.run([binary, "check", "--rules"], capture_output=True, text=True, check=True).stdout
    table = {}
    ours = None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            ours = line.split()[0]
        elif line.strip().startswith("cfn-lint:"):
            for theirs in line.split(":", 1)[1].split(","):
                table.setdefault(theirs.strip(), set()).add(ours)
    if not table:
        sys.exit("perimeter check --rules lists no cfn-lint correspondences")
    return table


# cfn-lint rules check does not cover, and why. Empty: every error is covered.
NOT_COVERED = {}


def cfn_lint(paths):
    """cfn-lint errors by file, from one run over all files (its start-up is slow)."""
    r = subprocess.run(["cfn-lint", "-f", "json", "--", *paths], capture_output=True, text=True)
    if not r.stdout.strip().startswith("["):
        sys.exit(f"cfn-lint failed: {r.stderr}")
    out = {p: [] for p in paths}
    for m in json.loads(r.stdout):
        if m["Level"] == "Error":
            out[os.path.abspath(m["Filename"])].append(m)
    return out


def check(binary, paths):
    """Check's error findings by file, from one run."""
    r = subprocess.run([binary, "check", "--format", "json", "--", *paths], capture_output=True, text=True)
    if r.returncode not in (0, 1):
        sys.exit(f"perimeter check failed: {r.stderr}")
    out = {p: [] for p in paths}
    for file in json.loads(r.stdout)["files"]:
        out[os.path.abspath(file["file"])] = [f for f in file["findings"] if f["severity"] == "error"]
    return out


def covered(err, findings):
    rule = err["Rule"]["Id"]
    wanted = CORRESPONDING.get(rule)
    if wanted is None:
        return False
    path = err["Location"].get("Path") or []
    if rule == "E0000" or len(path) < 2:
        return any(f["rule"] in wanted for f in findings)
    section, name = path[0], str(path[1])
    line = err["Location"]["Start"]["LineNumber"]
    for f in findings:
        if f["rule"] not in wanted:
            continue
        # The same line: cfn-lint names what a transform (SAM) generated, such as
        # <Function>Role, but points at the line of the template that gave rise to it.
        if f.get("line") == line:
            return True
        if section == "Resources" and (f.get("resource") == name or name in f.get("related", [])):
            return True
        if f["path"] == f"{section}.{name}" or f["path"].startswith(f"{section}.{name}."):
            return True
    return False


def declared(path):
    """The cfn-lint rules a fixture's `# cfn-lint:` line names: None without the line."""
    with open(path) as f:
        for line in f:
            if line.startswith("# cfn-lint: "):
                said = line[len("# cfn-lint: "):].strip()
                return set() if said.startswith("none") else set(said.split())
    return None


def main():
    binary = sys.argv[1]
    CORRESPONDING.update(correspondences(binary))
    files = sorted(glob.glob(os.path.join(ROOT, "tests/fixtures/check/broken/*"))) + sorted(
        glob.glob(os.path.join(ROOT, "tests/fixtures/check/rules/*.bad.yaml")))
    lint = cfn_lint(files)
    checked = check(binary, files)
    broken = 0
    errors = 0
    failures = []
    exercised = set()
    for path in files:
        rel = os.path.relpath(path, ROOT)
        errs = lint[path]
        exercised.update(e["Rule"]["Id"] for e in errs)
        want = declared(path)
        got = {e["Rule"]["Id"] for e in errs}
        if want is not None and want != got:
            failures.append(f"{rel}: says cfn-lint reports {sorted(want) or 'nothing'}, it reports {sorted(got) or 'nothing'}")
        if not errs:
            continue
        broken += 1
        for e in errs:
            errors += 1
            if covered(e, checked[path]):
                continue
            if e["Rule"]["Id"] in NOT_COVERED:
                print(f"not covered (known): {rel}: {e['Rule']['Id']}: {NOT_COVERED[e['Rule']['Id']]}")
                continue
            line = e["Location"]["Start"]["LineNumber"]
            failures.append(f"{rel}:{line}: {e['Rule']['Id']} {e['Message']}")
    print(f"{broken} broken templates, {errors} cfn-lint errors, all but {len(failures)} reported by check")
    unexercised = sorted(set(CORRESPONDING) - exercised)
    print(f"{len(CORRESPONDING) - len(unexercised)} of the {len(CORRESPONDING)} cfn-lint rules check maps "
          f"are exercised by a fixture; not: {' '.join(unexercised)}")
    if broken < 15:
        failures.append(f"only {broken} templates that cfn-lint finds broken; the comparison needs at least 15")
    if failures:
        print("cfn-lint errors that check does not report:", file=sys.stderr)
        for f in failures:
            print("  " + f, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
