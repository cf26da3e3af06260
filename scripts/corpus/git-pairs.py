#!/usr/bin/env python3
"""Before/after pairs of real templates from the git history of public repositories.

For every commit on each repository's default branch (merges against their first parent) that modifies a template file
(.yaml, .yml, .json, .template whose text has a top-level Resources section), the file
before and after the commit becomes a pair folder: old.<ext>, new.<ext>, meta.json (repo,
commit, path), and old.cfn.json / new.cfn.json, the templates as cfn-lint's reader decodes
them (an independent reader, for the CDK's diff engine, which takes JSON only). Pairs
cfn-lint cannot decode are kept and marked, since perimeter must still not crash on them.

Usage: git-pairs.py OUT MAX_PER_REPO GIT_DIR...   (git dirs: the search tool's fetch)
Deterministic: commits in git's order, files sorted, the first MAX_PER_REPO pairs.
Nothing it writes is committed.
"""

import os
import re
import subprocess
import sys

import pairdir

EXTS = (".yaml", ".yml", ".json", ".template")
TOP = re.compile(r'^(Resources\s*:|"Resources"\s*:)|"Resources"\s*:\s*\{', re.M)


def git(repo, *args, check=True):
    return subprocess.run(["git", "-C", repo, *args], capture_output=True, check=check).stdout


def is_template(text):
    return bool(TOP.search(text)) and ("AWSTemplateFormatVersion" in text or "Type: AWS::" in text or '"Type": "AWS::' in text or "Transform" in text)


def main():
    out, limit, repos = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    total = 0
    for repo in repos:
        name = repo.rstrip("/").split("/.mirror/")[-1].split("/")[0]
        # A snapshot may lack large objects: git stops there, and what it listed is used.
        log = git(repo, "log", "HEAD", "--first-parent", "-m", "--format=@%H %P", "--name-status", "--diff-filter=M", check=False).decode("utf-8", "replace")
        count = 0
        commit = parent = None
        for line in log.splitlines():
            if count >= limit:
                break
            if line.startswith("@"):
                parts = line[1:].split()
                commit, parent = parts[0], (parts[1] if len(parts) > 1 else None)
                continue
            if not line.startswith("M\t") or parent is None:
                continue
            path = line[2:]
            if not path.endswith(EXTS):
                continue
            try:
                old = git(repo, "show", f"{parent}:{path}").decode("utf-8")
                new = git(repo, "show", f"{commit}:{path}").decode("utf-8")
            except (subprocess.CalledProcessError, UnicodeDecodeError):
                continue
            if old == new or not is_template(old) or not is_template(new) or len(old) > 1_000_000 or len(new) > 1_000_000:
                continue
            d = os.path.join(out, name, f"{count:05}")
            pairdir.write(d, old, new, os.path.splitext(path)[1], {"repo": name, "commit": commit, "path": path})
            count += 1
        print(f"{name}: {count} pairs", file=sys.stderr)
        total += count
    print(f"{total} pairs in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
