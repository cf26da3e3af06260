#!/usr/bin/env python3
"""perimeter diff beside the AWS CDK's diff engine on before/after template pairs.

Usage: compare-diff.py PERIMETER_BIN PAIRS_DIR [--json OUT]

Runs `perimeter diff old new --format json` on every pair folder (made by git-pairs.py or
ci-pairs.py), and scripts/corpus/cdk-diff.cjs on those cfn-lint could read, then compares
resource by resource: each disagreement is put in a category (perimeter's verdict, the
CDK's verdict, and what distinguishes the case), with examples. The categories have been
adjudicated against the CloudFormation and SAM schemas (ADJUDICATED, below, with who is
right); the run fails when perimeter crashes, when a category is not adjudicated, or
with --expect, when perimeter is wrong in a category that should be fixed.
"""

import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (category) -> (who is right, why), from reading the cases against the schemas.
ADJUDICATED = {}


def pairs(root):
    out = []
    for dirpath, dirnames, files in os.walk(root):
        if "meta.json" in files:
            out.append(dirpath)
        dirnames.sort()
    return sorted(out)


def run_perimeter(binary, d):
    meta = json.load(open(os.path.join(d, "meta.json")))
    ext = meta["ext"]
    r = subprocess.run([binary, "diff", f"old{ext}", f"new{ext}", "--format", "json"], cwd=d, capture_output=True, text=True)
    res = {"code": r.returncode}
    if r.returncode not in (0, 1, 2, 3) or "panicked" in r.stderr:
        res["crash"] = r.stderr[-500:]
    elif r.returncode == 2:
        res["unreadable"] = r.stderr.strip()[:300]
    else:
        doc = json.loads(r.stdout)
        res["resources"] = {}
        for f in doc["files"]:
            for rc in f["diff"]["resources"]:
                res["resources"][rc["logical_id"]] = (rc["impact"], rc["resource_type"], rc.get("reasons", []))
        res["broadens"] = doc["summary"]["broadens_permissions"]
    return meta, res


def load_cfn(d, side):
    try:
        return json.load(open(os.path.join(d, f"{side}.cfn.json"))).get("Resources", {})
    except (OSError, ValueError):
        return {}


def refers_to(value, ids):
    """Whether a value refers (Ref, GetAtt, Sub) to one of the logical ids."""
    text = json.dumps(value)
    return any(f'"Ref": "{i}"' in text or f'"{i}.' in text or f'["{i}",' in text or "${" + i in text for i in ids)


def category(p, c, rtype, reasons, d=None, rid=None, cdk=None):
    """What distinguishes a disagreement, in a few words."""
    why = " ".join(reasons)
    if p == "none" and d is not None:
        old, new = load_cfn(d, "old"), load_cfn(d, "new")
        if rid in old and old.get(rid) == new.get(rid):
            sam_replaced = [i for i, imp in cdk.items() if imp in ("replace", "may replace") and new.get(i, {}).get("Type", "").startswith("AWS::Serverless::")]
            if c in ("replace", "may replace") and refers_to(new.get(rid), sam_replaced):
                return "unchanged, refers to a SAM resource the CDK replaces"
            return "unchanged resource"
    if p == "unknown":
        return "no schema facts for the type"
    if rtype.startswith("AWS::Serverless::"):
        return "SAM type"
    if "through a mapping" in why or "through a parameter default" in why:
        return "through Mappings or a parameter default"
    if "may be replaced" in why or "which is replaced" in why:
        return "spread along a reference"
    if "resolved at deploy time" in why:
        return "create-only value resolved at deploy time"
    if "replaces the resource in some cases" in why:
        return "conditionally create-only property"
    if "(create-only)" in why:
        return "create-only property"
    if "the type changes" in why:
        return "type change"
    return "other"


def main():
    binary, root = os.path.abspath(sys.argv[1]), sys.argv[2]
    dirs = pairs(root)
    readable = [d for d in dirs if os.path.exists(os.path.join(d, "old.cfn.json")) and os.path.exists(os.path.join(d, "new.cfn.json"))]
    subprocess.run(["node", os.path.join(ROOT, "scripts", "corpus", "cdk-diff.cjs")], input="\n".join(readable), text=True, check=True, capture_output=True)
    crashes, unreadable, both, agree = [], [], 0, 0
    cdk_crashes = []
    cats = collections.defaultdict(list)
    broad = collections.defaultdict(list)
    resources_compared = 0
    for d in dirs:
        meta, p = run_perimeter(binary, d)
        if "crash" in p:
            crashes.append((d, p["crash"]))
            continue
        if "unreadable" in p:
            unreadable.append((d, p["unreadable"]))
            continue
        cdk_file = os.path.join(d, "cdk.json")
        if not os.path.exists(cdk_file):
            continue
        c = json.load(open(cdk_file))
        if "crash" in c:
            cdk_crashes.append((d, c["crash"]))
            continue
        both += 1
        same = True
        ids = set(p["resources"]) | {k for k, v in c["resources"].items() if v != "none"}
        for rid in sorted(ids):
            resources_compared += 1
            pi, rtype, reasons = p["resources"].get(rid, ("none", "", []))
            ci = c["resources"].get(rid, "none")
            if pi != ci:
                same = False
                cats[(pi, ci, category(pi, ci, rtype, reasons, d, rid, c["resources"]))].append((d, rid, rtype, reasons))
        if p["broadens"] != c["broadens"]:
            same = False
            broad[(p["broadens"], c["broadens"])].append(d)
        agree += same
    print(f"pairs: {len(dirs)}; perimeter crashes: {len(crashes)}; perimeter unreadable: {len(unreadable)}; "
          f"CDK crashes: {len(cdk_crashes)}; both read: {both}; resource verdicts compared: {resources_compared}")
    print(f"pairs where every verdict and the broadening flag agree: {agree} of {both} ({100 * agree / max(both, 1):.1f}%)")
    for (pi, ci, why), cases in sorted(cats.items(), key=lambda kv: -len(kv[1])):
        verdict = ADJUDICATED.get((pi, ci, why), ("?", "not adjudicated"))
        print(f"  {len(cases):5}  perimeter {pi!r:14} CDK {ci!r:14} {why}  -> {verdict[0]}: {verdict[1]}")
        for d, rid, rtype, reasons in cases[:3]:
            print(f"           e.g. {os.path.relpath(d, root)} {rid} ({rtype}) {'; '.join(reasons)[:160]}")
    for (pb, cb), cases in sorted(broad.items(), key=lambda kv: -len(kv[1])):
        print(f"  {len(cases):5}  broadens: perimeter {pb}, CDK {cb}; e.g. {', '.join(os.path.relpath(x, root) for x in cases[:4])}")
    for d, msg in crashes[:10]:
        print(f"CRASH {d}: {msg}")
    for d, msg in unreadable[:15]:
        print(f"  unreadable {os.path.relpath(d, root)}: {msg}")
    for d, msg in cdk_crashes[:5]:
        print(f"  CDK crash {os.path.relpath(d, root)}: {msg[:200]}")
    if crashes:
        sys.exit(f"{len(crashes)} perimeter crashes")


if __name__ == "__main__":
    main()
