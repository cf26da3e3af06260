"""The database path: products read from PostgreSQL as the application's read-only
user, and what the schema step (schema.py) runs: the schema, the seed and that user.

The connection is TLS, verified: RDS certificates chain to Amazon RDS's own roots,
which are not in the system's store, so they are checked against the bundled
rds-ca.pem (DB_CA_FILE names another bundle) and the host name.
"""
import hashlib
import json
import os
import ssl
import time

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


# A new role's grants take seconds to reach every endpoint: AccessDenied right after
# the stack created the role is retried, a bounded number of times.
PROPAGATION_ATTEMPTS = 6
PROPAGATION_FIRST_WAIT = 1.0


def read_secret(arn, client=None, sleep=time.sleep):
    """The secret's JSON, retrying AccessDenied while a new role's permissions propagate
    (PROPAGATION_ATTEMPTS tries, waits doubling from PROPAGATION_FIRST_WAIT seconds)."""
    sm = client or boto3.client("secretsmanager")
    wait = PROPAGATION_FIRST_WAIT
    for attempt in range(PROPAGATION_ATTEMPTS):
        try:
            return json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
        except Exception as e:  # noqa: BLE001 - only AccessDenied is retried
            code = getattr(e, "response", {}).get("Error", {}).get("Code", "")
            if code not in ("AccessDeniedException", "AccessDenied") or attempt == PROPAGATION_ATTEMPTS - 1:
                raise
            sleep(wait)
            wait *= 2


def connect(secret_arn=None):
    """A connection as the secret's user (DB_SECRET_ARN unless named), to
    DB_HOST:DB_PORT/DB_NAME."""
    secret = read_secret(secret_arn or os.environ["DB_SECRET_ARN"])
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


def quote_ident(name):
    """A PostgreSQL identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text):
    """A PostgreSQL string literal (standard_conforming_strings: only ' doubles)."""
    return "'" + text.replace("'", "''") + "'"


def grant_reader(conn, user, password, tables):
    """Makes `user` able to log in with `password` and read `tables`, nothing else: no
    CREATE on the schema, SELECT only on the tables named, no default privileges. Run as
    the master user, in one transaction."""
    role = quote_ident(user)
    conn.run("BEGIN")
    try:
        conn.run("SELECT pg_advisory_xact_lock(:k)", k=LOCK_KEY)
        exists = conn.run("SELECT 1 FROM pg_roles WHERE rolname = :u", u=user)
        verb = "ALTER" if exists else "CREATE"
        # Passwords cannot be bound parameters in DDL: a quoted literal.
        conn.run(
            f"{verb} ROLE {role} WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
            f"NOINHERIT PASSWORD {quote_literal(password)}"
        )
        db = conn.run("SELECT current_database()")[0][0]
        conn.run(f"REVOKE ALL ON DATABASE {quote_ident(db)} FROM PUBLIC")
        conn.run(f"GRANT CONNECT ON DATABASE {quote_ident(db)} TO {role}")
        # PostgreSQL before 15 lets PUBLIC create in public: not this user.
        conn.run("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        conn.run(f"GRANT USAGE ON SCHEMA public TO {role}")
        conn.run(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}")
        for t in tables:
            conn.run(f"GRANT SELECT ON TABLE {quote_ident(t)} TO {role}")
        conn.run("COMMIT")
    except Exception:
        conn.run("ROLLBACK")
        raise
