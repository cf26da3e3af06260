"""Writes an order and reads it back, through the DynamoDB gateway endpoint (the
subnets have no other way out)."""
import os

import boto3


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
    item = {"pk": event.get("customer", "c-1"), "sk": event.get("order", "o-1"), "total": 42}
    table.put_item(Item=item)
    return table.get_item(Key={"pk": item["pk"], "sk": item["sk"]}).get("Item", {})
