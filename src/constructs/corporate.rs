//! The corporate network's way in, beyond the virtual private gateway: the Direct Connect
//! gateway it is associated with (created, or an existing one), and DNS, a Route 53
//! Resolver inbound endpoint in the private subnets, so on-premises resolvers can forward
//! the endpoints' private names to it.

use std::net::Ipv4Addr;

use super::cidr::Cidr;
use super::network::PrivateVpc;
use super::security_group::{Group, GroupProps, Port, Protocol};
use super::stack::{ConstructError, Stack};
use crate::resources::Handle;
use crate::resources::directconnect::{
    DirectConnectGateway, DirectConnectGatewayAssociation, direct_connect_gateway,
};
use crate::resources::ec2::VpnGateway;
use crate::resources::route53resolver::{ResolverEndpoint, resolver_endpoint};
use crate::template::typed::{List, Str};

/// What was built.
#[derive(Debug, Clone)]
pub struct CorporateNetwork {
    /// The Direct Connect gateway, when this stack creates it.
    pub gateway: Option<Handle<DirectConnectGateway>>,
    pub association: Handle<DirectConnectGatewayAssociation>,
    /// The inbound endpoint and the addresses it answers on, one per subnet.
    pub resolver: Option<(Handle<ResolverEndpoint>, Vec<Ipv4Addr>)>,
}

/// The address the resolver takes in a subnet: the 11th (AWS reserves the first four
/// and the last), fixed so that on-premises forwarders can be configured before the stack
/// exists and the template stays deterministic.
pub fn resolver_address(subnet: Cidr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(subnet.net().network()) + 10)
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
                    let gw = stack.add(
                        "DirectConnectGateway",
                        DirectConnectGateway::new(format!("{name}-dxgw")).tags(vec![
                            direct_connect_gateway::Tag::new("Name", format!("{name}-dxgw")),
                        ]),
                    )?;
                    let id = gw.direct_connect_gateway_id();
                    (Some(gw), id)
                }
            };
        // The VPC's block is what the gateway advertises to the corporate network.
        let association = stack.add(
            "DirectConnectGatewayAssociation",
            DirectConnectGatewayAssociation::new(vgw.reference(), gateway_id)
                .allowed_prefixes_to_direct_connect_gateway(List::Items(vec![Str::from(
                    p.vpc_cidr.to_string(),
                )])),
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
            resolver,
        })
    }
}
