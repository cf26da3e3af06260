"""Reads the function's secret through its VPC endpoint (the subnets have no other way
out)."""
import os

import boto3


def handler(event, context):
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_ARN"])
    return {"secret_read": bool(secret["SecretString"])}
