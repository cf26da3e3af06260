//! Solutions behind one object type, so a registry holds solutions of different settings
//! types and a blueprint holds what each target resolved to.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use schemars::{Schema, SchemaGenerator};

use super::{Problem, Solution, TargetInfo};
use crate::check::Context;
use crate::constructs::{ConstructError, Stack};

/// A [`Solution`] whatever its settings type.
pub trait AnySolution: Send + Sync {
    fn name(&self) -> &'static str;
    fn about(&self) -> &'static str;
    /// The settings' schema (a reference into the generator's definitions).
    fn settings_schema(&self, generator: &mut SchemaGenerator) -> Schema;
    /// Reads settings (shared ones with a target's overrides merged in) into the
    /// solution's type and resolves them for the target. A problem's path is relative to
    /// the settings.
    fn resolve(
        &self,
        settings: serde_yaml::Value,
        target: &TargetInfo,
    ) -> Result<Arc<dyn Resolved>, Vec<Problem>>;
    fn starter(&self) -> String;
    /// [`Solution::org_problems`] of the settings (none when they do not read: resolve
    /// reports that).
    fn org_problems(&self, settings: serde_yaml::Value, regions: &[String]) -> Vec<Problem>;
}

/// One target's settings, resolved: it builds the target's stack.
pub trait Resolved: Send + Sync {
    fn solution(&self) -> &'static str;
    fn target(&self) -> &TargetInfo;
    fn build(&self) -> Result<Stack, ConstructError>;
    fn check_context(&self, ctx: &mut Context);
    /// The solution's claims of the target's template ([`Solution::claims`]).
    fn claims(&self) -> Vec<crate::check::perimeters::Claim>;
    /// The solution's own props (downcast to `S::Props`).
    fn props(&self) -> &dyn Any;
}

impl dyn Resolved {
    /// The solution's own props, when they are a `P`.
    ///
    /// ```
    /// use perimeter::solutions::bedrock_private_access::BedrockPrivateAccessProps;
    /// let solutions = perimeter::solutions::builtin();
    /// let b = perimeter::blueprint::Blueprint::load(
    ///     "blueprints/bedrock-private-access.yaml".as_ref(), &solutions).unwrap();
    /// let prod = b.resolved[1].1.props_of::<BedrockPrivateAccessProps>().unwrap();
    /// assert!(prod.database.is_some());
    /// ```
    pub fn props_of<P: 'static>(&self) -> Option<&P> {
        self.props().downcast_ref::<P>()
    }
}

impl fmt::Debug for dyn Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Resolved({} for {})",
            self.solution(),
            self.target().target
        )
    }
}

pub(super) struct Erased<S>(pub Arc<S>);

struct ResolvedOf<S: Solution> {
    solution: Arc<S>,
    props: S::Props,
    target: TargetInfo,
}

impl<S: Solution> AnySolution for Erased<S> {
    fn name(&self) -> &'static str {
        S::NAME
    }
    fn about(&self) -> &'static str {
        S::ABOUT
    }
    fn settings_schema(&self, generator: &mut SchemaGenerator) -> Schema {
        generator.subschema_for::<S::Settings>()
    }
    fn resolve(
        &self,
        settings: serde_yaml::Value,
        target: &TargetInfo,
    ) -> Result<Arc<dyn Resolved>, Vec<Problem>> {
        let typed: S::Settings = serde_path_to_error::deserialize(settings).map_err(|e| {
            let path = e.path().to_string();
            let path = if path == "." { String::new() } else { path };
            vec![Problem::new(path, e.into_inner().to_string())]
        })?;
        let props = self.0.resolve(&typed, target)?;
        Ok(Arc::new(ResolvedOf {
            solution: self.0.clone(),
            props,
            target: target.clone(),
        }))
    }
    fn starter(&self) -> String {
        self.0.starter()
    }
    fn org_problems(&self, settings: serde_yaml::Value, regions: &[String]) -> Vec<Problem> {
        match serde_yaml::from_value::<S::Settings>(settings) {
            Ok(typed) => self.0.org_problems(&typed, regions),
            Err(_) => Vec::new(),
        }
    }
}

impl<S: Solution> Resolved for ResolvedOf<S> {
    fn solution(&self) -> &'static str {
        S::NAME
    }
    fn target(&self) -> &TargetInfo {
        &self.target
    }
    fn build(&self) -> Result<Stack, ConstructError> {
        self.solution.build(&self.props, &self.target)
    }
    fn check_context(&self, ctx: &mut Context) {
        self.solution.check_context(&self.props, &self.target, ctx);
    }
    fn claims(&self) -> Vec<crate::check::perimeters::Claim> {
        self.solution.claims(&self.props, &self.target)
    }
    fn props(&self) -> &dyn Any {
        &self.props
    }
}
