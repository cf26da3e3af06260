#!/usr/bin/env python3
"""Distills the SAM specification (the models in the pinned aws-sam-translator package,
the source of SAM's own JSON schema) into crates/perimeter-l1/data/sam-facts.json: for every
AWS::Serverless::* type its properties and required ones, the CloudFormation type it
generates, and which of its properties are create-only or conditionally create-only.

SAM's schema says nothing of replacement. A SAM property passes through to a property of
the resource SAM generates (FunctionName to AWS::Lambda::Function's FunctionName,
PrimaryKey to AWS::DynamoDB::Table's KeySchema, ...): GENERATES below lists those
pass-throughs, and the create-only facts come from that CloudFormation type's facts in
crates/perimeter-l1/data/schema-facts.jsonl (distilled from the pinned cfn-lint by distill_schemas.py), with
its property tree (set-like lists) for the mapped properties. The script fails when a
listed property is missing on either side, so an upgrade cannot leave the list stale.

Reproducible: the output depends only on the pinned packages (requirements-dev.txt).
Run: target/venv/bin/python scripts/distill_sam.py
"""

import json
import os
import re
import sys
import warnings
from importlib import metadata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PIN = re.search(r"^aws-sam-translator==(\S+)", open(os.path.join(ROOT, "requirements-dev.txt")).read(), re.M).group(1)

# SAM type -> (the CloudFormation type it generates, {SAM property: its property}).
# Only properties SAM passes through unchanged in meaning are listed.
GENERATES = {
    "AWS::Serverless::Function": ("AWS::Lambda::Function", {
        "FunctionName": "FunctionName", "PackageType": "PackageType", "Architectures": "Architectures",
        "Runtime": "Runtime", "Handler": "Handler", "MemorySize": "MemorySize", "Timeout": "Timeout",
        "Role": "Role", "KmsKeyArn": "KmsKeyArn", "Layers": "Layers", "VpcConfig": "VpcConfig",
        "Environment": "Environment", "Description": "Description", "EphemeralStorage": "EphemeralStorage",
        "FileSystemConfigs": "FileSystemConfigs", "ImageConfig": "ImageConfig",
        "CodeSigningConfigArn": "CodeSigningConfigArn", "Tags": "Tags", "Tracing": "TracingConfig",
        "SnapStart": "SnapStart", "LoggingConfig": "LoggingConfig", "DurableConfig": "DurableConfig",
        "RuntimeManagementConfig": "RuntimeManagementConfig", "RecursiveLoop": "RecursiveLoop",
        "ReservedConcurrentExecutions": "ReservedConcurrentExecutions",
    }),
    "AWS::Serverless::SimpleTable": ("AWS::DynamoDB::Table", {
        "TableName": "TableName", "PrimaryKey": "KeySchema", "ProvisionedThroughput": "ProvisionedThroughput",
        "SSESpecification": "SSESpecification", "Tags": "Tags",
        "PointInTimeRecoverySpecification": "PointInTimeRecoverySpecification",
    }),
    "AWS::Serverless::StateMachine": ("AWS::StepFunctions::StateMachine", {
        "Name": "StateMachineName", "Type": "StateMachineType", "Definition": "Definition",
        "DefinitionSubstitutions": "DefinitionSubstitutions", "Logging": "LoggingConfiguration",
        "Role": "RoleArn", "Tracing": "TracingConfiguration", "Tags": "Tags",
    }),
    "AWS::Serverless::LayerVersion": ("AWS::Lambda::LayerVersion", {
        "LayerName": "LayerName", "ContentUri": "Content", "CompatibleRuntimes": "CompatibleRuntimes",
        "CompatibleArchitectures": "CompatibleArchitectures", "Description": "Description",
        "LicenseInfo": "LicenseInfo",
    }),
    "AWS::Serverless::Api": ("AWS::ApiGateway::RestApi", {
        "Name": "Name", "Description": "Description", "BinaryMediaTypes": "BinaryMediaTypes",
        "EndpointConfiguration": "EndpointConfiguration", "ApiKeySourceType": "ApiKeySourceType",
        "MinimumCompressionSize": "MinimumCompressionSize", "Mode": "Mode", "FailOnWarnings": "FailOnWarnings",
        "DisableExecuteApiEndpoint": "DisableExecuteApiEndpoint", "Policy": "Policy", "Tags": "Tags",
    }),
    "AWS::Serverless::HttpApi": ("AWS::ApiGatewayV2::Api", {
        "Name": "Name", "Description": "Description", "DisableExecuteApiEndpoint": "DisableExecuteApiEndpoint",
        "FailOnWarnings": "FailOnWarnings", "CorsConfiguration": "CorsConfiguration", "Tags": "Tags",
    }),
    "AWS::Serverless::WebSocketApi": ("AWS::ApiGatewayV2::Api", {
        "Name": "Name", "Description": "Description", "RouteSelectionExpression": "RouteSelectionExpression",
        "ApiKeySelectionExpression": "ApiKeySelectionExpression", "DisableSchemaValidation": "DisableSchemaValidation",
        "DisableExecuteApiEndpoint": "DisableExecuteApiEndpoint", "IpAddressType": "IpAddressType", "Tags": "Tags",
    }),
    "AWS::Serverless::Application": ("AWS::CloudFormation::Stack", {
        "Location": "TemplateURL", "NotificationARNs": "NotificationARNs", "Parameters": "Parameters",
        "Tags": "Tags", "TimeoutInMinutes": "TimeoutInMinutes",
    }),
    "AWS::Serverless::GraphQLApi": ("AWS::AppSync::GraphQLApi", {
        "Name": "Name", "XrayEnabled": "XrayEnabled", "Visibility": "Visibility", "OwnerContact": "OwnerContact",
        "QueryDepthLimit": "QueryDepthLimit", "ResolverCountLimit": "ResolverCountLimit",
        "IntrospectionConfig": "IntrospectionConfig", "Tags": "Tags",
    }),
}


def cfn_facts():
    out = {}
    for line in open(os.path.join(ROOT, "crates", "perimeter-l1", "data", "schema-facts.jsonl")):
        if line.startswith("#"):
            continue
        name, body = line.rstrip("\n").split("\t", 1)
        out[name] = json.loads(body)
    return out


def sam_types():
    version = metadata.version("aws-sam-translator")
    if version != PIN:
        sys.exit(f"aws-sam-translator {version} is installed; this script is pinned to {PIN}")
    warnings.filterwarnings("ignore")
    from samtranslator.internal.schema_source.schema import Model, get_schema
    schema = get_schema(Model)
    defs = schema["definitions"]
    out = {}
    for name, d in defs.items():
        if not name.endswith("__Resource"):
            continue
        t = d["properties"]["Type"]["enum"][0]
        ref = d["properties"].get("Properties", {}).get("$ref", "").split("/")[-1]
        props = defs.get(ref, {})
        out[t] = (sorted(props.get("properties", {})), sorted(props.get("required", [])))
    return version, out


def main():
    cfn = cfn_facts()
    version, sam = sam_types()
    errors = []
    types = {}
    for t, (props, required) in sorted(sam.items()):
        generated, mapping = GENERATES.get(t, (None, {}))
        facts = cfn.get(generated, {}) if generated else {}
        if generated and not facts:
            errors.append(f"{t}: {generated} has no facts")
        create_only, conditional, nodes, get_att = [], [], {}, []
        for sam_prop, cfn_prop in sorted(mapping.items()):
            if sam_prop not in props:
                errors.append(f"{t}.{sam_prop}: not a property of the SAM type")
                continue
            if cfn_prop not in facts.get("props", {}):
                errors.append(f"{t}.{sam_prop}: {generated} has no property {cfn_prop}")
                continue
            nodes[sam_prop] = facts["props"][cfn_prop]
            top = lambda paths: any(p.split(".")[0] == cfn_prop for p in paths)
            if top(facts.get("createOnly", [])):
                create_only.append(sam_prop)
            elif top(facts.get("conditionalCreateOnly", [])):
                conditional.append(sam_prop)
        for p in props:
            nodes.setdefault(p, {})
        if generated:
            get_att = facts.get("getAtt", [])
        types[t] = {
            "type": t,
            "generates": generated,
            "required": required,
            "createOnly": create_only,
            "conditionalCreateOnly": conditional,
            "readOnly": [],
            "writeOnly": [],
            "getAtt": get_att,
            "props": nodes,
            "defs": facts.get("defs", {}) if generated else {},
        }
    if errors:
        sys.exit("GENERATES is out of date:\n  " + "\n  ".join(errors))
    path = os.path.join(ROOT, "crates", "perimeter-l1", "data", "sam-facts.json")
    with open(path, "w") as f:
        json.dump({"awsSamTranslator": version, "types": types}, f, sort_keys=True, separators=(",", ":"))
        f.write("\n")
    summary = ", ".join(f"{t.split('::')[-1]} {v['createOnly'] + v['conditionalCreateOnly']}" for t, v in types.items() if v["createOnly"] or v["conditionalCreateOnly"])
    print(f"{path}: {len(types)} SAM types (aws-sam-translator {version}); create-only: {summary}")


if __name__ == "__main__":
    main()
