"""One before/after pair as a folder: old.<ext>, new.<ext>, meta.json, and old.cfn.json /
new.cfn.json, the templates as cfn-lint's reader decodes them (an independent reader, for
the CDK's diff engine, which takes JSON only). Shared by git-pairs.py and ci-pairs.py."""

import json
import os


def decode(text):
    """The template as cfn-lint reads it, or None."""
    from cfnlint.decode import decode_str
    try:
        template, matches = decode_str(text)
    except Exception:
        return None
    if matches or not isinstance(template, dict):
        return None
    return json.loads(json.dumps(template, default=str))


def write(folder, old, new, ext, meta):
    os.makedirs(folder, exist_ok=True)
    open(os.path.join(folder, "old" + ext), "w").write(old)
    open(os.path.join(folder, "new" + ext), "w").write(new)
    meta = dict(meta, ext=ext)
    for side, text in (("old", old), ("new", new)):
        t = decode(text)
        if t is None:
            meta[f"{side}_cfn_lint_unreadable"] = True
        else:
            json.dump(t, open(os.path.join(folder, f"{side}.cfn.json"), "w"))
    json.dump(meta, open(os.path.join(folder, "meta.json"), "w"))
