//! The solutions an app knows, by name.

use std::sync::Arc;

use super::erased::Erased;
use super::{AnySolution, Solution};

/// The solutions a blueprint's `solution:` may name.
///
/// ```
/// let solutions = perimeter::solutions::builtin();
/// assert!(solutions.get("bedrock-private-access").is_some());
/// assert_eq!(solutions.names(), ["bedrock-private-access"]);
/// ```
#[derive(Clone, Default)]
pub struct Solutions {
    list: Vec<Arc<dyn AnySolution>>,
}

impl Solutions {
    pub fn new() -> Solutions {
        Solutions::default()
    }

    /// Adds a solution; a second one of the same name replaces the first.
    pub fn with<S: Solution>(mut self, solution: S) -> Solutions {
        self.list.retain(|s| s.name() != S::NAME);
        self.list.push(Arc::new(Erased(Arc::new(solution))));
        self.list.sort_by_key(|s| s.name());
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn AnySolution>> {
        self.list.iter().find(|s| s.name() == name)
    }

    /// The names, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.list.iter().map(|s| s.name()).collect()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<dyn AnySolution>> {
        self.list.iter()
    }
}

impl std::fmt::Debug for Solutions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}
