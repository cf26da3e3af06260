//! Condition operators (`StringEquals`, `ForAnyValue:StringEquals`, `ArnLikeIfExists`,
//! `Null`, ...) and how each compares request values with policy values.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

use super::{arn, glob};

/// The base comparison of a condition operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Op {
    StringEquals,
    StringNotEquals,
    StringEqualsIgnoreCase,
    StringNotEqualsIgnoreCase,
    StringLike,
    StringNotLike,
    NumericEquals,
    NumericNotEquals,
    NumericLessThan,
    NumericLessThanEquals,
    NumericGreaterThan,
    NumericGreaterThanEquals,
    DateEquals,
    DateNotEquals,
    DateLessThan,
    DateLessThanEquals,
    DateGreaterThan,
    DateGreaterThanEquals,
    Bool,
    BinaryEquals,
    IpAddress,
    NotIpAddress,
    ArnEquals,
    ArnLike,
    ArnNotEquals,
    ArnNotLike,
    Null,
}

const OPS: &[(&str, Op)] = &[
    ("StringEquals", Op::StringEquals),
    ("StringNotEquals", Op::StringNotEquals),
    ("StringEqualsIgnoreCase", Op::StringEqualsIgnoreCase),
    ("StringNotEqualsIgnoreCase", Op::StringNotEqualsIgnoreCase),
    ("StringLike", Op::StringLike),
    ("StringNotLike", Op::StringNotLike),
    ("NumericEquals", Op::NumericEquals),
    ("NumericNotEquals", Op::NumericNotEquals),
    ("NumericLessThan", Op::NumericLessThan),
    ("NumericLessThanEquals", Op::NumericLessThanEquals),
    ("NumericGreaterThan", Op::NumericGreaterThan),
    ("NumericGreaterThanEquals", Op::NumericGreaterThanEquals),
    ("DateEquals", Op::DateEquals),
    ("DateNotEquals", Op::DateNotEquals),
    ("DateLessThan", Op::DateLessThan),
    ("DateLessThanEquals", Op::DateLessThanEquals),
    ("DateGreaterThan", Op::DateGreaterThan),
    ("DateGreaterThanEquals", Op::DateGreaterThanEquals),
    ("Bool", Op::Bool),
    ("BinaryEquals", Op::BinaryEquals),
    ("IpAddress", Op::IpAddress),
    ("NotIpAddress", Op::NotIpAddress),
    ("ArnEquals", Op::ArnEquals),
    ("ArnLike", Op::ArnLike),
    ("ArnNotEquals", Op::ArnNotEquals),
    ("ArnNotLike", Op::ArnNotLike),
    ("Null", Op::Null),
];

impl Op {
    pub fn name(self) -> &'static str {
        OPS.iter().find(|(_, o)| *o == self).map_or("", |(n, _)| n)
    }

    /// Negated operators are true when the value matches none of the policy values, and
    /// true when the key is absent.
    pub fn is_negated(self) -> bool {
        matches!(
            self,
            Op::StringNotEquals
                | Op::StringNotEqualsIgnoreCase
                | Op::StringNotLike
                | Op::NumericNotEquals
                | Op::DateNotEquals
                | Op::NotIpAddress
                | Op::ArnNotEquals
                | Op::ArnNotLike
        )
    }

    /// Whether one request value matches one policy value under the positive form of
    /// this operator.
    fn positive_match(self, request: &str, policy: &str) -> bool {
        use Op::*;
        // `${*}` and `${?}` stand for the characters: wildcard matchers know them, the
        // others compare the plain text.
        let glob_op = matches!(
            self,
            StringLike | StringNotLike | ArnEquals | ArnNotEquals | ArnLike | ArnNotLike
        );
        let plain = if glob_op {
            policy.into()
        } else {
            super::variables::plain(policy)
        };
        let policy: &str = &plain;
        match self {
            StringEquals | StringNotEquals => request == policy,
            StringEqualsIgnoreCase | StringNotEqualsIgnoreCase => {
                request.to_lowercase() == policy.to_lowercase()
            }
            StringLike | StringNotLike => glob::matches(policy, request, false),
            NumericEquals | NumericNotEquals => num(request, policy, |a, b| a == b),
            NumericLessThan => num(request, policy, |a, b| a < b),
            NumericLessThanEquals => num(request, policy, |a, b| a <= b),
            NumericGreaterThan => num(request, policy, |a, b| a > b),
            NumericGreaterThanEquals => num(request, policy, |a, b| a >= b),
            DateEquals | DateNotEquals => date(request, policy, |a, b| a == b),
            DateLessThan => date(request, policy, |a, b| a < b),
            DateLessThanEquals => date(request, policy, |a, b| a <= b),
            DateGreaterThan => date(request, policy, |a, b| a > b),
            DateGreaterThanEquals => date(request, policy, |a, b| a >= b),
            Bool => request.eq_ignore_ascii_case(policy),
            BinaryEquals => request == policy,
            IpAddress | NotIpAddress => ip_in(request, policy),
            ArnEquals | ArnNotEquals | ArnLike | ArnNotLike => arn::arn_like(policy, request),
            Null => false,
        }
    }
}

fn num(a: &str, b: &str, f: impl Fn(f64, f64) -> bool) -> bool {
    matches!((a.parse::<f64>(), b.parse::<f64>()), (Ok(x), Ok(y)) if f(x, y))
}

fn date(a: &str, b: &str, f: impl Fn(i64, i64) -> bool) -> bool {
    matches!((epoch(a), epoch(b)), (Some(x), Some(y)) if f(x, y))
}

fn ip_in(request: &str, policy: &str) -> bool {
    let Ok(ip) = request.parse::<IpAddr>() else {
        return false;
    };
    match policy.parse::<IpNet>() {
        Ok(net) => net.contains(&ip),
        Err(_) => policy.parse::<IpAddr>().is_ok_and(|p| p == ip),
    }
}

/// Seconds since the epoch for `2024-01-31`, `2024-01-31T12:00:00Z` (offsets, fractions
/// allowed) or a plain epoch number, as IAM's date operators accept.
pub fn epoch(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    let (date, time) = s.split_once('T').unwrap_or((s, "00:00:00Z"));
    let mut d = date.split('-').map(|x| x.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    if !(1..=12).contains(&m) || !(1..=31).contains(&day) {
        return None;
    }
    let (clock, offset) = if let Some(c) = time.strip_suffix('Z') {
        (c, 0)
    } else if let Some(i) = time.rfind(['+', '-']) {
        let (c, o) = time.split_at(i);
        let sign = if o.starts_with('-') { -1 } else { 1 };
        let (oh, om) = o[1..].split_once(':').unwrap_or((&o[1..], "0"));
        (
            c,
            sign * (oh.parse::<i64>().ok()? * 3600 + om.parse::<i64>().ok()? * 60),
        )
    } else {
        (time, 0)
    };
    let mut c = clock.split(':');
    let h = c.next()?.parse::<i64>().ok()?;
    let mi = c.next().map_or(Some(0), |x| x.parse::<i64>().ok())?;
    let sec = c.next().map_or(Some(0.0), |x| x.parse::<f64>().ok())? as i64;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + h * 3600 + mi * 60 + sec - offset)
}

/// A set qualifier for multivalued keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SetQualifier {
    ForAnyValue,
    ForAllValues,
}

/// A full operator: optional set qualifier, base comparison, optional `IfExists`.
///
/// ```
/// use perimeter::iam::ConditionOperator;
/// let op: ConditionOperator = "ForAnyValue:StringEquals".parse().unwrap();
/// assert_eq!(op.to_string(), "ForAnyValue:StringEquals");
/// assert!("StringEqualz".parse::<ConditionOperator>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ConditionOperator {
    pub set: Option<SetQualifier>,
    pub op: Op,
    pub if_exists: bool,
}

impl ConditionOperator {
    pub fn new(op: Op) -> Self {
        ConditionOperator {
            set: None,
            op,
            if_exists: false,
        }
    }

    pub fn for_any_value(op: Op) -> Self {
        ConditionOperator {
            set: Some(SetQualifier::ForAnyValue),
            op,
            if_exists: false,
        }
    }

    /// Evaluates this operator for one key: `request` is `None` when the request context
    /// lacks the key; `policy` are the statement's values for the key.
    pub fn evaluate(&self, request: Option<&[String]>, policy: &[String]) -> bool {
        if self.op == Op::Null {
            let absent = request.is_none_or(|r| r.is_empty());
            return policy
                .iter()
                .any(|p| p.eq_ignore_ascii_case("true") == absent);
        }
        let values = match request {
            Some(r) if !r.is_empty() => r,
            _ => {
                return self.if_exists
                    || match self.set {
                        Some(SetQualifier::ForAllValues) => true,
                        Some(SetQualifier::ForAnyValue) => false,
                        None => self.op.is_negated(),
                    };
            }
        };
        let hit = |r: &String| policy.iter().any(|p| self.op.positive_match(r, p));
        let neg = self.op.is_negated();
        match (self.set, neg) {
            (Some(SetQualifier::ForAllValues), false) => values.iter().all(hit),
            (Some(SetQualifier::ForAllValues), true) => !values.iter().any(hit),
            (Some(SetQualifier::ForAnyValue), false) | (None, false) => values.iter().any(hit),
            (Some(SetQualifier::ForAnyValue), true) => values.iter().any(|r| !hit(r)),
            (None, true) => !values.iter().any(hit),
        }
    }
}

impl FromStr for ConditionOperator {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
            let (set, rest) = if let Some(r) = s.strip_prefix("ForAnyValue:") {
                (Some(SetQualifier::ForAnyValue), r)
            } else if let Some(r) = s.strip_prefix("ForAllValues:") {
                (Some(SetQualifier::ForAllValues), r)
            } else {
                (None, s)
            };
            let (base, if_exists) = match rest.strip_suffix("IfExists") {
                Some(b) => (b, true),
                None => (rest, false),
            };
            let op = OPS
                .iter()
                .find(|(n, _)| *n == base)
                .map(|(_, o)| *o)
                .ok_or_else(|| format!("unknown condition operator {s:?}"))?;
            if op == Op::Null && (if_exists || set.is_some()) {
                return Err(format!(
                    "condition operator {s:?}: Null takes no qualifier or IfExists"
                ));
            }
            Ok(ConditionOperator { set, op, if_exists })
        })()
        .map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for ConditionOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.set {
            Some(SetQualifier::ForAnyValue) => f.write_str("ForAnyValue:")?,
            Some(SetQualifier::ForAllValues) => f.write_str("ForAllValues:")?,
            None => {}
        }
        f.write_str(self.op.name())?;
        if self.if_exists {
            f.write_str("IfExists")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(s: &str) -> ConditionOperator {
        s.parse().unwrap()
    }
    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn absent_keys_follow_the_documented_rules() {
        assert!(!op("StringEquals").evaluate(None, &v(&["a"])));
        assert!(op("StringNotEquals").evaluate(None, &v(&["a"])));
        assert!(op("StringEqualsIfExists").evaluate(None, &v(&["a"])));
        assert!(op("ForAllValues:StringEquals").evaluate(None, &v(&["a"])));
        assert!(!op("ForAnyValue:StringEquals").evaluate(None, &v(&["a"])));
        assert!(op("Null").evaluate(None, &v(&["true"])));
        assert!(!op("Null").evaluate(Some(&v(&["x"])), &v(&["true"])));
    }

    #[test]
    fn multivalued_keys() {
        // ForAllValues: every request value must be in the policy set.
        let all = op("ForAllValues:StringEquals");
        assert!(all.evaluate(Some(&v(&["a", "b"])), &v(&["a", "b", "c"])));
        assert!(!all.evaluate(Some(&v(&["a", "d"])), &v(&["a", "b", "c"])));
        // ForAnyValue: at least one.
        let any = op("ForAnyValue:StringEquals");
        assert!(any.evaluate(Some(&v(&["d", "a"])), &v(&["a"])));
        assert!(!any.evaluate(Some(&v(&["d"])), &v(&["a"])));
    }

    #[test]
    fn typed_comparisons() {
        assert!(op("IpAddress").evaluate(Some(&v(&["10.1.2.3"])), &v(&["10.0.0.0/8"])));
        assert!(op("NotIpAddress").evaluate(Some(&v(&["192.168.1.1"])), &v(&["10.0.0.0/8"])));
        assert!(op("NumericLessThanEquals").evaluate(Some(&v(&["3600"])), &v(&["3600"])));
        assert!(
            op("DateGreaterThan")
                .evaluate(Some(&v(&["2024-06-01T00:00:00Z"])), &v(&["2024-01-01"]))
        );
        assert!(op("Bool").evaluate(Some(&v(&["true"])), &v(&["true"])));
        assert!(op("ArnLike").evaluate(
            Some(&v(&["arn:aws:iam::123456789012:role/app"])),
            &v(&["arn:aws:iam::*:role/*"])
        ));
        assert_eq!(epoch("1970-01-02"), Some(86_400));
        assert_eq!(epoch("2000-03-01T00:00:00Z"), Some(951_868_800));
    }
}
