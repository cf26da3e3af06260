"""The handler's database path against a real PostgreSQL (tests/python/postgres.py):
products read over verified TLS, the schema applied once per content, and
CloudFormation's custom-resource events answered. Bedrock and Secrets Manager are
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


class FakeBedrock:
    def __init__(self):
        self.calls = []

    def converse(self, **kwargs):
        self.calls.append(kwargs)
        return {"output": {"message": {"content": [{"text": "The Summit."}]}}}


class FakeSecrets:
    def get_secret_value(self, SecretId):
        assert SecretId == SECRET_ARN, SecretId
        return {"SecretString": json.dumps({"username": postgres.USER, "password": postgres.PASSWORD})}


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
    for name in ("index", "database"):
        sys.modules.pop(name, None)
    os.environ.update({
        "MODEL_ID": "anthropic.claude-instant-v1",
        "DB_SECRET_ARN": SECRET_ARN,
        "DB_HOST": "127.0.0.1",
        "DB_PORT": str(SERVER.port),
        "DB_NAME": "products",
        "DB_CA_FILE": ca_file or SERVER.ca_file,
    })
    if HANDLER_DIR not in sys.path:
        sys.path.insert(0, HANDLER_DIR)
    return importlib.import_module("index"), importlib.import_module("database"), bedrock


def event(kind, **props):
    return {
        "RequestType": kind,
        "ResponseURL": f"http://127.0.0.1:{REPLIES.server_port}/response?signature=x",
        "StackId": "arn:aws:cloudformation:us-east-1:222222222222:stack/bedrock-private-access-prod/1",
        "RequestId": f"request-{kind}",
        "LogicalResourceId": "DatabaseSchema",
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
        conn = db.connect()
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
        conn = db.connect()
        try:
            with self.assertRaises(Exception):
                db.apply_schema(conn, SCHEMA, SEED + "\nINSERT INTO nowhere VALUES (1);")
            tables = conn.run("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")
        finally:
            conn.close()
        self.assertEqual(tables, [], "the rollback left tables behind")

    def test_custom_resource_events_are_answered(self):
        index, _, _ = load()
        out = index.handler(event("Create", Schema=SCHEMA, Seed=SEED), Context())
        self.assertEqual(out["Status"], "SUCCESS", out)
        path, content_type, reply = Replies.received[-1]
        self.assertEqual(path, "/response?signature=x")
        self.assertEqual(content_type, "")
        self.assertEqual(reply["Status"], "SUCCESS")
        self.assertEqual(reply["PhysicalResourceId"], "products-schema")
        self.assertEqual(reply["RequestId"], "request-Create")
        self.assertEqual(reply["LogicalResourceId"], "DatabaseSchema")
        self.assertEqual(reply["Data"], {"Applied": "true"})
        self.assertEqual(len(self.rows()), 3)
        # An update with the same SQL (another property changed) applies nothing.
        index.handler(event("Update", Schema=SCHEMA, Seed=SEED), Context())
        self.assertEqual(Replies.received[-1][2]["Data"], {"Applied": "false"})
        # Delete keeps the data.
        index.handler(event("Delete", Schema=SCHEMA, Seed=SEED), Context())
        self.assertEqual(Replies.received[-1][2]["Status"], "SUCCESS")
        self.assertEqual(len(self.rows()), 3)

    def test_a_failure_is_reported_to_cloudformation(self):
        index, _, _ = load()
        out = index.handler(event("Create", Schema="CREATE TABLE products (name text", Seed=""), Context())
        self.assertEqual(out["Status"], "FAILED")
        reply = Replies.received[-1][2]
        self.assertEqual(reply["Status"], "FAILED")
        self.assertIn("syntax error", reply["Reason"])
        self.assertIn("log stream 2026/11/25/[$LATEST]abc", reply["Reason"])

    def test_a_question_is_answered_from_the_products_table(self):
        index, db, bedrock = load()
        conn = db.connect()
        db.apply_schema(conn, SCHEMA, SEED)
        conn.close()
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
