//! A stack under construction: resources keyed by logical id (a collision is an error),
//! outputs and the description; it becomes a [`Template`].

use crate::assets::{Planned, Source};
use crate::iam::Statement;
use crate::resources::{Handle, Raw, RawResource, ResourceProps};
use std::collections::BTreeMap;

use crate::template::typed::{Cond, Str, ToValue};
use crate::template::{LogicalId, Output, Parameter, Resource, ResourceType, Template, Value};

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

impl From<crate::error::Invalid> for ConstructError {
    fn from(e: crate::error::Invalid) -> ConstructError {
        ConstructError::Invalid(e.into())
    }
}

/// Resource attributes besides the properties.
#[derive(Debug, Clone, Default)]
pub struct Attributes {
    pub depends_on: Vec<LogicalId>,
    /// A condition of the stack ([`Stack::condition`]) the resource exists under.
    pub condition: Option<String>,
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
    /// Tags every resource that takes tags gets, by key.
    tags: BTreeMap<String, String>,
    /// What the grants made in the stack mean, for check (see [`super::grant::Access`]).
    intent: super::grant::Intent,
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
            tags: BTreeMap::new(),
            intent: super::grant::Intent::default(),
        }
    }

    /// The scenarios and claims the stack's grants declare: the calls that must be
    /// allowed and refused, and what must hold of every call.
    pub fn intent(&self) -> &super::grant::Intent {
        &self.intent
    }

    pub(super) fn intent_mut(&mut self) -> &mut super::grant::Intent {
        &mut self.intent
    }

    /// Whether the stack holds a resource of this logical id.
    pub fn has(&self, id: &str) -> bool {
        self.template.resources.keys().any(|k| k.as_str() == id)
    }

    /// Appends `statement` to the policy document at `path` (property names, outermost
    /// first) of the resource `id`, making the document if the property is absent. A
    /// statement id already in the document is an error: some services refuse repeated
    /// ids, and two grants of one name would be a mistake.
    pub fn add_statement(
        &mut self,
        id: &str,
        path: &[&str],
        statement: Statement,
    ) -> Result<(), ConstructError> {
        let r = self
            .template
            .resources
            .iter_mut()
            .find(|(k, _)| k.as_str() == id)
            .map(|(_, r)| r)
            .ok_or_else(|| ConstructError::Invalid(format!("the stack has no resource {id}")))?;
        let mut props = &mut r.properties;
        let (last, outer) = path
            .split_last()
            .ok_or_else(|| ConstructError::Invalid("a policy's path is empty".into()))?;
        for p in outer {
            let next = props
                .entry((*p).to_string())
                .or_insert_with(|| Value::Map(BTreeMap::new()));
            props = match next {
                Value::Map(m) => m,
                _ => {
                    return Err(ConstructError::Invalid(format!(
                        "{id}.{p} is not a map a policy can be added to"
                    )));
                }
            };
        }
        let doc = props
            .entry((*last).to_string())
            .or_insert_with(|| crate::iam::PolicyDocument::new(vec![]).to_value());
        let statements = match doc {
            Value::Map(m) => m.get_mut("Statement"),
            _ => None,
        };
        let Some(Value::List(statements)) = statements else {
            return Err(ConstructError::Invalid(format!(
                "{id}.{}: not a policy document with a list of statements",
                path.join(".")
            )));
        };
        if let Some(sid) = &statement.sid
            && statements.iter().any(|s| {
                s.as_map()
                    .and_then(|m| m.get("Sid"))
                    .and_then(Value::as_str)
                    == Some(sid.as_str())
            })
        {
            return Err(ConstructError::DuplicateId(format!(
                "{sid} (a statement of {id}.{})",
                path.join(".")
            )));
        }
        // A statement is written as a document writes it.
        if let Value::Map(mut m) = crate::iam::PolicyDocument::new(vec![statement]).to_value()
            && let Some(Value::List(mut one)) = m.remove("Statement")
        {
            statements.append(&mut one);
        }
        Ok(())
    }

    /// Adds a parameter; returns its `Ref`.
    ///
    /// ```
    /// use perimeter::constructs::Stack;
    /// use perimeter::template::{Parameter, ParameterType};
    /// let mut stack = Stack::new("demo");
    /// let env = stack.parameter("Environment", Parameter::new(ParameterType::String)).unwrap();
    /// assert!(stack.parameter("Environment", Parameter::new(ParameterType::String)).is_err());
    /// # let _ = env;
    /// ```
    pub fn parameter(&mut self, id: &str, p: Parameter) -> Result<Str, ConstructError> {
        name(id, self.template.parameters.contains_key(id))?;
        self.template.parameters.insert(id.to_string(), p);
        Ok(Str::reference(id))
    }

    /// Adds a condition (`Fn::Equals`, `Fn::And`, ...); returns its name, for a
    /// resource's [`Attributes::condition`] or `Fn::If`.
    pub fn condition(&mut self, id: &str, expression: Cond) -> Result<String, ConstructError> {
        name(id, self.template.conditions.contains_key(id))?;
        self.template
            .conditions
            .insert(id.to_string(), expression.to_value());
        Ok(id.to_string())
    }

    /// Tags every resource of the stack whose type takes tags (its schema has a `Tags`
    /// property, a list of Key/Value or a map), when the template is made; a resource's
    /// own tag of the same key wins.
    ///
    /// ```
    /// use perimeter::constructs::Stack;
    /// use perimeter::resources::{ec2::Vpc, logs::LogGroup};
    /// let mut stack = Stack::new("demo");
    /// stack.add("Vpc", Vpc::new().cidr_block("10.0.0.0/16")).unwrap();
    /// stack.add("Logs", LogGroup::new()).unwrap();
    /// stack.tag("stage", "prod");
    /// let t = stack.into_template();
    /// assert!(t.to_json().contains(r#""Key": "stage""#));
    /// ```
    pub fn tag(&mut self, key: &str, value: &str) {
        self.tags.insert(key.to_string(), value.to_string());
    }

    /// The stack's tags onto every resource that takes them.
    fn apply_tags(&mut self) {
        if self.tags.is_empty() {
            return;
        }
        for r in self.template.resources.values_mut() {
            let Some(facts) = crate::resources::facts::lookup(r.resource_type.as_str()) else {
                continue;
            };
            let Some(node) = facts.property("Tags") else {
                continue;
            };
            let is_list = node.t.as_ref().and_then(|t| t.as_str()) == Some("array");
            match r.properties.get_mut("Tags") {
                Some(Value::List(items)) if is_list => {
                    let own: Vec<String> = items
                        .iter()
                        .filter_map(|i| i.as_map()?.get("Key")?.as_str().map(str::to_string))
                        .collect();
                    for (k, v) in &self.tags {
                        if !own.contains(k) {
                            items.push(tag_entry(k, v));
                        }
                    }
                }
                Some(Value::Map(m)) if !is_list => {
                    for (k, v) in &self.tags {
                        m.entry(k.clone())
                            .or_insert_with(|| Value::from(v.as_str()));
                    }
                }
                // Tags written by a function (Fn::If, ...) are the resource's own.
                Some(_) => {}
                None if is_list => {
                    let items = self.tags.iter().map(|(k, v)| tag_entry(k, v)).collect();
                    r.properties.insert("Tags".into(), Value::List(items));
                }
                None => {
                    let m = self
                        .tags
                        .iter()
                        .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                        .collect();
                    r.properties.insert("Tags".into(), Value::Map(m));
                }
            }
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
        let lid = name(id, self.template.outputs.contains_key(id))?;
        if self.template.resources.contains_key(&lid) {
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
        r.condition = attrs.condition;
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
        name(id, self.template.outputs.contains_key(id))?;
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
        self.into_parts().0
    }

    /// The template and the assets it names.
    pub fn into_parts(mut self) -> (Template, Vec<Planned>) {
        self.apply_tags();
        (self.template, self.assets)
    }
}

/// A new name of a template section: a valid logical id, not `taken` already.
fn name(id: &str, taken: bool) -> Result<LogicalId, ConstructError> {
    let lid: LogicalId = id
        .parse()
        .map_err(|e: crate::error::Invalid| ConstructError::InvalidId(e.into()))?;
    if taken {
        return Err(ConstructError::DuplicateId(id.to_string()));
    }
    Ok(lid)
}

fn tag_entry(key: &str, value: &str) -> Value {
    Value::Map(BTreeMap::from([
        ("Key".to_string(), Value::from(key)),
        ("Value".to_string(), Value::from(value)),
    ]))
}
