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

/// A small deterministic generator (xorshift) for the differential tests below.
struct Gen(u64);

impl Gen {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
}

const GEN_PRINCIPALS: &[&str] = &[
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:sts::111122223333:assumed-role/app/s1",
    "arn:aws:iam::111122223333:user/ana",
    "arn:aws:iam::444455556666:root",
    "arn:aws:iam::444455556666:role/aws-service-role/x.amazonaws.com/AWSServiceRoleForX",
    "arn:aws:sts::444455556666:federated-user/bob",
    "lambda.amazonaws.com",
    "*",
    "not-a-principal",
];
const GEN_ACTIONS: &[&str] = &[
    "s3:GetObject",
    "s3:PutObject",
    "S3:getobject",
    "kms:Decrypt",
    "sts:AssumeRole",
    "sts:GetCallerIdentity",
    "iam:PassRole",
    "iam:DeletePolicy",
    "sqs:SendMessage",
];
const GEN_RESOURCES: &[&str] = &[
    "arn:aws:s3:::logs/a/b",
    "arn:aws:s3:::ana/home/x",
    "arn:aws:kms:us-east-1:111122223333:key/k1",
    "arn:aws:iam::111122223333:role/app",
    "arn:aws:iam::aws:policy/AdministratorAccess",
    "arn:aws:sqs:us-east-1:444455556666:q",
    "arn:aws:sqs:us-east-1:444455556666:q:with:colons",
    "*",
];
const GEN_ACTION_PATTERNS: &[&str] = &[
    "*",
    "s3:*",
    "s3:Get*",
    "s3:?etObject",
    "kms:*",
    "sts:Assume*",
    "iam:*",
    "sqs:Send*",
];
const GEN_RESOURCE_PATTERNS: &[&str] = &[
    "*",
    "arn:aws:s3:::logs/*",
    "arn:aws:s3:::${aws:username}/*",
    "arn:aws:s3:::${aws:PrincipalTag/team, 'ana'}/*",
    "arn:aws:kms:*:111122223333:key/*",
    "arn:aws:iam::*:role/*",
    "arn:*:sqs:*:444455556666:*",
    "arn:aws:sqs:us-east-1:*:q",
];
const GEN_PRINCIPAL_ELEMENTS: &[&str] = &[
    r#""*""#,
    r#"{"AWS":"111122223333"}"#,
    r#"{"AWS":"arn:aws:iam::111122223333:role/app"}"#,
    r#"{"AWS":["arn:aws:iam::444455556666:root","*"]}"#,
    r#"{"Service":"lambda.amazonaws.com"}"#,
];
const GEN_CONDITIONS: &[&str] = &[
    r#""StringEquals":{"aws:PrincipalAccount":"111122223333"}"#,
    r#""StringNotEquals":{"aws:SourceVpce":"vpce-1"}"#,
    r#""StringLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/*"}"#,
    r#""StringEqualsIfExists":{"aws:SourceAccount":["111122223333","444455556666"]}"#,
    r#""ForAnyValue:StringEquals":{"aws:TagKeys":["owner","team"]}"#,
    r#""ForAllValues:StringLike":{"aws:TagKeys":"o*"}"#,
    r#""Null":{"aws:SourceVpce":"true"}"#,
    r#""Bool":{"aws:SecureTransport":"true"}"#,
    r#""ArnLike":{"aws:SourceArn":"arn:aws:sqs:*:444455556666:*"}"#,
    r#""StringEquals":{"aws:ResourceAccount":"${aws:PrincipalAccount}"}"#,
    r#""NumericLessThan":{"s3:max-keys":"10"}"#,
    r#""StringEqualsIgnoreCase":{"aws:username":"ANA"}"#,
];
const GEN_CONTEXT: &[(&str, &str)] = &[
    ("aws:SourceVpce", "vpce-1"),
    ("aws:sourcevpce", "vpce-2"),
    ("aws:SecureTransport", "true"),
    ("aws:TagKeys", "owner"),
    ("aws:TagKeys", "cost"),
    ("aws:SourceAccount", "444455556666"),
    ("aws:SourceArn", "arn:aws:sqs:us-east-1:444455556666:q"),
    ("s3:max-keys", "5"),
    ("aws:PrincipalTag/team", "logs"),
    ("aws:username", "ana"),
];

/// A generated statement (a principal when `principal`).
fn gen_statement(g: &mut Gen, principal: bool) -> String {
    let effect = if g.below(3) == 0 { "Deny" } else { "Allow" };
    let action = if g.below(5) == 0 {
        "NotAction"
    } else {
        "Action"
    };
    let resource = if g.below(6) == 0 {
        "NotResource"
    } else {
        "Resource"
    };
    let mut s = format!(
        r#"{{"Effect":"{effect}","{action}":["{}","{}"],"{resource}":"{}""#,
        g.pick(GEN_ACTION_PATTERNS),
        g.pick(GEN_ACTION_PATTERNS),
        g.pick(GEN_RESOURCE_PATTERNS)
    );
    if principal && g.below(5) != 0 {
        let which = if effect == "Deny" && g.below(4) == 0 {
            "NotPrincipal"
        } else {
            "Principal"
        };
        s.push_str(&format!(r#","{which}":{}"#, g.pick(GEN_PRINCIPAL_ELEMENTS)));
    }
    if g.below(2) == 0 {
        let c = g.pick(GEN_CONDITIONS);
        s.push_str(&format!(r#","Condition":{{{c}}}"#));
    }
    s.push('}');
    s
}

fn gen_policy(g: &mut Gen, principal: bool) -> PolicyDocument {
    let n = 1 + g.below(3);
    let statements: Vec<String> = (0..n).map(|_| gen_statement(g, principal)).collect();
    doc(&format!(
        r#"{{"Version":"2012-10-17","Statement":[{}]}}"#,
        statements.join(",")
    ))
}

fn gen_request(g: &mut Gen) -> Request {
    let mut r = Request::new(
        g.pick(GEN_PRINCIPALS),
        g.pick(GEN_ACTIONS),
        g.pick(GEN_RESOURCES),
    );
    for _ in 0..g.below(4) {
        let (k, v) = GEN_CONTEXT[g.below(GEN_CONTEXT.len())];
        r = r.with(k, v);
    }
    if g.below(8) == 0 {
        r = r.resource_account("111122223333");
    }
    if g.below(8) == 0 {
        r = r.management_account("444455556666");
    }
    r
}

/// `PolicySet::decision` (no explanation written) decides every generated request as
/// `evaluate` does, over policy sets of every kind.
#[test]
fn decision_without_explanation_is_the_verdicts_decision() {
    let mut g = Gen(0x9E37_79B9_7F4A_7C15);
    let b = Bindings::new();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..3000 {
        let mut set = PolicySet::default();
        for i in 0..1 + g.below(2) {
            set = set.identity(&format!("id{i}"), gen_policy(&mut g, false));
        }
        if g.below(2) == 0 {
            set = set.resource_policy("res", gen_policy(&mut g, true));
        }
        if g.below(4) == 0 {
            set = set.vpc_endpoint("vpce", gen_policy(&mut g, true));
        }
        if g.below(4) == 0 {
            set = set.boundary("boundary", gen_policy(&mut g, false));
        }
        if g.below(5) == 0 {
            set = set.session("session", gen_policy(&mut g, false));
        }
        if g.below(4) == 0 {
            set = set.scp("scp", gen_policy(&mut g, false));
        }
        if g.below(5) == 0 {
            set = set.rcp_level(vec![("rcp".into(), gen_policy(&mut g, true))]);
        }
        for _ in 0..8 {
            let req = gen_request(&mut g);
            let full = set.evaluate(&req, &b).decision;
            assert_eq!(set.decision(&req, &b), full, "{req:?}\n{set:?}");
            seen.insert(full.key());
        }
    }
    assert_eq!(seen.len(), 3, "every decision generated: {seen:?}");
}

/// One `Matcher` asked of many statements answers as a fresh one asked of each (the
/// context it makes on first use is the request's, whichever statement asked).
#[test]
fn one_matcher_for_many_statements_answers_as_one_each() {
    let mut g = Gen(0x2545_F491_4F6C_DD1D);
    let b = Bindings::new();
    let kinds = [
        PolicyKind::Identity,
        PolicyKind::Resource,
        PolicyKind::VpcEndpoint,
        PolicyKind::Rcp,
    ];
    let (mut yes, mut no) = (0, 0);
    for _ in 0..3000 {
        let kind = kinds[g.below(kinds.len())];
        let p = gen_policy(&mut g, kind != PolicyKind::Identity);
        let req = gen_request(&mut g);
        let shared = Matcher::new(&req, &b);
        for s in &p.statements {
            let alone = Matcher::new(&req, &b).applies(kind, s);
            assert_eq!(shared.applies(kind, s), alone, "{req:?}\n{s:?}");
            if alone {
                yes += 1;
            } else {
                no += 1;
            }
        }
    }
    assert!(yes > 200 && no > 200, "{yes} matched, {no} not");
}
