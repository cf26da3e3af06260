#!/usr/bin/env python3
"""perimeter diff beside the AWS CDK's diff engine on before/after template pairs.

Usage: compare-diff.py PERIMETER_BIN PAIRS_DIR [--strict]

Runs `perimeter diff old new --format json` on every pair folder (made by git-pairs.py or
ci-pairs.py), and scripts/corpus/cdk-diff.cjs on those cfn-lint could read, then compares
resource by resource: each disagreement is put in a category (perimeter's verdict, the
CDK's verdict, and what distinguishes the case), with examples. The categories have been
adjudicated against the CloudFormation and SAM schemas (ADJUDICATED, below, with who is
right); the run fails when perimeter crashes and, with --strict, when a disagreement
falls in a category not adjudicated in perimeter's favour (a new kind of disagreement, or
one where perimeter is wrong).
"""

import collections
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# (perimeter's verdict, the CDK's, category) -> (who is right, why): each read case by
# case against the CloudFormation resource schemas (the pinned cfn-lint's) and the SAM
# specification (the pinned aws-sam-translator's), on the corpus of 2,332 pairs.
ADJUDICATED = {
    ("update", "replace", "SAM type"): ("perimeter", "the CDK knows no SAM type and reads every change as a replacement; the SAM specification passes these properties (Role, Policies, Environment, CodeUri, Runtime, DefinitionSubstitutions) to updatable properties of the resource it generates"),
    ("update", "none", "SAM type"): ("perimeter", "the value changes through a parameter default, or refers to a resource that may be replaced; the CDK compares text only"),
    ("may replace", "none", "spread along a reference"): ("perimeter", "the referring property is create-only in the schema and its target may be replaced; the CDK spreads only certain replacements"),
    ("update", "none", "spread along a reference"): ("perimeter", "a property that refers to a replaced (or possibly replaced) resource takes its new id, so CloudFormation updates the resource; the CDK does not look"),
    ("may replace", "replace", "spread along a reference"): ("perimeter", "the target may be replaced (its own change is resolved at deploy time), so the resource referring to it may be too; the CDK takes the target's replacement as certain"),
    ("may replace", "update", "spread along a reference"): ("perimeter", "the referring property (AutoScalingGroup LaunchConfigurationName) is conditionally create-only in the schema"),
    ("unknown", "none", "no schema facts for the type"): ("perimeter", "a property did change; the CDK reports NO_CHANGE for property changes of types missing from its spec (custom resources, registry types); with no schema, whether the change replaces is unknown"),
    ("unknown", "update", "no schema facts for the type"): ("perimeter", "no schema knows the type: update is the CDK's guess (a custom resource's provider may return a new physical id)"),
    ("update", "none", "through Mappings or a parameter default"): ("perimeter", "the value the property resolves to changes through a mapping or a parameter default; the CDK compares the unchanged text"),
    ("may replace", "none", "through Mappings or a parameter default"): ("perimeter", "as above, for a create-only property (or one referring to a resource replaced so): a deployment may override the default, hence may"),
    ("replace", "none", "through Mappings or a parameter default"): ("perimeter", "a create-only property (EC2 ImageId) takes a new value from a mapping for every key: certain replacement the CDK misses"),
    ("may replace", "replace", "through Mappings or a parameter default"): ("perimeter", "ImageId becomes an SSM parameter and InstanceType changes through a default: both may resolve to the old values; the CDK reads any text change of a create-only property as certain"),
    ("may replace", "replace", "create-only value resolved at deploy time"): ("perimeter", "the create-only value moves between expressions resolved at deploy time (parameters, Ref/GetAtt); they may resolve alike, so replacement is possible, not certain"),
    ("may replace", "replace", "conditionally create-only property"): ("perimeter", "the schema makes ECS Service LaunchType conditionally create-only; the CDK's spec says always"),
    ("may replace", "update", "conditionally create-only property"): ("perimeter", "the schema makes AutoScalingGroup LaunchConfigurationName and MixedInstancesPolicy conditionally create-only"),
    ("update", "may replace", "property the schema does not make create-only"): ("perimeter", "the schema does not make EMR Cluster Instances create-only (the CDK's older spec does)"),
    ("none", "replace", "unchanged, refers to a SAM resource the CDK replaces"): ("perimeter", "unchanged; the CDK spreads its mistaken replacement of a SAM resource"),
    ("none", "may replace", "unchanged, refers to a SAM resource the CDK replaces"): ("perimeter", "unchanged; the CDK spreads its mistaken replacement of a SAM resource"),
    ("none", "update", "unchanged resource"): ("perimeter", "identical in both templates; the CDK reports a Metadata difference in nested stacks whose Metadata holds a DependsOn key, which its normalization rewrites on one side only"),
}

# (perimeter broadens, the CDK broadens) -> (who is right, why).
BROADENING = {
    (True, False): ("perimeter", "grants inside Fn::If branches (a KMS key policy for CloudFront, a bucket policy granting s3:PutObject to *, Route 53 DNSSEC service principals): the CDK does not look inside Fn::If"),
    (False, True): ("perimeter", "a statement lost a resource (narrower); the CDK counts every changed statement as broadening"),
}


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
    if p == "update" and not reasons:
        return "property the schema does not make create-only"
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
        verdict = BROADENING.get((pb, cb), ("?", "not adjudicated"))
        print(f"  {len(cases):5}  broadens: perimeter {pb}, CDK {cb}  -> {verdict[0]}: {verdict[1]}")
        print(f"           e.g. {', '.join(os.path.relpath(x, root) for x in cases[:4])}")
    for d, msg in crashes[:10]:
        print(f"CRASH {d}: {msg}")
    for d, msg in unreadable[:15]:
        print(f"  unreadable {os.path.relpath(d, root)}: {msg}")
    for d, msg in cdk_crashes[:5]:
        print(f"  CDK crash {os.path.relpath(d, root)}: {msg[:200]}")
    wrong = {k: len(v) for k, v in cats.items() if ADJUDICATED.get(k, ("?",))[0] != "perimeter"}
    wrong.update({("broadens",) + k: len(v) for k, v in broad.items() if BROADENING.get(k, ("?",))[0] != "perimeter"})
    disagreements = sum(len(v) for v in cats.values()) + sum(len(v) for v in broad.values())
    print(f"disagreements: {disagreements}, in {len(cats) + len(broad)} categories; perimeter right in all but {sum(wrong.values())}")
    if crashes:
        sys.exit(f"{len(crashes)} perimeter crashes")
    if "--strict" in sys.argv and wrong:
        sys.exit(f"disagreements not adjudicated for perimeter: {wrong}")


if __name__ == "__main__":
    main()
