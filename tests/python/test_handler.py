"""Tests of the Lambda handler the Bedrock solution ships inline, with boto3 and pg8000
replaced by fakes (neither is needed to run these tests)."""

import importlib.util
import json
import os
import sys
import types
import unittest

HANDLER = os.path.join(os.path.dirname(__file__), "..", "..", "src", "constructs", "handler.py")


class FakeBedrock:
    def __init__(self):
        self.calls = []

    def converse(self, **kwargs):
        self.calls.append(kwargs)
        return {"output": {"message": {"content": [{"text": "The Trail 2 tent."}]}}}


class FakeSecrets:
    def get_secret_value(self, SecretId):
        assert SecretId == "arn:aws:secretsmanager:us-east-1:111111111111:secret:db"
        return {"SecretString": json.dumps({"username": "app_admin", "password": "pw"})}


class FakeConnection:
    closed = False

    def __init__(self, user, **kw):
        FakeConnection.args = (user, kw)

    def run(self, sql):
        assert sql.startswith("SELECT name, description FROM products")
        return [["Trail 2", "A two-person tent"], ["Summit", "A four-season tent"]]

    def close(self):
        FakeConnection.closed = True


def load(env):
    bedrock = FakeBedrock()
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda name: {"bedrock-runtime": bedrock, "secretsmanager": FakeSecrets()}[name]
    pg8000 = types.ModuleType("pg8000")
    native = types.ModuleType("pg8000.native")
    native.Connection = FakeConnection
    pg8000.native = native
    sys.modules.update({"boto3": boto3, "pg8000": pg8000, "pg8000.native": native})
    os.environ.clear()
    os.environ.update(env)
    spec = importlib.util.spec_from_file_location("handler", HANDLER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, bedrock


class HandlerTest(unittest.TestCase):
    def test_products_from_the_event_augment_the_prompt(self):
        h, bedrock = load({"MODEL_ID": "anthropic.claude-instant-v1"})
        out = h.handler({"question": "Which tent for two?", "products": [{"name": "Trail 2", "description": "2 people"}]}, None)
        self.assertEqual(out["statusCode"], 200)
        self.assertEqual(out["answer"], "The Trail 2 tent.")
        call = bedrock.calls[0]
        self.assertEqual(call["modelId"], "anthropic.claude-instant-v1")
        prompt = call["messages"][0]["content"][0]["text"]
        self.assertIn("- Trail 2: 2 people", prompt)
        self.assertIn("Question: Which tent for two?", prompt)

    def test_products_from_the_database_through_the_secret(self):
        h, bedrock = load({
            "MODEL_ID": "anthropic.claude-instant-v1",
            "DB_SECRET_ARN": "arn:aws:secretsmanager:us-east-1:111111111111:secret:db",
            "DB_HOST": "db.internal", "DB_PORT": "5432", "DB_NAME": "products",
        })
        out = h.handler({"question": "Which tent for winter?"}, None)
        self.assertEqual(out["statusCode"], 200)
        user, kw = FakeConnection.args
        self.assertEqual((user, kw["host"], kw["port"], kw["database"], kw["password"]), ("app_admin", "db.internal", 5432, "products", "pw"))
        self.assertTrue(kw["ssl_context"])
        self.assertTrue(FakeConnection.closed)
        self.assertIn("- Summit: A four-season tent", bedrock.calls[0]["messages"][0]["content"][0]["text"])

    def test_a_question_is_required(self):
        h, bedrock = load({"MODEL_ID": "anthropic.claude-instant-v1"})
        self.assertEqual(h.handler({}, None)["statusCode"], 400)
        self.assertEqual(bedrock.calls, [])

    def test_fits_inline_code_limit(self):
        self.assertLessEqual(len(open(HANDLER).read()), 4096)


if __name__ == "__main__":
    unittest.main()
