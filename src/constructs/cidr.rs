//! An IPv4 CIDR block, validated at its edge: canonical (no host bits), and carving
//! and overlap checks for subnets.

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use super::stack::ConstructError;
use ipnet::Ipv4Net;

/// A canonical IPv4 CIDR block such as `10.0.0.0/16`.
///
/// ```
/// use perimeter::constructs::Cidr;
/// let vpc: Cidr = "10.0.0.0/16".parse().unwrap();
/// let subnets = vpc.carve(2, 24).unwrap();
/// assert_eq!(subnets[1].to_string(), "10.0.1.0/24");
/// assert!("10.0.0.1/16".parse::<Cidr>().unwrap_err().contains("10.0.0.0/16"));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cidr(Ipv4Net);

impl Cidr {
    /// The block as an `ipnet` network.
    pub fn net(&self) -> Ipv4Net {
        self.0
    }

    pub fn prefix_len(&self) -> u8 {
        self.0.prefix_len()
    }

    /// Whether `other` lies wholly inside this block.
    pub fn contains(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0)
    }

    /// Whether the two blocks share any address.
    pub fn overlaps(&self, other: &Cidr) -> bool {
        self.0.contains(&other.0.network()) || other.0.contains(&self.0.network())
    }

    /// The first `count` blocks of length `prefix` inside this one, in address order.
    pub fn carve(&self, count: usize, prefix: u8) -> Result<Vec<Cidr>, ConstructError> {
        if prefix < self.prefix_len() || prefix > 32 {
            return Err(ConstructError::Invalid(format!(
                "cannot carve /{prefix} subnets from {self}: the prefix length must be between {} and 32",
                self.prefix_len()
            )));
        }
        let subnets: Vec<Cidr> = self
            .0
            .subnets(prefix)
            .map_err(|e| ConstructError::Invalid(e.to_string()))?
            .take(count)
            .map(Cidr)
            .collect();
        if subnets.len() < count {
            return Err(ConstructError::Invalid(format!(
                "{self} holds only {} /{prefix} subnets, {count} needed",
                subnets.len()
            )));
        }
        Ok(subnets)
    }
}

impl FromStr for Cidr {
    type Err = crate::error::Invalid;
    fn from_str(s: &str) -> Result<Self, crate::error::Invalid> {
        (|| -> Result<Self, String> {
            let net: Ipv4Net = s
                .parse()
                .map_err(|_| format!("{s:?} is not an IPv4 CIDR block such as 10.0.0.0/16"))?;
            if net.addr() != net.network() {
                return Err(format!(
                    "{s:?} has host bits set; did you mean {}?",
                    net.trunc()
                ));
            }
            Ok(Cidr(net))
        })()
        .map_err(crate::error::Invalid::from)
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl serde::Serialize for Cidr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cidr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Cidr {
    fn schema_name() -> Cow<'static, str> {
        "Cidr".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "description": "An IPv4 CIDR block such as 10.0.0.0/16",
            "pattern": r"^(\d{1,3}\.){3}\d{1,3}/\d{1,2}$"
        })
    }
}

impl From<Cidr> for crate::template::typed::Str {
    fn from(c: Cidr) -> Self {
        c.to_string().into()
    }
}
