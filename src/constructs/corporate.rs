//! The corporate network's way in, beyond the virtual private gateway: the Direct Connect
//! gateway it is associated with (created, or an existing one), and DNS, a Route 53
//! Resolver inbound endpoint in the private subnets, so on-premises resolvers can forward
//! the endpoints' private names to it.

use std::net::Ipv4Addr;

use super::cidr::Cidr;
use super::network::PrivateVpc;
use super::security_group::{Group, GroupProps, Port, Protocol};
use super::stack::{Attributes, ConstructError, Stack};
use crate::resources::directconnect::{
    DirectConnectGateway, DirectConnectGatewayAssociation, direct_connect_gateway,
};
use crate::resources::ec2::VpnGateway;
use crate::resources::route53resolver::{ResolverEndpoint, resolver_endpoint};
use crate::resources::{Handle, Raw, RawResource};
use crate::template::LogicalId;
use crate::template::Value;
use crate::template::typed::{List, Str, ToValue};

/// What was built.
#[derive(Debug, Clone)]
pub struct CorporateNetwork {
    /// The Direct Connect gateway, when this stack creates it.
    pub gateway: Option<Handle<DirectConnectGateway>>,
    pub association: Handle<DirectConnectGatewayAssociation>,
    /// The private virtual interface on an existing connection, when one is named.
    pub virtual_interface: Option<Handle<Raw>>,
    /// The inbound endpoint and the addresses it answers on, one per subnet.
    pub resolver: Option<(Handle<ResolverEndpoint>, Vec<Ipv4Addr>)>,
}

/// The address the resolver takes in a subnet: the 11th (AWS reserves the first four
/// and the last), fixed so that on-premises forwarders can be configured before the stack
/// exists and the template stays deterministic.
pub fn resolver_address(subnet: Cidr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(subnet.net().network()) + 10)
}

/// A private virtual interface on an existing Direct Connect connection.
#[derive(Debug, Clone, PartialEq)]
pub struct VirtualInterfaceProps {
    /// `dxcon-...` (or a LAG, `dxlag-...`).
    pub connection_id: String,
    /// The 802.1Q VLAN the provider assigned, 1 to 4094.
    pub vlan: u16,
    /// The corporate routers' BGP ASN.
    pub customer_asn: u32,
}

/// What the corporate network's way in needs.
#[derive(Debug, Clone, PartialEq)]
pub struct CorporateNetworkProps<'a> {
    /// The VPC's block: what the Direct Connect gateway may advertise.
    pub vpc_cidr: Cidr,
    /// The private subnets' blocks, in the VPC's order.
    pub subnets: &'a [Cidr],
    /// The corporate block, the only source DNS queries are admitted from.
    pub corporate: Cidr,
    /// An existing Direct Connect gateway's id; `None`: one is created.
    pub existing_gateway: Option<&'a str>,
    /// The created gateway's Amazon-side ASN (BGP with the corporate routers runs on
    /// the Direct Connect gateway, not the virtual private gateway).
    pub gateway_asn: Option<u32>,
    /// A private virtual interface on an existing connection, to the created gateway.
    pub virtual_interface: Option<&'a VirtualInterfaceProps>,
    /// The virtual private gateway's attachment to the VPC: the association needs it.
    pub attachment: &'a LogicalId,
    pub dns: bool,
    /// Prefix of Name tags.
    pub name: &'a str,
}

impl CorporateNetwork {
    /// Adds `DirectConnectGateway` (unless an existing one is named),
    /// `DirectConnectGatewayAssociation` and, with DNS, `ResolverSecurityGroup` and
    /// `ResolverInboundEndpoint`.
    pub fn build(
        stack: &mut Stack,
        vpc: &PrivateVpc,
        vgw: &Handle<VpnGateway>,
        p: &CorporateNetworkProps<'_>,
    ) -> Result<CorporateNetwork, ConstructError> {
        let (subnets, corporate, name) = (p.subnets, p.corporate, p.name);
        let (gateway, gateway_id): (Option<Handle<DirectConnectGateway>>, Str) =
            match p.existing_gateway {
                Some(id) => (None, Str::from(id)),
                None => {
                    let mut gw = DirectConnectGateway::new(format!("{name}-dxgw")).tags(vec![
                        direct_connect_gateway::Tag::new("Name", format!("{name}-dxgw")),
                    ]);
                    if let Some(asn) = p.gateway_asn {
                        gw = gw.amazon_side_asn(asn.to_string());
                    }
                    let gw = stack.add("DirectConnectGateway", gw)?;
                    let id = gw.direct_connect_gateway_id();
                    (Some(gw), id)
                }
            };
        if gateway.is_none() && p.virtual_interface.is_some() {
            return Err(ConstructError::Invalid(
                "a virtual interface goes on a gateway this stack creates; an existing gateway has its own".into(),
            ));
        }
        if gateway.is_some() && p.virtual_interface.is_none() {
            return Err(ConstructError::Invalid(
                "a new Direct Connect gateway without a virtual interface carries nothing: name an existing gateway or a connection".into(),
            ));
        }
        let virtual_interface = match (&gateway, p.virtual_interface) {
            (Some(_), Some(v)) => {
                if !(1..=4094).contains(&v.vlan) {
                    return Err(ConstructError::Invalid(format!(
                        "VLAN {} is not 1 to 4094",
                        v.vlan
                    )));
                }
                let peer = Value::map([
                    ("AddressFamily", Value::from("ipv4")),
                    ("Asn", Value::from(v.customer_asn.to_string())),
                ]);
                let raw = RawResource::new("AWS::DirectConnect::PrivateVirtualInterface")
                    .map_err(ConstructError::from)?
                    .set("ConnectionId", Value::from(v.connection_id.as_str()))
                    .set("VirtualInterfaceName", Value::from(format!("{name}-vif")))
                    .set("Vlan", Value::from(v.vlan as i64))
                    .set("BgpPeers", Value::List(vec![peer]))
                    .set("DirectConnectGatewayId", gateway_id.clone().to_value());
                Some(stack.add_raw("DirectConnectVirtualInterface", raw)?)
            }
            _ => None,
        };
        // The VPC's block is what the gateway advertises to the corporate network; the
        // API refuses a virtual private gateway not yet attached to its VPC.
        let association = stack.add_with(
            "DirectConnectGatewayAssociation",
            DirectConnectGatewayAssociation::new(vgw.reference(), gateway_id)
                .allowed_prefixes_to_direct_connect_gateway(List::Items(vec![Str::from(
                    p.vpc_cidr.to_string(),
                )])),
            Attributes {
                depends_on: vec![p.attachment.clone()],
                ..Attributes::default()
            },
        )?;
        let resolver = if p.dns {
            let rules: Vec<(Cidr, Port, String)> = [Protocol::Udp, Protocol::Tcp]
                .into_iter()
                .map(|protocol| {
                    (
                        corporate,
                        Port {
                            protocol,
                            from: 53,
                            to: 53,
                        },
                        "DNS from the corporate network".to_string(),
                    )
                })
                .collect();
            let group = Group::build(
                stack,
                "Resolver",
                GroupProps {
                    vpc_id: vpc.vpc.reference(),
                    description: "DNS queries from the corporate network to the inbound resolver",
                    name_tag: &format!("{name}-resolver"),
                    ingress: rules,
                },
            )?;
            let addresses: Vec<Ipv4Addr> = subnets.iter().map(|s| resolver_address(*s)).collect();
            let requests = vpc
                .subnets
                .iter()
                .zip(&addresses)
                .map(|(subnet, ip)| {
                    resolver_endpoint::IpAddressRequest::new(subnet.reference()).ip(ip.to_string())
                })
                .collect();
            let endpoint = stack.add(
                "ResolverInboundEndpoint",
                ResolverEndpoint::new(
                    "INBOUND",
                    List::Items(requests),
                    List::Items(vec![group.group_id()]),
                )
                .name(format!("{name}-inbound"))
                .tags(vec![resolver_endpoint::Tag::new(
                    "Name",
                    format!("{name}-inbound"),
                )]),
            )?;
            Some((endpoint, addresses))
        } else {
            None
        };
        Ok(CorporateNetwork {
            gateway,
            association,
            virtual_interface,
            resolver,
        })
    }
}
