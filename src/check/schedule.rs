//! EventBridge schedule expressions (cfn-lint E3027): `rate(Value Unit)` with a unit that
//! agrees with the value, or `cron(Minutes Hours Day-of-month Month Day-of-week Year)`
//! where one of the two day fields is `?`. EventBridge refuses anything else when the
//! rule is created.

use super::{Finding, rules};
use crate::template::{Template, Value};

pub fn check(t: &Template, out: &mut Vec<Finding>) {
    for (id, r) in &t.resources {
        if r.resource_type.as_str() != "AWS::Events::Rule" {
            continue;
        }
        if let Some(Value::String(e)) = r.properties.get("ScheduleExpression")
            && let Err(why) = expression(e)
        {
            out.push(Finding::on(
                rules::SERVICE_RULE,
                id.as_str(),
                "Properties.ScheduleExpression",
                format!("schedule {e:?}: {why} (cfn-lint E3027)"),
            ));
        }
    }
}

/// Whether a schedule expression is one EventBridge reads, and if not, why.
///
/// ```
/// use perimeter::check::schedule::expression;
/// assert!(expression("rate(5 minutes)").is_ok());
/// assert!(expression("cron(0 12 * * ? *)").is_ok());
/// assert!(expression("cron(0 12 1 * MON *)").is_err());
/// ```
pub fn expression(e: &str) -> Result<(), crate::error::Invalid> {
    read(e).map_err(crate::error::Invalid::from)
}

fn read(e: &str) -> Result<(), String> {
    if let Some(body) = e.strip_prefix("rate(").and_then(|b| b.strip_suffix(')')) {
        let parts: Vec<&str> = body.split(' ').collect();
        let [value, unit] = parts.as_slice() else {
            return Err("a rate is rate(Value Unit)".into());
        };
        let n: u64 = value
            .parse()
            .map_err(|_| format!("the rate's value {value:?} is not a whole number"))?;
        if n == 0 {
            return Err("the rate's value must be above 0".into());
        }
        let units: &[&str] = if n == 1 {
            &["minute", "hour", "day"]
        } else {
            &["minutes", "hours", "days"]
        };
        if !units.contains(unit) {
            return Err(format!("a rate of {n} takes the unit {}", units.join(", ")));
        }
        return Ok(());
    }
    if let Some(body) = e.strip_prefix("cron(").and_then(|b| b.strip_suffix(')')) {
        let fields: Vec<&str> = body.split(' ').collect();
        let [_, _, day_of_month, _, day_of_week, _] = fields.as_slice() else {
            return Err(format!(
                "a cron expression has 6 fields separated by spaces (Minutes Hours Day-of-month Month Day-of-week Year), found {}",
                fields.len()
            ));
        };
        if *day_of_month != "?" && *day_of_week != "?" {
            return Err("Day-of-month or Day-of-week must be ? (both are given)".into());
        }
        return Ok(());
    }
    Err("a schedule is rate(...) or cron(...)".into())
}
