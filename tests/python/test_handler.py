"""Tests of the Lambda handler of the Bedrock solution with boto3 replaced by a fake
(test_database.py runs the database path against a real PostgreSQL)."""

import importlib
import os
import sys
import types
import unittest

HANDLER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "src", "solutions", "bedrock_private_access", "handler")
HANDLER = os.path.join(HANDLER_DIR, "index.py")


class FakeBedrock:
    def __init__(self):
        self.calls = []

    def converse(self, **kwargs):
        self.calls.append(kwargs)
        return {"output": {"message": {"content": [{"text": "The Trail 2 tent."}]}}}


def load(env):
    bedrock = FakeBedrock()
    boto3 = types.ModuleType("boto3")
    boto3.client = lambda name: {"bedrock-runtime": bedrock}[name]
    sys.modules["boto3"] = boto3
    os.environ.clear()
    os.environ.update(env)
    for name in ("index", "database"):
        sys.modules.pop(name, None)
    if HANDLER_DIR not in sys.path:
        sys.path.insert(0, HANDLER_DIR)
    return importlib.import_module("index"), bedrock


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

    def test_a_question_is_required(self):
        h, bedrock = load({"MODEL_ID": "anthropic.claude-instant-v1"})
        self.assertEqual(h.handler({}, None)["statusCode"], 400)
        self.assertEqual(bedrock.calls, [])

    def test_fits_inline_code_limit(self):
        # index.py alone is the inline code of targets without a database.
        with open(HANDLER) as f:
            self.assertLessEqual(len(f.read()), 4096)


if __name__ == "__main__":
    unittest.main()
