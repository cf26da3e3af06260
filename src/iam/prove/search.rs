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

/// Walks every request of `space`: every principal, action and resource, and for each the
/// values of the context keys `relevant` says can change its decision (the others
/// absent); `Err` when that is more than [`REQUEST_LIMIT`] requests.
pub fn search(
    space: &Space,
    relevant: impl Fn(&Request) -> Vec<bool>,
    accept: impl Fn(&Request) -> bool,
) -> Result<Found, String> {
    let mut triples = Vec::new();
    let mut total = 0f64;
    for p in &space.principal {
        for (ai, a) in space.action.iter().enumerate() {
            for r in &space.resource {
                let keys: Vec<usize> = relevant(&Request::new(p, a, r))
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, on)| on.then_some(i))
                    .collect();
                total += keys
                    .iter()
                    .map(|&i| space.keys[i].values.len() as f64)
                    .product::<f64>();
                if total > REQUEST_LIMIT {
                    return Err(format!(
                        "the policies distinguish more than the {REQUEST_LIMIT:.0} kinds of request the search walks"
                    ));
                }
                triples.push((ai >= space.known_actions, p, a, r, keys));
            }
        }
    }
    // Requests of actions the catalog knows first: a witness's action is invented only
    // when no known action would do.
    triples.sort_by_key(|t| t.0);
    let mut tried = 0u64;
    for (_, p, a, r, keys) in triples {
        // An odometer over the relevant keys' values; the others stay absent.
        let mut index = vec![0usize; keys.len()];
        loop {
            let context: Vec<(String, Option<Vec<String>>)> = keys
                .iter()
                .zip(&index)
                .map(|(&k, &i)| (space.keys[k].key.clone(), space.keys[k].values[i].clone()))
                .collect();
            tried += 1;
            let req = request(p, a, r, &context);
            if accept(&req) {
                let named = keys
                    .iter()
                    .zip(&index)
                    .filter_map(|(&k, &i)| {
                        let key = &space.keys[k];
                        key.values[i].clone().map(|v| (key.name.clone(), v))
                    })
                    .collect();
                return Ok(Found::Request(req, named));
            }
            let mut d = 0;
            loop {
                if d == keys.len() {
                    break;
                }
                index[d] += 1;
                if index[d] < space.keys[keys[d]].values.len() {
                    break;
                }
                index[d] = 0;
                d += 1;
            }
            if d == keys.len() {
                break;
            }
        }
    }
    Ok(Found::None { tried })
}
