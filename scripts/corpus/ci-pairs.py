#!/usr/bin/env python3
"""The fixed diff sample CI runs: before/after pairs rebuilt from what the package
registries carry, here the fixture templates of the pinned cfn-lint source distribution
(scripts/fetch-cfn-lint-fixtures extracts them), real templates nobody here wrote:

  - files of the same name in different folders (good/x.yaml against bad/x.yaml: the
    same template before and after a change that breaks a rule, among others);
  - variants of one template in quickstart/ and public/ (nist_vpc_management against
    nist_vpc_production, vpc.json against vpc-management.json, a template in JSON against
    the same in YAML, which must diff empty).

Usage: ci-pairs.py FIXTURES_DIR OUT     Deterministic; nothing it writes is committed.
"""

import collections
import os
import re
import sys

import pairdir

EXTS = (".yaml", ".yml", ".json", ".template")


def main():
    root, out = sys.argv[1], sys.argv[2]
    files = []
    for dirpath, dirnames, names in os.walk(root):
        dirnames.sort()
        for n in sorted(names):
            if n.endswith(EXTS):
                files.append(os.path.join(dirpath, n))
    files.sort()
    pairs = []
    by_name = collections.defaultdict(list)
    for f in files:
        by_name[os.path.basename(f)].append(f)
    for name, paths in sorted(by_name.items()):
        for a, b in zip(paths, paths[1:]):
            pairs.append((a, b))
    # Variants: in a folder, files whose names share the part before the last '_' or '-'
    # (or differ only in extension).
    for folder in ("quickstart", "public"):
        d = os.path.join(root, folder)
        names = sorted(n for n in os.listdir(d) if n.endswith(EXTS)) if os.path.isdir(d) else []
        stems = collections.defaultdict(list)
        for n in names:
            stem = os.path.splitext(n)[0]
            stems[re.split(r"[_-](?=[^_-]*$)", stem)[0]].append(n)
        for stem, group in sorted(stems.items()):
            for a, b in zip(group, group[1:]):
                pairs.append((os.path.join(d, a), os.path.join(d, b)))
    written = 0
    for i, (a, b) in enumerate(pairs):
        old, new = open(a).read(), open(b).read()
        if "Resources" not in old or "Resources" not in new:
            continue
        # Both sides get the old side's extension: perimeter reads either format anyway.
        ext = os.path.splitext(a)[1]
        pairdir.write(os.path.join(out, f"{i:04}"), old, new, ext, {"old": os.path.relpath(a, root), "new": os.path.relpath(b, root)})
        written += 1
    print(f"{written} pairs in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
