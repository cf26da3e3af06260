#!/usr/bin/env python3
"""Distills what a Ref and an Fn::GetAtt of each resource type return, as cfn-lint's
formats (`AWS::EC2::VPC.Id`, `AWS::IAM::Role.Arn`, ...), into crates/perimeter-l1/data/ref-formats.json:

  refs     type -> the formats its Ref has (one, or the alternatives of an anyOf: a
           security group's Ref is its id or, without VpcId, its name); a type absent
           here returns a value of no known format (a role's Ref is its name)
  getatts  type -> attribute -> the formats of that attribute, where it has any

check compares them with the format a property takes (cfn-lint E1041, E1040): a Ref to
a role where a role ARN is due is refused by the service at deployment.

Reproducible: the output depends only on the pinned cfn-lint (requirements-dev.txt),
which this script checks. Run: python3 scripts/distill_ref_formats.py
"""

import json
import os
import re
import sys
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIN = re.search(r"^cfn-lint==(\S+)", open(os.path.join(ROOT, "requirements-dev.txt")).read(), re.M).group(1)
REGION = "us-east-1"  # the region with the widest set of types, as distill_schemas.py


def formats(schema):
    """The formats a value of this schema has: its own, or every alternative's."""
    if not isinstance(schema, dict):
        return []
    if isinstance(schema.get("format"), str):
        return [schema["format"]]
    alts = [a.get("format") for a in schema.get("anyOf", []) if isinstance(a, dict)]
    return alts if alts and all(isinstance(f, str) for f in alts) else []


def main():
    if metadata.version("cfn-lint") != PIN:
        sys.exit(f"cfn-lint {metadata.version('cfn-lint')} is installed; this script is pinned to {PIN}")
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER as manager

    refs, getatts = {}, {}
    for t in sorted(manager.get_resource_types(REGION)):
        if t.startswith("Custom::") or t.endswith("::MODULE"):
            continue
        schema = manager.get_resource_schema(REGION, t)
        try:
            f = formats(manager.get_type_ref(t, REGION))
        except AttributeError:  # no primaryIdentifier: cfn-lint has no Ref schema for it
            f = []
        if f:
            refs[t] = f
        attrs = {}
        for name, ptr in sorted(schema.get_atts.items()):
            try:
                f = formats(schema.resolver.resolve_cfn_pointer(ptr))
            except Exception:  # a pointer cfn-lint itself cannot resolve: no format
                f = []
            if f:
                attrs[name] = f
        if attrs:
            getatts[t] = attrs
    out = {"cfnLint": PIN, "region": REGION, "refs": refs, "getatts": getatts}
    with open(os.path.join(ROOT, "crates", "perimeter-l1", "data", "ref-formats.json"), "w") as fh:
        json.dump(out, fh, sort_keys=True, indent=1)
        fh.write("\n")
    print(f"crates/perimeter-l1/data/ref-formats.json: {len(refs)} types with a Ref format, {len(getatts)} with GetAtt formats")


if __name__ == "__main__":
    main()
