//! Typed references to resources in a template.

use std::marker::PhantomData;

use perimeter_template::typed::Str;
use perimeter_template::typed::{ToValue, Typed};
use perimeter_template::{Intrinsic, LogicalId, Value};

/// Properties of one resource type: the generated L1 structs implement this.
pub trait ResourceProps: ToValue {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    const TYPE: &'static str;
}

/// A resource in a template, typed by its properties struct. Its `Ref` is
/// [`Handle::reference`]; its GetAtt attributes are generated methods.
pub struct Handle<T> {
    id: LogicalId,
    _type: PhantomData<fn() -> T>,
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        Handle {
            id: self.id.clone(),
            _type: PhantomData,
        }
    }
}

impl<T> std::fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Handle({})", self.id)
    }
}

impl<T> Handle<T> {
    /// A handle for a logical id. Prefer the one a stack returns when it adds the resource.
    pub fn new(id: LogicalId) -> Self {
        Handle {
            id,
            _type: PhantomData,
        }
    }

    pub fn logical_id(&self) -> &LogicalId {
        &self.id
    }

    /// `Ref` to this resource (its id, name or ARN, as the type defines).
    pub fn reference(&self) -> Str {
        Str::reference(self.id.as_str())
    }

    /// `Fn::GetAtt` by name, unchecked: the typed methods are the checked way; this is for
    /// an attribute CloudFormation returns that the schema does not list (an IPAM VPC's
    /// `CidrBlock`, which the L2 network construct reads).
    pub fn get_att<R: Typed>(&self, attribute: &str) -> R {
        R::from_expr(Value::Fn(Box::new(Intrinsic::GetAtt {
            resource: self.id.to_string(),
            attribute: Value::String(attribute.to_string()),
        })))
    }
}
