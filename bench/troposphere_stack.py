#!/usr/bin/env python3
"""The shipped blueprint's dev target, built with troposphere (PyPI), for a side-by-side
timing with `perimeter synth` (bench/compare-troposphere). Prints the template as JSON.

It builds the same stack resource by resource, so `perimeter diff` of its output against
out/bedrock-private-access/dev.template.json must show no change; the comparison script
checks that before timing anything.
"""

import os
import sys

from troposphere import (
    Export, GetAtt, GetAZs, Join, Output, Ref, Select, Sub, Tags, Template,
)
from troposphere import ec2, iam, awslambda, logs

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "bedrock-private-access-dev"
MODEL = "anthropic.claude-instant-v1"
MODEL_ARN = Sub(f"arn:${{AWS::Partition}}:bedrock:*::foundation-model/{MODEL}")
NO_EGRESS = ec2.SecurityGroupRule(
    CidrIp="255.255.255.255/32", Description="Disallow all traffic",
    FromPort=252, IpProtocol="icmp", ToPort=86,
)


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def build():
    t = Template()
    t.set_version("2010-09-09")
    t.set_description(f"Private access to Amazon Bedrock over AWS PrivateLink ({NAME})")

    vpc = t.add_resource(ec2.VPC(
        "Vpc", CidrBlock="10.0.0.0/16", EnableDnsHostnames=True, EnableDnsSupport=True,
        Tags=Tags(Name=f"{NAME}-vpc"),
    ))
    subnets = []
    for i in (1, 2):
        subnet = t.add_resource(ec2.Subnet(
            f"VpcPrivateSubnet{i}", VpcId=Ref(vpc), CidrBlock=f"10.0.{i - 1}.0/24",
            AvailabilityZone=Select(i - 1, GetAZs("")), MapPublicIpOnLaunch=False,
            Tags=Tags(Name=f"{NAME}-private-{i}"),
        ))
        table = t.add_resource(ec2.RouteTable(
            f"VpcPrivateSubnet{i}RouteTable", VpcId=Ref(vpc), Tags=Tags(Name=f"{NAME}-private-{i}"),
        ))
        t.add_resource(ec2.SubnetRouteTableAssociation(
            f"VpcPrivateSubnet{i}RouteTableAssociation", RouteTableId=Ref(table), SubnetId=Ref(subnet),
        ))
        subnets.append(Ref(subnet))

    workload = t.add_resource(ec2.SecurityGroup(
        "WorkloadSecurityGroup", GroupDescription="Workload (Lambda function)", VpcId=Ref(vpc),
        SecurityGroupEgress=[NO_EGRESS], Tags=Tags(Name=f"{NAME}-workload"),
    ))
    endpoint_sg = t.add_resource(ec2.SecurityGroup(
        "EndpointSecurityGroup", GroupDescription="Allow TLS for VPC Endpoint", VpcId=Ref(vpc),
        SecurityGroupEgress=[NO_EGRESS], Tags=Tags(Name=f"{NAME}-endpoints"),
    ))
    t.add_resource(ec2.SecurityGroupIngress(
        "EndpointIngressFromWorkloadTcp443", Description="HTTPS to the VPC endpoints",
        GroupId=GetAtt(endpoint_sg, "GroupId"), IpProtocol="tcp", FromPort=443, ToPort=443,
        SourceSecurityGroupId=GetAtt(workload, "GroupId"),
    ))
    t.add_resource(ec2.SecurityGroupEgress(
        "WorkloadEgressToEndpointTcp443", Description="HTTPS to the VPC endpoints",
        GroupId=GetAtt(workload, "GroupId"), IpProtocol="tcp", FromPort=443, ToPort=443,
        DestinationSecurityGroupId=GetAtt(endpoint_sg, "GroupId"),
    ))

    log_group = t.add_resource(logs.LogGroup("FunctionLogGroup", RetentionInDays=30))
    role = t.add_resource(iam.Role(
        "FunctionRole", Description="Execution role of Function",
        AssumeRolePolicyDocument=policy({
            "Action": "sts:AssumeRole", "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
        }),
        Policies=[
            iam.Policy(PolicyName="VpcNetworkInterfaces", PolicyDocument=policy({
                "Action": [
                    "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
                    "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
                    "ec2:UnassignPrivateIpAddresses",
                ],
                "Effect": "Allow", "Resource": "*", "Sid": "VpcNetworkInterfaces",
            })),
            iam.Policy(PolicyName="Logging", PolicyDocument=policy({
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Effect": "Allow",
                "Resource": GetAtt(log_group, "Arn"), "Sid": "WriteOwnLogGroup",
            })),
        ],
    ))

    def endpoint(logical_id, service, statement):
        return t.add_resource(ec2.VPCEndpoint(
            logical_id, VpcId=Ref(vpc), ServiceName=Sub(f"com.amazonaws.${{AWS::Region}}.{service}"),
            VpcEndpointType="Interface", PrivateDnsEnabled=True, SubnetIds=subnets,
            SecurityGroupIds=[GetAtt(endpoint_sg, "GroupId")],
            PolicyDocument=policy(dict(statement, Effect="Allow", Principal={"AWS": GetAtt(role, "Arn")})),
            Tags=Tags(Name=f"{NAME}-{service}"),
        ))

    runtime = endpoint("BedrockRuntimeEndpoint", "bedrock-runtime", {
        "Action": "bedrock:InvokeModel", "Resource": MODEL_ARN, "Sid": "InvokeListedModelsOnly",
    })
    control = endpoint("BedrockEndpoint", "bedrock", {
        "Action": "bedrock:ListFoundationModels", "Resource": "*", "Sid": "ListModelsThroughEndpoint",
    })
    t.add_resource(iam.PolicyType(
        "FunctionBedrockAccess", PolicyName="BedrockThroughPrivateLink", Roles=[Ref(role)],
        PolicyDocument=policy(
            {
                "Action": "bedrock:InvokeModel", "Effect": "Allow", "Resource": MODEL_ARN,
                "Condition": {"ForAnyValue:StringEquals": {"aws:sourceVpce": Ref(runtime)}},
                "Sid": "InvokeModelThroughEndpoint",
            },
            {
                "Action": "bedrock:ListFoundationModels", "Effect": "Allow", "Resource": "*",
                "Condition": {"ForAnyValue:StringEquals": {"aws:sourceVpce": Ref(control)}},
                "Sid": "ListModelsThroughEndpoint",
            },
        ),
    ))
    with open(os.path.join(ROOT, "src", "constructs", "handler.py")) as f:
        code = f.read()
    function = t.add_resource(awslambda.Function(
        "Function", Description="Answers product questions with Amazon Bedrock over PrivateLink",
        Runtime="python3.12", Handler="index.handler", MemorySize=256, Timeout=30,
        Role=GetAtt(role, "Arn"), Code=awslambda.Code(ZipFile=code),
        Environment=awslambda.Environment(Variables={"MODEL_ID": MODEL}),
        LoggingConfig=awslambda.LoggingConfig(LogGroup=Ref(log_group)),
        VpcConfig=awslambda.VPCConfig(SubnetIds=subnets, SecurityGroupIds=[GetAtt(workload, "GroupId")]),
    ))

    def output(name, description, value):
        t.add_output(Output(name, Description=description, Value=value,
                            Export=Export(Sub(f"${{AWS::StackName}}-{name}"))))

    output("BedrockRuntimeEndpointId", "The bedrock-runtime interface endpoint", Ref(runtime))
    output("FunctionArn", "The Lambda function's ARN", GetAtt(function, "Arn"))
    output("FunctionName", "The Lambda function", Ref(function))
    output("PrivateSubnetIds", "The private subnets, comma-separated", Join(",", subnets))
    output("VpcId", "The VPC", Ref(vpc))
    return t


if __name__ == "__main__":
    sys.stdout.write(build().to_json())
