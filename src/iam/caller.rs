//! Who makes a request, read from its principal (an ARN, a service principal or `*`),
//! and how a policy's `Principal` element names it.

use super::policy::{Principal, PrincipalKind};

/// The kinds of caller IAM tells apart, from the principal of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// An unauthenticated request (`*`).
    Anonymous,
    /// An AWS service principal such as `lambda.amazonaws.com`.
    Service(String),
    /// The account's root user, `arn:aws:iam::<account>:root`.
    Root { partition: String, account: String },
    /// An IAM user.
    User {
        partition: String,
        account: String,
        arn: String,
        name: String,
    },
    /// A session of a role: `arn:aws:sts::<account>:assumed-role/<role>/<session>`, or a
    /// role ARN standing for a session whose name does not matter.
    Session {
        partition: String,
        account: String,
        role: String,
        /// The session ARN, when the request names one.
        session: Option<String>,
        /// Whether the role's path is `/aws-service-role/` (a service-linked role).
        service_linked: bool,
    },
    /// A federated user session, `arn:aws:sts::<account>:federated-user/<name>`.
    FederatedUser {
        partition: String,
        account: String,
        arn: String,
    },
}

impl Caller {
    /// Reads a request's principal; `None` when it is none of the forms IAM knows.
    ///
    /// ```
    /// use perimeter::iam::Caller;
    /// let c = Caller::parse("arn:aws:sts::111122223333:assumed-role/app/s1").unwrap();
    /// assert_eq!(c.account(), Some("111122223333"));
    /// assert_eq!(Caller::parse("*"), Some(Caller::Anonymous));
    /// assert!(Caller::parse("arn:aws:s3:::bucket").is_none());
    /// ```
    pub fn parse(p: &str) -> Option<Caller> {
        if p == "*" {
            return Some(Caller::Anonymous);
        }
        if !p.starts_with("arn:") {
            let ok = p.contains('.')
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-'));
            return ok.then(|| Caller::Service(p.to_string()));
        }
        let parts: Vec<&str> = p.splitn(6, ':').collect();
        let [_, partition, service, _, account, rest] = parts.as_slice() else {
            return None;
        };
        if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let (partition, account) = (partition.to_string(), account.to_string());
        match *service {
            "iam" if *rest == "root" => Some(Caller::Root { partition, account }),
            "iam" => {
                if let Some(path) = rest.strip_prefix("user/") {
                    let name = path.rsplit('/').next().unwrap_or(path).to_string();
                    (!name.is_empty()).then(|| Caller::User {
                        partition,
                        account,
                        arn: p.to_string(),
                        name,
                    })
                } else if let Some(path) = rest.strip_prefix("role/") {
                    let name = path.rsplit('/').next().unwrap_or(path).to_string();
                    (!name.is_empty()).then(|| Caller::Session {
                        service_linked: path.starts_with("aws-service-role/"),
                        role: name,
                        partition,
                        account,
                        session: None,
                    })
                } else {
                    None
                }
            }
            "sts" => {
                if let Some(r) = rest.strip_prefix("assumed-role/") {
                    let (role, session) = r.split_once('/')?;
                    (!role.is_empty() && !session.is_empty()).then(|| Caller::Session {
                        role: role.to_string(),
                        session: Some(p.to_string()),
                        // A session ARN drops the path: service-linked roles are known
                        // by their AWSServiceRoleFor prefix.
                        service_linked: role.starts_with("AWSServiceRoleFor"),
                        partition,
                        account,
                    })
                } else if rest.starts_with("federated-user/") {
                    Some(Caller::FederatedUser {
                        partition,
                        account,
                        arn: p.to_string(),
                    })
                } else {
                    None
                }
            }
            _ => None,
        }
    }

    /// The caller's account (none for anonymous callers and services).
    pub fn account(&self) -> Option<&str> {
        match self {
            Caller::Anonymous | Caller::Service(_) => None,
            Caller::Root { account, .. }
            | Caller::User { account, .. }
            | Caller::Session { account, .. }
            | Caller::FederatedUser { account, .. } => Some(account),
        }
    }

    fn partition(&self) -> &str {
        match self {
            Caller::Anonymous | Caller::Service(_) => "aws",
            Caller::Root { partition, .. }
            | Caller::User { partition, .. }
            | Caller::Session { partition, .. }
            | Caller::FederatedUser { partition, .. } => partition,
        }
    }

    /// An IAM identity of an account: its policies, boundary and SCPs apply.
    pub fn is_iam(&self) -> bool {
        self.account().is_some()
    }

    /// A service-linked role's session: SCPs and RCPs do not restrict it.
    pub fn is_service_linked(&self) -> bool {
        matches!(
            self,
            Caller::Session {
                service_linked: true,
                ..
            }
        )
    }

    /// `aws:PrincipalArn`: for a role session, the role's ARN.
    pub fn principal_arn(&self) -> Option<String> {
        match self {
            Caller::Anonymous | Caller::Service(_) => None,
            Caller::Root { partition, account } => {
                Some(format!("arn:{partition}:iam::{account}:root"))
            }
            Caller::User { arn, .. } | Caller::FederatedUser { arn, .. } => Some(arn.clone()),
            Caller::Session {
                partition,
                account,
                role,
                ..
            } => Some(format!("arn:{partition}:iam::{account}:role/{role}")),
        }
    }

    /// `aws:PrincipalType`.
    pub fn principal_type(&self) -> &'static str {
        match self {
            Caller::Anonymous => "Anonymous",
            Caller::Service(_) => "AWSService",
            Caller::Root { .. } => "Account",
            Caller::User { .. } => "User",
            Caller::Session { .. } => "AssumedRole",
            Caller::FederatedUser { .. } => "FederatedUser",
        }
    }

    /// The keys AWS puts in every request of this caller, before the request's own.
    pub fn context(&self) -> Vec<(&'static str, String)> {
        let mut out = vec![
            ("aws:principaltype", self.principal_type().to_string()),
            (
                "aws:principalisawsservice",
                matches!(self, Caller::Service(_)).to_string(),
            ),
        ];
        if let Some(a) = self.principal_arn() {
            out.push(("aws:principalarn", a));
        }
        if let Some(a) = self.account() {
            out.push(("aws:principalaccount", a.to_string()));
        }
        match self {
            Caller::User { name, .. } => out.push(("aws:username", name.clone())),
            Caller::Service(s) => out.push(("aws:principalservicename", s.clone())),
            _ => {}
        }
        out
    }

    /// How strongly a `Principal` element names this caller, in a resource-based or
    /// endpoint policy. Values that `resolve` cannot make concrete name no one.
    pub fn named_by(
        &self,
        p: &Principal,
        resolve: &dyn Fn(&crate::template::Value) -> Option<String>,
    ) -> Named {
        let ids = match p {
            Principal::Any => return Named::Everyone,
            Principal::Ids(ids) => ids,
        };
        let mut best = Named::No;
        for (kind, vals) in ids {
            for v in vals.iter().filter_map(resolve) {
                best = best.max(self.named_by_one(*kind, &v));
            }
        }
        best
    }

    fn named_by_one(&self, kind: PrincipalKind, id: &str) -> Named {
        match kind {
            PrincipalKind::Aws => {
                if id == "*" {
                    return Named::Everyone;
                }
                let Some(account) = self.account() else {
                    return Named::No;
                };
                let root = format!("arn:{}:iam::{account}:root", self.partition());
                if id == account || id == root {
                    // The root user is its account.
                    return if matches!(self, Caller::Root { .. }) {
                        Named::Caller
                    } else {
                        Named::Account
                    };
                }
                match self {
                    Caller::User { arn, .. } | Caller::FederatedUser { arn, .. } if id == arn => {
                        Named::Caller
                    }
                    Caller::Session {
                        partition,
                        account,
                        role,
                        session,
                        ..
                    } => {
                        if session.as_deref() == Some(id) {
                            return Named::Caller;
                        }
                        // A role is named by its ARN with any path: AWS keeps the role's
                        // unique id, not the path, so the name identifies it.
                        let prefix = format!("arn:{partition}:iam::{account}:role/");
                        match id.strip_prefix(&prefix) {
                            Some(path) if path.rsplit('/').next() == Some(role.as_str()) => {
                                Named::Role
                            }
                            _ => Named::No,
                        }
                    }
                    _ => Named::No,
                }
            }
            PrincipalKind::Service => match self {
                Caller::Service(s) if s.eq_ignore_ascii_case(id) => Named::Caller,
                _ => Named::No,
            },
            PrincipalKind::Federated | PrincipalKind::CanonicalUser => Named::No,
        }
    }

    /// Whether a `NotPrincipal` list excludes this caller: AWS checks the account, then
    /// the role or user, then the session, so each must be listed (the account, and the
    /// role or its session).
    pub fn excluded_by(
        &self,
        p: &Principal,
        resolve: &dyn Fn(&crate::template::Value) -> Option<String>,
    ) -> bool {
        let ids = match p {
            Principal::Any => return true,
            Principal::Ids(ids) => ids,
        };
        let named: Vec<Named> = ids
            .iter()
            .flat_map(|(k, vals)| {
                vals.iter()
                    .filter_map(resolve)
                    .map(|v| self.named_by_one(*k, &v))
                    .collect::<Vec<_>>()
            })
            .collect();
        if named.contains(&Named::Everyone) {
            return true;
        }
        match self {
            Caller::Anonymous => false,
            Caller::Service(_) => named.contains(&Named::Caller),
            Caller::Root { .. } => named.contains(&Named::Caller),
            Caller::User { .. } | Caller::FederatedUser { .. } => {
                named.contains(&Named::Account) && named.contains(&Named::Caller)
            }
            Caller::Session { .. } => {
                named.contains(&Named::Account)
                    && (named.contains(&Named::Role) || named.contains(&Named::Caller))
            }
        }
    }
}

/// How a policy's `Principal` names the caller, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Named {
    No,
    /// The caller's account (its id or root ARN): the account delegates, so the caller's
    /// own policies must allow too.
    Account,
    /// The role of a role session: the session's boundary and session policy still apply.
    Role,
    /// `*`: everyone, anonymous callers included.
    Everyone,
    /// The caller itself: the user, the session ARN or the service.
    Caller,
}
