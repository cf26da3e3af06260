"""Reads the function's secret, its configuration and one object of its bucket, each
through its VPC endpoint (the subnets have no other way out)."""
import os

import boto3


def handler(event, context):
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=os.environ["SECRET_ARN"])
    params = boto3.client("ssm").get_parameters_by_path(Path=os.environ["PARAMETER_PATH"])
    names = sorted(p["Name"] for p in params["Parameters"])
    key = event.get("key", "config.json")
    body = boto3.client("s3").get_object(Bucket=os.environ["BUCKET"], Key=key)["Body"].read()
    return {"secret_read": bool(secret["SecretString"]), "parameters": names, "bytes": len(body)}
