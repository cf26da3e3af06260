#!/usr/bin/env python3
"""cfn-lint the cfn-lint fixtures and our re-emission of them (JSON and YAML), and fail
if cfn-lint finds anything in a re-emitted template that it did not find in the
original: a sign the emitter changed meaning. Reads the index the round-trip test
writes: original<TAB>re-emitted json<TAB>re-emitted yaml, one line per template."""

import collections
import concurrent.futures
import subprocess
import sys

# Findings a re-emission may add, and why. perimeter expands Fn::ForEach loops when it
# reads a template: a mapping that only a loop's collection read (Fn::FindInMap in the
# collection) is unused in the expansion, which CloudFormation accepts (W7001 warns).
EXPECTED = {"W7001": "Fn::ForEach"}


def findings(files):
    """Rule ids cfn-lint reports, per file: two cfn-lint processes, one a core, each over
    half of the files."""
    half = (len(files) + 1) // 2
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outs = list(pool.map(lambda chunk: subprocess.run(
            ["cfn-lint", "--format", "parseable", "--", *chunk],
            capture_output=True, text=True).stdout, [c for c in (files[:half], files[half:]) if c]))
    rules = collections.defaultdict(set)
    for line in "\n".join(outs).splitlines():
        parts = line.split(":")
        # file:line:col:endline:endcol:RULE:message
        if len(parts) >= 6:
            rules[parts[0]].add(parts[5])
    return rules


def main(index):
    rows = [line.rstrip("\n").split("\t") for line in open(index) if line.strip()]
    if len(rows) < 80:
        sys.exit(f"{index}: only {len(rows)} templates; run the tests first")
    # One reading of every file: the originals and the re-emitted templates together.
    every = findings([r[0] for r in rows] + [f for r in rows for f in r[1:]])
    originals = ours = every
    bad = 0
    for orig, *emitted in rows:
        for e in emitted:
            new = ours.get(e, set()) - originals.get(orig, set())
            source = open(orig).read()
            new = {r for r in new if not (r in EXPECTED and EXPECTED[r] in source)}
            if new:
                bad += 1
                print(f"{e}: cfn-lint finds {sorted(new)}, not found in {orig}")
    print(f"cfn-lint on {len(rows)} fixtures and {2 * len(rows)} re-emitted templates: "
          f"{bad} with new findings")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main(sys.argv[1])
