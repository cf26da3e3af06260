#!/usr/bin/env python3
"""Distills the CloudFormation resource provider schemas that ship inside the cfn-lint
package into the data and code perimeter builds on:

  data/lambda-runtimes.json    Lambda runtimes' deprecation and block dates
  crates/perimeter-l1/data/schema-facts.jsonl
                               one line per resource type: required, createOnly,
                               conditionalCreateOnly, readOnly, getAtt (the GetAtt
                               attributes cfn-lint accepts),
                               and the property tree (types, enums, set-like lists)
  data/service-rules.json      cfn-lint's service rules written as JSON-schema extensions
                               (ports a protocol needs, RDS engine versions, S3 ACLs and
                               ownership, ...): rule id, description, where they apply
                               and the schema, for the keywords check evaluates
  crates/perimeter-l1/data/regions.txt, formats.json
                               the regions the schemas ship for; cfn-lint's formats
  crates/perimeter-l1/src/l1/<svc>.rs
                               typed L1 property structs for every type (L1_TYPES always
                               built, the others behind the cargo feature l1-<svc>), and
                               the features in crates/perimeter-l1/Cargo.toml (forwarded
                               by the root Cargo.toml's, between the same markers)

Reproducible: the output depends only on the pinned cfn-lint version, which this
script checks. Run: python3 scripts/distill_schemas.py
"""

import json
import os
import re
import subprocess
import sys
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# The L1 crate (crates/perimeter-l1): its generated code and the data files it includes.
L1_CRATE = os.path.join(ROOT, "crates", "perimeter-l1")
# The pin lives in requirements-dev.txt, shared with the test script.
CFN_LINT_VERSION = re.search(r"^cfn-lint==(\S+)", open(os.path.join(ROOT, "requirements-dev.txt")).read(), re.M).group(1)
REGION = "us_east_1"  # the region with the widest set of types

L1_TYPES = [
    "AWS::EC2::VPC",
    "AWS::EC2::Subnet",
    "AWS::EC2::RouteTable",
    "AWS::EC2::SubnetRouteTableAssociation",
    "AWS::EC2::SecurityGroup",
    "AWS::EC2::SecurityGroupIngress",
    "AWS::EC2::SecurityGroupEgress",
    "AWS::EC2::VPCEndpoint",
    "AWS::EC2::VPNGateway",
    "AWS::EC2::VPCGatewayAttachment",
    "AWS::EC2::VPNGatewayRoutePropagation",
    "AWS::EC2::FlowLog",
    "AWS::DirectConnect::DirectConnectGateway",
    "AWS::DirectConnect::DirectConnectGatewayAssociation",
    "AWS::Route53Resolver::ResolverEndpoint",
    "AWS::IAM::Role",
    "AWS::IAM::Policy",
    "AWS::IAM::ManagedPolicy",
    "AWS::Lambda::Function",
    "AWS::Lambda::Permission",
    "AWS::Logs::LogGroup",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBSubnetGroup",
    "AWS::SecretsManager::Secret",
    "AWS::KMS::Key",
    # The data-service constructs (src/constructs/{table,bucket,queue,topic,...}.rs).
    "AWS::DynamoDB::Table",
    "AWS::S3::Bucket",
    "AWS::S3::BucketPolicy",
    "AWS::SecretsManager::ResourcePolicy",
    "AWS::SQS::Queue",
    "AWS::SQS::QueuePolicy",
    "AWS::SNS::Topic",
    "AWS::SNS::TopicPolicy",
    "AWS::SSM::Parameter",
]


def load_schemas():
    version = metadata.version("cfn-lint")
    if version != CFN_LINT_VERSION:
        sys.exit(f"cfn-lint {version} is installed; this script is pinned to {CFN_LINT_VERSION} "
                 f"(pip install cfn-lint=={CFN_LINT_VERSION})")
    import cfnlint
    base = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas")
    src = open(os.path.join(base, "providers", REGION + ".py")).read()
    types = dict(re.findall(r'"([^"]+)": "([0-9a-f]{16})"', src))
    out = {}
    for name, h in sorted(types.items()):
        with open(os.path.join(base, "resources", h + ".json")) as f:
            out[name] = json.load(f)
    return out


# ---------- facts ----------

EXCLUSIVE_KEYS = ("requiredXor", "oneOf", "anyOf", "dependentRequired", "dependentExcluded", "requiredOr")


def ref_name(ref):
    return ref.split("/")[-1]


def fact_node(node):
    """A compact property node: t type, e enum, u unordered (set), i items, p properties,
    m map values, $ definition name, r required, x exclusivity constraints, f formats,
    k minItems, K maxItems, q uniqueItems, g pattern, l [minLength, maxLength],
    n [minimum, maximum]."""
    if not isinstance(node, dict):
        return {}
    if "$ref" in node:
        # The definition's facts, and the node's own list and string bounds beside the
        # reference (a DynamoDB local index's KeySchema: a KeySchema of exactly 2 items).
        n = {"$": ref_name(node["$ref"])}
        n.update(own_bounds(node))
        return n
    n = {}
    if "type" in node:
        n["t"] = node["type"]
    if "enum" in node:
        n["e"] = node["enum"]
    if node.get("insertionOrder") is False:
        n["u"] = True
    if "items" in node:
        n["i"] = fact_node(node["items"])
    if "properties" in node:
        n["p"] = {k: fact_node(v) for k, v in sorted(node["properties"].items())}
    pp = node.get("patternProperties")
    if pp:
        n["m"] = fact_node(next(iter(pp.values())))
    elif isinstance(node.get("additionalProperties"), dict):
        n["m"] = fact_node(node["additionalProperties"])
    if required_of(node):
        n["r"] = required_of(node)
    # Formats: the node's own, or alternatives each naming one (a KMS key as an ARN, an id
    # or an alias): a value must have one of them.
    if isinstance(node.get("format"), str):
        n["f"] = [node["format"]]
    else:
        alts = node.get("anyOf") or node.get("oneOf") or []
        formats = [a.get("format") for a in alts if isinstance(a, dict)]
        if formats and all(isinstance(f, str) for f in formats):
            n["f"] = formats
    if isinstance(node.get("minItems"), int) and node["minItems"] > 0:
        n["k"] = node["minItems"]
    # Value constraints cfn-lint judges (E3031 pattern, E3033 length, E3034 range, E3032
    # maxItems): the library applies each to the values it applies to, as cfn-lint does.
    if isinstance(node.get("pattern"), str):
        n["g"] = node["pattern"]
    length = [node.get("minLength"), node.get("maxLength")]
    if any(isinstance(v, int) for v in length):
        n["l"] = [v if isinstance(v, int) else None for v in length]
    bounds = [node.get("minimum"), node.get("maximum")]
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds):
        n["n"] = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in bounds]
    if isinstance(node.get("maxItems"), int):
        n["K"] = node["maxItems"]
    # uniqueItems (cfn-lint E3037): the provider refuses a list with an item twice.
    if node.get("uniqueItems") is True:
        n["q"] = True
    x = exclusivity(node)
    if x:
        n["x"] = x
    return n


def own_bounds(node):
    """The bounds a node beside a `$ref` puts on the value (k, K, l, n as in fact_node)."""
    n = {}
    if isinstance(node.get("minItems"), int) and node["minItems"] > 0:
        n["k"] = node["minItems"]
    if isinstance(node.get("maxItems"), int):
        n["K"] = node["maxItems"]
    length = [node.get("minLength"), node.get("maxLength")]
    if any(isinstance(v, int) for v in length):
        n["l"] = [v if isinstance(v, int) else None for v in length]
    return n


def exclusivity(node):
    """The exclusivity constraints of an object node (or of a type's properties)."""
    x = {}
    for k in EXCLUSIVE_KEYS:
        if k in node:
            v = node[k]
            if k in ("oneOf", "anyOf"):
                # Only the "one of these must be present" form is a fact we use.
                reqs = [o.get("required") for o in v if isinstance(o, dict) and set(o) <= {"required"}]
                if reqs and all(reqs):
                    x[k] = reqs
                else:
                    alts = [alternative(o) for o in v]
                    if alts and all(a is not None for a in alts):
                        x[k + "Alt"] = alts
            else:
                x[k] = v
    # The older `dependencies` keyword, in its array form, says what dependentRequired
    # says (a property present requires these); its schema form is left out. Only where
    # the node has the property it names (two schemas put it on a property's own node).
    deps = node.get("dependencies")
    props = node.get("properties") or {}
    if isinstance(deps, dict):
        for key, needs in sorted(deps.items()):
            if isinstance(needs, list) and key in props:
                merged = x.setdefault("dependentRequired", {})
                merged[key] = sorted(set(merged.get(key, [])) | set(needs))
    return x


# The keywords of a oneOf/anyOf alternative check evaluates (cfn-lint E3018, E3017): a
# group with any other keyword is left out, as a verdict on part of it could be wrong.
ALT_KEYWORDS = {"type", "enum", "pattern", "minLength", "maxLength", "minimum", "maximum", "required",
                "properties", "additionalProperties", "title", "description", "$ref"}


def alternative(node):
    """One alternative of a oneOf/anyOf as a compact node (t, e, g, l, n, r as in
    fact_node; p its properties' alternatives; c when no other property is allowed; $ a
    definition), or None when it says what check does not evaluate."""
    if not isinstance(node, dict) or not set(node) <= ALT_KEYWORDS:
        return None
    if "format" in node or node.get("additionalProperties") not in (None, False):
        return None
    if "$ref" in node:
        return {"$": ref_name(node["$ref"])} if set(node) <= {"$ref", "title", "description"} else None
    n = {}
    for key, short in (("type", "t"), ("enum", "e"), ("pattern", "g"), ("required", "r")):
        if key in node:
            n[short] = node[key]
    length = [node.get("minLength"), node.get("maxLength")]
    if any(isinstance(v, int) for v in length):
        n["l"] = [v if isinstance(v, int) else None for v in length]
    bounds = [node.get("minimum"), node.get("maximum")]
    if any(isinstance(v, (int, float)) and not isinstance(v, bool) for v in bounds):
        n["n"] = [v if isinstance(v, (int, float)) and not isinstance(v, bool) else None for v in bounds]
    if node.get("additionalProperties") is False:
        n["c"] = True
    if "properties" in node:
        props = {k: alternative(v) for k, v in sorted(node["properties"].items())}
        if any(v is None for v in props.values()):
            return None
        n["p"] = props
    return n


def pointer_to_name(p):
    # "/properties/Endpoint/Address" -> "Endpoint.Address"
    return ".".join(p.split("/")[2:])


def get_atts(name):
    """The Fn::GetAtt attributes cfn-lint accepts: the read-only properties, and for some
    types every property (cfn-lint keeps those lists beside the schemas). Patterns such
    as `Outputs\\..*` are kept as cfn-lint writes them."""
    from cfnlint.schema import PROVIDER_SCHEMA_MANAGER
    try:
        return sorted(PROVIDER_SCHEMA_MANAGER.get_type_getatts(name, REGION.replace("_", "-")).keys())
    except Exception:
        return []


def primary_ids(name, s):
    """The properties whose values identify a resource of the type, when a template sets
    them all at the root of Properties (none read-only), as cfn-lint's E3019 reads the
    schema, with its exceptions (CodeBuild projects by Name)."""
    from cfnlint.rules.resources.PrimaryIdentifiers import PrimaryIdentifiers
    exceptions = PrimaryIdentifiers().config.get("exceptions", {})
    ids = exceptions.get(name, s).get("primaryIdentifier", [])
    read_only = exceptions.get(name, s).get("readOnlyProperties", [])
    if not ids or any(i in read_only for i in ids):
        return []
    ids = [i.replace("/properties/", "") for i in ids]
    if any("/" in i for i in ids):
        return []
    return ids


def facts(name, s):
    out = {
        "type": name,
        "required": required_of(s),
        "createOnly": [pointer_to_name(p) for p in s.get("createOnlyProperties", [])],
        "conditionalCreateOnly": [pointer_to_name(p) for p in s.get("conditionalCreateOnlyProperties", [])],
        "readOnly": [pointer_to_name(p) for p in s.get("readOnlyProperties", []) if "*" not in p],
        "writeOnly": [pointer_to_name(p) for p in s.get("writeOnlyProperties", [])],
        "getAtt": get_atts(name),
        "props": {k: fact_node(v) for k, v in sorted(s.get("properties", {}).items())},
        "defs": {k: fact_node(v) for k, v in sorted(s.get("definitions", {}).items())},
    }
    # The type's own exclusivity constraints (a security group's egress rules need its
    # VpcId, cfn-lint E3021), as for nested objects.
    x = exclusivity(s)
    if x:
        out["x"] = x
    ids = primary_ids(name, s)
    if ids:
        out["primaryIds"] = ids
    # cfn-lint's patch: the service shut down, sunsetting or in maintenance, and since when.
    if "lifecycle" in s:
        out["lifecycle"] = s["lifecycle"]
    return out


# ---------- formats ----------

def formats():
    """cfn-lint's format keywords (an AMI id, a KMS key ARN, ...): its rule and pattern."""
    import importlib
    import pkgutil
    import cfnlint.rules.formats
    from cfnlint.rules.formats.FormatKeyword import FormatKeyword
    out = {}
    for mod in pkgutil.iter_modules(cfnlint.rules.formats.__path__, "cfnlint.rules.formats."):
        module = importlib.import_module(mod.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, FormatKeyword) and obj is not FormatKeyword:
                rule = obj()
                if rule.pattern:
                    out[rule.format_keyword] = {"rule": rule.id, "pattern": rule.pattern}
    return out


# ---------- service rules ----------

# The JSON-schema keywords check's evaluator knows (src/check/service_rules.rs). A rule
# whose schema uses another (cfn-lint's own `cfnGather`, `$data`, regional tables) is
# left out: better no verdict than a wrong one.
KNOWN_KEYWORDS = {"properties", "patternProperties", "additionalProperties", "propertyNames", "type",
                  "const", "enum", "required", "if", "then", "else", "pattern", "allOf", "anyOf",
                  "oneOf", "not", "items", "contains", "minimum", "maximum", "exclusiveMinimum",
                  "exclusiveMaximum", "multipleOf", "minItems", "maxItems", "minLength", "maxLength",
                  "minProperties", "maxProperties", "dependentRequired", "dependentExcluded",
                  "description", "$ref", "definitions", "format"}
# Rules whose cfn-lint code lowercases a property before the schema sees it.
LOWERCASED = {"E3691": ["Engine"]}
# A schema this large (E3062's instance classes per engine and version: 3 MB) would
# double the binary's data for one rule.
MAX_SCHEMA_BYTES = 100_000
MAPS = ("properties", "patternProperties", "definitions", "dependentRequired", "dependentExcluded")
LEAVES = ("enum", "const", "required", "description", "$ref", "pattern", "type", "format")


def schema_keywords(x, out):
    """The keywords a schema uses (the names under maps of subschemas are not keywords)."""
    if isinstance(x, dict):
        for k, v in x.items():
            out.add(k)
            if k in MAPS and isinstance(v, dict):
                for sub in v.values():
                    schema_keywords(sub, out)
            elif k not in LEAVES:
                schema_keywords(v, out)
    elif isinstance(x, list):
        for v in x:
            schema_keywords(v, out)
    return out


def rule_descriptions():
    """cfn-lint's rules' descriptions by id."""
    import importlib
    import pkgutil
    import cfnlint.rules
    from cfnlint.rules import CloudFormationLintRule
    out = {}
    for mod in pkgutil.walk_packages(cfnlint.rules.__path__, "cfnlint.rules."):
        module = importlib.import_module(mod.name)
        for obj in vars(module).values():
            if isinstance(obj, type) and issubclass(obj, CloudFormationLintRule) and getattr(obj, "id", ""):
                out.setdefault(obj.id, " ".join((obj.description or obj.shortdesc or "").split()))
    return out


def service_rules():
    """cfn-lint's error rules that are a JSON schema applied at resource paths."""
    import importlib
    import pkgutil
    import cfnlint.rules
    from cfnlint.rules.jsonschema.CfnLintJsonSchema import CfnLintJsonSchema
    found = {}
    for mod in pkgutil.walk_packages(cfnlint.rules.__path__, "cfnlint.rules."):
        module = importlib.import_module(mod.name)
        for obj in vars(module).values():
            if not (isinstance(obj, type) and issubclass(obj, CfnLintJsonSchema) and obj is not CfnLintJsonSchema):
                continue
            try:
                rule = obj()
            except TypeError:
                continue
            if not rule.id.startswith("E") or not rule.schema or rule.id in found:
                continue
            keywords = [k for k in rule.keywords if k.startswith("Resources/") and "/Properties" in k]
            if not keywords or not schema_keywords(rule.schema, set()) <= KNOWN_KEYWORDS:
                continue
            if len(json.dumps(rule.schema)) > MAX_SCHEMA_BYTES:
                continue
            found[rule.id] = {
                "id": rule.id,
                "description": rule.description.strip(),
                "at": keywords,
                "schema": rule.schema,
                "lowercase": LOWERCASED.get(rule.id, []),
            }
    return [found[k] for k in sorted(found)]


# ---------- the schemas' own compound constraints ----------

# A provider schema's `allOf` parts that the facts do not hold (a DynamoDB table's "with
# local secondary indexes, two key attributes": an if/then; a metric stream's "not both
# filters": a oneOf inside allOf) are judged by the same evaluator as the service rules,
# each under the cfn-lint rule that reports it and the check rule that corresponds.
# Keyword -> (cfn-lint rule, check rule).
PART_RULES = {"required": ("E3003", "S103"), "oneOf": ("E3018", "S106"), "anyOf": ("E3017", "S106"),
              "minItems": ("E3032", "S105"), "maxItems": ("E3032", "S105")}


def required_of(node):
    """A node's required properties: its own `required` and those its `allOf` requires
    unconditionally (a metric stream's FirehoseArn, RoleArn and OutputFormat)."""
    out = list(node.get("required", []))
    for part in allof_parts(node):
        if list(part) == ["required"] and isinstance(part["required"], list):
            out += [r for r in part["required"] if r not in out]
    return out


def allof_parts(node):
    """The parts of a node's `allOf`, nested allOf flattened, each keyword on its own
    (an if/then/else together)."""
    for part in node.get("allOf", []):
        if not isinstance(part, dict):
            continue
        rest = {k: v for k, v in part.items() if k not in ("allOf", "if", "then", "else")}
        if "if" in part and ("then" in part or "else" in part):
            yield {k: part[k] for k in ("if", "then", "else") if k in part}
        for k, v in sorted(rest.items()):
            yield {k: v}
        yield from allof_parts(part)


def split_then(part):
    """An if/then whose `then` constrains several properties, as one part a property (each
    failing property is reported, as cfn-lint does)."""
    then = part.get("then")
    if "else" in part or not isinstance(then, dict) or set(then) - {"properties", "type"}:
        return [part]
    props = then.get("properties") or {}
    if len(props) < 2:
        return [part]
    return [dict(part, then=dict(then, properties={k: v})) for k, v in sorted(props.items())]


def part_rule(part):
    """(cfn-lint rule, check rule) of one part, or None when it is not one check judges."""
    if "$ref" in json.dumps(part) or not schema_keywords(part, set()) <= KNOWN_KEYWORDS:
        return None
    if "if" in part:
        # What the branches demand decides the rule: one kind of keyword only.
        demanded = set()
        for branch in (part.get("then"), part.get("else")):
            if isinstance(branch, dict):
                demanded |= schema_keywords(branch, set()) - {"type", "properties"}
        found = {PART_RULES.get(k) for k in demanded}
        return found.pop() if len(found) == 1 and None not in found else None
    (key,) = part
    return PART_RULES.get(key)


def definition_paths(s, name, prefix="Properties", node=None, depth=0, seen=()):
    """Where a definition is used below a resource's Properties (`*`: a list's items)."""
    node = {"properties": s.get("properties", {})} if node is None else node
    out = []
    if depth > 8 or not isinstance(node, dict):
        return out
    if "$ref" in node:
        target = ref_name(node["$ref"])
        if target == name:
            out.append(prefix)
        if target in seen:
            return out
        return out + definition_paths(s, name, prefix, s.get("definitions", {}).get(target), depth + 1, seen + (target,))
    for k, v in sorted((node.get("properties") or {}).items()):
        out += definition_paths(s, name, prefix + "/" + k, v, depth + 1, seen)
    if isinstance(node.get("items"), dict):
        out += definition_paths(s, name, prefix + "/*", node["items"], depth + 1, seen)
    return out


def schema_rules(schemas, descriptions):
    """The schemas' compound constraints as rules for the service-rule evaluator."""
    out = []
    for name, s in schemas.items():
        places = [("Properties", s)] + [(d, node) for d, node in sorted(s.get("definitions", {}).items())]
        for where, node in places:
            if not isinstance(node, dict) or "allOf" not in node:
                continue
            at = [f"Resources/{name}/Properties"] if where == "Properties" else \
                [f"Resources/{name}/{p}" for p in definition_paths(s, where)]
            if not at:
                continue
            for whole in allof_parts(node):
                # A required list is in the facts' own (required_of): judged there.
                if list(whole) == ["required"]:
                    continue
                for part in split_then(whole):
                    rule = part_rule(part)
                    if rule is None:
                        continue
                    out.append({"id": rule[0], "description": descriptions.get(rule[0], ""), "at": at,
                                "schema": part, "lowercase": [], "rule": rule[1]})
    return out


# ---------- L1 code ----------

KEYWORDS = {"type", "ref", "match", "loop", "mod", "move", "self", "super", "use", "where",
            "async", "await", "dyn", "enum", "fn", "impl", "in", "let", "mut", "pub", "return",
            "static", "struct", "trait", "true", "false", "const", "crate", "extern", "for",
            "if", "else", "as", "break", "continue", "unsafe", "while", "box", "final", "macro",
            "override", "priv", "typeof", "unsized", "virtual", "yield", "try", "abstract", "become", "do"}


def snake(name):
    s = name.replace("IPv6", "Ipv6").replace("IPv4", "Ipv4").replace(".", "_")
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", s)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"[^a-z0-9_]", "_", s.lower())
    s = re.sub(r"_+", "_", s).strip("_") or "field"
    if s[0].isdigit():
        s = "n" + s
    return s + "_" if s in KEYWORDS else s


# Names the generated modules import or Rust's prelude holds: a struct of one of these
# names gets a suffix.
RESERVED_TYPES = {"Bool", "Int", "Num", "Str", "Json", "List", "Map", "Value", "ToValue",
                  "Handle", "ResourceProps", "BTreeMap", "Option", "Some", "None", "Vec",
                  "String", "Box", "Self", "Result", "Ok", "Err"}


def pascal(name):
    """Rust type name: acronym runs become words (VPCEndpoint -> VpcEndpoint)."""
    p = "".join(w.capitalize() for w in snake(name).rstrip("_").split("_") if w)
    return p + "Type" if p in RESERVED_TYPES else p


def doc_line(text):
    if not text:
        return None
    text = " ".join(text.split())
    m = re.match(r"(.+?\.)(\s|$)", text)
    first = m.group(1) if m else text
    if len(first) > 160:
        first = first[:157].rsplit(" ", 1)[0] + "..."
    return first.replace("[", "\\[").replace("]", "\\]").replace("<", "&lt;").replace(">", "&gt;")


class Module:
    """The generated code for one resource type."""

    def __init__(self, type_name, schema):
        self.type_name = type_name
        self.schema = schema
        self.defs = schema.get("definitions", {})
        self.structs = {}  # name -> (schema node, doc)
        self.order = []
        self.res_name = pascal(type_name.split("::")[-1])

    def struct_for(self, name, node, doc=None):
        name = pascal(name)
        if name not in self.structs:
            self.structs[name] = None  # in progress: a field naming it again is untyped
            self.order.append(name)
            self.types = getattr(self, "types", {})
            for pname, pnode in node.get("properties", {}).items():
                self.types[(name, pname)] = self.rust_type(pname, pnode)
            self.structs[name] = (node, doc)
        return name

    def rust_type(self, pname, node, boxed=False):
        if "$ref" in node:
            d = ref_name(node["$ref"])
            target = self.defs.get(d, {})
            if target.get("type") == "object" and "properties" in target:
                name = pascal(d)
                if name == self.res_name:
                    name += "Definition"
                if name in self.structs and self.structs[name] is None and not boxed:
                    # A definition that contains itself: its value stays untyped there.
                    return "Json"
                return self.struct_for(name, target, target.get("description"))
            if "$ref" in target:
                return "Json"  # a definition that is only another reference
            return self.rust_type(pname, target, boxed)
        t = node.get("type")
        if t == "string":
            return "Str"
        if t == "integer":
            return "Int"
        if t == "number":
            return "Num"
        if t == "boolean":
            return "Bool"
        if t == "array" and "items" in node:
            # A list holds its items on the heap: a definition may recur through it.
            return f"List<{self.rust_type(pname, node['items'], True)}>"
        if t == "object" and node.get("properties"):
            name = pname if pascal(pname) not in self.structs or self.structs[pascal(pname)] and self.structs[pascal(pname)][0] is node else pname + "Object"
            return self.struct_for(name, node, node.get("description"))
        if t == "object":
            pp = node.get("patternProperties")
            vals = list(pp.values()) if pp else ([node["additionalProperties"]] if isinstance(node.get("additionalProperties"), dict) else [])
            if vals:
                vt = vals[0].get("type")
                if vt == "string" or (isinstance(vt, list) and "string" in vt):
                    return "Map<Str>"
        return "Json"

    def render_struct(self, name, node, doc, is_resource):
        required = set(node.get("required", []))
        read_only = {pointer_to_name(p) for p in self.schema.get("readOnlyProperties", [])} if is_resource else set()
        fields = []
        seen = set()
        for pname, pnode in sorted(node.get("properties", {}).items()):
            if pname in read_only:
                continue
            fname = snake(pname)
            while fname in seen or fname in ("new", "to_value"):
                fname += "_"
            seen.add(fname)
            rtype = self.types.get((name, pname)) or self.rust_type(pname, pnode)
            fields.append((pname, fname, rtype, pname in required, doc_line(pnode.get("description"))))
        lines = []
        lines.append(f"/// {doc or name}")
        if is_resource:
            lines.append(f"///")
            lines.append(f"/// Properties of `{self.type_name}`. Required properties are the arguments of `new`.")
        lines.append("#[derive(Debug, Clone, PartialEq)]")
        lines.append(f"pub struct {name} {{")
        for pname, fname, rtype, req, fdoc in fields:
            if fdoc:
                lines.append(f"    /// {fdoc}")
            lines.append(f"    pub {fname}: {rtype if req else 'Option<' + rtype + '>'},")
        lines.append("}")
        lines.append("")
        req_fields = [f for f in fields if f[3]]
        opt_fields = [f for f in fields if not f[3]]
        args = ", ".join(f"{f[1]}: impl Into<{f[2]}>" for f in req_fields)
        lines.append(f"impl {name} {{")
        lines.append(f"    /// Required properties here; set the others with the builder methods.")
        lines.append(f"    pub fn new({args}) -> Self {{")
        lines.append(f"        {name} {{")
        for f in fields:
            lines.append(f"            {f[1]}: {f[1] + '.into()' if f[3] else 'None'},")
        lines.append("        }")
        lines.append("    }")
        for pname, fname, rtype, req, fdoc in opt_fields:
            lines.append("")
            lines.append(f"    /// Sets `{pname}`.")
            lines.append(f"    pub fn {fname.rstrip('_')}_(mut self, v: impl Into<{rtype}>) -> Self {{" if fname.endswith("_") else f"    pub fn {fname}(mut self, v: impl Into<{rtype}>) -> Self {{")
            lines.append(f"        self.{fname} = Some(v.into());")
            lines.append("        self")
            lines.append("    }")
        lines.append("}")
        lines.append("")
        lines.append(f"impl ToValue for {name} {{")
        lines.append("    fn to_value(&self) -> Value {")
        lines.append("        let mut m = BTreeMap::new();")
        for pname, fname, rtype, req, fdoc in fields:
            if req:
                lines.append(f"        m.insert(\"{pname}\".to_string(), self.{fname}.to_value());")
            else:
                lines.append(f"        if let Some(v) = &self.{fname} {{")
                lines.append(f"            m.insert(\"{pname}\".to_string(), v.to_value());")
                lines.append("        }")
        lines.append("        Value::Map(m)")
        lines.append("    }")
        lines.append("}")
        for f in fields:
            if "Map<" in f[2] and not f[3]:
                pass
        for f in fields:
            if f[2] not in ("Str", "Int", "Num", "Bool", "Json") and not f[2].startswith(("List<", "Map<")) and f[2] != name:
                pass
        return "\n".join(lines)

    def render(self):
        s = self.schema
        res_name = self.res_name
        self.struct_for(res_name, {"properties": s.get("properties", {}), "required": s.get("required", [])}, doc_line(s.get("description")))
        # the resource struct must not mark read-only props, others are plain
        out = []
        for name in self.order:
            node, doc = self.structs[name]
            out.append(self.render_struct(name, node, doc, name == res_name))
        # resource trait + attributes
        out.append(f"impl ResourceProps for {res_name} {{")
        out.append(f"    const TYPE: &'static str = \"{self.type_name}\";")
        out.append("}")
        attrs = []
        for p in s.get("readOnlyProperties", []):
            if "*" in p:
                continue
            name = pointer_to_name(p)
            node = s.get("properties", {})
            cur = None
            for part in name.split("."):
                cur = node.get(part, {}) if isinstance(node, dict) else {}
                if "$ref" in cur:
                    cur = self.defs.get(ref_name(cur["$ref"]), {})
                node = cur.get("properties", {})
            if cur and cur.get("type") == "object":
                continue  # GetAtt reaches the leaves (Endpoint.Address), not the object
            attrs.append((name, "List<Str>" if cur and cur.get("type") == "array" else "Str"))
        # Handle's own methods keep their names.
        taken = {"reference", "get_att", "logical_id", "new"}
        if attrs:
            out.append("")
            out.append(f"/// The GetAtt attributes of `{self.type_name}`.")
            out.append(f"impl Handle<{res_name}> {{")
            used = set()
            for name, rt in sorted(attrs):
                method = snake(name).rstrip("_")
                while method in taken or method in used or method in KEYWORDS:
                    method += "_attr"
                used.add(method)
                out.append(f"    /// `Fn::GetAtt` `{name}`.")
                out.append(f"    pub fn {method}(&self) -> {rt} {{")
                out.append(f"        self.get_att(\"{name}\")")
                out.append("    }")
            out.append("}")
        return res_name, "\n".join(out)


def service_of(type_name):
    """The L1 module (and cargo feature `l1-<module>`) a type is in: `AWS::EC2::VPC` ->
    `ec2`; another vendor's types get its name first (`Alexa::ASK::Skill` -> `alexa_ask`)."""
    vendor, svc = type_name.split("::")[:2]
    name = svc.lower() if vendor == "AWS" else f"{vendor}_{svc}".lower()
    return re.sub(r"[^a-z0-9_]", "_", name)


def generate(schemas):
    """Typed L1 for every resource type of the schemas, a module per service. The types
    the built-in solutions use (L1_TYPES) are always built; every other type is behind
    its service's cargo feature `l1-<service>` (`full`: all of them), so a default build
    compiles only what it uses."""
    by_service = {}
    # `Module` (a registry module's placeholder) is no resource type of its own.
    for t in sorted(t for t in schemas if t.count("::") == 2):
        by_service.setdefault(service_of(t), []).append(t)
    l1_dir = os.path.join(L1_CRATE, "src", "l1")
    os.makedirs(l1_dir, exist_ok=True)
    for old in os.listdir(l1_dir):
        if old.endswith(".rs"):
            os.remove(os.path.join(l1_dir, old))
    core = {service_of(t) for t in L1_TYPES}
    mods = []
    for svc, types in sorted(by_service.items()):
        feature = f"l1-{svc.replace('_', '-')}"
        parts = [
            f"//! Generated by scripts/distill_schemas.py from the cfn-lint {CFN_LINT_VERSION} resource",
            f"//! provider schemas. Do not edit: change the script and run it again.",
            "#![allow(clippy::all, clippy::pedantic, unused_mut)]",
            "",
        ]
        reexports = []
        used_mods = set()
        for t in types:
            mod_name = snake(t.split("::")[-1])
            while mod_name in used_mods:
                mod_name += "_"
            used_mods.add(mod_name)
            res_name, code = Module(t, schemas[t]).render()
            gate = "" if t in L1_TYPES else f'#[cfg(feature = "{feature}")]'
            reexports.append((mod_name, res_name, gate))
            parts.append(f"/// `{t}`")
            if gate:
                parts.append(gate)
            parts.append(f"pub mod {mod_name} {{")
            parts.append("    #[allow(unused_imports)]")
            parts.append("    use crate::{Handle, ResourceProps};")
            parts.append("    #[allow(unused_imports)]")
            parts.append("    use perimeter_template::typed::{Bool, Int, Json, List, Map, Num, Str, ToValue};")
            parts.append("    use perimeter_template::Value;")
            parts.append("    use std::collections::BTreeMap;")
            parts.append("")
            parts.append("\n".join(("    " + l) if l else "" for l in code.split("\n")))
            parts.append("}")
            parts.append("")
        names = {}
        for mod_name, res_name, gate in reexports:
            names[res_name] = names.get(res_name, 0) + 1
        for mod_name, res_name, gate in reexports:
            if names[res_name] > 1:
                continue  # two types of one name: reached through their modules
            if gate:
                parts.append(gate)
            parts.append(f"pub use {mod_name}::{res_name};")
        with open(os.path.join(l1_dir, svc + ".rs"), "w") as f:
            f.write("\n".join(parts) + "\n")
        mods.append((svc, None if svc in core else feature))
    # rustfmt the generated code so `cargo fmt --check` holds for it as for the rest.
    subprocess.run(["rustfmt", "--edition", "2024", *[os.path.join(l1_dir, m + ".rs") for m, _ in mods]], check=True)
    with open(os.path.join(l1_dir, "mod.rs"), "w") as f:
        f.write("//! L1: typed properties for every resource type of the CloudFormation resource provider\n")
        f.write("//! schemas, generated by scripts/distill_schemas.py. The types the built-in solutions use\n")
        f.write("//! are always built; the others are behind their service's cargo feature (`l1-<service>`,\n")
        f.write("//! or `full` for all).\n\n")
        for m, feature in mods:
            if feature:
                f.write(f'#[cfg(feature = "{feature}")]\n')
            f.write(f"pub mod {m};\n")
    # The features, between markers: the L1 crate's own, and the root package's, which
    # forward to them (a team's crate names `perimeter`'s features only).
    start, end = "# l1-features:start (scripts/distill_schemas.py)\n", "# l1-features:end\n"
    features = sorted({feat for _, feat in mods if feat} | {f"l1-{svc.replace('_', '-')}" for svc in core})
    own = "".join(f"{feat} = []\n" for feat in features)
    own += "full = [\n" + "".join(f'    "{feat}",\n' for feat in features) + "]\n"
    forwarded = "".join(f'{feat} = ["perimeter-l1/{feat}"]\n' for feat in features)
    forwarded += 'full = ["perimeter-l1/full"]\n'
    for cargo, block in ((os.path.join(L1_CRATE, "Cargo.toml"), own), (os.path.join(ROOT, "Cargo.toml"), forwarded)):
        text = open(cargo).read()
        text = text[: text.index(start)] + start + block + end + text[text.index(end) + len(end):]
        open(cargo, "w").write(text)
    return sum(len(v) for v in by_service.values())


def main():
    schemas = load_schemas()
    os.makedirs(os.path.join(ROOT, "data"), exist_ok=True)
    os.makedirs(os.path.join(L1_CRATE, "data"), exist_ok=True)
    with open(os.path.join(L1_CRATE, "data", "schema-facts.jsonl"), "w") as f:
        # A header line, then "Type<TAB>facts" per type, sorted, so the library can
        # index lines without parsing them and parse one type only when asked.
        header = "#\t" + json.dumps({"cfnLint": CFN_LINT_VERSION, "region": REGION, "types": len(schemas)}, sort_keys=True) + "\n"
        f.write(header)
        offset = len(header.encode())
        index = []
        for name, s in schemas.items():
            body = json.dumps(facts(name, s), sort_keys=True, separators=(",", ":"))
            line = name + "\t" + body + "\n"
            start = offset + len((name + "\t").encode())
            index.append((name, start, len(body.encode())))
            f.write(line)
            offset += len(line.encode())
    # Where each type's facts start in the data file, sorted by name: a lookup is a
    # binary search that touches only the line it needs.
    with open(os.path.join(L1_CRATE, "src", "facts_index.rs"), "w") as f:
        f.write("// Generated by scripts/distill_schemas.py with data/schema-facts.jsonl. Do not edit.\n\n")
        f.write("/// (type name, byte offset of its facts in the data file, length), sorted by name.\n")
        f.write("pub(super) static INDEX: &[(&str, usize, usize)] = &[\n")
        for name, start, length in sorted(index):
            f.write(f"    ({json.dumps(name)}, {start}, {length}),\n")
        f.write("];\n")
    # The region names the schemas ship for: what a blueprint target may name.
    import cfnlint
    providers = os.path.join(os.path.dirname(cfnlint.__file__), "data", "schemas", "providers")
    regions = sorted(f[:-3].replace("_", "-") for f in os.listdir(providers)
                     if f.endswith(".py") and f != "__init__.py" and f != "all.py")
    with open(os.path.join(L1_CRATE, "data", "regions.txt"), "w") as f:
        f.write("\n".join(regions) + "\n")
    # Lambda runtimes' lifecycle (deprecation, then creation and update blocked), as
    # cfn-lint's E2531/E2533/W2531 read it.
    lifecycle = json.load(open(os.path.join(os.path.dirname(cfnlint.__file__), "data", "AdditionalSpecs", "LmbdRuntimeLifecycle.json")))
    with open(os.path.join(ROOT, "data", "lambda-runtimes.json"), "w") as f:
        json.dump(lifecycle, f, sort_keys=True, indent=1)
        f.write("\n")
    with open(os.path.join(L1_CRATE, "data", "formats.json"), "w") as f:
        json.dump(formats(), f, sort_keys=True, indent=1)
        f.write("\n")
    rules = service_rules() + schema_rules(schemas, rule_descriptions())
    with open(os.path.join(ROOT, "data", "service-rules.json"), "w") as f:
        json.dump(rules, f, sort_keys=True, indent=1)
        f.write("\n")
    generated = generate(schemas)
    print(f"distilled {len(rules)} service rules")
    print(f"distilled {len(schemas)} resource types; generated L1 for {generated} "
          f"({len(L1_TYPES)} always built, the rest behind their services' features)")


if __name__ == "__main__":
    main()
