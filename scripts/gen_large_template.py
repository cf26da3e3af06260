#!/usr/bin/env python3
"""Writes two large templates for benchmarks: copies of a template with every logical id
and reference renamed per copy, and a second version in which a given share of the
resources change (a property edited, a tag added, a create-only property changed).

Usage: gen_large_template.py SOURCE.json RESOURCES OLD.json NEW.json [CHANGED_SHARE]

The last copy is cut at RESOURCES, so a few references dangle: the output is benchmark
input for parse, diff and check, not a deployable stack.
"""

import json
import random
import re
import sys


def rename(v, ids, k):
    if isinstance(v, dict):
        if len(v) == 1:
            (fn, arg), = v.items()
            if fn == "Ref" and arg in ids:
                return {"Ref": f"{arg}C{k}"}
            if fn == "Fn::GetAtt" and isinstance(arg, list) and arg[0] in ids:
                return {"Fn::GetAtt": [f"{arg[0]}C{k}", arg[1]]}
            if fn == "Fn::Sub" and isinstance(arg, str):
                return {"Fn::Sub": re.sub(r"\$\{(\w+)", lambda m: "${" + (m.group(1) + f"C{k}" if m.group(1) in ids else m.group(1)), arg)}
        return {key: rename(x, ids, k) for key, x in v.items()}
    if isinstance(v, list):
        return [rename(x, ids, k) for x in v]
    return v


def main(src, n, old_path, new_path, share=0.1):
    t = json.load(open(src))
    ids = set(t["Resources"])
    resources = {}
    k = 0
    while len(resources) < n:
        for rid, r in t["Resources"].items():
            if len(resources) >= n:
                break
            r2 = rename(r, ids, k)
            if "DependsOn" in r2:
                r2["DependsOn"] = [f"{d}C{k}" for d in r2["DependsOn"]]
            resources[f"{rid}C{k}"] = r2
        k += 1
    old = {"AWSTemplateFormatVersion": "2010-09-09", "Description": "benchmark", "Resources": resources}
    new = json.loads(json.dumps(old))
    rng = random.Random(7)
    for rid in rng.sample(sorted(resources), int(n * share)):
        r = new["Resources"][rid]
        props = r.setdefault("Properties", {})
        kind = rng.randrange(3)
        if kind == 0 and "Tags" in props:
            props["Tags"].append({"Key": "CostCenter", "Value": "42"})
        elif kind == 1 and "CidrBlock" in props:
            props["CidrBlock"] = props["CidrBlock"].replace("10.", "10.2", 1)
        else:
            props["Description"] = "changed for the benchmark"
    json.dump(old, open(old_path, "w"), indent=2)
    json.dump(new, open(new_path, "w"), indent=2)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], *(float(x) for x in sys.argv[5:6]))
