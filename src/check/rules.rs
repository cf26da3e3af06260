//! The rules `perimeter check` applies: an id, a short name, a default severity, what it
//! guards against and how to fix a finding. The table is the documentation too:
//! `perimeter check --rules` prints it and SARIF output embeds it.

use serde::Serialize;

/// How much a finding matters: errors fail `check`; warnings only with `--deny-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

impl std::fmt::Display for Severity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// One rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Stable id: a letter for the family, then a number (`N401`).
    pub id: &'static str,
    /// Kebab-case name (`internet-path`).
    pub name: &'static str,
    pub severity: Severity,
    /// What the rule guards against.
    pub summary: &'static str,
    /// The usual fix.
    pub fix: &'static str,
}

macro_rules! rules {
    ($( $konst:ident = $id:literal $name:literal $sev:ident, $summary:literal, $fix:literal; )*) => {
        $( #[doc = $summary] pub const $konst: &Rule = &Rule {
            id: $id, name: $name, severity: Severity::$sev, summary: $summary, fix: $fix,
        }; )*
        /// Every rule, by family: template, schema, references, quotas, network, IAM, data,
        /// access, configuration.
        pub const ALL: &[&Rule] = &[$($konst),*];
    };
}

rules! {
    SYNTAX = "T001" "template-syntax" Error,
        "The file is not a readable CloudFormation template.",
        "Fix the syntax or structure at the position given.";
    FUNCTION_ARGUMENTS = "T002" "function-arguments" Error,
        "An intrinsic function that does not exist, or arguments of the wrong shape or count.",
        "Give the function the arguments the message names (see the intrinsic function reference).";
    TEMPLATE_STRUCTURE = "T003" "template-structure" Error,
        "A section, parameter, output or resource entry of a shape CloudFormation does not accept.",
        "Fix the entry as the message says; it was left out, and the rest of the template checked.";
    UNKNOWN_TYPE = "S101" "unknown-resource-type" Error,
        "No CloudFormation schema knows the resource type, or its service is shut down (a warning while it is sunsetting).",
        "Correct the type name (AWS::Service::Resource); see the CloudFormation resource reference.";
    UNKNOWN_PROPERTY = "S102" "unknown-property" Error,
        "A property the resource type does not have.",
        "Remove the property or correct its name; the message lists the valid names.";
    MISSING_PROPERTY = "S103" "missing-required-property" Error,
        "A property the resource type requires is absent.",
        "Add the property.";
    WRONG_TYPE = "S104" "wrong-property-type" Error,
        "A value of the wrong JSON type for the property.",
        "Give a value of the type the message names.";
    NOT_ALLOWED = "S105" "value-not-allowed" Error,
        "A value outside the values the schema allows: its enum, pattern, length or range, or a list holding an item twice where the schema takes each once.",
        "Use one of the values the message lists.";
    EXCLUSIVE = "S106" "exclusive-properties" Error,
        "Properties that exclude or require each other (oneOf, requiredXor, dependencies).",
        "Set exactly the combination the message names.";
    READ_ONLY = "S107" "read-only-property" Error,
        "A read-only property (an attribute) is set.",
        "Remove it; read it with Fn::GetAtt instead.";
    DEPRECATED_RUNTIME = "S108" "deprecated-runtime" Error,
        "A Lambda runtime past its deprecation: an error once creating or updating functions with it is blocked, a warning before.",
        "Move to the successor runtime the message names.";
    VALUE_FORMAT = "S110" "value-format" Error,
        "A value not of the form its property takes: an AMI, subnet or security group id, a KMS key, a role ARN, a network CIDR; a Ref or Fn::GetAtt returning another form (a role's Ref is its name, not its ARN).",
        "Give a value of the form the message names (or a Ref to the resource or parameter that holds it).";
    DUPLICATE_IDENTIFIER = "S111" "duplicate-identifier" Error,
        "Two resources of a type given the same identifying name (a role's RoleName, a bucket's BucketName): the second cannot be created.",
        "Give each resource its own name, or leave the name out and let CloudFormation generate one.";
    RESOLVED_VALUE = "S112" "resolved-value" Warning,
        "A value a function gives before deployment that the property refuses: a parameter's allowed value or default, a mapping's entry, an Fn::Sub of those and of the Region. The stack fails when that value is chosen.",
        "Change the parameter's allowed values or default, or the mapping's entry, to values the property takes.";
    SERVICE_RULE = "S109" "service-rule" Error,
        "A combination of values the service refuses though each is valid alone (cfn-lint's service rules: ports a protocol needs, an engine's versions, ACLs without object ownership, ...).",
        "Change the values as the message says; it names cfn-lint's rule.";
    UNKNOWN_TARGET = "R201" "unknown-reference" Error,
        "Ref, Fn::GetAtt or Fn::Sub names nothing in the template.",
        "Name a resource, parameter or pseudo parameter of this template.";
    UNKNOWN_ATTRIBUTE = "R202" "unknown-attribute" Error,
        "Fn::GetAtt asks for an attribute the resource type does not have.",
        "Use an attribute the message lists.";
    UNKNOWN_DEPENDENCY = "R203" "unknown-depends-on" Error,
        "DependsOn names a resource that is not in the template.",
        "Name a resource of this template, or remove the entry.";
    UNKNOWN_CONDITION = "R204" "unknown-condition" Error,
        "A Condition attribute or Fn::If names no condition of the template.",
        "Define the condition under Conditions or correct the name.";
    CYCLE = "R205" "dependency-cycle" Error,
        "Resources depend on each other in a circle; CloudFormation cannot order them.",
        "Break the cycle, e.g. move a rule or policy into its own resource.";
    SUB_NEEDED = "R206" "sub-needed" Error,
        "A string names a parameter, resource or attribute as ${Name} outside Fn::Sub, where it stays literal text.",
        "Wrap the string in Fn::Sub, or write ${!Name} for a literal ${Name}.";
    NESTED_PARAMETERS = "R207" "nested-stack-parameters" Error,
        "A nested stack given a parameter its child template (a local file) does not have, or not given one without a default that it has.",
        "Give the nested stack exactly the child's parameters: each without a default, and no others.";
    RESOURCES = "Q301" "resource-quota" Error,
        "More than 500 resources (a warning from 400).",
        "Split the solution into nested or separate stacks.";
    PARAMETERS = "Q302" "parameter-quota" Error,
        "More than 200 parameters (a warning from 160).",
        "Combine parameters, or move values into mappings.";
    OUTPUTS = "Q303" "output-quota" Error,
        "More than 200 outputs (a warning from 160).",
        "Export fewer values, or split the stack.";
    MAPPINGS = "Q304" "mapping-quota" Error,
        "More than 200 mappings (a warning from 160).",
        "Combine mappings.";
    BODY_SIZE = "Q305" "template-size" Error,
        "A body over 1,000,000 bytes; over 51,200 bytes it must be uploaded to S3 (warning).",
        "Split the stack, or deploy the template from S3 (aws cloudformation deploy --s3-bucket).";
    NAME = "Q306" "invalid-name" Error,
        "A logical id or section name that is not 1 to 255 ASCII letters and digits.",
        "Rename it with letters and digits only.";
    EXPORT_NAME = "Q307" "duplicate-export" Error,
        "Two outputs export the same name; export names are unique per account and region.",
        "Give each export its own name, e.g. prefixed with ${AWS::StackName}.";
    INTERNET_PATH = "N401" "internet-path" Error,
        "An internet gateway, NAT gateway or Elastic IP in a private solution.",
        "Remove it; reach AWS services through VPC endpoints.";
    PUBLIC_SUBNET = "N402" "public-subnet" Error,
        "A subnet gives instances public IP addresses (MapPublicIpOnLaunch).",
        "Set MapPublicIpOnLaunch to false or remove it.";
    OPEN_INGRESS = "N403" "open-ingress" Error,
        "A security group admits traffic from anywhere (0.0.0.0/0 or ::/0).",
        "Admit a security group or a known private CIDR instead.";
    ENDPOINT_INGRESS = "N404" "endpoint-ingress" Error,
        "An endpoint's security group admits more than TCP 443 from known groups or private CIDRs.",
        "Allow only TCP 443 from the workload's security group or a private CIDR.";
    PRIVATE_DNS = "N405" "endpoint-private-dns" Error,
        "An interface endpoint without private DNS: clients resolve the public service name.",
        "Set PrivateDnsEnabled: true.";
    ENDPOINT_POLICY = "N406" "endpoint-policy" Error,
        "An interface endpoint without an explicit policy allows any call by anyone in the VPC.",
        "Add a PolicyDocument naming the actions, resources and principals.";
    NO_ENDPOINT = "N407" "missing-endpoint" Error,
        "A function in a VPC may call a service that has no interface endpoint in its VPC.",
        "Add an interface endpoint for the service to the function's VPC.";
    ANY_PRINCIPAL = "I501" "principal-anyone" Error,
        "A policy allows Principal \"*\" without limiting it to the organization or account.",
        "Name the principals, or add a condition on aws:PrincipalOrgID or aws:PrincipalAccount.";
    GRANT_OUTSIDE_ENDPOINT = "I502" "grant-outside-endpoint" Error,
        "A grant of a service that has a VPC endpoint in the template holds outside it (Bedrock, S3, DynamoDB, Secrets Manager, any service).",
        "Condition the statement on aws:sourceVpce with a Ref to the template's endpoint for the service (or add a Deny of the actions from elsewhere).";
    ADMIN_WILDCARD = "I503" "wildcard-grant" Error,
        "An Allow of every action (\"*\" or \"service:*\") on every resource.",
        "Name the actions and resources the workload needs.";
    INVALID_POLICY = "I504" "invalid-policy" Error,
        "A policy document that does not follow the IAM policy grammar.",
        "Fix the element the message names.";
    UNKNOWN_ACTION = "I505" "unknown-action" Error,
        "An action whose service or name AWS does not define (IAM catalog).",
        "Correct the action's prefix or name; see the Service Authorization Reference for the service.";
    ACTION_MATCHES_NOTHING = "I506" "action-matches-nothing" Error,
        "An action pattern with wildcards that matches no action of its service.",
        "Correct the pattern, or name the actions the workload calls.";
    RESOURCE_MISMATCH = "I507" "resource-mismatch" Error,
        "A resource that fits none of the resource types the statement's actions act on: the grant gives nothing there.",
        "Name the resource in the form its actions take (an object is bucket/key, a table index table/T/index/I), or move the action to a statement of its own resources.";
    CONDITION_KEY_MISMATCH = "I508" "condition-key-mismatch" Error,
        "A condition key AWS does not define, or none of the statement's actions takes (global aws: keys apply to every action).",
        "Use a key the actions take, or split the statement so each key goes with the actions that take it.";
    SET_OPERATOR = "I509" "set-operator-single-valued" Error,
        "ForAnyValue or ForAllValues on a single-valued key (ForAllValues also holds when the key is absent).",
        "Drop the set qualifier: StringEquals on aws:SourceVpce, not ForAnyValue:StringEquals.";
    ENDPOINT_CONDITION = "I510" "endpoint-condition-limits" Error,
        "A VPC endpoint policy tests a system-generated identifier (aws:PrincipalAccount, aws:SourceVpc, ...) with a wildcard or a numeric operator, which endpoint policies do not accept.",
        "Compare the key with StringEquals against exact values.";
    ENDPOINT_PRINCIPAL = "I511" "endpoint-policy-principal" Error,
        "A VPC endpoint policy statement without Principal; endpoint policies must have one.",
        "Add Principal: \"*\" and name the callers with a condition on aws:PrincipalArn or aws:PrincipalAccount.";
    GATEWAY_PRINCIPAL = "I512" "gateway-endpoint-principal" Error,
        "A gateway endpoint policy whose Principal is not \"*\": there an account means its root user only.",
        "Use Principal: \"*\" and a condition on aws:PrincipalArn or aws:PrincipalAccount.";
    PASS_ROLE_ANY = "I513" "pass-role-any" Error,
        "An Allow of iam:PassRole on every role: its holder can give any role to a service and act with it.",
        "Name the roles it may pass, and condition it on iam:PassedToService.";
    ALLOW_NEGATED = "I514" "allow-not-action" Error,
        "An Allow with NotAction or NotResource: it grants everything not listed, including actions and resources added later.",
        "List the actions and resources granted; keep NotAction and NotResource for Deny.";
    REDUNDANT_STATEMENT = "I515" "redundant-statement" Warning,
        "A statement whose every action and resource another statement of the policy grants (or denies) under the same conditions.",
        "Remove the statement, or merge the two.";
    OVERLAPPING_ALLOW = "I516" "overlapping-allow" Error,
        "An Allow with conditions and another Allow without any, of the same action on the same resource: the unconditioned one decides, so the conditions restrict nothing.",
        "Put the conditions on every statement that grants the action, or remove the overlap.";
    RDS_PUBLIC = "D601" "database-public" Error,
        "A database reachable from the internet (PubliclyAccessible).",
        "Set PubliclyAccessible: false and place it in private subnets.";
    RDS_UNENCRYPTED = "D602" "database-unencrypted" Error,
        "A database whose storage is not encrypted.",
        "Set StorageEncrypted: true (replaces the database: migrate through a snapshot).";
    LOG_RETENTION = "D603" "log-retention" Warning,
        "Logs kept forever: a log group without RetentionInDays, or a function logging to its default group.",
        "Set RetentionInDays, or point the function's LoggingConfig at a log group that has it.";
    ACCESS = "A701" "access-simulation" Error,
        "An access scenario does not have its expected outcome.",
        "Fix the policy the verdict names; see the access table.";
    ACCESS_UNDECIDABLE = "A702" "access-undecidable" Error,
        "An access scenario cannot be decided before deployment: it, or a policy statement it meets, names a value nothing can know until the stack exists (a stream's ARN, an import, a parameter without a default).",
        "Name the resource by a value the template fixes (its name or ARN attribute), or drop the scenario.";
    PERIMETER_REFUTED = "A703" "perimeter-refuted" Error,
        "A data perimeter does not hold for every request: a resource or endpoint policy admits a principal of another account, an endpoint policy allows a resource of another account, a grant of a service with an endpoint in the template holds without it, or a claim of the solution fails. The finding carries a request that shows it.",
        "Narrow the policy the finding names until the witness request is refused (`perimeter simulate` decides it), e.g. name the bucket or account, or condition the grant on aws:SourceVpce.";
    UNUSED_SUPPRESSION = "C801" "unused-suppression" Warning,
        "A suppression in the blueprint matches no finding.",
        "Remove the suppression.";
}

/// cfn-lint's rules and the rules of check that report the same problem: a template's
/// cfn-lint `ignore_checks` (in its Metadata) are honoured through it, `check --rules`
/// prints it, and scripts/compare_cfn_lint.py holds check to it.
pub const CFN_LINT: &[(&str, &[&str])] = &[
    ("E0000", &["T001"]),
    ("E1001", &["T001", "T003"]),
    ("E1004", &["T003"]),
    ("E1010", &["R201", "R202", "T002"]),
    ("E1011", &["T002"]),
    ("E1015", &["T002"]),
    ("E1016", &["T002"]),
    ("E1017", &["T002"]),
    ("E1018", &["T002"]),
    ("E1019", &["R201", "R202", "T002"]),
    ("E1020", &["R201", "T002"]),
    ("E1021", &["T002"]),
    ("E1022", &["T002"]),
    ("E1024", &["T002"]),
    ("E1028", &["R204", "T002"]),
    ("E1029", &["R206"]),
    ("E1030", &["T002"]),
    ("E1031", &["T002"]),
    ("E1103", &["S110"]),
    ("E1150", &["S110"]),
    ("E1151", &["S110"]),
    ("E1152", &["S110"]),
    ("E1153", &["S110"]),
    ("E1154", &["S110"]),
    ("E1155", &["S110"]),
    ("E1156", &["S110"]),
    ("E1157", &["S110"]),
    ("E1158", &["S110"]),
    ("E1159", &["S110"]),
    ("E1160", &["S110"]),
    ("E1161", &["S110"]),
    ("E1162", &["S110"]),
    ("E1163", &["S110"]),
    ("E1164", &["S110"]),
    ("E1700", &["Q306"]),
    ("E2001", &["Q306", "T003"]),
    ("E7001", &["Q306"]),
    ("E8001", &["Q306", "T002"]),
    ("E2002", &["T003"]),
    ("E2015", &["T003"]),
    ("E2531", &["S108"]),
    ("E2533", &["S108"]),
    ("E3001", &["S101", "S102", "T003"]),
    ("E3002", &["S102", "S106", "S107", "S110"]),
    ("E3003", &["S103", "S106"]),
    ("E3004", &["R205"]),
    ("E3005", &["R203", "T003"]),
    ("E3006", &["S101", "T003"]),
    ("E3038", &["S101"]),
    ("E3710", &["S101"]),
    ("E3012", &["S104"]),
    ("E3014", &["S106"]),
    ("E3015", &["R204"]),
    ("E3017", &["S105", "S106", "S110"]),
    ("E3018", &["S105", "S106"]),
    ("E3020", &["S106"]),
    ("E3021", &["S106"]),
    ("E3026", &["S109"]),
    ("E3027", &["S109"]),
    ("E3030", &["S105"]),
    ("E3035", &["T003"]),
    ("E3036", &["T003"]),
    ("E3032", &["S105"]),
    ("E3031", &["S105", "S106"]),
    ("E3033", &["S105"]),
    ("E3034", &["S105"]),
    ("E3037", &["S105"]),
    ("E3019", &["S111"]),
    ("E3510", &["I504"]),
    ("E3530", &["I504"]),
    ("E4001", &["T003"]),
    ("E6001", &["T003"]),
    ("E6002", &["T003"]),
    ("E6005", &["R204"]),
    ("E6101", &["R201", "R202", "T002", "T003"]),
    ("E8003", &["T002"]),
    ("E8004", &["T002"]),
    ("E8005", &["T002"]),
    ("E8006", &["T002"]),
    ("E8007", &["T002"]),
    ("E1003", &["T003"]),
    ("E1040", &["S110"]),
    ("E1041", &["S110"]),
    ("E3009", &["T003"]),
    ("E3028", &["T003"]),
    ("E3502", &["S109"]),
    ("E3673", &["S103"]),
    ("E3043", &["R207"]),
    ("E3058", &["S106"]),
    ("W1030", &["S112"]),
    ("W1031", &["S112"]),
    ("W1034", &["S112"]),
];

/// The cfn-lint rules that correspond to a rule of check: the table, and for S109 the
/// service rules distilled from cfn-lint.
pub fn cfn_lint_of(id: &str) -> Vec<&'static str> {
    let mut out: Vec<&str> = CFN_LINT
        .iter()
        .filter(|(_, ours)| ours.contains(&id))
        .map(|(theirs, _)| *theirs)
        .collect();
    if id == SERVICE_RULE.id {
        out.extend(super::service_rules::cfn_lint_ids());
    }
    out
}

/// A rule by id (`N401`) or name (`internet-path`).
pub fn find(id_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.id == id_or_name || r.name == id_or_name)
}

/// The family of a rule, by its id's letter.
pub fn family(id: &str) -> &'static str {
    match id.as_bytes().first() {
        Some(b'T') => "template",
        Some(b'S') => "schema",
        Some(b'R') => "references",
        Some(b'Q') => "quotas",
        Some(b'N') => "network",
        Some(b'I') => "IAM",
        Some(b'D') => "data",
        Some(b'A') => "access",
        Some(b'C') => "configuration",
        _ => "other",
    }
}

/// The rule table of the README, made from [`ALL`] so the two cannot drift
/// (`perimeter check --rules --format markdown` prints it; a test compares).
pub fn markdown_table() -> String {
    let mut s = String::from(
        "| rule | name | family | severity | guards against | cfn-lint |\n| --- | --- | --- | --- | --- | --- |\n",
    );
    for r in ALL {
        let theirs = cfn_lint_of(r.id);
        s.push_str(&format!(
            "| `{}` | `{}` | {} | {} | {} | {} |\n",
            r.id,
            r.name,
            family(r.id),
            r.severity,
            r.summary.replace('|', "\\|"),
            if theirs.is_empty() {
                String::new()
            } else {
                theirs.join(", ")
            }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_names_are_unique() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
        let mut names: Vec<&str> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
        assert_eq!(find("N401").unwrap().name, "internet-path");
        assert_eq!(find("internet-path").unwrap().id, "N401");
    }
}
