//! SSM parameters (plain `String` or `StringList`: CloudFormation cannot make a
//! `SecureString`; secrets belong in [`super::Secret`]); grants to read them.

use super::grant::{Access, Target};
use super::permissions::{Permission, Select};
use super::stack::{ConstructError, Stack};
use crate::iam::catalog::AccessLevel;
use crate::resources::Handle;
use crate::resources::iam::Role;
use crate::resources::ssm;
use crate::template::typed::fns;

/// The actions of a read grant: the named parameter's value only.
const READ: &[&str] = &["GetParameter", "GetParameters"];

/// What a parameter is built from.
#[derive(Debug, Clone)]
pub struct ParameterProps {
    /// `/app/log_level`: `/`, then letters, digits and `_ . - /`.
    pub name: String,
    pub value: String,
    /// A comma-separated list rather than one string.
    pub list: bool,
    pub description: String,
}

/// A built parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    pub handle: Handle<ssm::Parameter>,
    pub name: String,
}

impl Parameter {
    /// Adds the parameter as `id`.
    ///
    /// ```
    /// use perimeter::constructs::{Parameter, ParameterProps, Stack};
    /// let mut stack = Stack::new("demo");
    /// let p = ParameterProps { name: "/orders/log_level".into(), value: "info".into(),
    ///     list: false, description: "how much the orders service logs".into() };
    /// Parameter::build(&mut stack, "LogLevel", p).unwrap();
    /// assert!(Parameter::build(&mut Stack::new("x"), "Bad", ParameterProps {
    ///     name: "no-slash".into(), value: "v".into(), list: false, description: String::new() }).is_err());
    /// ```
    pub fn build(
        stack: &mut Stack,
        id: &str,
        p: ParameterProps,
    ) -> Result<Parameter, ConstructError> {
        let ok = p.name.starts_with('/')
            && p.name.len() <= 1011
            && !p.name.ends_with('/')
            && p.name[1..]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/_.-".contains(&b));
        if !ok {
            return Err(ConstructError::Invalid(format!(
                "{id}: {:?} is not a parameter name: `/`, then letters, digits and _ . - /",
                p.name
            )));
        }
        let kind = if p.list { "StringList" } else { "String" };
        let mut param = ssm::Parameter::new(kind, p.value.as_str()).name(p.name.as_str());
        if !p.description.is_empty() {
            param = param.description(p.description.as_str());
        }
        let handle = stack.add(id, param)?;
        Ok(Parameter {
            handle,
            name: p.name,
        })
    }

    /// Reading it: `GetParameter` and `GetParameters` on the parameter's ARN. Not the
    /// catalog's other Read actions: `GetParametersByPath` on a parameter's ARN reads
    /// every parameter below it as a path (`/app/db` grants `/app/db/password`), and
    /// `GetParameterHistory` reads values the parameter no longer holds.
    pub fn grant_read(&self, role: &Handle<Role>) -> Access {
        let arn = format!(
            "arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter{}",
            self.name
        );
        Access::new(
            format!("{}Read", self.handle.logical_id().as_str()),
            role,
            vec![Permission {
                service: "ssm",
                resource_type: "parameter",
                level: AccessLevel::Read,
                select: Select::Named(READ),
            }],
            vec![Target::new(fns::sub(&arn), arn, "parameter")],
        )
    }
}
