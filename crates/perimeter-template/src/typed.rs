//! Typed values: a property that takes a string takes a [`Str`], which is a literal or an
//! intrinsic that yields a string; a list-yielding intrinsic (`Fn::GetAZs`, `Fn::Split`,
//! `Fn::Cidr`) is a [`List`]. Mixing them up does not compile.
//!
//! ```
//! use perimeter_template::typed::{fns, List, Str, ToValue};
//! use perimeter_template::Pseudo;
//! let azs: List<Str> = fns::get_azs(Pseudo::Region.into());
//! let first: Str = fns::select(0, azs);
//! // let wrong: Str = fns::get_azs(Pseudo::Region.into()); // does not compile
//! assert!(perimeter_template::value_to_json(&first.to_value()).contains("Fn::Select"));
//! ```

use std::collections::BTreeMap;

use super::intrinsic::{Intrinsic, Pseudo};
use super::value::Value;

/// Turns a typed value into the template's value tree.
pub trait ToValue {
    fn to_value(&self) -> Value;
}

/// A typed wrapper over a [`Value`], built from a literal or a fitting intrinsic.
pub trait Typed: ToValue + Sized {
    /// Wraps a value known to yield this type (an intrinsic result).
    fn from_expr(v: Value) -> Self;
}

macro_rules! typed {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq)]
        pub struct $name(Value);
        impl ToValue for $name {
            fn to_value(&self) -> Value {
                self.0.clone()
            }
        }
        impl Typed for $name {
            fn from_expr(v: Value) -> Self {
                $name(v)
            }
        }
    };
}

typed!(
    /// A string: a literal, or an intrinsic that yields a string.
    Str
);
typed!(
    /// An integer: a literal, or an intrinsic that yields one.
    Int
);
typed!(
    /// A number: a literal, or an intrinsic that yields one.
    Num
);
typed!(
    /// A boolean: a literal, or an intrinsic that yields one.
    Bool
);
typed!(
    /// Free-form JSON (a policy document, a property the schema leaves open).
    Json
);
typed!(
    /// A condition expression (`Fn::Equals`, `Fn::And`, ...), for the Conditions section.
    Cond
);

impl Str {
    /// `Ref` to a parameter or a resource by logical id.
    pub fn reference(name: &str) -> Str {
        Str(Intrinsic::Ref(name.to_string()).into())
    }
    /// The literal, if this is one.
    pub fn literal(&self) -> Option<&str> {
        self.0.as_str()
    }
}

impl From<&str> for Str {
    fn from(s: &str) -> Self {
        Str(Value::String(s.to_string()))
    }
}
impl From<String> for Str {
    fn from(s: String) -> Self {
        Str(Value::String(s))
    }
}
impl From<&String> for Str {
    fn from(s: &String) -> Self {
        Str(Value::String(s.clone()))
    }
}
impl From<Pseudo> for Str {
    fn from(p: Pseudo) -> Self {
        Str(Intrinsic::Ref(p.name().to_string()).into())
    }
}

macro_rules! int_from {
    ($($t:ty),*) => {$(
        impl From<$t> for Int {
            fn from(n: $t) -> Self {
                Int(Value::Number((n as i64).into()))
            }
        }
        impl From<$t> for Num {
            fn from(n: $t) -> Self {
                Num(Value::Number((n as i64).into()))
            }
        }
    )*};
}
int_from!(i32, i64, u8, u16, u32, usize);

impl From<f64> for Num {
    fn from(n: f64) -> Self {
        Num(serde_json::Number::from_f64(n)
            .map(Value::Number)
            .unwrap_or(Value::Null))
    }
}
impl From<bool> for Bool {
    fn from(b: bool) -> Self {
        Bool(Value::Bool(b))
    }
}
impl From<Value> for Json {
    fn from(v: Value) -> Self {
        Json(v)
    }
}

/// A list: literal items, or an intrinsic that yields a list.
#[derive(Debug, Clone, PartialEq)]
pub enum List<T> {
    Items(Vec<T>),
    Expr(Value),
}

impl<T: ToValue> ToValue for List<T> {
    fn to_value(&self) -> Value {
        match self {
            List::Items(items) => Value::List(items.iter().map(ToValue::to_value).collect()),
            List::Expr(v) => v.clone(),
        }
    }
}

impl<T: ToValue> Typed for List<T> {
    fn from_expr(v: Value) -> Self {
        List::Expr(v)
    }
}

impl<T, U: Into<T>> From<Vec<U>> for List<T> {
    fn from(v: Vec<U>) -> Self {
        List::Items(v.into_iter().map(Into::into).collect())
    }
}

/// A map with string keys, such as Lambda environment variables.
pub type Map<T> = BTreeMap<String, T>;

impl<T: ToValue> ToValue for BTreeMap<String, T> {
    fn to_value(&self) -> Value {
        Value::Map(
            self.iter()
                .map(|(k, v)| (k.clone(), v.to_value()))
                .collect(),
        )
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

/// Typed intrinsic function builders.
pub mod fns {
    use super::*;

    fn call<T: Typed>(i: Intrinsic) -> T {
        T::from_expr(i.into())
    }

    /// `Fn::Sub` with the string form: `${AWS::Region}`, `${Res.Attr}`, `${Param}`.
    pub fn sub(template: &str) -> Str {
        call(Intrinsic::Sub {
            template: template.to_string(),
            variables: None,
        })
    }

    /// `Fn::Sub` with variables.
    pub fn sub_with<'a>(template: &str, vars: impl IntoIterator<Item = (&'a str, Str)>) -> Str {
        let variables = vars
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_value()))
            .collect();
        call(Intrinsic::Sub {
            template: template.to_string(),
            variables: Some(variables),
        })
    }

    pub fn join(delimiter: &str, values: List<Str>) -> Str {
        call(Intrinsic::Join {
            delimiter: delimiter.to_string(),
            values: values.to_value(),
        })
    }

    pub fn select<T: Typed>(index: usize, list: List<T>) -> T {
        call(Intrinsic::Select {
            index: Value::Number(index.into()),
            list: list.to_value(),
        })
    }

    pub fn split(delimiter: &str, source: Str) -> List<Str> {
        call(Intrinsic::Split {
            delimiter: delimiter.to_string(),
            source: source.to_value(),
        })
    }

    /// `Fn::GetAZs` for a region (`Pseudo::Region.into()` for the stack's own).
    pub fn get_azs(region: Str) -> List<Str> {
        call(Intrinsic::GetAZs(region.to_value()))
    }

    pub fn cidr(ip_block: Str, count: Int, cidr_bits: Int) -> List<Str> {
        call(Intrinsic::Cidr {
            ip_block: ip_block.to_value(),
            count: count.to_value(),
            cidr_bits: cidr_bits.to_value(),
        })
    }

    pub fn import_value(name: Str) -> Str {
        call(Intrinsic::ImportValue(name.to_value()))
    }

    pub fn base64(s: Str) -> Str {
        call(Intrinsic::Base64(s.to_value()))
    }

    pub fn find_in_map(map: Str, top: Str, second: Str) -> Str {
        call(Intrinsic::FindInMap {
            map: map.to_value(),
            top_key: top.to_value(),
            second_key: second.to_value(),
            default: None,
        })
    }

    /// `Fn::If`: both branches have the same type, and so has the result.
    pub fn if_<T: Typed>(condition: &str, then: T, otherwise: T) -> T {
        call(Intrinsic::If {
            condition: condition.to_string(),
            then: then.to_value(),
            otherwise: otherwise.to_value(),
        })
    }

    /// `AWS::NoValue`, for an `Fn::If` branch that removes the property.
    pub fn no_value<T: Typed>() -> T {
        T::from_expr(Intrinsic::Ref(Pseudo::NoValue.name().to_string()).into())
    }

    pub fn equals(a: impl ToValue, b: impl ToValue) -> Cond {
        call(Intrinsic::Equals(a.to_value(), b.to_value()))
    }

    pub fn and(conds: Vec<Cond>) -> Cond {
        call(Intrinsic::And(
            conds.iter().map(ToValue::to_value).collect(),
        ))
    }

    pub fn or(conds: Vec<Cond>) -> Cond {
        call(Intrinsic::Or(conds.iter().map(ToValue::to_value).collect()))
    }

    pub fn not(cond: Cond) -> Cond {
        call(Intrinsic::Not(cond.to_value()))
    }

    /// A named condition, inside `and`/`or`/`not`.
    pub fn condition(name: &str) -> Cond {
        call(Intrinsic::Condition(name.to_string()))
    }
}
