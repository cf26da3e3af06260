//! The perimeter questions on small policies whose answers are known by hand.

use super::*;

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::from_value(&crate::template::parse_value(json).unwrap()).unwrap()
}

fn identity(json: &str) -> Policies {
    Policies::Set(Box::new(PolicySet::default().identity("p", doc(json))))
}

fn endpoint(json: &str) -> Policies {
    Policies::Resource(PolicyKind::VpcEndpoint, "e".into(), doc(json))
}

fn acts(xs: &[&str]) -> Vec<Action> {
    xs.iter().map(|x| x.parse().unwrap()).collect()
}

fn strings(xs: &[&str]) -> Vec<String> {
    xs.iter().map(|x| x.to_string()).collect()
}

fn witness(o: Outcome) -> Witness {
    match o {
        Outcome::Fails(w) => w,
        other => panic!("expected a witness, got {other:?}"),
    }
}

fn holds(o: Outcome) {
    assert!(
        matches!(o, Outcome::Holds { .. }),
        "expected a proof, got {o:?}"
    );
}

#[test]
fn a_grant_conditioned_on_the_endpoint_holds_only_through_it() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#,
    );
    let vpces = strings(&["vpce-1"]);
    holds(
        only_through_endpoints(&p, &acts(&["bedrock:*"]), &vpces, &[], &Bindings::new()).unwrap(),
    );
    // Another endpoint is outside.
    let w = witness(
        only_through_endpoints(
            &p,
            &acts(&["bedrock:*"]),
            &strings(&["vpce-2"]),
            &[],
            &Bindings::new(),
        )
        .unwrap(),
    );
    assert_eq!(
        w.request.context["aws:sourcevpce"],
        vec!["vpce-1".to_string()]
    );
}

#[test]
fn a_grant_without_the_endpoint_is_refuted_by_a_request_from_anywhere() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:SourceVpce":"vpce-*"}}}]}"#,
    );
    let w = witness(
        only_through_endpoints(
            &p,
            &acts(&["s3:*"]),
            &strings(&["vpce-1"]),
            &[],
            &Bindings::new(),
        )
        .unwrap(),
    );
    let v = &w.request.context["aws:sourcevpce"][0];
    assert!(v.starts_with("vpce-") && v != "vpce-1");
    assert!(p.allows(&w.request, &Bindings::new()));
    // The VPC of the endpoint counts as inside too; a call through no network is out.
    let q = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-1"}}}]}"#,
    );
    let w = witness(
        only_through_endpoints(
            &q,
            &acts(&["s3:*"]),
            &[],
            &strings(&["vpc-1"]),
            &Bindings::new(),
        )
        .unwrap(),
    );
    assert!(!w.request.context.contains_key("aws:sourcevpc"));
    // Actions not asked about are not in the question.
    holds(
        only_through_endpoints(
            &q,
            &acts(&["bedrock:*"]),
            &[],
            &strings(&["vpc-1"]),
            &Bindings::new(),
        )
        .unwrap(),
    );
}

#[test]
fn calls_aws_services_make_for_the_caller_count_as_inside() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"Bool":{"aws:ViaAWSService":"true"}}}]}"#,
    );
    holds(
        only_through_endpoints(
            &p,
            &acts(&["s3:*"]),
            &strings(&["vpce-1"]),
            &[],
            &Bindings::new(),
        )
        .unwrap(),
    );
}

#[test]
fn only_the_listed_role_and_its_sessions_pass_the_endpoint() {
    let p = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}}]}"#,
    );
    let listed = strings(&["arn:aws:iam::111122223333:role/app"]);
    holds(only_principals(&p, &acts(&["bedrock:*"]), &listed, &[], &Bindings::new()).unwrap());
    let other = strings(&["arn:aws:iam::111122223333:role/other"]);
    let w =
        witness(only_principals(&p, &acts(&["bedrock:*"]), &other, &[], &Bindings::new()).unwrap());
    assert!(w.request.principal.contains(":111122223333:"));
    // Anyone in the account is more than the role.
    let q = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
    );
    let w = witness(
        only_principals(&q, &acts(&["bedrock:*"]), &listed, &[], &Bindings::new()).unwrap(),
    );
    assert!(w.request.principal != listed[0]);
    // An organization listed admits its members.
    let r = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
    );
    holds(
        only_principals(
            &r,
            &acts(&["bedrock:*"]),
            &listed,
            &strings(&["o-abc"]),
            &Bindings::new(),
        )
        .unwrap(),
    );
    witness(
        only_principals(
            &r,
            &acts(&["bedrock:*"]),
            &listed,
            &strings(&["o-xyz"]),
            &Bindings::new(),
        )
        .unwrap(),
    );
}

#[test]
fn only_the_listed_models_are_invoked() {
    let p = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":["arn:aws:bedrock:*::foundation-model/anthropic.claude-x","arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-x"]}]}"#,
    );
    let listed = strings(&[
        "arn:aws:bedrock:*::foundation-model/anthropic.claude-x",
        "arn:aws:bedrock:us-east-1:111122223333:inference-profile/us.anthropic.claude-x",
    ]);
    holds(only_resources(&p, &acts(&["bedrock:*"]), &listed, &Bindings::new()).unwrap());
    let w =
        witness(only_resources(&p, &acts(&["bedrock:*"]), &listed[..1], &Bindings::new()).unwrap());
    assert!(w.request.resource.contains("inference-profile/"));
    let wide = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.*"}]}"#,
    );
    let w =
        witness(only_resources(&wide, &acts(&["bedrock:*"]), &listed, &Bindings::new()).unwrap());
    assert!(w.request.resource.contains("foundation-model/anthropic."));
    assert!(!w.request.resource.ends_with("anthropic.claude-x"));
}
