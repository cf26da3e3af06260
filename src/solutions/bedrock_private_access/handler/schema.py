"""The schema step: CloudFormation's custom-resource events only. Applies the template's
schema and seed as the master user, and makes the application's read-only user (SELECT
on the tables it reads), whose password is the application's own secret.

Before anything runs, the event must be this stack's (STACK_ID), carry exactly the SQL
the template was synthesized with (SCHEMA_SHA256), and name a response URL that is
CloudFormation's own response bucket in this Region over HTTPS: anyone else who may
invoke the function gets a refusal and nothing is read, run or sent.
"""
import hashlib
import json
import os
import re
import urllib.parse
import urllib.request

import database

PHYSICAL_ID = "products-schema"
APP_USER = "app_reader"
# The Region with its dashes (`us-east-1`), as Lambda's environment gives it.
REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


class Refused(Exception):
    """An event this function does not act on."""


def response_hosts(region):
    """The host names a CloudFormation response URL may have in `region`: the bucket
    cloudformation-custom-resource-response-<region without dashes> (AWS CloudFormation
    User Guide, access through an interface endpoint), virtual-hosted on S3's global,
    Regional or legacy dash-Regional endpoint; in China on amazonaws.com.cn."""
    if not REGION_RE.match(region or ""):
        raise Refused(f"unknown Region {region!r}")
    bucket = "cloudformation-custom-resource-response-" + region.replace("-", "")
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return {
        f"{bucket}.s3.{suffix}",
        f"{bucket}.s3.{region}.{suffix}",
        f"{bucket}.s3-{region}.{suffix}",
    }


def check_response_url(url, region):
    """Refuses a URL that is not HTTPS to CloudFormation's response bucket of `region`."""
    parts = urllib.parse.urlsplit(url or "")
    if parts.scheme != "https":
        raise Refused("the response URL is not HTTPS")
    if parts.username or parts.password or parts.port not in (None, 443):
        raise Refused("the response URL carries credentials or a port")
    if (parts.hostname or "") not in response_hosts(region):
        raise Refused(f"the response URL's host {parts.hostname!r} is not CloudFormation's response bucket in {region}")
    return url


def digest(schema, seed, tables):
    text = f"{schema}\0{seed}\0{','.join(tables)}"
    return hashlib.sha256(text.encode()).hexdigest()


def validate(event, env):
    """The checks before anything runs; returns (schema, seed, tables)."""
    if not isinstance(event, dict):
        raise Refused("not a CloudFormation event")
    for key in ("RequestType", "ResponseURL", "StackId", "RequestId", "LogicalResourceId"):
        if not isinstance(event.get(key), str):
            raise Refused(f"not a CloudFormation event: no {key}")
    if event["RequestType"] not in ("Create", "Update", "Delete"):
        raise Refused("unknown RequestType")
    check_response_url(event["ResponseURL"], env.get("AWS_REGION", ""))
    if event["StackId"] != env.get("STACK_ID"):
        raise Refused("the event is not this stack's")
    props = event.get("ResourceProperties") or {}
    schema, seed = props.get("Schema", ""), props.get("Seed", "")
    tables = props.get("ReadTables") or []
    if not all(isinstance(x, str) for x in [schema, seed, *tables]):
        raise Refused("malformed properties")
    if digest(schema, seed, tables) != env.get("SCHEMA_SHA256"):
        raise Refused("the SQL is not the template's")
    return schema, seed, tables


def respond(event, context, status, reason, data):
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason,
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    # The URL is pre-signed for a PUT without a content type; validated before.
    req = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310 - checked https URL
        r.read()


def apply(schema, seed, tables, env, connect=database.connect, read_secret=database.read_secret):
    """Schema and seed as the master user, then the application's user."""
    app = read_secret(env["APP_SECRET_ARN"])
    conn = connect(env["MASTER_SECRET_ARN"])
    try:
        applied = database.apply_schema(conn, schema, seed)
        database.grant_reader(conn, app.get("username", APP_USER), app["password"], tables)
    finally:
        conn.close()
    return applied


def handler(event, context, env=None, send=respond, run=apply):
    """Create and Update apply; Delete leaves the data (the instance keeps a snapshot).
    A valid event always gets an answer: a stack waiting for one would hang."""
    env = os.environ if env is None else env
    try:
        schema, seed, tables = validate(event, env)
    except Refused as e:
        # Nothing read, run or sent: the caller is not CloudFormation for this stack.
        print(f"refused: {e}")
        return {"Status": "REFUSED", "Reason": str(e)}
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            applied = run(schema, seed, tables, env)
            data = {"Applied": "true" if applied else "false"}
    except Exception as e:  # noqa: BLE001 - every failure becomes CloudFormation's reason
        status = "FAILED"
        where = getattr(context, "log_stream_name", "")
        reason = f"{type(e).__name__}: {e}"[:800] + (f" (log stream {where})" if where else "")
    send(event, context, status, reason, data)
    return {"Status": status, "Reason": reason, "Data": data}
