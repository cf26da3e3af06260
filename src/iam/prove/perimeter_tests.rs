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

fn topic_policy(condition: &str) -> Policies {
    let condition = if condition.is_empty() {
        String::new()
    } else {
        format!(r#","Condition":{condition}"#)
    };
    Policies::Resource(
        PolicyKind::Resource,
        "topic".into(),
        doc(&format!(
            r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{{"Service":"s3.amazonaws.com"}},"Action":"sns:Publish","Resource":"arn:aws:sns:us-east-1:111122223333:events"{condition}}}]}}"#
        )),
    )
}

fn ours() -> Trusted {
    Trusted {
        accounts: strings(&["111122223333"]),
        orgs: strings(&["o-ours1234"]),
        vpces: vec![],
    }
}

/// The confused deputy (IAM User Guide, "The confused deputy problem",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html): a service
/// principal admitted by a resource policy acts for whichever account uses the service,
/// so without `aws:SourceAccount`, `aws:SourceArn` or `aws:SourceOrgID` on the account
/// it acts for, any account's bucket can publish to the topic. AWS recommends those
/// keys "in resource-based policies that allow service principals" ("Cross-service
/// confused deputy prevention", same page; `aws:SourceAccount` is set only when a
/// service principal calls: "AWS global condition context keys",
/// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount).
#[test]
fn a_service_principal_without_its_source_pinned_is_outside_the_identity_perimeter() {
    let b = Bindings::new();
    let w = witness(identity_perimeter(&topic_policy(""), &ours(), &[], &b).unwrap());
    assert_eq!(w.request.principal, "s3.amazonaws.com", "{}", w.file);
    assert_eq!(w.request.action.to_ascii_lowercase(), "sns:publish");
    // The service acts for an account that is not ours (or says for none).
    assert!(
        w.request
            .context
            .get("aws:sourceaccount")
            .is_none_or(|v| v.iter().all(|a| a != "111122223333")),
        "{}",
        w.file
    );
    // The source ARN pinned to any account's bucket: the witness is another account's.
    let w = witness(
        identity_perimeter(
            &topic_policy(r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:*:*:*"}}"#),
            &ours(),
            &[],
            &b,
        )
        .unwrap(),
    );
    let arn = &w.request.context["aws:sourcearn"][0];
    assert!(arn.starts_with("arn:aws:s3:"), "{arn}");
    assert_ne!(arn.split(':').nth(4), Some("111122223333"), "{}", w.file);
    // An S3 bucket's ARN names no account: pinning the bucket alone leaves it to
    // whoever owns that name; AWS pairs it with aws:SourceAccount for that reason.
    witness(
        identity_perimeter(
            &topic_policy(r#"{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::our-bucket"}}"#),
            &ours(),
            &[],
            &b,
        )
        .unwrap(),
    );
}

#[test]
fn a_service_principal_acting_only_for_a_trusted_account_or_org_is_inside() {
    let b = Bindings::new();
    for condition in [
        r#"{"StringEquals":{"aws:SourceAccount":"111122223333"}}"#,
        r#"{"ArnLike":{"aws:SourceArn":"arn:aws:s3:*:111122223333:*"}}"#,
        r#"{"StringEquals":{"aws:SourceOrgID":"o-ours1234"}}"#,
        r#"{"StringEquals":{"aws:SourceAccount":"111122223333"},"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::our-bucket"}}"#,
    ] {
        holds(identity_perimeter(&topic_policy(condition), &ours(), &[], &b).unwrap());
    }
    // Another account pinned is refuted, with that account as the witness's source.
    let w = witness(
        identity_perimeter(
            &topic_policy(r#"{"StringEquals":{"aws:SourceAccount":"444455556666"}}"#),
            &ours(),
            &[],
            &b,
        )
        .unwrap(),
    );
    assert_eq!(w.request.context["aws:sourceaccount"], ["444455556666"]);
}

#[test]
fn anyone_of_the_trusted_organization_admits_no_service_principal() {
    // A service principal is of no organization: `aws:PrincipalOrgID` is never on its
    // request, so a statement for the organization's members admits no service.
    let p = endpoint(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sns:Publish","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-ours1234"}}}]}"#,
    );
    holds(identity_perimeter(&p, &ours(), &[], &Bindings::new()).unwrap());
}

#[test]
fn an_allow_to_a_principal_outside_the_callers_tried_is_not_proven() {
    // CloudFront's origin access identity, a canonical user and a federated provider are
    // no account's callers: a grant to them was read as granting no one, and "proven"
    // (found on a real bucket policy pair of the diff corpus, awslabs f82a6f99ab).
    let b = Bindings::new();
    for principal in [
        r#"{"AWS": "arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity E15MNIMTCFKK4C"}"#,
        r#"{"CanonicalUser": "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"}"#,
        r#"{"Federated": "cognito-identity.amazonaws.com"}"#,
    ] {
        let policy = Policies::Resource(
            PolicyKind::Resource,
            "bucket".into(),
            doc(&format!(
                r#"{{"Version":"2012-10-17","Statement":[{{"Effect":"Allow","Principal":{principal},
                "Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}}]}}"#
            )),
        );
        match identity_perimeter(&policy, &ours(), &[], &b).unwrap() {
            Outcome::Unknown(why) => assert!(why.contains("is not modelled"), "{why}"),
            other => panic!("{principal}: {other:?}"),
        }
    }
    // A Deny naming one only spares the others: still decided.
    let policy = Policies::Resource(
        PolicyKind::Resource,
        "bucket".into(),
        doc(r#"{"Version":"2012-10-17","Statement":[
            {"Effect":"Deny","Principal":{"CanonicalUser":"79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"},"Action":"s3:*","Resource":"*"},
            {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::site/*"}]}"#),
    );
    holds(identity_perimeter(&policy, &ours(), &[], &b).unwrap());
}
