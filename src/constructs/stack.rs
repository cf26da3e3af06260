//! A stack under construction: resources keyed by logical id (a collision is an error),
//! outputs and the description; it becomes a [`Template`].

use crate::assets::{Planned, Source};
use crate::resources::{Handle, Raw, RawResource, ResourceProps};
use crate::template::typed::{Str, ToValue};
use crate::template::{LogicalId, Output, Resource, ResourceType, Template, Value};

/// Why a construct could not be built.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConstructError {
    /// Two resources or outputs got the same logical id.
    #[error("logical id {0} is used twice; logical ids must be unique")]
    DuplicateId(String),
    /// A logical id is not 1-255 letters and digits.
    #[error("{0}")]
    InvalidId(String),
    /// A raw resource failed the schema facts.
    #[error("{id}: {}", .problems.join("; "))]
    Schema { id: String, problems: Vec<String> },
    /// Settings that cannot be built (CIDRs that do not fit, too few AZs...).
    #[error("{0}")]
    Invalid(String),
}

/// Resource attributes besides the properties.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub depends_on: Vec<LogicalId>,
    pub deletion_policy: Option<&'static str>,
    pub update_replace_policy: Option<&'static str>,
    pub metadata: Option<Value>,
}

/// A stack being built.
///
/// ```
/// use perimeter::constructs::Stack;
/// use perimeter::resources::ec2::Vpc;
/// let mut stack = Stack::new("demo");
/// let vpc = stack.add("Vpc", Vpc::new().cidr_block("10.0.0.0/16")).unwrap();
/// assert!(stack.add("Vpc", Vpc::new()).is_err()); // a collision is an error
/// stack.output("VpcId", "The VPC", vpc.reference(), true).unwrap();
/// let t = stack.into_template();
/// assert_eq!(t.resources.len(), 1);
/// ```
#[derive(Debug, Clone)]
pub struct Stack {
    template: Template,
    /// Function code the template names by key, for deploy to build and upload.
    assets: Vec<Planned>,
}

impl Stack {
    pub fn new(description: &str) -> Stack {
        Stack {
            template: Template {
                format_version: Some("2010-09-09".into()),
                description: Some(description.to_string()),
                ..Template::default()
            },
            assets: Vec::new(),
        }
    }

    /// Names an asset (see [`crate::assets`]) in the stack; returns its S3 key in the
    /// bootstrap bucket. The same asset twice is kept once.
    pub fn asset(&mut self, source: &Source) -> Result<String, ConstructError> {
        let planned = source
            .plan()
            .map_err(|e| ConstructError::Invalid(e.to_string()))?;
        let key = planned.key.clone();
        if !self.assets.iter().any(|a| a.key == key) {
            self.assets.push(planned);
        }
        Ok(key)
    }

    fn new_id(&self, id: &str) -> Result<LogicalId, ConstructError> {
        let lid: LogicalId = id.parse().map_err(ConstructError::InvalidId)?;
        if self.template.resources.contains_key(&lid) || self.template.outputs.contains_key(id) {
            return Err(ConstructError::DuplicateId(id.to_string()));
        }
        Ok(lid)
    }

    fn insert(&mut self, id: LogicalId, type_name: &str, props: Value, attrs: Attributes) {
        // Generated L1 types carry schema-valid type names.
        let rtype: ResourceType = type_name.parse().expect("L1 type names are valid");
        let mut r = Resource::new(rtype);
        if let Value::Map(m) = props {
            r.properties = m;
        }
        r.depends_on = attrs.depends_on.into_iter().collect();
        r.deletion_policy = attrs.deletion_policy.map(Value::from);
        r.update_replace_policy = attrs.update_replace_policy.map(Value::from);
        r.metadata = attrs.metadata;
        self.template.resources.insert(id, r);
    }

    /// Adds a typed resource.
    pub fn add<T: ResourceProps>(
        &mut self,
        id: &str,
        props: T,
    ) -> Result<Handle<T>, ConstructError> {
        self.add_with(id, props, Attributes::default())
    }

    /// Adds a typed resource with attributes (DependsOn, DeletionPolicy, ...).
    pub fn add_with<T: ResourceProps>(
        &mut self,
        id: &str,
        props: T,
        attrs: Attributes,
    ) -> Result<Handle<T>, ConstructError> {
        let lid = self.new_id(id)?;
        self.insert(lid.clone(), T::TYPE, props.to_value(), attrs);
        Ok(Handle::new(lid))
    }

    /// Adds a resource of any type, checked against the schema facts.
    pub fn add_raw(&mut self, id: &str, raw: RawResource) -> Result<Handle<Raw>, ConstructError> {
        self.add_raw_with(id, raw, Attributes::default())
    }

    /// Adds a resource of any type with attributes.
    pub fn add_raw_with(
        &mut self,
        id: &str,
        raw: RawResource,
        attrs: Attributes,
    ) -> Result<Handle<Raw>, ConstructError> {
        let problems = raw.validate();
        if !problems.is_empty() {
            return Err(ConstructError::Schema {
                id: id.to_string(),
                problems,
            });
        }
        let lid = self.new_id(id)?;
        let type_name = raw.resource_type.to_string();
        self.insert(lid.clone(), &type_name, Value::Map(raw.properties), attrs);
        Ok(Handle::new(lid))
    }

    /// Adds an output; `export` exports it as `<stack name>-<id>`.
    pub fn output(
        &mut self,
        id: &str,
        description: &str,
        value: Str,
        export: bool,
    ) -> Result<(), ConstructError> {
        let _: LogicalId = id.parse().map_err(ConstructError::InvalidId)?;
        if self.template.outputs.contains_key(id) {
            return Err(ConstructError::DuplicateId(id.to_string()));
        }
        let export_name = export.then(|| {
            crate::template::typed::fns::sub(&format!("${{AWS::StackName}}-{id}")).to_value()
        });
        self.template.outputs.insert(
            id.to_string(),
            Output {
                description: Some(Value::from(description)),
                value: value.to_value(),
                export_name,
                condition: None,
            },
        );
        Ok(())
    }

    /// The template so far (for inspection in tests and checks).
    pub fn template(&self) -> &Template {
        &self.template
    }

    pub fn into_template(self) -> Template {
        self.template
    }

    /// The template and the assets it names.
    pub fn into_parts(self) -> (Template, Vec<Planned>) {
        (self.template, self.assets)
    }
}
