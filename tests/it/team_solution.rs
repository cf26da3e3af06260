//! A team's own solution as the issue tells it: a DynamoDB table read through a gateway
//! endpoint, named by `${Table.Arn}` in its grants and in its access scenarios. The
//! simulation binds the table's ARN as CloudFormation will: the allow rows allow, a grant
//! that loses its endpoint condition makes the deny row fail, and a scenario naming a
//! value nothing knows before deployment is an error, never a pass.

use perimeter::check::{
    Context, Outcome, Scenario, ScenarioCaller, Via, check_text, render::FileReport as Report,
    rules,
};

const TEMPLATE: &str = r#"AWSTemplateFormatVersion: '2010-09-09'
Resources:
  Vpc:
    Type: AWS::EC2::VPC
    Properties:
      CidrBlock: 10.0.0.0/16
  Routes:
    Type: AWS::EC2::RouteTable
    Properties:
      VpcId: !Ref Vpc
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: Orders
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions:
        - AttributeName: id
          AttributeType: S
      KeySchema:
        - AttributeName: id
          KeyType: HASH
  DynamoDbEndpoint:
    Type: AWS::EC2::VPCEndpoint
    Properties:
      VpcId: !Ref Vpc
      ServiceName: !Sub com.amazonaws.${AWS::Region}.dynamodb
      VpcEndpointType: Gateway
      RouteTableIds: [!Ref Routes]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: TheAppReadsTheTable
            Effect: Allow
            Principal: '*'
            Action: [dynamodb:GetItem, dynamodb:Query]
            Resource: [!GetAtt Table.Arn, !Sub '${Table.Arn}/index/*']
            Condition:
              StringEquals:
                aws:PrincipalArn: !GetAtt AppRole.Arn
  AppRole:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Effect: Allow
            Principal:
              Service: lambda.amazonaws.com
            Action: sts:AssumeRole
  AppAccess:
    Type: AWS::IAM::Policy
    Properties:
      PolicyName: app
      Roles: [!Ref AppRole]
      PolicyDocument:
        Version: '2012-10-17'
        Statement:
          - Sid: ReadTheTableThroughTheEndpoint
            Effect: Allow
            Action: [dynamodb:GetItem, dynamodb:Query]
            Resource: [!GetAtt Table.Arn, !Sub '${Table.Arn}/index/*']
            Condition:
              StringEquals:
                aws:sourceVpce: !Ref DynamoDbEndpoint
"#;

fn row(
    name: &str,
    caller: ScenarioCaller,
    action: &str,
    resource: &str,
    via: Via,
    expected: Outcome,
) -> Scenario {
    Scenario {
        name: name.into(),
        caller,
        action: action.into(),
        resource: resource.into(),
        via,
        endpoint: (via == Via::Endpoint).then(|| "DynamoDbEndpoint".to_string()),
        context: vec![],
        expected,
    }
}

fn app() -> ScenarioCaller {
    ScenarioCaller::Role("AppRole".into())
}

fn scenarios() -> Vec<Scenario> {
    vec![
        row(
            "the app reads an item through the endpoint",
            app(),
            "dynamodb:GetItem",
            "${Table.Arn}",
            Via::Endpoint,
            Outcome::Allow,
        ),
        row(
            "the app queries an index through the endpoint",
            app(),
            "dynamodb:Query",
            "${Table.Arn}/index/ByDay",
            Via::Endpoint,
            Outcome::Allow,
        ),
        row(
            "the app reads an item from outside the VPC",
            app(),
            "dynamodb:GetItem",
            "${Table.Arn}",
            Via::NoEndpoint,
            Outcome::Deny,
        ),
        row(
            "the app deletes an item through the endpoint",
            app(),
            "dynamodb:DeleteItem",
            "${Table.Arn}",
            Via::Endpoint,
            Outcome::Deny,
        ),
        row(
            "another role reads an item through the endpoint",
            ScenarioCaller::OtherRole,
            "dynamodb:GetItem",
            "${Table.Arn}",
            Via::Endpoint,
            Outcome::Deny,
        ),
        row(
            "the app reads another table through the endpoint",
            app(),
            "dynamodb:GetItem",
            "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/Payments",
            Via::Endpoint,
            Outcome::Deny,
        ),
    ]
}

fn run(template: &str, scenarios: Vec<Scenario>) -> Report {
    let ctx = Context {
        account: "111122223333".into(),
        region: "eu-west-1".into(),
        scenarios,
        ..Context::default()
    };
    check_text("team.yaml", template, &ctx)
}

#[test]
fn the_table_named_by_its_arn_is_granted_through_the_endpoint_only() {
    let r = run(TEMPLATE, scenarios());
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert_eq!(r.access.len(), 6);
    for row in &r.access {
        assert!(row.holds, "{row:?}");
        assert!(row.undecided.is_none(), "{row:?}");
    }
    // The ARN the rows were decided on is the table's, in the target's account and region.
    assert_eq!(
        r.access[0].resource,
        "arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"
    );
    assert_eq!(r.access[0].decision.to_string(), "allow");
    assert_eq!(r.access[1].decision.to_string(), "allow");
}

#[test]
fn a_grant_without_its_endpoint_condition_fails_the_deny_row() {
    let open = TEMPLATE.replace(
        "            Condition:\n              StringEquals:\n                aws:sourceVpce: !Ref DynamoDbEndpoint\n",
        "",
    );
    assert_ne!(open, TEMPLATE);
    let r = run(&open, scenarios());
    let failing: Vec<&str> = r
        .access
        .iter()
        .filter(|x| !x.holds)
        .map(|x| x.scenario.as_str())
        .collect();
    assert_eq!(failing, ["the app reads an item from outside the VPC"]);
    let access: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.id == rules::ACCESS.id)
        .collect();
    assert_eq!(access.len(), 1, "{:#?}", r.findings);
    assert!(
        access[0].message.contains("expected deny, got allow"),
        "{}",
        access[0].message
    );
    // And the rule for grants of a service with an endpoint here says why.
    let outside: Vec<_> = r.findings.iter().filter(|f| f.rule.id == "I502").collect();
    assert_eq!(outside.len(), 1, "{:#?}", r.findings);
    assert_eq!(outside[0].resource.as_deref(), Some("AppAccess"));
    assert!(
        outside[0].message.contains("dynamodb:GetItem"),
        "{}",
        outside[0].message
    );
}

#[test]
fn a_scenario_naming_a_value_unknown_before_deployment_is_an_error_not_a_pass() {
    // A stream's ARN carries the time the stream was made: nothing knows it before.
    let mut s = scenarios();
    s.push(row(
        "the app reads the stream from outside the VPC",
        app(),
        "dynamodb:GetRecords",
        "${Table.StreamArn}",
        Via::NoEndpoint,
        Outcome::Deny,
    ));
    let r = run(TEMPLATE, s);
    let last = r.access.last().unwrap();
    assert!(!last.holds);
    assert!(last.undecided.is_some());
    let f: Vec<_> = r
        .findings
        .iter()
        .filter(|f| f.rule.id == rules::ACCESS_UNDECIDABLE.id)
        .collect();
    assert_eq!(f.len(), 1, "{:#?}", r.findings);
    assert!(f[0].message.contains("cannot decide"), "{}", f[0].message);
    assert!(
        f[0].message.contains("${Table.StreamArn}"),
        "{}",
        f[0].message
    );
    assert_eq!(f[0].severity, perimeter::check::Severity::Error);
}

#[test]
fn a_policy_value_unknown_before_deployment_makes_the_rows_it_meets_undecidable() {
    // The grant names an endpoint passed in at deployment: whether the app's call holds
    // depends on it.
    let shared = TEMPLATE
        .replace(
            "Resources:\n",
            "Parameters:\n  SharedEndpoint:\n    Type: String\nResources:\n",
        )
        .replace(
            "aws:sourceVpce: !Ref DynamoDbEndpoint",
            "aws:sourceVpce: [!Ref DynamoDbEndpoint, !Ref SharedEndpoint]",
        );
    let r = run(&shared, scenarios());
    let undecided: Vec<&str> = r
        .access
        .iter()
        .filter(|x| x.undecided.is_some())
        .map(|x| x.scenario.as_str())
        .collect();
    assert!(
        undecided.contains(&"the app reads an item from outside the VPC"),
        "{undecided:?}"
    );
    // The other role's own policies name no such value.
    assert!(!undecided.contains(&"another role reads an item through the endpoint"));
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule.id == "A702" && f.message.contains("Ref SharedEndpoint"))
    );
}
