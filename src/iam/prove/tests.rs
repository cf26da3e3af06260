//! The prover on small policies whose answers are known by hand, and on examples from
//! AWS's documentation.

use super::*;

fn doc(json: &str) -> PolicyDocument {
    PolicyDocument::from_value(&crate::template::parse_value(json).unwrap()).unwrap()
}

fn identity(json: &str) -> Policies {
    Policies::Set(Box::new(PolicySet::default().identity("p", doc(json))))
}

fn resource(json: &str) -> Policies {
    Policies::Resource(PolicyKind::Resource, "r".into(), doc(json))
}

fn b() -> Bindings {
    Bindings::new()
}

fn witness(o: Outcome) -> Witness {
    match o {
        Outcome::Fails(w) => w,
        other => panic!("expected a witness, got {other:?}"),
    }
}

#[test]
fn a_narrower_action_list_is_no_new_access() {
    let old = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}"#,
    );
    let new = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:getbucketpolicy"],"Resource":"arn:aws:s3:::b/*"}]}"#,
    );
    assert!(matches!(
        no_new_access(&old, &new, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let w = witness(no_new_access(&new, &old, &b()).unwrap());
    assert!(w.request.action.to_ascii_lowercase().starts_with("s3:get"));
    assert!(new.allows(&w.request, &b()) || !w.request.resource.starts_with("arn:aws:s3:::b/"));
}

#[test]
fn a_widened_condition_is_new_access() {
    let old = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"aws:SourceVpce":"vpce-1"}}}]}"#,
    );
    let new = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringLike":{"aws:SourceVpce":"vpce-*"}}}]}"#,
    );
    let w = witness(no_new_access(&old, &new, &b()).unwrap());
    let vpce = &w.request.context["aws:sourcevpce"];
    assert_eq!(vpce.len(), 1);
    assert!(vpce[0].starts_with("vpce-") && vpce[0] != "vpce-1");
    assert!(matches!(
        no_new_access(&new, &old, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}

#[test]
fn a_deny_with_not_action_carves_out_the_rest() {
    // AWS documentation, "NotAction with Deny": deny everything but IAM without MFA.
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notaction.html
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","NotAction":"iam:*","Resource":"*","Condition":{"BoolIfExists":{"aws:MultiFactorAuthPresent":"false"}}}]}"#,
    );
    let s3: Vec<Action> = vec!["s3:*".parse().unwrap()];
    let w = witness(access_not_granted(&p, &s3, &[], &b()).unwrap());
    // Only with MFA: the key present and not "false".
    let mfa = &w.request.context["aws:multifactorauthpresent"];
    assert!(!mfa[0].eq_ignore_ascii_case("false"));
    let iam: Vec<Action> = vec!["iam:CreateUser".parse().unwrap()];
    assert!(matches!(
        access_not_granted(&p, &iam, &[], &b()).unwrap(),
        Outcome::Fails(_)
    ));
}

#[test]
fn numbers_dates_and_addresses_are_decided_at_their_boundaries() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*","Condition":{
        "NumericLessThanEquals":{"aws:MultiFactorAuthAge":"3600"},
        "DateLessThan":{"aws:CurrentTime":"2024-06-30T00:00:00Z"},
        "IpAddress":{"aws:SourceIp":["203.0.113.0/24","2001:db8::/32"]},
        "NotIpAddress":{"aws:SourceIp":"203.0.113.128/25"}}}]}"#,
    );
    let act: Vec<Action> = vec!["sts:AssumeRole".parse().unwrap()];
    let w = witness(access_not_granted(&p, &act, &[], &b()).unwrap());
    let age: f64 = w.request.context["aws:multifactorauthage"][0]
        .parse()
        .unwrap();
    assert!(age <= 3600.0);
    let ip = &w.request.context["aws:sourceip"][0];
    assert!(ip.starts_with("203.0.113.") || ip.starts_with("2001:db8:"));
    // Contradictory bounds: nothing is granted.
    let q = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
        "NumericLessThan":{"s3:max-keys":"10"},"NumericGreaterThan":{"s3:max-keys":"9.99999"},
        "NumericNotEquals":{"s3:max-keys":["9.999995"]},
        "IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"NotIpAddress":{"aws:SourceIp":"10.0.0.0/9"}}}]}"#,
    );
    let any: Vec<Action> = vec!["*".parse().unwrap()];
    let w = witness(access_not_granted(&q, &any, &[], &b()).unwrap());
    let ip = &w.request.context["aws:sourceip"][0];
    assert!(ip.starts_with("10.") && ip.split('.').nth(1).unwrap().parse::<u8>().unwrap() >= 128);
    let r = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
        "NumericLessThan":{"n":"10"},"NumericGreaterThanEquals":{"n":"10"}}}]}"#,
    );
    assert!(matches!(
        access_not_granted(&r, &any, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}

#[test]
fn set_operators_take_sets_of_values() {
    // ForAllValues holds for an absent key; ForAnyValue needs one value in the set.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{
        "ForAllValues:StringEquals":{"dynamodb:Attributes":["id","name"]},
        "ForAnyValue:StringEquals":{"dynamodb:Attributes":["secret"]}}}]}"#,
    );
    let any: Vec<Action> = vec!["*".parse().unwrap()];
    assert!(matches!(
        access_not_granted(&p, &any, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let q = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{
        "ForAnyValue:StringEquals":{"dynamodb:Attributes":["id"]},
        "ForAnyValue:StringNotEquals":{"dynamodb:Attributes":["id"]}}}]}"#,
    );
    let w = witness(access_not_granted(&q, &any, &[], &b()).unwrap());
    assert_eq!(w.request.context["dynamodb:attributes"].len(), 2);
}

#[test]
fn a_bucket_policy_for_one_account_is_not_public() {
    // AWS documentation, "Granting permissions to multiple accounts with added conditions".
    let p = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*"}]}"#,
    );
    let trusted = Trusted {
        accounts: vec!["111122223333".into()],
        ..Trusted::default()
    };
    let shape = resource_shape("AWS::S3::Bucket").unwrap();
    assert!(matches!(
        no_public_access(&p, shape, &trusted, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    // Everyone, unless the org condition binds them.
    let q = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*",
        "Action":"s3:GetObject","Resource":"arn:aws:s3:::amzn-s3-demo-bucket/*","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-abc"}}}]}"#,
    );
    let org = Trusted {
        orgs: vec!["o-abc".into()],
        ..trusted.clone()
    };
    assert!(matches!(
        no_public_access(&q, shape, &org, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let w = witness(no_public_access(&q, shape, &trusted, &b()).unwrap());
    assert_eq!(
        w.request.context["aws:principalorgid"],
        vec!["o-abc".to_string()]
    );
    assert_ne!(w.request.principal.split(':').nth(4), Some("111122223333"));
}

#[test]
fn a_role_names_its_sessions() {
    let p = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/app"},
        "Action":"s3:GetObject","Resource":"*"}]}"#,
    );
    let trusted = Trusted {
        accounts: vec!["111122223333".into()],
        ..Trusted::default()
    };
    let w = witness(no_public_access(&p, "*", &trusted, &b()).unwrap());
    assert!(w.request.principal.contains("444455556666"));
}

#[test]
fn every_glob_combination_is_realized_or_proven_empty() {
    // "s3:Get*Acl" and "s3:*Object*" overlap in s3:GetObjectAcl: a Deny of one does not
    // cover the other.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"s3:*Object*","Resource":"*"},
        {"Effect":"Deny","Action":"s3:Get*Acl","Resource":"*"}]}"#,
    );
    let asked: Vec<Action> = vec!["s3:Get*".parse().unwrap()];
    let w = witness(access_not_granted(&p, &asked, &[], &b()).unwrap());
    let a = w.request.action.to_ascii_lowercase();
    assert!(a.starts_with("s3:get") && a.contains("object") && !a.ends_with("acl"));
    let asked: Vec<Action> = vec!["s3:GetObjectAcl".parse().unwrap()];
    assert!(matches!(
        access_not_granted(&p, &asked, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}

#[test]
fn mixed_value_families_are_unknown() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{
        "StringLike":{"k":"1*"},"NumericLessThan":{"k":"5"}}}]}"#,
    );
    let any: Vec<Action> = vec!["*".parse().unwrap()];
    match access_not_granted(&p, &any, &[], &b()).unwrap() {
        Outcome::Unknown(why) => assert!(why.contains("mixed value families"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_resource_perimeter_admits_named_models_and_own_accounts_only() {
    let endpoint = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"bedrock:InvokeModel","Resource":"arn:aws:bedrock:*::foundation-model/anthropic.claude-instant-v1"},
        {"Effect":"Allow","Principal":"*","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:*:123456789012:secret:*"}]}"#);
    let named = named_exactly(&endpoint, &b());
    assert_eq!(
        named,
        vec!["arn:aws:bedrock:*::foundation-model/anthropic.claude-instant-v1".to_string()]
    );
    let p = Policies::Resource(PolicyKind::VpcEndpoint, "e".into(), endpoint);
    let own = vec!["123456789012".to_string()];
    assert!(matches!(
        resource_perimeter(&p, &own, &named, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    // The S3 gateway endpoint of the prod template before its fix (issue 22).
    let s3 = doc(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:PutObject",
        "Resource":"arn:aws:s3:::cloudformation-custom-resource-response-*/*"}]}"#,
    );
    let named = named_exactly(&s3, &b());
    assert!(named.is_empty());
    let p = Policies::Resource(PolicyKind::VpcEndpoint, "s3".into(), s3);
    let w = witness(resource_perimeter(&p, &own, &named, &b()).unwrap());
    assert!(
        w.request
            .resource
            .starts_with("arn:aws:s3:::cloudformation-custom-resource-response-")
    );
    assert_eq!(w.request.action, "s3:PutObject");
}

/// An action that acts on no resource type (the catalog: `Resource: "*"` only) names no
/// resource of another account; one that does, on `*`, reaches every account's.
#[test]
fn the_resource_perimeter_ignores_actions_without_a_resource_type() {
    let own = vec!["123456789012".to_string()];
    let list = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"bedrock:ListFoundationModels","Resource":"*"}]}"#);
    let p = Policies::Resource(PolicyKind::VpcEndpoint, "e".into(), list);
    assert!(matches!(
        resource_perimeter(&p, &own, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let get = doc(r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":"*","Action":"bedrock:GetFoundationModel","Resource":"*"}]}"#);
    let p = Policies::Resource(PolicyKind::VpcEndpoint, "e".into(), get);
    let w = witness(resource_perimeter(&p, &own, &[], &b()).unwrap());
    assert!(
        w.request
            .action
            .eq_ignore_ascii_case("bedrock:GetFoundationModel")
    );
}

// Access Analyzer's published examples (the AWS CLI's examples for
// `aws accessanalyzer check-*`), with the answers AWS gives.

#[test]
fn access_analyzer_check_no_new_access_example_fails_on_get_object_acl() {
    // https://github.com/aws/aws-cli/blob/develop/awscli/examples/accessanalyzer/check-no-new-access.rst
    // Expected: FAIL ("The modified permissions grant new access").
    let existing = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
        "Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]}]}"#,
    );
    let new = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:GetObjectAcl","s3:ListBucket"],
        "Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]}]}"#,
    );
    let w = witness(no_new_access(&existing, &new, &b()).unwrap());
    assert!(w.request.action.eq_ignore_ascii_case("s3:GetObjectAcl"));
    assert!(
        w.request
            .resource
            .starts_with("arn:aws:s3:::DOC-EXAMPLE-BUCKET")
    );
    // The other way round nothing is new.
    assert!(matches!(
        no_new_access(&new, &existing, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}

#[test]
fn access_analyzer_check_access_not_granted_example_passes() {
    // https://github.com/aws/aws-cli/blob/develop/awscli/examples/accessanalyzer/check-access-not-granted.rst
    // Expected: PASS for s3:DeleteBucket and s3:GetBucketLocation.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],
        "Resource":["arn:aws:s3:::DOC-EXAMPLE-BUCKET","arn:aws:s3:::DOC-EXAMPLE-BUCKET/*"]}]}"#,
    );
    let asked: Vec<Action> = vec![
        "s3:DeleteBucket".parse().unwrap(),
        "s3:GetBucketLocation".parse().unwrap(),
    ];
    assert!(matches!(
        access_not_granted(&p, &asked, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    // s3:ListBucket is granted, on the bucket only.
    let list: Vec<Action> = vec!["s3:listbucket".parse().unwrap()];
    let w = witness(access_not_granted(&p, &list, &[], &b()).unwrap());
    assert!(
        w.request
            .resource
            .starts_with("arn:aws:s3:::DOC-EXAMPLE-BUCKET")
    );
}

#[test]
fn access_analyzer_check_no_public_access_example_admits_one_user() {
    // https://github.com/aws/aws-cli/blob/develop/awscli/examples/accessanalyzer/check-no-public-access.rst
    // Expected: PASS for AWS::S3::Bucket: the policy names one user of account
    // 111122223333. Access Analyzer's "public" is "any principal"; this question is "a
    // principal outside the trusted accounts", so the user's account is trusted here, and
    // with no account trusted the user is outside.
    let p = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Sid":"CheckNoPublicAccess","Effect":"Allow",
        "Principal":{"AWS":"arn:aws:iam::111122223333:user/JohnDoe"},"Action":["s3:GetObject"]}]}"#,
    );
    let shape = resource_shape("AWS::S3::Bucket").unwrap();
    let trusted = Trusted {
        accounts: vec!["111122223333".into()],
        ..Trusted::default()
    };
    assert!(matches!(
        no_public_access(&p, shape, &trusted, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let w = witness(no_public_access(&p, shape, &Trusted::default(), &b()).unwrap());
    assert_eq!(
        w.request.principal,
        "arn:aws:iam::111122223333:user/JohnDoe"
    );
}

#[test]
fn not_principal_with_deny_spares_a_role_only_with_its_account() {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
    // "When you use NotPrincipal, you must also specify the account ARN of the
    // not-denied principal": listing the role alone denies its sessions too.
    let role_only = resource(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/app"},"Action":"s3:GetObject","Resource":"*"},
        {"Effect":"Deny","NotPrincipal":{"AWS":"arn:aws:iam::444455556666:role/app"},"Action":"s3:*","Resource":"*"}]}"#,
    );
    // Nobody gets through: the Deny spares no one, the role's sessions included.
    assert!(matches!(
        no_public_access(&role_only, "*", &Trusted::default(), &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let with_account = resource(
        r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:role/app"},"Action":"s3:GetObject","Resource":"*"},
        {"Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::444455556666:role/app","arn:aws:iam::444455556666:root"]},
         "Action":"s3:*","Resource":"*"}]}"#,
    );
    let w = witness(no_public_access(&with_account, "*", &Trusted::default(), &b()).unwrap());
    assert!(
        w.request
            .principal
            .starts_with("arn:aws:sts::444455556666:assumed-role/app/")
            || w.request.principal == "arn:aws:iam::444455556666:role/app",
        "{}",
        w.request.principal
    );
}

#[test]
fn a_session_is_decided_by_its_roles_arn() {
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
    // aws:PrincipalArn of an assumed-role session is the role's ARN: a condition naming
    // the session's own ARN never holds for it.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
        "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:sts::*:assumed-role/*"}}}]}"#,
    );
    let get: Vec<Action> = vec!["s3:GetObject".parse().unwrap()];
    assert!(matches!(
        access_not_granted(&p, &get, &[], &b()).unwrap(),
        Outcome::Holds { .. }
    ));
    let q = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*",
        "Condition":{"ArnLike":{"aws:PrincipalArn":"arn:aws:iam::*:role/app"}}}]}"#,
    );
    let w = witness(access_not_granted(&q, &get, &[], &b()).unwrap());
    assert!(
        w.request.principal.contains(":assumed-role/app/"),
        "{}",
        w.request.principal
    );
}

#[test]
fn principal_account_is_the_callers_not_a_free_value() {
    // aws:PrincipalAccount is the caller's account: a policy allowing only account
    // 111122223333 grants nothing to a caller of another account, whatever the request
    // carries.
    let p = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*",
        "Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
    );
    let trusted = Trusted {
        accounts: vec!["111122223333".into()],
        ..Trusted::default()
    };
    assert!(matches!(
        no_public_access(&p, "*", &trusted, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}

#[test]
fn a_cross_account_grant_in_an_identity_policy_counts() {
    // A role's policy granting a queue of another account: access once that account's
    // queue policy trusts the role's account. The witness shows that resource policy.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:SendMessage",
        "Resource":"arn:aws:sqs:us-east-1:444455556666:q",
        "Condition":{"ArnEquals":{"aws:PrincipalArn":"arn:aws:iam::111122223333:role/app"}}}]}"#,
    );
    let send: Vec<Action> = vec!["sqs:SendMessage".parse().unwrap()];
    let w = witness(access_not_granted(&p, &send, &[], &b()).unwrap());
    assert!(
        w.request
            .principal
            .contains(":111122223333:assumed-role/app/")
    );
    assert_eq!(
        w.file["resource_policy"]["Statement"][0]["Principal"]["AWS"],
        "111122223333"
    );
}

#[test]
fn policy_variables_are_unknown() {
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject",
        "Resource":"arn:aws:s3:::home/${aws:username}/*"}]}"#,
    );
    let get: Vec<Action> = vec!["s3:GetObject".parse().unwrap()];
    match access_not_granted(&p, &get, &[], &b()).unwrap() {
        Outcome::Unknown(why) => assert!(why.contains("policy variable"), "{why}"),
        other => panic!("expected unknown, got {other:?}"),
    }
}

#[test]
fn a_witness_action_is_a_real_action_not_the_excluded_ones() {
    // Action s3:* asked of a policy granting NotAction s3:Get*: the witness is an S3
    // action the IAM catalog knows that is no Get.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:Get*","Resource":"*"}]}"#,
    );
    let s3: Vec<Action> = vec!["s3:*".parse().unwrap()];
    let w = witness(access_not_granted(&p, &s3, &[], &b()).unwrap());
    let a = &w.request.action;
    let known = crate::iam::catalog::catalog()
        .action(a)
        .expect("a real action");
    assert_eq!(known.service().prefix(), "s3");
    assert!(!a.to_ascii_lowercase().starts_with("s3:get"), "{a}");
    assert!(!Witness::invented_action(&w));
}

#[test]
fn an_action_aws_may_add_is_still_covered_and_marked() {
    // No S3 action the catalog knows starts with "Frobnicate", but one AWS adds tomorrow
    // may: a grant of s3:Frobnicate* is a grant of s3 actions, shown by an invented
    // name, and only then (every known action is tried first).
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Frobnicate*","Resource":"*"}]}"#,
    );
    let s3: Vec<Action> = vec!["s3:*".parse().unwrap()];
    let w = witness(access_not_granted(&p, &s3, &[], &b()).unwrap());
    assert!(
        w.request
            .action
            .to_ascii_lowercase()
            .starts_with("s3:frobnicate")
    );
    assert!(w.invented_action());
    // A grant of one known action among unknown ones: the known one is the witness.
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:Frobnicate*","s3:PutObject"],"Resource":"*"}]}"#,
    );
    let w = witness(access_not_granted(&p, &s3, &[], &b()).unwrap());
    assert_eq!(w.request.action, "s3:PutObject");
    assert!(!w.invented_action());
}

#[test]
fn every_other_service_is_stood_for_by_a_real_action() {
    // NotAction s3:* grants every other service's actions: the witness is one the
    // catalog knows (before, it was the shortest string outside s3:*, an invented one).
    let p = identity(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","NotAction":"s3:*","Resource":"*"}]}"#,
    );
    let all: Vec<Action> = vec!["*".parse().unwrap()];
    let w = witness(access_not_granted(&p, &all, &[], &b()).unwrap());
    assert!(!w.invented_action(), "{}", w.request.action);
    assert!(!w.request.action.to_ascii_lowercase().starts_with("s3:"));
    assert!(w.action_note().is_none());
}

#[test]
fn an_anonymous_caller_is_outside() {
    // `IfExists` on the caller's account lets through a request that has none: an
    // anonymous one ("Principal": "*" admits it; IAM User Guide, "AWS JSON policy
    // elements: Principal", anonymous users). Without IfExists it is kept out.
    let p = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEqualsIfExists":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
    );
    let trusted = Trusted {
        accounts: vec!["111122223333".into()],
        ..Trusted::default()
    };
    let shape = resource_shape("AWS::S3::Bucket").unwrap();
    let w = witness(no_public_access(&p, shape, &trusted, &b()).unwrap());
    assert_eq!(w.request.principal, "*", "{}", w.file);
    let q = resource(
        r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}]}"#,
    );
    assert!(matches!(
        no_public_access(&q, shape, &trusted, &b()).unwrap(),
        Outcome::Holds { .. }
    ));
}
