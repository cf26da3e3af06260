"""Answers a question about products with a Bedrock model reached over PrivateLink.

Event: {"question": "...", "products": [{"name": "...", "description": "..."}]}
With a database configured, products come from its `products` table instead (the
pg8000 driver comes from a Lambda layer; the secret is read through the Secrets
Manager interface endpoint).
"""
import json
import os

import boto3

MODEL_ID = os.environ["MODEL_ID"]
bedrock = boto3.client("bedrock-runtime")


def products_from_db():
    import pg8000.native

    arn = os.environ["DB_SECRET_ARN"]
    sm = boto3.client("secretsmanager")
    secret = json.loads(sm.get_secret_value(SecretId=arn)["SecretString"])
    conn = pg8000.native.Connection(
        secret["username"],
        password=secret["password"],
        host=os.environ["DB_HOST"],
        port=int(os.environ["DB_PORT"]),
        database=os.environ["DB_NAME"],
        ssl_context=True,
    )
    try:
        rows = conn.run("SELECT name, description FROM products ORDER BY name LIMIT 50")
    finally:
        conn.close()
    return [{"name": n, "description": d} for n, d in rows]


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
        products = products_from_db()
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
