//! PrivateVpc: a VPC with one isolated subnet per Availability Zone, a route table per
//! subnet, DNS on; no internet gateway, no NAT.

use super::cidr::Cidr;
use super::stack::{Attributes, ConstructError, Stack};
use crate::resources::Handle;
use crate::resources::ec2::{
    RouteTable, Subnet, SubnetRouteTableAssociation, Vpc, route_table, subnet, vpc,
};
use crate::template::Value;
use crate::template::typed::{List, Str, fns};

/// Which Availability Zones the subnets go in.
#[derive(Debug, Clone, PartialEq)]
pub enum Azs {
    /// The first N zones of the stack's region (`Fn::GetAZs`), resolved at deploy time.
    Count(usize),
    /// Named zones, e.g. `us-east-1a` (names map to different zones in each account).
    Named(Vec<String>),
    /// Zone ids, e.g. `use1-az1`: the same physical zone in every account, so subnets
    /// can be put where an interface endpoint's service is offered.
    Ids(Vec<String>),
}

impl Azs {
    pub fn len(&self) -> usize {
        match self {
            Azs::Count(n) => *n,
            Azs::Named(v) | Azs::Ids(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Named zones are the user's explicit choice: tell cfn-lint its "hard-coded zone"
    /// warning (W3010) does not apply to these subnets.
    fn lint_metadata(&self) -> Option<Value> {
        matches!(self, Azs::Named(_) | Azs::Ids(_)).then(|| {
            Value::map([(
                "cfn-lint",
                Value::map([(
                    "config",
                    Value::map([("ignore_checks", Value::List(vec!["W3010".into()]))]),
                )]),
            )])
        })
    }

    /// Sets subnet `i`'s zone, by name or by id.
    fn place(&self, i: usize, s: Subnet) -> Subnet {
        match self {
            Azs::Count(_) => s.availability_zone(fns::select(i, fns::get_azs(Str::from("")))),
            Azs::Named(v) => s.availability_zone(v[i].as_str()),
            Azs::Ids(v) => s.availability_zone_id(v[i].as_str()),
        }
    }
}

/// What a PrivateVpc needs.
#[derive(Debug, Clone, PartialEq)]
pub struct PrivateVpcProps {
    /// Prefix of Name tags, e.g. `bedrock-dev`.
    pub name: String,
    pub cidr: Cidr,
    pub azs: Azs,
    /// One subnet CIDR per zone, inside `cidr` and not overlapping.
    pub subnets: Vec<Cidr>,
}

impl PrivateVpcProps {
    /// A VPC of `cidr` with one subnet per zone, in the Region's first zones.
    pub fn new(name: &str, cidr: Cidr, subnets: Vec<Cidr>) -> PrivateVpcProps {
        PrivateVpcProps {
            name: name.into(),
            cidr,
            azs: Azs::Count(subnets.len()),
            subnets,
        }
    }
}

/// The built VPC.
#[derive(Debug, Clone)]
pub struct PrivateVpc {
    pub vpc: Handle<Vpc>,
    pub subnets: Vec<Handle<Subnet>>,
    pub route_tables: Vec<Handle<RouteTable>>,
}

impl PrivateVpc {
    /// The subnet ids, for endpoints, functions and subnet groups.
    pub fn subnet_ids(&self) -> List<Str> {
        List::Items(self.subnets.iter().map(Handle::reference).collect())
    }

    /// Adds the VPC under logical id `id` (`Vpc`, `VpcPrivateSubnet1`, ...).
    pub fn build(
        stack: &mut Stack,
        id: &str,
        p: &PrivateVpcProps,
    ) -> Result<PrivateVpc, ConstructError> {
        validate(p)?;
        let vpc = Vpc::new().cidr_block(p.cidr);
        let subnets: Vec<Str> = p.subnets.iter().map(|c| Str::from(*c)).collect();
        Self::build_with(stack, id, &p.name, &p.azs, vpc, |_| subnets)
    }

    /// Adds the VPC with its block allocated from an IPAM pool when the stack is
    /// deployed, the subnets carved from that block by `Fn::Cidr`: one template then gets
    /// a different block in every account it is deployed to.
    pub fn build_from_pool(
        stack: &mut Stack,
        id: &str,
        name: &str,
        azs: &Azs,
        pool: &IpamAllocation,
    ) -> Result<PrivateVpc, ConstructError> {
        let zones = azs.len();
        if zones < 2 {
            return Err(ConstructError::Invalid(format!(
                "a private VPC needs at least 2 Availability Zones, found {zones}"
            )));
        }
        let (vpc_len, sub_len) = (
            u32::from(pool.netmask_length),
            u32::from(pool.subnet_prefix_length),
        );
        if !(16..=28).contains(&vpc_len) || sub_len > 28 || sub_len < vpc_len {
            return Err(ConstructError::Invalid(format!(
                "a /{vpc_len} VPC from the pool with /{sub_len} subnets: the VPC takes /16 to /28, subnets /{vpc_len} to /28"
            )));
        }
        if zones as u64 > 1u64 << (sub_len - vpc_len) {
            return Err(ConstructError::Invalid(format!(
                "{zones} /{sub_len} subnets do not fit in a /{vpc_len} block"
            )));
        }
        let vpc = Vpc::new()
            .ipv4_ipam_pool_id(pool.pool_id.clone())
            .ipv4_netmask_length(i64::from(pool.netmask_length));
        let bits = i64::from(32 - pool.subnet_prefix_length);
        Self::build_with(stack, id, name, azs, vpc, |vpc| {
            let blocks = fns::cidr(
                vpc.get_att::<Str>("CidrBlock"),
                (zones as i64).into(),
                bits.into(),
            );
            (0..zones).map(|i| fns::select(i, blocks.clone())).collect()
        })
    }

    fn build_with(
        stack: &mut Stack,
        id: &str,
        name: &str,
        azs: &Azs,
        vpc: Vpc,
        blocks: impl FnOnce(&Handle<Vpc>) -> Vec<Str>,
    ) -> Result<PrivateVpc, ConstructError> {
        let vpc = stack.add(
            id,
            vpc.enable_dns_support(true)
                .enable_dns_hostnames(true)
                .tags(vec![vpc::Tag::new("Name", format!("{name}-vpc"))]),
        )?;
        let mut subnets = Vec::new();
        let mut route_tables = Vec::new();
        for (i, cidr) in blocks(&vpc).into_iter().enumerate() {
            let n = i + 1;
            let sid = format!("{id}PrivateSubnet{n}");
            let s = stack.add_with(
                &sid,
                azs.place(
                    i,
                    Subnet::new(vpc.reference())
                        .cidr_block(cidr)
                        .map_public_ip_on_launch(false)
                        .tags(vec![subnet::Tag::new(
                            "Name",
                            format!("{name}-private-{n}"),
                        )]),
                ),
                Attributes {
                    metadata: azs.lint_metadata(),
                    ..Attributes::default()
                },
            )?;
            let rt = stack.add(
                &format!("{sid}RouteTable"),
                RouteTable::new(vpc.reference()).tags(vec![route_table::Tag::new(
                    "Name",
                    format!("{name}-private-{n}"),
                )]),
            )?;
            stack.add(
                &format!("{sid}RouteTableAssociation"),
                SubnetRouteTableAssociation::new(rt.reference(), s.reference()),
            )?;
            subnets.push(s);
            route_tables.push(rt);
        }
        Ok(PrivateVpc {
            vpc,
            subnets,
            route_tables,
        })
    }
}

/// A VPC block from an IPAM pool (`Ipv4IpamPoolId`, `Ipv4NetmaskLength`).
#[derive(Debug, Clone, PartialEq)]
pub struct IpamAllocation {
    /// The pool: its id, or a `Ref` to a parameter holding it (pools are regional, so a
    /// template deployed to several Regions takes it as a parameter).
    pub pool_id: Str,
    /// The VPC's prefix length, /16 to /28.
    pub netmask_length: u8,
    /// The subnets' prefix length, one subnet per zone carved from the VPC's block.
    pub subnet_prefix_length: u8,
}

/// At least two zones, one subnet per zone, subnets inside the VPC and disjoint.
pub fn validate(p: &PrivateVpcProps) -> Result<(), ConstructError> {
    let bad = |m: String| Err(ConstructError::Invalid(m));
    if p.azs.len() < 2 {
        return bad(format!(
            "a private VPC needs at least 2 Availability Zones, found {}",
            p.azs.len()
        ));
    }
    if p.subnets.len() != p.azs.len() {
        return bad(format!(
            "{} subnets for {} Availability Zones: one subnet per zone",
            p.subnets.len(),
            p.azs.len()
        ));
    }
    if !(16..=28).contains(&p.cidr.prefix_len()) {
        return bad(format!(
            "VPC CIDR {} must have a prefix length between /16 and /28",
            p.cidr
        ));
    }
    for (i, s) in p.subnets.iter().enumerate() {
        if !p.cidr.contains(s) {
            return bad(format!("subnet {s} is outside the VPC CIDR {}", p.cidr));
        }
        if s.prefix_len() > 28 {
            return bad(format!(
                "subnet {s} is smaller than /28, the smallest subnet AWS allows"
            ));
        }
        if let Some(o) = p.subnets[..i].iter().find(|o| o.overlaps(s)) {
            return bad(format!("subnets {o} and {s} overlap"));
        }
    }
    Ok(())
}
