//! The template model (L0): documents, resources, intrinsic functions; a reader for JSON
//! and YAML (short-form tags included) and deterministic writers for both.
//!
//! ```
//! use perimeter_template::{Format, Template};
//! let t = Template::parse("Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n    Properties:\n      CidrBlock: !Ref Cidr\n", Format::Yaml).unwrap();
//! assert!(t.to_json().contains("\"Ref\": \"Cidr\""));
//! ```

mod decode;
mod doc;
mod emit_json;
mod emit_yaml;
pub mod error;
pub mod files;
mod foreach;
pub mod intrinsic;
pub mod io_error;
mod locate;
mod model;
mod node;
mod parse_json;
mod parse_yaml;
pub mod sub;
pub mod typed;
mod value;
mod yaml_lenient;

pub use decode::{Issue, IssueKind};
pub use emit_json::value_to_json;
pub use intrinsic::{Intrinsic, Pseudo};
pub use locate::{Locator, locate};
pub use model::{
    LogicalId, Output, Parameter, ParameterType, Resource, ResourceType, Template, Transforms,
};
pub use node::{ParseError, Pos};
pub use value::Value;

/// A template's text format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Yaml,
}

impl Format {
    /// JSON when the text starts (after white space) with `{`, else YAML.
    pub fn detect(text: &str) -> Format {
        if text
            .trim_start_matches('\u{feff}')
            .trim_start()
            .starts_with('{')
        {
            Format::Json
        } else {
            Format::Yaml
        }
    }

    /// The file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Json => "json",
            Format::Yaml => "yaml",
        }
    }
}

/// Parses one value (JSON, or YAML with short-form tags), outside any template.
pub fn parse_value(text: &str) -> Result<Value, ParseError> {
    let node = match Format::detect(text) {
        Format::Json => parse_json::parse(text)?,
        Format::Yaml => parse_yaml::parse(text)?,
    };
    decode::plain_value(node)
}

impl Template {
    /// Parses a template in the given format.
    pub fn parse(text: &str, format: Format) -> Result<Template, ParseError> {
        Template::decode(text, format, &mut decode::Decoder::strict())
    }

    /// Parses a template as [`Template::parse_any`] does, but reads past what is wrong
    /// below the document's root (a function's arguments, an unknown section, a
    /// parameter's attribute, a resource without a Type), returning it as issues: so a
    /// check reports each and judges the rest. A function call of the wrong shape is kept
    /// as [`Intrinsic::Other`], a resource of the wrong shape left out.
    ///
    /// ```
    /// use perimeter_template::{IssueKind, Template};
    /// let (t, issues) = Template::parse_recovering(
    ///     "Resources:\n  A:\n    Type: AWS::SNS::Topic\n    Properties:\n      TopicName: !Join [a, b, c]\n").unwrap();
    /// assert_eq!(t.resources.len(), 1);
    /// assert_eq!(issues[0].kind, IssueKind::Function);
    /// ```
    pub fn parse_recovering(text: &str) -> Result<(Template, Vec<Issue>), ParseError> {
        let read = |format| {
            let mut d = decode::Decoder::recovering();
            Template::decode(text, format, &mut d).map(|t| (t, d.issues))
        };
        match Format::detect(text) {
            Format::Json => read(Format::Json).or_else(|e| read(Format::Yaml).map_err(|_| e)),
            Format::Yaml => read(Format::Yaml),
        }
    }

    /// As [`Template::parse_recovering`], and the text's [`Locator`] (what
    /// [`Locator::new`] gives) made from the same reading: a large text is parsed once
    /// for both. The locator is of the first reading that parses, as `Locator::new`'s
    /// is (JSON, else YAML), whichever reading the template comes from.
    ///
    /// ```
    /// use perimeter_template::{Locator, Template};
    /// let text = "Resources:\n  Vpc:\n    Type: AWS::EC2::VPC\n";
    /// let (t, issues, l) = Template::parse_recovering_located(text).unwrap();
    /// assert!(issues.is_empty() && t.resources.contains_key("Vpc"));
    /// let path = "Resources.Vpc.Type";
    /// assert_eq!(l.unwrap().find(path), Locator::new(text).unwrap().find(path));
    /// ```
    #[allow(clippy::type_complexity)]
    pub fn parse_recovering_located(
        text: &str,
    ) -> Result<(Template, Vec<Issue>, Option<Locator>), ParseError> {
        let mut located = None;
        let mut read = |format| {
            let mut d = decode::Decoder::recovering();
            let mut seen = |node: &node::Node| {
                if located.is_none() {
                    located = Some(Locator::of(node));
                }
            };
            Template::decode_seen(text, format, &mut d, &mut seen).map(|t| (t, d.issues))
        };
        let read = match Format::detect(text) {
            Format::Json => read(Format::Json).or_else(|e| read(Format::Yaml).map_err(|_| e)),
            Format::Yaml => read(Format::Yaml),
        };
        read.map(|(t, issues)| (t, issues, located))
    }

    fn decode(text: &str, format: Format, d: &mut decode::Decoder) -> Result<Template, ParseError> {
        Template::decode_seen(text, format, d, &mut |_| {})
    }

    /// Decodes the text; `seen` is shown the parsed tree before it is decoded.
    fn decode_seen(
        text: &str,
        format: Format,
        d: &mut decode::Decoder,
        seen: &mut dyn FnMut(&node::Node),
    ) -> Result<Template, ParseError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let node = match format {
            Format::Json => parse_json::parse(text)?,
            Format::Yaml => parse_yaml::parse(text)?,
        };
        seen(&node);
        // Most templates have no loop: a text search spares walking their tree.
        let node = if text.contains("Fn::ForEach::") {
            foreach::expand(node)?
        } else {
            node
        };
        decode::template(d, node)
    }

    /// Parses a template, JSON or YAML: a text that starts with `{` is read as JSON and,
    /// if that fails, as YAML (flow-style YAML starts with `{` too), as CloudFormation
    /// does; the JSON error is kept when neither reads.
    pub fn parse_any(text: &str) -> Result<Template, ParseError> {
        match Format::detect(text) {
            Format::Json => Template::parse(text, Format::Json)
                .or_else(|e| Template::parse(text, Format::Yaml).map_err(|_| e)),
            Format::Yaml => Template::parse(text, Format::Yaml),
        }
    }

    /// Emits JSON (two-space indent, trailing newline).
    pub fn to_json(&self) -> String {
        emit_json::to_json(self)
    }

    /// Emits block YAML with short-form tags.
    pub fn to_yaml(&self) -> String {
        emit_yaml::to_yaml(self)
    }

    /// Emits in the given format.
    pub fn emit(&self, format: Format) -> String {
        match format {
            Format::Json => self.to_json(),
            Format::Yaml => self.to_yaml(),
        }
    }
}
