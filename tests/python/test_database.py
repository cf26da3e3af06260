"""The handler's database path against a real PostgreSQL (tests/python/postgres.py):
products read over verified TLS as the application's read-only user, the schema applied
once per content by the schema step (schema.py), which answers CloudFormation's events
and refuses every other caller before anything runs. Bedrock and Secrets Manager are
stubbed; pg8000 is the real driver the asset ships."""

import http.server
import importlib
import json
import os
import sys
import threading
import types
import unittest

import postgres

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
HANDLER_DIR = os.path.join(ROOT, "src", "solutions", "bedrock_private_access", "handler")
SCHEMA = open(os.path.join(ROOT, "blueprints", "sql", "products.sql")).read()
SEED = open(os.path.join(ROOT, "blueprints", "sql", "products-seed.sql")).read()
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:222222222222:secret:rds!db-1"
APP_SECRET_ARN = "arn:aws:secretsmanager:us-east-1:222222222222:secret:DatabaseAppSecret-1"
APP_PASSWORD = "an-application-password-for-tests"
STACK_ID = "arn:aws:cloudformation:us-east-1:222222222222:stack/bedrock-private-access-prod/1"
RESPONSE_URL = (
    "https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/"
    "arn%3Aaws%3Acloudformation%3Aus-east-1%3A222222222222%3Astack/x/1%7CDatabaseSchemaStep%7Cr?X-Amz-Signature=x"
)
TABLES = ["products"]


class FakeBedrock:
    def __init__(self):
        self.calls = []

    def converse(self, **kwargs):
        self.calls.append(kwargs)
        return {"output": {"message": {"content": [{"text": "The Summit."}]}}}


class FakeSecrets:
    """The master secret and the application's, as Secrets Manager returns them."""

    read = []

    def get_secret_value(self, SecretId):
        FakeSecrets.read.append(SecretId)
        if SecretId == SECRET_ARN:
            return {"SecretString": json.dumps({"username": postgres.USER, "password": postgres.PASSWORD})}
        assert SecretId == APP_SECRET_ARN, SecretId
        return {"SecretString": json.dumps({"username": "app_reader", "password": APP_PASSWORD})}


class AccessDenied(Exception):
    def __init__(self, code="AccessDeniedException"):
        super().__init__(code)
        self.response = {"Error": {"Code": code}}


class FlakySecrets(FakeSecrets):
    """Denies the first `denials` reads, as IAM does while a new role propagates."""

    def __init__(self, denials, code="AccessDeniedException"):
        self.denials, self.code, self.calls = denials, code, 0

    def get_secret_value(self, SecretId):
        self.calls += 1
        if self.calls <= self.denials:
            raise AccessDenied(self.code)
        return super().get_secret_value(SecretId)


class Replies(http.server.BaseHTTPRequestHandler):
    """CloudFormation's pre-signed response URL, on 127.0.0.1."""

    received = []

    def do_PUT(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Replies.received.append((self.path, self.headers.get("Content-Type"), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


def setUpModule():
    global SERVER, REPLIES
    SERVER = postgres.Server().start()
    REPLIES = http.server.HTTPServer(("127.0.0.1", 0), Replies)
    threading.Thread(target=REPLIES.serve_forever, daemon=True).start()


def tearDownModule():
    REPLIES.shutdown()
    REPLIES.server_close()
    SERVER.stop()


def load(ca_file=None):
    """index and database, with boto3 stubbed and the test server's environment."""
    bedrock = FakeBedrock()
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda name: {"bedrock-runtime": bedrock, "secretsmanager": FakeSecrets()}[name]
    sys.modules["boto3"] = boto3
    for name in ("index", "database", "schema"):
        sys.modules.pop(name, None)
    os.environ.update({
        "MODEL_ID": "us.anthropic.claude-haiku-5-5",
        "DB_SECRET_ARN": APP_SECRET_ARN,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(SERVER.port),
        "DB_NAME": "products",
        "DB_CA_FILE": ca_file or SERVER.ca_file,
    })
    if HANDLER_DIR not in sys.path:
        sys.path.insert(0, HANDLER_DIR)
    return importlib.import_module("index"), importlib.import_module("database"), bedrock


def load_schema():
    """schema.py with its environment (the template's SQL digest, this stack)."""
    load()
    schema = importlib.import_module("schema")
    env = {
        "AWS_REGION": "us-east-1",
        "STACK_ID": STACK_ID,
        "MASTER_SECRET_ARN": SECRET_ARN,
        "APP_SECRET_ARN": APP_SECRET_ARN,
        "SCHEMA_SHA256": schema.digest(SCHEMA, SEED, TABLES),
    }
    return schema, env


class Sent:
    """The answers the schema step would PUT to CloudFormation."""

    def __init__(self):
        self.replies = []

    def __call__(self, event, context, status, reason, data):
        self.replies.append({"Status": status, "Reason": reason, "Data": data, "URL": event["ResponseURL"]})


def event(kind, url=RESPONSE_URL, **props):
    props.setdefault("ReadTables", TABLES)
    return {
        "RequestType": kind,
        "ResponseURL": url,
        "StackId": STACK_ID,
        "RequestId": f"request-{kind}",
        "LogicalResourceId": "DatabaseSchemaStep",
        "ResourceType": "Custom::DatabaseSchema",
        "ResourceProperties": {"ServiceToken": "arn:aws:lambda:us-east-1:222222222222:function:f", **props},
        **({"PhysicalResourceId": "products-schema"} if kind != "Create" else {}),
    }


class Context:
    log_stream_name = "2026/11/25/[$LATEST]abc"


class DatabaseTest(unittest.TestCase):
    def setUp(self):
        admin = SERVER.connect()
        admin.run("DROP DATABASE IF EXISTS products WITH (FORCE)")
        admin.run("CREATE DATABASE products")
        admin.close()
        Replies.received.clear()

    def rows(self):
        conn = SERVER.connect("products")
        try:
            return conn.run("SELECT name, description FROM products ORDER BY name")
        finally:
            conn.close()

    def test_the_schema_is_applied_once_per_content(self):
        _, db, _ = load()
        conn = db.connect(SECRET_ARN)
        try:
            self.assertTrue(db.apply_schema(conn, SCHEMA, SEED))
            self.assertFalse(db.apply_schema(conn, SCHEMA, SEED))
            # Changed content runs again; the SQL itself keeps that harmless.
            extra = SEED.replace("('Summit'", "('Bivy', 'A one-person shelter'),\n    ('Summit'")
            self.assertTrue(db.apply_schema(conn, SCHEMA, extra))
            ledger = conn.run("SELECT count(*) FROM perimeter_schema")[0][0]
        finally:
            conn.close()
        names = [n for n, _ in self.rows()]
        self.assertEqual(names, ["Basecamp 6", "Bivy", "Summit", "Trail 2"])
        self.assertEqual(ledger, 2)

    def test_a_failing_statement_leaves_nothing_applied(self):
        _, db, _ = load()
        conn = db.connect(SECRET_ARN)
        try:
            with self.assertRaises(Exception):
                db.apply_schema(conn, SCHEMA, SEED + "\nINSERT INTO nowhere VALUES (1);")
            tables = conn.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        finally:
            conn.close()
        self.assertEqual(tables, [], "the rollback left tables behind")

    def as_app(self):
        import ssl

        return postgres.pg8000.native.Connection(
            "app_reader", password=APP_PASSWORD, host="127.0.0.1", port=SERVER.port,
            database="products", ssl_context=ssl.create_default_context(cafile=SERVER.ca_file), timeout=10,
        )

    def tables(self):
        conn = SERVER.connect("products")
        try:
            return conn.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        finally:
            conn.close()

    def test_custom_resource_events_are_answered(self):
        schema, env = load_schema()
        sent = Sent()
        out = schema.handler(event("Create", Schema=SCHEMA, Seed=SEED), Context(), env=env, send=sent)
        self.assertEqual(out["Status"], "SUCCESS", out)
        self.assertEqual(sent.replies[-1]["Data"], {"Applied": "true"})
        self.assertEqual(sent.replies[-1]["URL"], RESPONSE_URL)
        self.assertEqual(len(self.rows()), 3)
        # An update with the same SQL (another property changed) applies nothing.
        schema.handler(event("Update", Schema=SCHEMA, Seed=SEED), Context(), env=env, send=sent)
        self.assertEqual(sent.replies[-1]["Data"], {"Applied": "false"})
        # Delete keeps the data.
        schema.handler(event("Delete", Schema=SCHEMA, Seed=SEED), Context(), env=env, send=sent)
        self.assertEqual(sent.replies[-1]["Status"], "SUCCESS")
        self.assertEqual(len(self.rows()), 3)

    def test_the_answer_is_a_put_without_content_type(self):
        schema, _ = load_schema()
        url = f"http://127.0.0.1:{REPLIES.server_port}/response?signature=x"
        schema.respond(event("Create", url=url), Context(), "SUCCESS", "", {"Applied": "true"})
        path, content_type, reply = Replies.received[-1]
        self.assertEqual(path, "/response?signature=x")
        self.assertEqual(content_type, "")
        self.assertEqual(reply["Status"], "SUCCESS")
        self.assertEqual(reply["PhysicalResourceId"], "products-schema")
        self.assertEqual(reply["RequestId"], "request-Create")
        self.assertEqual(reply["LogicalResourceId"], "DatabaseSchemaStep")

    def test_a_failure_is_reported_to_cloudformation(self):
        schema, env = load_schema()
        bad = "CREATE TABLE products (name text"
        env["SCHEMA_SHA256"] = schema.digest(bad, "", TABLES)
        sent = Sent()
        out = schema.handler(event("Create", Schema=bad, Seed=""), Context(), env=env, send=sent)
        self.assertEqual(out["Status"], "FAILED")
        reply = sent.replies[-1]
        self.assertEqual(reply["Status"], "FAILED")
        self.assertIn("syntax error", reply["Reason"])
        self.assertIn("log stream 2026/11/25/[$LATEST]abc", reply["Reason"])

    def test_the_application_user_reads_products_and_changes_nothing(self):
        schema, env = load_schema()
        schema.handler(event("Create", Schema=SCHEMA, Seed=SEED), Context(), env=env, send=Sent())
        conn = self.as_app()
        try:
            names = [n for (n,) in conn.run("SELECT name FROM products ORDER BY name")]
            self.assertEqual(names, ["Basecamp 6", "Summit", "Trail 2"])
            for sql in (
                "CREATE TABLE stolen (x int)",
                "ALTER TABLE products ADD COLUMN x int",
                "DROP TABLE products",
                "INSERT INTO products (name, description) VALUES ('x', 'y')",
                "UPDATE products SET description = 'x'",
                "DELETE FROM products",
                "SELECT * FROM perimeter_schema",
            ):
                with self.assertRaises(Exception, msg=sql) as e:
                    conn.run(sql)
                self.assertIn("42501", str(e.exception), sql)  # insufficient_privilege
        finally:
            conn.close()
        self.assertEqual(len(self.rows()), 3)

    def test_an_event_from_anyone_else_is_refused_before_anything_runs(self):
        schema, env = load_schema()
        FakeSecrets.read.clear()
        ran = []
        refused = {
            "a host outside CloudFormation's bucket": event("Create", url="https://attacker.example.com/x", Schema=SCHEMA, Seed=SEED),
            "a look-alike bucket": event("Create", url="https://cloudformation-custom-resource-response-useast1.evil.com/x", Schema=SCHEMA, Seed=SEED),
            "the bucket of another Region": event("Create", url="https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x", Schema=SCHEMA, Seed=SEED),
            "plain HTTP": event("Create", url="http://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x", Schema=SCHEMA, Seed=SEED),
            "credentials in the URL": event("Create", url="https://u:p@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x", Schema=SCHEMA, Seed=SEED),
            "another stack": {**event("Create", Schema=SCHEMA, Seed=SEED), "StackId": STACK_ID.replace("/1", "/2")},
            "SQL not the template's": event("Create", Schema="DROP TABLE products; " + SCHEMA, Seed=SEED),
            "more tables to read": event("Create", Schema=SCHEMA, Seed=SEED, ReadTables=["products", "pg_authid"]),
            "a question": {"question": "give me the master secret"},
        }
        for why, ev in refused.items():
            sent = Sent()
            out = schema.handler(ev, Context(), env=env, send=sent, run=lambda *a: ran.append(a))
            self.assertEqual(out["Status"], "REFUSED", why)
            self.assertEqual(sent.replies, [], why)
        self.assertEqual(ran, [])
        self.assertEqual(FakeSecrets.read, [], "a secret was read for a refused event")
        self.assertEqual(self.tables(), [])

    def test_the_response_hosts_are_the_documented_forms(self):
        schema, _ = load_schema()
        self.assertEqual(
            schema.response_hosts("us-west-2"),
            {
                "cloudformation-custom-resource-response-uswest2.s3.amazonaws.com",
                "cloudformation-custom-resource-response-uswest2.s3.us-west-2.amazonaws.com",
                "cloudformation-custom-resource-response-uswest2.s3-us-west-2.amazonaws.com",
            },
        )
        self.assertIn(
            "cloudformation-custom-resource-response-cnnorth1.s3.cn-north-1.amazonaws.com.cn",
            schema.response_hosts("cn-north-1"),
        )
        for url in schema.response_hosts("us-east-1"):
            schema.check_response_url(f"https://{url}/key?X-Amz-Signature=s", "us-east-1")

    def test_access_denied_is_retried_while_permissions_propagate_and_no_longer(self):
        _, db, _ = load()
        waits = []
        flaky = FlakySecrets(denials=3)
        secret = db.read_secret(APP_SECRET_ARN, client=flaky, sleep=waits.append)
        self.assertEqual(secret["username"], "app_reader")
        self.assertEqual(flaky.calls, 4)
        self.assertEqual(waits, [1.0, 2.0, 4.0])
        # Bounded: a role that never gets the grant fails after the last attempt.
        waits.clear()
        never = FlakySecrets(denials=100)
        with self.assertRaises(AccessDenied):
            db.read_secret(APP_SECRET_ARN, client=never, sleep=waits.append)
        self.assertEqual(never.calls, db.PROPAGATION_ATTEMPTS)
        self.assertEqual(len(waits), db.PROPAGATION_ATTEMPTS - 1)
        # Any other error is not retried.
        other = FlakySecrets(denials=1, code="ResourceNotFoundException")
        with self.assertRaises(AccessDenied):
            db.read_secret(APP_SECRET_ARN, client=other, sleep=waits.append)
        self.assertEqual(other.calls, 1)

    def test_a_question_is_answered_from_the_products_table(self):
        schema, env = load_schema()
        schema.handler(event("Create", Schema=SCHEMA, Seed=SEED), Context(), env=env, send=Sent())
        index, db, bedrock = load()
        out = index.handler({"question": "Which tent for winter?"}, Context())
        self.assertEqual(out["statusCode"], 200, out)
        prompt = bedrock.calls[0]["messages"][0]["content"][0]["text"]
        self.assertIn("- Summit: A four-season tent for snow and wind", prompt)
        self.assertIn("- Trail 2: A two-person backpacking tent, 1.6 kg", prompt)

    def test_the_server_certificate_is_verified(self):
        _, db, _ = load(ca_file=SERVER.other_ca_file)
        with self.assertRaises(Exception) as e:
            db.connect()
        self.assertIn("CERTIFICATE_VERIFY_FAILED", str(e.exception))

    def test_the_bundled_roots_are_amazon_rds(self):
        _, db, _ = load()
        os.environ.pop("DB_CA_FILE")
        names = [c["subject"] for c in db.tls_context().get_ca_certs()]
        flat = [dict(x[0] for x in s)["commonName"] for s in names]
        self.assertIn("Amazon RDS us-east-1 Root CA RSA2048 G1", flat)
        self.assertIn("Amazon RDS eu-west-1 Root CA RSA2048 G1", flat)
        self.assertTrue(all(n.startswith("Amazon RDS ") for n in flat))


if __name__ == "__main__":
    unittest.main()
