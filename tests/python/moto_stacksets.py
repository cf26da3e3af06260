"""moto's server for the StackSet tests, with two differences from the pinned moto, each
a place where moto does not do what CloudFormation does:

1. A service-managed StackSet instance is a hidden stack whose resources moto creates in
   its own EC2, IAM, ... models; those lack IPAM allocation (a VPC without CidrBlock) and
   Fn::Cidr, which an organizational-unit template uses. The hidden stack is marked
   created without creating its resources (nothing outside moto's StackSet model can
   see them: they are in no account's stack list).
2. UpdateStackSet without accounts and Regions updates every instance in CloudFormation;
   moto updates none. Here each instance takes the new template and parameters.
3. DeleteStackInstances of a service-managed StackSet names its instances by
   DeploymentTargets (units, and accounts with a filter); moto reads only Accounts. Here
   the targets are resolved to accounts through moto's Organizations model.

Usage: python moto_stacksets.py -H 127.0.0.1 -p PORT
"""
import sys

from moto.cloudformation import models
from moto.server import main

_create = models.Stack.create_resources


def create_resources(self):
    if "hiddenstackfor" in self.stack_id:
        self.status = "CREATE_IN_PROGRESS"
        self.mark_creation_complete()
        return
    _create(self)


models.Stack.create_resources = create_resources

_update = models.StackSet.update


def update(self, template, description, parameters, tags, admin_role, execution_role,
           accounts, regions, operation_id):
    op = _update(self, template, description, parameters, tags, admin_role,
                 execution_role, accounts, regions, operation_id)
    if not accounts and not regions:
        for i in self.stack_instances:
            i.template = self.template
            i.stack.template = self.template
        op["Instances"] = [{i.account_id: i.region_name} for i in self.stack_instances]
    return op


models.StackSet.update = update

from moto.cloudformation import responses
from moto.organizations.models import organizations_backends


def _accounts(self, targets):
    org = organizations_backends[self.current_account]["aws"]
    units = targets.get("OrganizationalUnitIds", [])
    listed = targets.get("Accounts", [])
    mode = targets.get("AccountFilterType", "NONE")
    inside = [a.id for a in org.accounts if a.parent_id in units]
    if not units:
        return listed
    if mode == "INTERSECTION":
        return [a for a in inside if a in listed]
    if mode == "DIFFERENCE":
        return [a for a in inside if a not in listed]
    if mode == "UNION":
        return inside + [a for a in listed if a not in inside]
    return inside


def delete_stack_instances(self):
    name = self._get_param("StackSetName")
    regions = self._get_param("Regions", [])
    targets = self._get_params().get("DeploymentTargets")
    accounts = _accounts(self, targets) if targets else self._get_param("Accounts", [])
    stackset = self.cloudformation_backend.delete_stack_instances(name, accounts, regions)
    return responses.ActionResult({"OperationId": stackset.operations[-1]["OperationId"]})


responses.CloudFormationResponse.delete_stack_instances = delete_stack_instances

if __name__ == "__main__":
    main(sys.argv[1:])
