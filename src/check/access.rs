//! The access simulation: the reference architecture's manual tests, run with the IAM
//! evaluator on the template before it is deployed. The function's role calls
//! `bedrock:InvokeModel` through the endpoint, without it, through another endpoint, on
//! a model not listed, with the endpoint policy flipped to Deny, and another role tries
//! the endpoint; each row has an expected outcome and a finding when it does not hold.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::inventory::{Inventory, PolicyUse, target};
use super::{Context, Finding, rules};
use crate::iam::{Bindings, Decision, Effect, PolicyDocument, PolicySet, Request, ResourceEntry};
use crate::template::{Pseudo, Template};

/// Whether a call is allowed or refused (explicitly or implicitly).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Allow,
    Deny,
}

impl From<Decision> for Outcome {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Allow => Outcome::Allow,
            _ => Outcome::Deny,
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Outcome::Allow => "allow",
            Outcome::Deny => "deny",
        })
    }
}

/// How the call reaches the service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// Through the solution's endpoint for the service (its policy applies).
    #[default]
    Endpoint,
    /// Not through any endpoint: no aws:sourceVpce in the request.
    NoEndpoint,
    /// Through an endpoint of another VPC.
    OtherEndpoint,
}

/// Who calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Caller {
    /// The function's role.
    #[default]
    Function,
    /// Another role of the same account, allowed everything by its own policies.
    OtherRole,
}

/// An outcome a blueprint expects for one call.
///
/// ```yaml
/// - name: titan is not for us
///   action: bedrock:InvokeModel
///   model: amazon.titan-text-express-v1
///   outcome: deny
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    /// Shown in the access table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The IAM action, e.g. bedrock:InvokeModel (the default).
    #[serde(default = "default_action")]
    pub action: String,
    /// A foundation model id (the resource of the call); default: the first listed
    /// model for invoke actions, `*` for others.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The resource of the call, for any service: an ARN where `${Id}` and `${Id.Attr}`
    /// name what a template resource's Ref and GetAtt yield and `${AWS::Region}` and the
    /// other pseudo parameters the target's (`${Table.Arn}`, `${Bucket.Arn}/reports/x`).
    /// Instead of `model`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    #[serde(default)]
    pub via: Via,
    #[serde(default)]
    pub caller: Caller,
    /// The calling role's logical id when the caller is the function (default: the role
    /// of a function that is granted the action, else any role that is).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    pub outcome: Outcome,
    /// Only for these targets (default: all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
}

fn default_action() -> String {
    "bedrock:InvokeModel".into()
}

/// One row of the access table.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AccessRow {
    pub scenario: String,
    /// The role's logical id, or the stand-in for another role.
    pub caller: String,
    pub action: String,
    pub resource: String,
    /// The endpoint's logical id, `none` or `another endpoint`.
    pub via: String,
    pub expected: Outcome,
    pub decision: Decision,
    /// Why, as the evaluator says it.
    pub reason: String,
    pub holds: bool,
    /// Declared in the blueprint (rather than one of the standard scenarios).
    pub declared: bool,
    /// Why the row cannot be decided before deployment: a value it names, or one in a
    /// policy it meets, that nothing can know until the stack exists. Such a row never
    /// holds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub undecided: Option<String>,
}

/// An access scenario a solution declares for its targets (see
/// [`crate::solution::Solution::check_context`]): one caller making one call, how it
/// reaches the service, and the outcome expected. It runs against the template with the
/// IAM evaluator, beside the Bedrock rows.
///
/// ```
/// use perimeter::check::{Outcome, Scenario, ScenarioCaller, Via};
/// let s = Scenario {
///     name: "the app reads its secret through the endpoint".into(),
///     caller: ScenarioCaller::Role("AppRole".into()),
///     action: "secretsmanager:GetSecretValue".into(),
///     resource: Scenario::reference("AppSecret"),
///     via: Via::Endpoint,
///     endpoint: Some("SecretsManagerEndpoint".into()),
///     context: vec![],
///     expected: Outcome::Allow,
/// };
/// assert_eq!(s.resource, "${AppSecret}");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    pub name: String,
    pub caller: ScenarioCaller,
    /// One action, `service:Name`.
    pub action: String,
    /// The resource's ARN; `${Id}` and `${Id.Attr}` name what a template resource's Ref
    /// and GetAtt resolve to, `${AWS::Region}` and the other pseudo parameters the
    /// target's.
    pub resource: String,
    pub via: Via,
    /// The endpoint the call goes through (its logical id), for `Via::Endpoint`; default:
    /// the template's endpoint of the action's service.
    pub endpoint: Option<String>,
    /// More keys of the request's context (`aws:SourceIp`, `aws:PrincipalOrgID`); a key
    /// the caller or the endpoint already gives is replaced.
    pub context: Vec<(String, String)>,
    pub expected: Outcome,
}

impl Scenario {
    /// `${Id}`: what the template resource `Id`'s Ref resolves to.
    pub fn reference(id: &str) -> String {
        format!("${{{id}}}")
    }
}

/// Who calls in a declared scenario.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScenarioCaller {
    /// A role of the template, by logical id, with its policies.
    Role(String),
    /// Another role of the account, allowed everything by its own policies.
    OtherRole,
    /// A principal outside the template (its ARN), allowed everything by its own policies.
    Principal(String),
}

/// What the simulation runs against: the roles and endpoints of the template.
struct World<'a> {
    ctx: &'a Context,
    bindings: &'a Bindings,
    /// Identity policies by role.
    identity: BTreeMap<&'a str, Vec<(String, PolicyDocument)>>,
    /// Endpoint id → (service, policy).
    endpoints: Vec<(&'a str, String, Option<PolicyDocument>)>,
    /// Endpoint id → its VPC's id, as a deployed stack would hold it.
    endpoint_vpcs: BTreeMap<&'a str, String>,
    /// The template's resource policies: their name, the ARN patterns of what they
    /// govern (a bucket and its objects, a queue, a key...), the document.
    resource_policies: Vec<(String, Vec<String>, PolicyDocument)>,
}

impl World<'_> {
    fn role_arn(&self, role: &str) -> String {
        role_arn(self.ctx, role)
    }
    fn vpce(&self, id: &str) -> String {
        vpce_id(id)
    }
    fn model_arn(&self, model: &str) -> String {
        format!(
            "arn:{}:bedrock:{}::foundation-model/{model}",
            self.ctx.partition, self.ctx.region
        )
    }
    /// The template's endpoint serving `action`: Bedrock's runtime calls go to
    /// bedrock-runtime, other services to the endpoint named after their prefix.
    fn endpoint_for(&self, action: &str) -> Option<&(&str, String, Option<PolicyDocument>)> {
        let (prefix, name) = action.split_once(':')?;
        let wanted = match prefix {
            "bedrock" if name.starts_with("Invoke") || name.starts_with("Converse") => {
                "bedrock-runtime"
            }
            other => other,
        };
        self.endpoints.iter().find(|(_, s, _)| s == wanted)
    }
}

/// The made-up id of an endpoint: `vpce-0<id>`.
fn vpce_id(id: &str) -> String {
    format!("vpce-0{}", id.to_ascii_lowercase())
}

/// The made-up ARN of a role: named after its logical id, in the target's account.
fn role_arn(ctx: &Context, role: &str) -> String {
    format!("arn:{}:iam::{}:role/{role}", ctx.partition, ctx.account)
}

/// The physical ids a deployed stack would hold, made up but consistent: Ref of an
/// endpoint is `vpce-0<id>`, a role's ARN names it after its logical id.
pub fn bindings(t: &Template, ctx: &Context) -> Bindings {
    let mut b = Bindings::new()
        .bind(Pseudo::Partition.name(), &ctx.partition)
        .bind(Pseudo::Region.name(), &ctx.region)
        .bind(Pseudo::AccountId.name(), &ctx.account)
        .bind(Pseudo::StackName.name(), "perimeter-check")
        .bind(Pseudo::UrlSuffix.name(), "amazonaws.com");
    for (id, r) in &t.resources {
        let id = id.as_str();
        match r.resource_type.as_str() {
            "AWS::EC2::VPCEndpoint" => {
                let v = vpce_id(id);
                b = b.bind(id, &v).bind(&format!("{id}.Id"), &v);
            }
            "AWS::EC2::VPC" => b = b.bind(id, &format!("vpc-0{}", id.to_ascii_lowercase())),
            "AWS::IAM::Role" => {
                let arn = role_arn(ctx, id);
                b = b.bind(id, id).bind(&format!("{id}.Arn"), &arn);
            }
            "AWS::SecretsManager::Secret" => {
                let arn = format!(
                    "arn:{}:secretsmanager:{}:{}:secret:{id}-AbCdEf",
                    ctx.partition, ctx.region, ctx.account
                );
                b = b.bind(id, &arn).bind(&format!("{id}.Id"), &arn);
            }
            // The ARN CloudFormation returns for an application inference profile.
            "AWS::Bedrock::ApplicationInferenceProfile" => {
                let arn = format!(
                    "arn:{}:bedrock:{}:{}:application-inference-profile/{}",
                    ctx.partition,
                    ctx.region,
                    ctx.account,
                    id.to_ascii_lowercase()
                );
                b = b
                    .bind(&format!("{id}.InferenceProfileArn"), &arn)
                    .bind(&format!("{id}.Arn"), &arn);
            }
            "AWS::S3::Bucket" => {
                let name = format!("{}-bucket", id.to_ascii_lowercase());
                let arn = format!("arn:{}:s3:::{name}", ctx.partition);
                b = b.bind(id, &name).bind(&format!("{id}.Arn"), &arn);
            }
            _ => b = super::physical::bind(b, id, r, &ctx.partition, &ctx.region, &ctx.account),
        }
    }
    b
}

/// Runs the standard scenarios and the declared ones; failures become findings.
pub fn simulate(
    t: &Template,
    ctx: &Context,
    inv: &Inventory<'_>,
    bindings: &Bindings,
    out: &mut Vec<Finding>,
) -> Vec<AccessRow> {
    let mut identity: BTreeMap<&str, Vec<(String, PolicyDocument)>> = BTreeMap::new();
    for p in &inv.policies {
        if p.usage != PolicyUse::Identity {
            continue;
        }
        if let Ok(doc) = &p.parsed {
            for r in &p.roles {
                identity
                    .entry(r)
                    .or_default()
                    .push((p.name.clone(), doc.clone()));
            }
        }
    }
    let eps = inv
        .endpoints
        .iter()
        .filter_map(|e| Some((e.id, e.service.clone()?, inv.endpoint_policy(e.id).cloned())))
        .collect();
    let endpoint_vpcs = inv
        .endpoints
        .iter()
        .filter_map(|e| Some((e.id, bindings.resolve(&ref_to(e.vpc?))?)))
        .collect();
    let resource_policies = governed(t, inv, bindings);
    let world = World {
        ctx,
        bindings,
        identity,
        endpoints: eps,
        endpoint_vpcs,
        resource_policies,
    };
    // The caller of an action: the role of a function that is granted it, else any
    // role that is.
    let granted = |role: &str, action: &str| {
        world.identity.get(role).is_some_and(|docs| {
            docs.iter().any(|(_, d)| {
                d.statements
                    .iter()
                    .any(|s| s.effect == Effect::Allow && s.names_action(action))
            })
        })
    };
    let role_for = |action: &str| {
        t.resources
            .values()
            .filter(|r| r.resource_type.as_str() == "AWS::Lambda::Function")
            .filter_map(|r| r.properties.get("Role").and_then(target))
            .find(|r| granted(r, action))
            .or_else(|| world.identity.keys().copied().find(|r| granted(r, action)))
    };
    let bedrock_role = role_for("bedrock:InvokeModel");
    // A solution's own scenarios name their callers: their findings are on no one role.
    let mut rows: Vec<AccessRow> = ctx
        .scenarios
        .iter()
        .map(|s| scenario_row(&world, s))
        .collect();
    for r in rows.iter().filter(|r| !r.holds) {
        out.push(Finding::new(rule_of(r), None, String::new(), failure(r)));
    }
    if let Some(role) = bedrock_role
        && world.endpoint_for("bedrock:InvokeModel").is_some()
    {
        let from = rows.len();
        standard_rows(&world, role, &mut rows);
        for r in rows[from..].iter().filter(|r| !r.holds) {
            out.push(Finding::on(rule_of(r), role, "", failure(r)));
        }
    }
    for e in &ctx.expectations {
        let role = match &e.role {
            Some(r) => t.resources.keys().map(|k| k.as_str()).find(|k| k == r),
            None => role_for(&e.action).or(bedrock_role),
        };
        let Some(role) = role else {
            let why = match &e.role {
                Some(r) => format!("the template has no role {r}"),
                None => format!(
                    "no role in the template is granted {}, so nothing can be simulated; name the caller with `role`",
                    e.action
                ),
            };
            out.push(Finding::new(
                rules::ACCESS,
                None,
                String::new(),
                format!("{}: {why}", e.name.as_deref().unwrap_or(&e.action)),
            ));
            continue;
        };
        match declared_row(&world, role, e) {
            Ok(r) => {
                if !r.holds {
                    out.push(Finding::on(rule_of(&r), role, "", failure(&r)));
                }
                rows.push(r);
            }
            Err(m) => out.push(Finding::on(rules::ACCESS, role, "", m)),
        }
    }
    rows
}

/// `Ref` of a logical id, as a template value.
fn ref_to(id: &str) -> crate::template::Value {
    crate::template::Value::Fn(Box::new(crate::template::Intrinsic::Ref(id.to_string())))
}

/// The template's resource policies with the ARN patterns of what each governs: the
/// resources its holder names (a bucket policy's bucket, a policy's queues, topics or
/// secret) or the holder itself (a key and its key policy), each ARN and what is under it.
fn governed(
    t: &Template,
    inv: &Inventory<'_>,
    b: &Bindings,
) -> Vec<(String, Vec<String>, PolicyDocument)> {
    let mut out = Vec::new();
    for p in inv
        .policies
        .iter()
        .filter(|p| p.usage == PolicyUse::Resource)
    {
        let Ok(doc) = &p.parsed else { continue };
        let Some(holder) = t.resources.iter().find(|(k, _)| k.as_str() == p.resource) else {
            continue;
        };
        let mut ids: Vec<&str> = vec![p.resource];
        let mut stack: Vec<&crate::template::Value> = holder
            .1
            .properties
            .iter()
            .filter(|(k, _)| {
                !matches!(
                    k.as_str(),
                    "PolicyDocument" | "ResourcePolicy" | "KeyPolicy"
                )
            })
            .map(|(_, v)| v)
            .collect();
        while let Some(v) = stack.pop() {
            match v {
                crate::template::Value::List(l) => stack.extend(l),
                other => ids.extend(target(other)),
            }
        }
        let mut patterns = Vec::new();
        for id in ids {
            let arn = crate::template::Value::Fn(Box::new(crate::template::Intrinsic::GetAtt {
                resource: id.to_string(),
                attribute: crate::template::Value::from("Arn"),
            }));
            for a in [b.resolve(&arn), b.resolve(&ref_to(id))]
                .into_iter()
                .flatten()
            {
                if a.starts_with("arn:") && !patterns.contains(&a) {
                    patterns.push(format!("{a}/*"));
                    patterns.push(a);
                }
            }
        }
        out.push((p.name.clone(), patterns, doc.clone()));
    }
    out
}

/// A row that cannot be decided is an A702 finding; one that does not hold, A701.
fn rule_of(r: &AccessRow) -> &'static rules::Rule {
    if r.undecided.is_some() {
        rules::ACCESS_UNDECIDABLE
    } else {
        rules::ACCESS
    }
}

/// What a row that does not hold says.
fn failure(r: &AccessRow) -> String {
    if let Some(why) = &r.undecided {
        return format!(
            "{}: {} {} on {} via {}: cannot decide: {why}",
            r.scenario, r.caller, r.action, r.resource, r.via
        );
    }
    format!(
        "{}: {} {} on {} via {}: expected {}, got {} ({})",
        r.scenario, r.caller, r.action, r.resource, r.via, r.expected, r.decision, r.reason
    )
}

/// The first model ARN the role's grant lists: as written when it is concrete (an
/// inference profile, a foundation model in a named Region), else a foundation model made
/// concrete for the target's region.
fn listed_model(w: &World<'_>, role: &str) -> Option<String> {
    let docs = w.identity.get(role)?;
    docs.iter()
        .flat_map(|(_, d)| d.statements.iter())
        .filter(|s| s.effect == Effect::Allow && s.names_action("bedrock:InvokeModel"))
        .filter_map(|s| s.resource.as_ref())
        .flat_map(|r| r.inner().iter())
        .filter_map(|e| match e {
            ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
            ResourceEntry::Expr(v) => w.bindings.resolve(v),
        })
        .find_map(|arn| {
            if !arn.contains(['*', '?']) && arn.contains(":bedrock:") {
                return Some(arn);
            }
            let model = arn.split_once(":foundation-model/")?.1;
            (!model.contains(['*', '?'])).then(|| w.model_arn(model))
        })
}

/// Who calls in a scenario.
enum Who<'a> {
    /// A role of the template, by logical id.
    Role(&'a str),
    /// A role of no policy here, with an allow-all identity policy of its own.
    Other,
    /// A principal outside the template (a corporate caller): its ARN and organization.
    External { arn: String, org: Option<String> },
}

struct Call<'a> {
    scenario: String,
    caller: Who<'a>,
    action: String,
    resource: String,
    via: Via,
    /// The endpoint by logical id, instead of the one serving the action.
    endpoint: Option<&'a str>,
    /// Replace the endpoint policy's Allow statements by Deny.
    flip: bool,
    /// More context keys of the request.
    context: &'a [(String, String)],
    expected: Outcome,
    declared: bool,
}

fn run(w: &World<'_>, c: Call<'_>) -> AccessRow {
    let endpoint = match c.endpoint {
        Some(id) => w.endpoints.iter().find(|(e, _, _)| *e == id),
        None => w.endpoint_for(&c.action),
    };
    let allow_all = || {
        PolicyDocument::new(vec![
            crate::iam::Statement::new(Effect::Allow, ["*"])
                .expect("valid action")
                .resource("*".parse::<crate::iam::Arn>().expect("valid ARN")),
        ])
    };
    let mut org = None;
    let role_of_call = match &c.caller {
        Who::Role(r) => Some(*r),
        _ => None,
    };
    let (caller_name, principal, mut set) = match c.caller {
        Who::External { arn, org: o } => {
            org = o;
            let name = arn.rsplit('/').next().unwrap_or(&arn).to_string();
            (
                name,
                arn,
                PolicySet::default().identity("its own allow-all policy", allow_all()),
            )
        }
        Who::Role(role) => (
            role.to_string(),
            w.role_arn(role),
            w.identity
                .get(role)
                .into_iter()
                .flatten()
                .fold(PolicySet::default(), |s, (n, d)| s.identity(n, d.clone())),
        ),
        Who::Other => (
            "another role".to_string(),
            w.role_arn("PerimeterCheckOtherRole"),
            PolicySet::default().identity("its own allow-all policy", allow_all()),
        ),
    };
    let account = principal
        .split(':')
        .nth(4)
        .unwrap_or(&w.ctx.account)
        .to_string();
    let mut req =
        Request::new(&principal, &c.action, &c.resource).with("aws:PrincipalAccount", &account);
    if let Some(o) = &org {
        req = req.with("aws:PrincipalOrgID", o);
    }
    let via = match (c.via, endpoint) {
        (Via::Endpoint, Some((id, _, policy))) => {
            req = req.with("aws:sourceVpce", &w.vpce(id));
            if let Some(vpc) = w.endpoint_vpcs.get(id) {
                req = req.with("aws:SourceVpc", vpc);
            }
            if let Some(p) = policy {
                let mut p = p.clone();
                if c.flip {
                    for s in &mut p.statements {
                        s.effect = Effect::Deny;
                    }
                }
                set = set.vpc_endpoint(id, p);
            }
            id.to_string()
        }
        (Via::Endpoint, None) => "no endpoint in the template".into(),
        (Via::NoEndpoint, _) => "none".into(),
        (Via::OtherEndpoint, _) => {
            req = req.with("aws:sourceVpce", "vpce-0another");
            "another endpoint".into()
        }
    };
    // A scenario's own keys replace what the caller and the endpoint gave.
    for (k, v) in c.context {
        req.context.insert(k.to_ascii_lowercase(), vec![v.clone()]);
    }
    // The resource's own policies (a key's key policy, a bucket's bucket policy).
    let own: Vec<(&str, &PolicyDocument)> = w
        .resource_policies
        .iter()
        .filter(|(_, patterns, _)| {
            patterns
                .iter()
                .any(|p| crate::iam::arn_like(p, &c.resource))
        })
        .map(|(name, _, doc)| (name.as_str(), doc))
        .collect();
    for (name, doc) in &own {
        set = set.resource_policy(name, (*doc).clone());
    }
    let v = set.evaluate(&req, w.bindings);
    let decision = v.decision;
    let endpoint_policy = match c.via {
        Via::Endpoint => endpoint.and_then(|(_, _, p)| p.as_ref()),
        _ => None,
    };
    let undecided = unknowable(
        w,
        &c.action,
        &c.resource,
        role_of_call,
        endpoint_policy,
        &own,
    );
    AccessRow {
        scenario: c.scenario,
        caller: caller_name,
        action: c.action,
        resource: c.resource,
        via,
        expected: c.expected,
        decision,
        reason: v.reason,
        holds: undecided.is_none() && Outcome::from(decision) == c.expected,
        declared: c.declared,
        undecided,
    }
}

/// Why a call cannot be decided before deployment, if it cannot: its resource names a
/// value nothing binds, or a statement that may apply to it (in the caller's policies or
/// the endpoint's) holds one. The evaluator would read such a value as matching nothing:
/// a silent non-match is no verdict.
fn unknowable(
    w: &World<'_>,
    action: &str,
    resource: &str,
    role: Option<&str>,
    endpoint: Option<&PolicyDocument>,
    resource_policies: &[(&str, &PolicyDocument)],
) -> Option<String> {
    if resource.contains("${") {
        return Some(format!(
            "the resource {resource} names a value that is not known before deployment"
        ));
    }
    let mut docs: Vec<(&str, &PolicyDocument)> = role
        .and_then(|r| w.identity.get(r))
        .into_iter()
        .flatten()
        .map(|(n, d)| (n.as_str(), d))
        .collect();
    if let Some(p) = endpoint {
        docs.push(("the endpoint policy", p));
    }
    docs.extend(resource_policies.iter().copied());
    for (name, doc) in docs {
        for (i, s) in doc.statements.iter().enumerate() {
            let applies = if s.action.is_negated() {
                !s.action.inner().iter().any(|a| a.matches(action))
            } else {
                s.names_action(action)
            };
            if !applies || !may_name(w, s, resource) {
                continue;
            }
            let resources =
                s.resource
                    .iter()
                    .flat_map(|r| r.inner().iter())
                    .filter_map(|e| match e {
                        ResourceEntry::Expr(v) => Some(v),
                        ResourceEntry::Arn(_) => None,
                    });
            let conditions = s.condition.values().flat_map(|ks| ks.values().flatten());
            let principals = s.principal.iter().flat_map(|p| match p.inner() {
                crate::iam::Principal::Ids(m) => m.values().flatten().collect::<Vec<_>>(),
                crate::iam::Principal::Any => Vec::new(),
            });
            if let Some(v) = resources
                .chain(conditions)
                .chain(principals)
                .find(|v| w.bindings.resolve(v).is_none())
            {
                let sid = s
                    .sid
                    .as_deref()
                    .map(|s| format!(" ({s})"))
                    .unwrap_or_default();
                return Some(format!(
                    "{name}, statement {i}{sid}: {} is not known before deployment",
                    describe(v)
                ));
            }
        }
    }
    None
}

/// Whether a statement's Resource may cover `resource`: false only when every entry is
/// known and none (for NotResource: one) matches it.
fn may_name(w: &World<'_>, s: &crate::iam::Statement, resource: &str) -> bool {
    let Some(r) = &s.resource else { return true };
    let known: Option<Vec<String>> = r
        .inner()
        .iter()
        .map(|e| match e {
            ResourceEntry::Arn(a) => Some(a.as_str().to_string()),
            ResourceEntry::Expr(v) => w.bindings.resolve(v),
        })
        .collect();
    let Some(known) = known else { return true };
    let hit = known.iter().any(|p| crate::iam::arn_like(p, resource));
    hit != r.is_negated()
}

/// A template value as a reader would write it.
fn describe(v: &crate::template::Value) -> String {
    use crate::template::{Intrinsic, Value};
    match v {
        Value::Fn(i) => match &**i {
            Intrinsic::Ref(n) => format!("Ref {n}"),
            Intrinsic::GetAtt {
                resource,
                attribute: Value::String(a),
            } => format!("GetAtt {resource}.{a}"),
            Intrinsic::Sub { template, .. } => format!("Fn::Sub {template:?}"),
            other => format!("{} (computed at deployment)", other.name()),
        },
        other => format!("{other:?}"),
    }
}

fn standard_rows(w: &World<'_>, role: &str, rows: &mut Vec<AccessRow>) {
    const INVOKE: &str = "bedrock:InvokeModel";
    let Some(model) = listed_model(w, role) else {
        return;
    };
    let unlisted = w.model_arn("perimeter.unlisted-model-v1");
    let intended = match w.ctx.intended_effect {
        Some(Effect::Deny) => Outcome::Deny,
        Some(Effect::Allow) => Outcome::Allow,
        // Without a blueprint: a policy that only denies is meant to refuse.
        None => match w.endpoint_for(INVOKE).and_then(|(_, _, p)| p.as_ref()) {
            Some(p) if p.statements.iter().all(|s| s.effect == Effect::Deny) => Outcome::Deny,
            _ => Outcome::Allow,
        },
    };
    let call = |scenario: &str, caller, resource: &str, via, flip, expected| Call {
        scenario: scenario.into(),
        caller,
        action: INVOKE.into(),
        resource: resource.into(),
        via,
        endpoint: None,
        flip,
        context: &[],
        expected,
        declared: false,
    };
    let scenarios = [
        call(
            "listed model through the endpoint",
            Who::Role(role),
            &model,
            Via::Endpoint,
            false,
            intended,
        ),
        call(
            "listed model without the endpoint",
            Who::Role(role),
            &model,
            Via::NoEndpoint,
            false,
            Outcome::Deny,
        ),
        call(
            "listed model through another endpoint",
            Who::Role(role),
            &model,
            Via::OtherEndpoint,
            false,
            Outcome::Deny,
        ),
        call(
            "unlisted model through the endpoint",
            Who::Role(role),
            &unlisted,
            Via::Endpoint,
            false,
            Outcome::Deny,
        ),
        call(
            "endpoint policy flipped to Deny",
            Who::Role(role),
            &model,
            Via::Endpoint,
            true,
            Outcome::Deny,
        ),
        call(
            "another role through the endpoint",
            Who::Other,
            &model,
            Via::Endpoint,
            false,
            Outcome::Deny,
        ),
    ];
    for c in scenarios {
        rows.push(run(w, c));
    }
    // Corporate callers the blueprint lists: admitted through the endpoint on a listed
    // model, refused on another; a caller it does not list is refused.
    for who in &w.ctx.corporate_principals {
        let (label, arn, org) = match who.strip_prefix("o-") {
            Some(_) => (
                format!("a role of organization {who}"),
                w.role_arn("CorporateOrgMember"),
                Some(who.clone()),
            ),
            None => (
                format!("corporate {}", who.rsplit('/').next().unwrap_or(who)),
                who.clone(),
                None,
            ),
        };
        for (what, resource, expected) in [
            ("listed model", &model, intended),
            ("unlisted model", &unlisted, Outcome::Deny),
        ] {
            rows.push(run(
                w,
                call(
                    &format!("{label}: {what} through the endpoint"),
                    Who::External {
                        arn: arn.clone(),
                        org: org.clone(),
                    },
                    resource,
                    Via::Endpoint,
                    false,
                    expected,
                ),
            ));
        }
    }
    if !w.ctx.corporate_principals.is_empty() {
        rows.push(run(
            w,
            call(
                "corporate caller not listed: listed model through the endpoint",
                Who::External {
                    arn: w.role_arn("CorporateNotListed"),
                    org: None,
                },
                &model,
                Via::Endpoint,
                false,
                Outcome::Deny,
            ),
        ));
    }
}

fn declared_row(w: &World<'_>, role: &str, e: &Expectation) -> Result<AccessRow, String> {
    let name = e
        .name
        .clone()
        .unwrap_or_else(|| format!("{} expected {}", e.action, e.outcome));
    let invoke = e
        .action
        .split_once(':')
        .is_some_and(|(_, n)| n.starts_with("Invoke") || n.starts_with("Converse"));
    let resource = match (&e.resource, &e.model) {
        (Some(r), _) => w
            .bindings
            .resolve(&crate::template::Value::Fn(Box::new(
                crate::template::Intrinsic::Sub {
                    template: r.clone(),
                    variables: None,
                },
            )))
            .unwrap_or_else(|| r.clone()),
        (None, Some(m)) => w.model_arn(m),
        (None, None) if invoke => listed_model(w, role).ok_or_else(|| {
            format!("{name}: the role's grant lists no model to call; name one with `model`")
        })?,
        (None, None) => "*".into(),
    };
    if e.via == Via::Endpoint && w.endpoint_for(&e.action).is_none() {
        return Err(format!(
            "{name}: the template has no endpoint that serves {}",
            e.action
        ));
    }
    Ok(run(
        w,
        Call {
            scenario: name,
            caller: if e.caller == Caller::Function {
                Who::Role(role)
            } else {
                Who::Other
            },
            action: e.action.clone(),
            resource,
            via: e.via,
            endpoint: None,
            flip: false,
            context: &[],
            expected: e.outcome,
            declared: true,
        },
    ))
}

/// A solution's own scenario as a row.
fn scenario_row(w: &World<'_>, s: &Scenario) -> AccessRow {
    let resource = w
        .bindings
        .resolve(&crate::template::Value::Fn(Box::new(
            crate::template::Intrinsic::Sub {
                template: s.resource.clone(),
                variables: None,
            },
        )))
        .unwrap_or_else(|| s.resource.clone());
    let caller = match &s.caller {
        ScenarioCaller::Role(id) => Who::Role(id),
        ScenarioCaller::OtherRole => Who::Other,
        ScenarioCaller::Principal(arn) => Who::External {
            arn: arn.clone(),
            org: None,
        },
    };
    run(
        w,
        Call {
            scenario: s.name.clone(),
            caller,
            action: s.action.clone(),
            resource,
            via: s.via,
            endpoint: s.endpoint.as_deref(),
            flip: false,
            context: &s.context,
            expected: s.expected,
            declared: true,
        },
    )
}
