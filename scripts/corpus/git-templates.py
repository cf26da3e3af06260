#!/usr/bin/env python3
"""The templates at the newest commit of public repositories, copied into a folder.

Every file at HEAD ending in .yaml, .yml, .json or .template whose text has a top-level
Resources section and names a resource type (the same test as git-pairs.py) is written to
OUT/<repo>/<path>. Deterministic: files in git's order; nothing it writes is committed.

Usage: git-templates.py OUT GIT_DIR...   (git dirs: the search tool's fetch)
"""

import os
import subprocess
import sys

from importlib import import_module

pairs = import_module("git-pairs")


def main():
    out, repos = sys.argv[1], sys.argv[2:]
    total = 0
    for repo in repos:
        name = repo.rstrip("/").split("/.mirror/")[-1].split("/")[0]
        listing = pairs.git(repo, "ls-tree", "-r", "-z", "HEAD", check=False).decode("utf-8", "replace")
        entries = []
        for item in listing.split("\0"):
            if not item:
                continue
            meta, path = item.split("\t", 1)
            mode, kind, sha = meta.split()
            if kind == "blob" and path.endswith(pairs.EXTS) and "node_modules/" not in path:
                entries.append((sha, path))
        # One cat-file process for the whole repository: a process per file is slow.
        batch = subprocess.run(["git", "-C", repo, "cat-file", "--batch"], input="".join(f"{s}\n" for s, _ in entries).encode(),
                               capture_output=True, check=False).stdout
        pos = 0
        count = 0
        for _sha, path in entries:
            end = batch.index(b"\n", pos)
            header = batch[pos:end].split()
            if len(header) < 3 or header[1] != b"blob":
                pos = end + 1
                continue
            size = int(header[2])
            body = batch[end + 1:end + 1 + size]
            pos = end + 1 + size + 1
            try:
                text = body.decode("utf-8")
            except UnicodeDecodeError:
                continue
            if not pairs.is_template(text):
                continue
            dest = os.path.join(out, name, path)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            with open(dest, "w", encoding="utf-8") as f:
                f.write(text)
            count += 1
        print(f"{name}: {count} templates")
        total += count
    print(f"{total} templates in {out}")


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    main()
