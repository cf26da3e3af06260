"""The database path: products read from PostgreSQL, and the schema applied when
CloudFormation creates or updates the stack (the function answers the custom
resource's events, inside the VPC: the reply goes out through the S3 gateway endpoint).

The connection is TLS, verified: RDS certificates chain to Amazon RDS's own roots,
which are not in the system's store, so they are checked against the bundled
rds-ca.pem (DB_CA_FILE names another bundle) and the host name.
"""
import hashlib
import json
import os
import ssl
import urllib.request

import boto3
import pg8000.native

HERE = os.path.dirname(os.path.abspath(__file__))
PHYSICAL_ID = "products-schema"
# Applied schema and seed contents, one row each: the same content is applied once.
LEDGER = (
    "CREATE TABLE IF NOT EXISTS perimeter_schema ("
    "sha256 text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
)
# Serializes concurrent appliers (a retried event beside the first).
LOCK_KEY = 7_340_001


def tls_context():
    ctx = ssl.create_default_context(
        cafile=os.environ.get("DB_CA_FILE") or os.path.join(HERE, "rds-ca.pem")
    )
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def connect():
    """A connection as the secret's user, to DB_HOST:DB_PORT/DB_NAME."""
    sm = boto3.client("secretsmanager")
    secret = json.loads(sm.get_secret_value(SecretId=os.environ["DB_SECRET_ARN"])["SecretString"])
    return pg8000.native.Connection(
        secret["username"],
        password=secret["password"],
        host=os.environ["DB_HOST"],
        port=int(os.environ["DB_PORT"]),
        database=os.environ["DB_NAME"],
        ssl_context=tls_context(),
        timeout=10,
    )


def read_products(limit=50):
    conn = connect()
    try:
        rows = conn.run(
            "SELECT name, description FROM products ORDER BY name LIMIT :limit", limit=limit
        )
    finally:
        conn.close()
    return [{"name": n, "description": d} for n, d in rows]


def digest(schema, seed):
    return hashlib.sha256(f"{schema}\0{seed}".encode()).hexdigest()


def apply_schema(conn, schema, seed=""):
    """Runs the schema, then the seed, in one transaction, once per content.

    Returns True when it ran them, False when this content was applied before. A
    failing statement rolls everything back, the ledger included.
    """
    d = digest(schema, seed)
    conn.run("BEGIN")
    try:
        conn.run("SELECT pg_advisory_xact_lock(:k)", k=LOCK_KEY)
        conn.run(LEDGER)
        if conn.run("SELECT 1 FROM perimeter_schema WHERE sha256 = :d", d=d):
            conn.run("COMMIT")
            return False
        # The simple-query protocol: a file of several statements in one go.
        for sql in (schema, seed):
            if sql.strip():
                conn.execute_simple(sql)
        conn.run("INSERT INTO perimeter_schema (sha256) VALUES (:d)", d=d)
        conn.run("COMMIT")
        return True
    except Exception:
        conn.run("ROLLBACK")
        raise


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
    # The URL is pre-signed for a PUT without a content type.
    req = urllib.request.Request(
        event["ResponseURL"],
        data=body,
        method="PUT",
        headers={"Content-Type": "", "Content-Length": str(len(body))},
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        r.read()


def on_cloudformation(event, context):
    """Create and Update apply the schema; Delete leaves the data (the instance keeps a
    snapshot when it goes). CloudFormation always gets an answer: a stack waiting for
    one would hang for an hour."""
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            props = event.get("ResourceProperties", {})
            conn = connect()
            try:
                applied = apply_schema(conn, props.get("Schema", ""), props.get("Seed", ""))
            finally:
                conn.close()
            data = {"Applied": "true" if applied else "false"}
    except Exception as e:  # noqa: BLE001 - every failure becomes CloudFormation's reason
        status = "FAILED"
        where = getattr(context, "log_stream_name", "")
        reason = f"{type(e).__name__}: {e}"[:800] + (f" (log stream {where})" if where else "")
    respond(event, context, status, reason, data)
    return {"Status": status, "Reason": reason, "Data": data}
