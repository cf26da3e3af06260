//! VPC flow logs: every flow of a VPC into a log group of its own, kept for a set
//! number of days, delivered by a role that may write to that log group only, and that
//! only the flow-logs service of this account can assume.

use super::function::RETENTION_DAYS;
use super::network::PrivateVpc;
use super::stack::{ConstructError, Stack};
use crate::iam::{ConditionOperator, Effect, Op, PolicyDocument, Principal, Statement};
use crate::resources::Handle;
use crate::resources::ec2::{FlowLog, flow_log};
use crate::resources::iam::{Role, role};
use crate::resources::logs::LogGroup;
use crate::template::Pseudo;
use crate::template::typed::{List, fns};

/// The built flow log.
#[derive(Debug, Clone)]
pub struct FlowLogs {
    pub flow_log: Handle<FlowLog>,
    pub log_group: Handle<LogGroup>,
    pub role: Handle<Role>,
}

impl FlowLogs {
    /// Adds `<id>` (the flow log), `<id>LogGroup` (kept when the stack goes with
    /// `retain_logs`) and `<id>Role` for the VPC.
    pub fn build(
        stack: &mut Stack,
        id: &str,
        vpc: &PrivateVpc,
        retention_days: u32,
        name: &str,
        retain_logs: bool,
    ) -> Result<FlowLogs, ConstructError> {
        if !RETENTION_DAYS.contains(&retention_days) {
            return Err(ConstructError::Invalid(format!(
                "flow log retention {retention_days} days is not one CloudWatch Logs accepts"
            )));
        }
        let log_group = stack.add_with(
            &format!("{id}LogGroup"),
            LogGroup::new().retention_in_days(retention_days),
            super::function::retain(retain_logs),
        )?;
        // Confused-deputy protection: the service assumes the role only for flow logs of
        // this account.
        let trust = PolicyDocument::new(vec![
            Statement::new(Effect::Allow, ["sts:AssumeRole"])
                .map_err(ConstructError::from)?
                .principal(Principal::service("vpc-flow-logs.amazonaws.com"))
                .condition(
                    ConditionOperator::new(Op::StringEquals),
                    "aws:SourceAccount",
                    vec![Pseudo::AccountId.into()],
                )
                .condition(
                    ConditionOperator::new(Op::ArnLike),
                    "aws:SourceArn",
                    vec![fns::sub(
                        "arn:${AWS::Partition}:ec2:${AWS::Region}:${AWS::AccountId}:vpc-flow-log/*",
                    )],
                ),
        ]);
        let write = PolicyDocument::new(vec![
            Statement::new(
                Effect::Allow,
                [
                    "logs:CreateLogStream",
                    "logs:PutLogEvents",
                    "logs:DescribeLogStreams",
                ],
            )
            .map_err(ConstructError::from)?
            .sid("WriteFlowLogGroup")
            .resource(log_group.arn()),
        ]);
        let role = stack.add(
            &format!("{id}Role"),
            Role::new(trust)
                .description("Delivers the VPC's flow logs to their log group")
                .policies(vec![role::Policy::new(write, "FlowLogDelivery")]),
        )?;
        let flow_log = stack.add(
            id,
            FlowLog::new(vpc.vpc.reference(), "VPC")
                .traffic_type("ALL")
                .log_destination_type("cloud-watch-logs")
                .log_group_name(log_group.reference())
                .deliver_logs_permission_arn(role.arn())
                .tags(List::Items(vec![flow_log::Tag::new(
                    "Name",
                    format!("{name}-flow-logs"),
                )])),
        )?;
        Ok(FlowLogs {
            flow_log,
            log_group,
            role,
        })
    }
}
