//! The stack: a private VPC, the function, its table, and the gateway endpoint its one
//! grant goes through (the grant writes the role's statement, the endpoint's, and the
//! scenarios check runs).

use perimeter::constructs::{
    Attribute, ConstructError, Endpoint, GatewayEndpointProps, Group, GroupProps, PrivateVpc,
    PrivateVpcProps, Stack, Table, TableProps, VpcFunction, VpcFunctionProps,
};

use perimeter::solution::TargetInfo;

use super::Props;

/// The handler, inline.
pub const HANDLER: &str = include_str!("handler.py");

/// The whole stack.
pub fn build(p: &Props, t: &TargetInfo) -> Result<Stack, ConstructError> {
    let name = t.name();
    let mut stack = Stack::new(&format!("A VPC function and its DynamoDB table ({name})"));
    let network = PrivateVpcProps::new(&name, p.settings.vpc_cidr, p.subnets.clone());
    let vpc = PrivateVpc::build(&mut stack, "Vpc", &network)?;
    let (vpc_id, description) = (vpc.vpc.reference(), "The function");
    let group = GroupProps {
        vpc_id,
        description,
        name_tag: &name,
        ingress: vec![],
    };
    let app = Group::build(&mut stack, "App", group)?;
    let sort_key = Some(Attribute::string("sk"));
    let table = TableProps {
        sort_key,
        ..TableProps::new(Attribute::string("pk"), &t.stage)
    };
    let table = Table::build(&mut stack, "Orders", table)?;
    let (service, prefix_list) = ("dynamodb", p.prefix_list.clone());
    let gateway = GatewayEndpointProps {
        service,
        vpc: &vpc,
        prefix_list,
    };
    let endpoint = Endpoint::gateway(&mut stack, "DynamoDbEndpoint", gateway)?;
    endpoint.admit(&mut stack, &app)?;
    let function = VpcFunctionProps {
        memory_mb: p.settings.memory_mb,
        retain_logs: t.stage == "prod",
        environment: [("TABLE".to_string(), table.name())].into(),
        ..VpcFunctionProps::inline_python("Writes and reads its orders", HANDLER)
    };
    let function = VpcFunction::build(&mut stack, "Function", &function, &vpc, &app)?;
    stack.grant(table.grant_read_write(&function.role).through(&endpoint))?;
    stack.output("TableName", "The orders table", table.name(), true)?;
    Ok(stack)
}
