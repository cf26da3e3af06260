//! Scenarios from AWS's policy evaluation documentation, and the Bedrock PrivateLink
//! reference architecture's own test steps.

use super::*;
use crate::template::typed::{Str, ToValue, fns};
use crate::template::{Value, parse_value};

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::from_value(&parse_value(json).unwrap()).unwrap()
}

const ROLE: &str = "arn:aws:iam::111122223333:role/app";
const MODEL: &str = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-instant-v1";

#[test]
fn explicit_deny_overrides_allow() {
    let p = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*","Resource":"*"},
        {"Sid":"NoDelete","Effect":"Deny","Action":"s3:DeleteBucket","Resource":"arn:aws:s3:::*"}]}"#);
    let v = evaluate_identity(
        &p,
        &Request::new(ROLE, "s3:DeleteBucket", "arn:aws:s3:::logs"),
    );
    assert_eq!(v.decision, Decision::ExplicitDeny);
    assert_eq!(v.decided_by.unwrap().sid.as_deref(), Some("NoDelete"));
    let v = evaluate_identity(
        &p,
        &Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::logs/a"),
    );
    assert_eq!(v.decision, Decision::Allow);
}

#[test]
fn nothing_allows_means_implicit_deny() {
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::a/*"}}"#,
    );
    let v = evaluate_identity(&p, &Request::new(ROLE, "s3:PutObject", "arn:aws:s3:::a/x"));
    assert_eq!(v.decision, Decision::ImplicitDeny);
    assert!(v.decided_by.is_none());
}

#[test]
fn permissions_boundary_limits_identity_policy() {
    // The documented example: identity allows s3:*, the boundary only s3:GetObject.
    let id = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:*","Resource":"*"}}"#,
    );
    let boundary = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    let set = PolicySet::default()
        .identity("id", id)
        .boundary("boundary", boundary);
    let b = Bindings::new();
    assert_eq!(
        set.evaluate(&Request::new(ROLE, "s3:GetObject", "arn:aws:s3:::a/x"), &b)
            .decision,
        Decision::Allow
    );
    let v = set.evaluate(&Request::new(ROLE, "s3:PutObject", "arn:aws:s3:::a/x"), &b);
    assert_eq!(v.decision, Decision::ImplicitDeny);
    assert!(v.reason.contains("boundary"));
}

#[test]
fn resource_policy_grants_within_the_account_but_not_across() {
    let rp = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/app"},"Action":"sqs:SendMessage","Resource":"*"}}"#,
    );
    let b = Bindings::new();
    let same = PolicySet::default().resource_policy("queue", rp.clone());
    let req = Request::new(
        ROLE,
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:111122223333:q",
    );
    assert_eq!(same.evaluate(&req, &b).decision, Decision::Allow);
    // Across accounts the identity side must allow too.
    let req = Request::new(
        ROLE,
        "sqs:SendMessage",
        "arn:aws:sqs:us-east-1:444455556666:q",
    );
    assert_eq!(same.evaluate(&req, &b).decision, Decision::ImplicitDeny);
    let both = same.identity("id", doc(r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"sqs:*","Resource":"*"}}"#));
    assert_eq!(both.evaluate(&req, &b).decision, Decision::Allow);
}

#[test]
fn scp_region_deny_with_not_action() {
    // The documented "deny outside approved regions" SCP.
    let scp = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Sid":"DenyOtherRegions","Effect":"Deny","NotAction":["iam:*","sts:*"],"Resource":"*",
         "Condition":{"StringNotEquals":{"aws:RequestedRegion":["us-east-1","eu-west-1"]}}}]}"#);
    let id = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"*","Resource":"*"}}"#,
    );
    let set = PolicySet::default().scp("scp", scp).identity("admin", id);
    let b = Bindings::new();
    let r = |region: &str, action: &str| {
        Request::new(ROLE, action, MODEL).with("aws:RequestedRegion", region)
    };
    assert_eq!(
        set.evaluate(&r("us-west-2", "bedrock:InvokeModel"), &b)
            .decision,
        Decision::ExplicitDeny
    );
    assert_eq!(
        set.evaluate(&r("us-east-1", "bedrock:InvokeModel"), &b)
            .decision,
        Decision::Allow
    );
    assert_eq!(
        set.evaluate(&r("us-west-2", "iam:GetRole"), &b).decision,
        Decision::Allow
    );
}

#[test]
fn mfa_bool_if_exists_deny() {
    let p = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"ec2:*","Resource":"*"},
        {"Effect":"Deny","Action":"ec2:StopInstances","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#);
    let stop = Request::new(
        ROLE,
        "ec2:StopInstances",
        "arn:aws:ec2:us-east-1:111122223333:instance/i-1",
    );
    // Key absent: IfExists makes the Deny apply.
    assert_eq!(
        evaluate_identity(&p, &stop).decision,
        Decision::ExplicitDeny
    );
    assert_eq!(
        evaluate_identity(&p, &stop.clone().with("aws:MultiFactorAuthPresent", "true")).decision,
        Decision::Allow
    );
}

#[test]
fn for_all_values_tag_keys() {
    let p = doc(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"ec2:CreateTags","Resource":"*",
        "Condition":{"ForAllValues:StringEquals":{"aws:TagKeys":["environment","cost-center"]}}}}"#,
    );
    let base = Request::new(
        ROLE,
        "ec2:CreateTags",
        "arn:aws:ec2:us-east-1:111122223333:volume/v-1",
    );
    let ok = base
        .clone()
        .with("aws:TagKeys", "environment")
        .with("aws:TagKeys", "cost-center");
    let bad = base
        .clone()
        .with("aws:TagKeys", "environment")
        .with("aws:TagKeys", "owner");
    assert_eq!(evaluate_identity(&p, &ok).decision, Decision::Allow);
    assert_eq!(evaluate_identity(&p, &bad).decision, Decision::ImplicitDeny);
}

/// The reference architecture's identity policy and endpoint policy, as templates hold
/// them (intrinsics included), resolved with bindings.
fn bedrock_policies(effect: Effect) -> PolicySet {
    let identity = PolicyDocument::new(vec![
        Statement::new(
            Effect::Allow,
            ["bedrock:InvokeModel", "bedrock:ListFoundationModels"],
        )
        .unwrap()
        .resource("*".parse::<Arn>().unwrap())
        .condition(
            ConditionOperator::for_any_value(Op::StringEquals),
            "aws:sourceVpce",
            vec![Str::reference("BedrockRuntimeEndpoint")],
        ),
    ]);
    let endpoint = PolicyDocument::new(vec![
        Statement::new(effect, ["bedrock:InvokeModel"])
            .unwrap()
            .principal(Principal::aws(fns::sub("${FunctionRole.Arn}")))
            .resource(
                "arn:aws:bedrock:*::foundation-model/anthropic.claude-instant-v1"
                    .parse::<Arn>()
                    .unwrap(),
            ),
    ]);
    PolicySet::default()
        .identity("FunctionRole/BedrockAccess", identity)
        .vpc_endpoint("BedrockRuntimeEndpoint", endpoint)
}

fn bindings() -> Bindings {
    Bindings::new()
        .bind("BedrockRuntimeEndpoint", "vpce-0123456789abcdef0")
        .bind("FunctionRole.Arn", ROLE)
}

#[test]
fn bedrock_through_the_endpoint_is_allowed() {
    let req = Request::new(ROLE, "bedrock:InvokeModel", MODEL)
        .with("aws:sourceVpce", "vpce-0123456789abcdef0");
    let v = bedrock_policies(Effect::Allow).evaluate(&req, &bindings());
    assert_eq!(v.decision, Decision::Allow, "{}", v.reason);
}

#[test]
fn bedrock_without_the_endpoint_is_denied() {
    let req = Request::new(ROLE, "bedrock:InvokeModel", MODEL);
    let set = PolicySet {
        vpc_endpoint: Vec::new(),
        ..bedrock_policies(Effect::Allow)
    };
    assert_eq!(
        set.evaluate(&req, &bindings()).decision,
        Decision::ImplicitDeny
    );
}

#[test]
fn bedrock_other_model_is_denied_by_the_endpoint_policy() {
    let req = Request::new(
        ROLE,
        "bedrock:InvokeModel",
        "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-text-express-v1",
    )
    .with("aws:sourceVpce", "vpce-0123456789abcdef0");
    let v = bedrock_policies(Effect::Allow).evaluate(&req, &bindings());
    assert_eq!(v.decision, Decision::ImplicitDeny);
    assert!(v.reason.contains("VPC endpoint policy"));
}

#[test]
fn bedrock_endpoint_policy_flipped_to_deny() {
    let req = Request::new(ROLE, "bedrock:InvokeModel", MODEL)
        .with("aws:sourceVpce", "vpce-0123456789abcdef0");
    let v = bedrock_policies(Effect::Deny).evaluate(&req, &bindings());
    assert_eq!(v.decision, Decision::ExplicitDeny);
    assert_eq!(v.decided_by.unwrap().kind, PolicyKind::VpcEndpoint);
}

#[test]
fn bedrock_other_principal_is_refused_by_the_endpoint() {
    let req = Request::new(
        "arn:aws:iam::111122223333:role/other",
        "bedrock:InvokeModel",
        MODEL,
    )
    .with("aws:sourceVpce", "vpce-0123456789abcdef0");
    assert_eq!(
        bedrock_policies(Effect::Allow)
            .evaluate(&req, &bindings())
            .decision,
        Decision::ImplicitDeny
    );
}

#[test]
fn assumed_role_sessions_match_their_role() {
    let session = "arn:aws:sts::111122223333:assumed-role/app/fn-session";
    let req = Request::new(session, "bedrock:InvokeModel", MODEL)
        .with("aws:sourceVpce", "vpce-0123456789abcdef0");
    assert_eq!(
        bedrock_policies(Effect::Allow)
            .evaluate(&req, &bindings())
            .decision,
        Decision::Allow
    );
}

#[test]
fn policy_documents_round_trip_through_values() {
    let set = bedrock_policies(Effect::Allow);
    for (_, p) in set.identity.iter().chain(set.vpc_endpoint.iter()) {
        assert_eq!(&PolicyDocument::from_value(&p.to_value()).unwrap(), p);
    }
}

#[test]
fn malformed_policies_name_the_element() {
    let bad = |j: &str| PolicyDocument::from_value(&parse_value(j).unwrap()).unwrap_err();
    assert!(
        bad(r#"{"Statement":[{"Effect":"Allow","Action":"bedrock InvokeModel"}]}"#)
            .starts_with("Statement[0].Action[0]")
    );
    assert!(bad(r#"{"Statement":[{"Effect":"Permit","Action":"s3:*"}]}"#).contains("Effect"));
    assert!(bad(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Condition":{"StringEqualz":{"a":"b"}}}]}"#).contains("StringEqualz"));
    assert!(
        bad(r#"{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"bucket"}]}"#)
            .contains("Resource[0]")
    );
    // A policy held as a JSON string is read too.
    let s = Value::from(
        r#"{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}"#,
    );
    assert_eq!(PolicyDocument::from_value(&s).unwrap().statements.len(), 1);
}
