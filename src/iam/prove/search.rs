//! The exhaustive walk of a finite request space: every combination of candidate values,
//! stopping at the first request the question's predicate accepts.

use std::collections::BTreeMap;

use super::domain::{PRINCIPAL_ARN, Space};
use crate::iam::Request;

/// At most this many requests are tried; a larger space is "unknown".
pub const REQUEST_LIMIT: f64 = 5_000_000.0;

/// Builds the request of one combination: the principal's ARN in the context, as
/// `Request::new` sets it, and the chosen context values.
pub fn request(
    principal: &str,
    action: &str,
    resource: &str,
    context: &[(String, Option<Vec<String>>)],
) -> Request {
    let mut r = Request::new(principal, action, resource);
    for (k, v) in context {
        if k == PRINCIPAL_ARN {
            continue;
        }
        if let Some(v) = v {
            r.context.insert(k.clone(), v.clone());
        }
    }
    r
}

/// What the walk found.
pub enum Found {
    /// A request the predicate accepts, with its context by the keys' spellings.
    Request(Request, BTreeMap<String, Vec<String>>),
    /// None in the space.
    None { tried: u64 },
}

/// Walks every request of `space`; `Err` when it is larger than [`REQUEST_LIMIT`].
pub fn search(space: &Space, accept: impl Fn(&Request) -> bool) -> Result<Found, String> {
    if space.size() > REQUEST_LIMIT {
        return Err(format!(
            "the policies distinguish {:.0} kinds of request, more than the {REQUEST_LIMIT:.0} the search walks",
            space.size()
        ));
    }
    let dims: Vec<usize> = space.keys.iter().map(|k| k.values.len()).collect();
    let mut index = vec![0usize; dims.len()];
    let mut tried = 0u64;
    loop {
        let context: Vec<(String, Option<Vec<String>>)> = space
            .keys
            .iter()
            .zip(&index)
            .map(|(k, &i)| (k.key.clone(), k.values[i].clone()))
            .collect();
        for p in &space.principal {
            for a in &space.action {
                for r in &space.resource {
                    tried += 1;
                    let req = request(p, a, r, &context);
                    if accept(&req) {
                        let named = space
                            .keys
                            .iter()
                            .zip(&index)
                            .filter_map(|(k, &i)| k.values[i].clone().map(|v| (k.name.clone(), v)))
                            .collect();
                        return Ok(Found::Request(req, named));
                    }
                }
            }
        }
        // The next combination of context values (an odometer).
        let mut d = 0;
        loop {
            if d == dims.len() {
                return Ok(Found::None { tried });
            }
            index[d] += 1;
            if index[d] < dims[d] {
                break;
            }
            index[d] = 0;
            d += 1;
        }
    }
}
