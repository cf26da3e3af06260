//! proptest generators shared by the property tests: values with intrinsics, and
//! templates of a few resource types (some with schemas, one custom).

use perimeter::template::{Template, Value};
use proptest::prelude::*;

pub fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i32>().prop_map(|n| Value::from(n as i64)),
        "[a-z0-9:/.*-]{0,12}".prop_map(Value::from),
        "[A-Z][a-zA-Z0-9]{0,8}".prop_map(|s| Value::from(perimeter::template::Intrinsic::Ref(s))),
        ("[A-Z][a-z]{0,6}", "[A-Z][a-z]{0,6}").prop_map(|(r, a)| Value::from(
            perimeter::template::Intrinsic::GetAtt {
                resource: r,
                attribute: Value::from(a)
            }
        )),
        "[a-z${}A-Z.]{0,16}".prop_map(|s| Value::from(perimeter::template::Intrinsic::Sub {
            template: s,
            variables: None
        })),
    ]
}

pub fn value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::List),
            prop::collection::btree_map("[A-Za-z]{1,8}", inner, 0..4).prop_map(Value::Map),
        ]
    })
}

pub const TYPES: &[&str] = &[
    "AWS::EC2::SecurityGroup",
    "AWS::IAM::Role",
    "AWS::EC2::VPCEndpoint",
    "AWS::S3::Bucket",
    "AWS::Lambda::Function",
    "Custom::Thing",
];

pub fn template() -> impl Strategy<Value = Template> {
    let resource = (
        0..TYPES.len(),
        prop::collection::btree_map("[A-Z][A-Za-z]{0,10}", value(), 0..5),
        prop::option::of(prop_oneof![
            Just("Retain"),
            Just("Delete"),
            Just("Snapshot")
        ]),
    );
    (
        prop::collection::btree_map("[A-Z][A-Za-z0-9]{0,8}", resource, 0..8),
        // An output's Value is never null: CloudFormation (and the reader) refuse it.
        prop::collection::btree_map(
            "[A-Z][a-z]{0,6}",
            value().prop_filter("an output needs a Value", |v| *v != Value::Null),
            0..3,
        ),
    )
        .prop_map(|(rs, outs)| {
            let mut t = Template::default();
            for (id, (ty, props, policy)) in rs {
                let mut r = perimeter::template::Resource::new(TYPES[ty].parse().unwrap());
                r.properties = props;
                r.deletion_policy = policy.map(Value::from);
                t.resources.insert(id.parse().unwrap(), r);
            }
            for (k, v) in outs {
                t.outputs.insert(
                    k,
                    perimeter::template::Output {
                        description: None,
                        value: v,
                        export_name: None,
                        condition: None,
                    },
                );
            }
            t
        })
}
