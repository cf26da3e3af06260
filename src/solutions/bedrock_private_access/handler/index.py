"""Answers a question about products with a Bedrock model reached over PrivateLink.

Event: {"question": "...", "products": [{"name": "...", "description": "..."}]}
With a database configured (DB_SECRET_ARN, the application's own read-only user),
products come from its `products` table instead (database.py, shipped with the driver as
an asset). The schema is applied by another function (schema.py) with another role: this
one answers questions only and never holds the master secret.
"""
import os

import boto3

MODEL_ID = os.environ["MODEL_ID"]
bedrock = boto3.client("bedrock-runtime")


def build_prompt(question, products):
    lines = "\n".join(f"- {p['name']}: {p.get('description', '')}" for p in products)
    return (
        "Answer the question using only the products listed.\n"
        f"Products:\n{lines}\n\nQuestion: {question}"
    )


def handler(event, context):
    question = event.get("question")
    if not question:
        return {"statusCode": 400, "error": "the event needs a question"}
    if os.environ.get("DB_SECRET_ARN"):
        import database

        products = database.read_products()
    else:
        products = event.get("products", [])
    # Converse works across model families; IAM authorizes it as bedrock:InvokeModel.
    reply = bedrock.converse(
        modelId=MODEL_ID,
        messages=[{"role": "user", "content": [{"text": build_prompt(question, products)}]}],
        inferenceConfig={"maxTokens": 512},
    )
    text = reply["output"]["message"]["content"][0]["text"]
    return {"statusCode": 200, "model": MODEL_ID, "answer": text}
