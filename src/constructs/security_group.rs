//! Security groups joined by typed rules. Group-to-group rules are standalone
//! ingress/egress resources, so two groups that reference each other never form a
//! dependency cycle; a group has no outbound rule unless one is added.

use std::fmt;

use super::cidr::Cidr;
use super::stack::{ConstructError, Stack};
use crate::resources::Handle;
use crate::resources::ec2::{
    SecurityGroup, SecurityGroupEgress, SecurityGroupIngress, security_group,
};
use crate::template::typed::Str;

/// A protocol and port range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Port {
    pub protocol: Protocol,
    pub from: u16,
    pub to: u16,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Tcp,
    Udp,
}

impl Port {
    /// One TCP port, e.g. `Port::tcp(443)`.
    pub fn tcp(port: u16) -> Port {
        Port {
            protocol: Protocol::Tcp,
            from: port,
            to: port,
        }
    }

    fn protocol_name(&self) -> &'static str {
        match self.protocol {
            Protocol::Tcp => "tcp",
            Protocol::Udp => "udp",
        }
    }
}

impl fmt::Display for Port {
    /// `Tcp443`, `Tcp1024To2048`: the form used inside logical ids.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let p = match self.protocol {
            Protocol::Tcp => "Tcp",
            Protocol::Udp => "Udp",
        };
        if self.from == self.to {
            write!(f, "{p}{}", self.from)
        } else {
            write!(f, "{p}{}To{}", self.from, self.to)
        }
    }
}

/// What a security group is built from.
#[derive(Debug, Clone)]
pub struct GroupProps<'a> {
    pub vpc_id: Str,
    /// The group's description (it cannot change without replacing the group).
    pub description: &'a str,
    /// Its Name tag.
    pub name_tag: &'a str,
    /// Inbound rules from CIDR blocks: block, port and the rule's description.
    pub ingress: Vec<(Cidr, Port, String)>,
}

/// A security group in a stack, known by a short name (`Workload`, `Endpoint`).
#[derive(Debug, Clone)]
pub struct Group {
    pub name: String,
    pub handle: Handle<SecurityGroup>,
}

impl Group {
    pub fn group_id(&self) -> Str {
        self.handle.group_id()
    }

    /// Adds `<name>SecurityGroup` with inline CIDR ingress rules and no outbound traffic.
    ///
    /// CloudFormation gives a group without egress rules an allow-all egress rule; a
    /// rule that matches nothing (ICMP type 252 code 86 to 255.255.255.255/32, as the
    /// CDK writes it) removes it.
    ///
    /// ```
    /// use perimeter::constructs::{Group, GroupProps, Port, Stack};
    /// let mut stack = Stack::new("demo");
    /// let app = Group::build(&mut stack, "App", GroupProps {
    ///     vpc_id: "vpc-0123456789abcdef0".into(),
    ///     description: "The application",
    ///     name_tag: "demo-app",
    ///     ingress: vec![("10.0.0.0/16".parse().unwrap(), Port::tcp(443), "HTTPS from the VPC".into())],
    /// }).unwrap();
    /// assert_eq!(app.handle.logical_id().as_str(), "AppSecurityGroup");
    /// ```
    pub fn build(
        stack: &mut Stack,
        name: &str,
        p: GroupProps<'_>,
    ) -> Result<Group, ConstructError> {
        let GroupProps {
            vpc_id,
            description,
            name_tag: tag,
            ingress: cidr_ingress,
        } = p;
        let ingress: Vec<security_group::Ingress> = cidr_ingress
            .iter()
            .map(|(cidr, port, desc)| {
                security_group::Ingress::new(port.protocol_name())
                    .cidr_ip(*cidr)
                    .from_port(port.from)
                    .to_port(port.to)
                    .description(desc.as_str())
            })
            .collect();
        let no_egress = security_group::Egress::new("icmp")
            .cidr_ip("255.255.255.255/32")
            .from_port(252)
            .to_port(86)
            .description("Disallow all traffic");
        let mut sg = SecurityGroup::new(description)
            .vpc_id(vpc_id)
            .security_group_egress(vec![no_egress])
            .tags(vec![security_group::Tag::new("Name", tag)]);
        if !ingress.is_empty() {
            sg = sg.security_group_ingress(ingress);
        }
        let handle = stack.add(&format!("{name}SecurityGroup"), sg)?;
        Ok(Group {
            name: name.to_string(),
            handle,
        })
    }

    /// Lets `self` reach `to` on `port`: an egress rule on `self` and an ingress rule on
    /// `to`, ids `<From>EgressTo<To><Port>` and `<To>IngressFrom<From><Port>`.
    pub fn connect(
        &self,
        stack: &mut Stack,
        to: &Group,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        stack.add(
            &format!("{}EgressTo{}{port}", self.name, to.name),
            SecurityGroupEgress::new(self.group_id(), port.protocol_name())
                .destination_security_group_id(to.group_id())
                .from_port(port.from)
                .to_port(port.to)
                .description(description),
        )?;
        stack.add(
            &format!("{}IngressFrom{}{port}", to.name, self.name),
            SecurityGroupIngress::new(port.protocol_name())
                .group_id(to.group_id())
                .source_security_group_id(self.group_id())
                .from_port(port.from)
                .to_port(port.to)
                .description(description),
        )?;
        Ok(())
    }

    /// Lets `self` reach a managed prefix list (a gateway endpoint's service) on `port`:
    /// `<From>EgressTo<label><Port>`.
    pub fn egress_to_prefix_list(
        &self,
        stack: &mut Stack,
        label: &str,
        prefix_list: &PrefixListId,
        port: Port,
        description: &str,
    ) -> Result<(), ConstructError> {
        stack.add(
            &format!("{}EgressTo{label}{port}", self.name),
            SecurityGroupEgress::new(self.group_id(), port.protocol_name())
                .destination_prefix_list_id(prefix_list.as_str())
                .from_port(port.from)
                .to_port(port.to)
                .description(description),
        )?;
        Ok(())
    }
}

/// A managed prefix list id, `pl-` and 8 to 17 hex digits.
///
/// ```
/// use perimeter::constructs::PrefixListId;
/// assert!("pl-63a5400a".parse::<PrefixListId>().is_ok());
/// assert!("pl-xyz".parse::<PrefixListId>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixListId(String);

impl PrefixListId {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for PrefixListId {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        {
            let r: Result<Self, String> = {
                match s.strip_prefix("pl-") {
                    Some(h)
                        if (8..=17).contains(&h.len())
                            && h.bytes()
                                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) =>
                    {
                        Ok(PrefixListId(s.to_string()))
                    }
                    _ => Err(format!("{s:?} is not a prefix list id such as pl-63a5400a")),
                }
            };
            r
        }
        .map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for PrefixListId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl serde::Serialize for PrefixListId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for PrefixListId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for PrefixListId {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "PrefixListId".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^pl-[0-9a-f]{8,17}$",
            "description": "A managed prefix list id, e.g. pl-63a5400a"
        })
    }
}
