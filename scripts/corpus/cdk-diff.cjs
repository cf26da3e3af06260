// The AWS CDK's diff engine (@aws-cdk/cloudformation-diff, installed into target/node by
// scripts/venv) on before/after pairs: for each pair folder given (or listed one a line on
// standard input), reads old.cfn.json and new.cfn.json (the templates as cfn-lint's
// reader decodes them) and writes cdk.json: every resource's impact, whether permissions
// broaden, and the IAM and security group change counts; a thrown error is recorded as
// a crash. Used by scripts/corpus/compare-diff.py.
const path = require("path");
const fs = require("fs");
const { fullDiff, ResourceImpact } = require(path.join(__dirname, "..", "..", "target", "node", "node_modules", "@aws-cdk", "cloudformation-diff"));

const IMPACT = {
  [ResourceImpact.WILL_CREATE]: "create",
  [ResourceImpact.WILL_UPDATE]: "update",
  [ResourceImpact.WILL_REPLACE]: "replace",
  [ResourceImpact.MAY_REPLACE]: "may replace",
  [ResourceImpact.WILL_DESTROY]: "destroy",
  [ResourceImpact.WILL_ORPHAN]: "orphan",
  [ResourceImpact.WILL_IMPORT]: "import",
  [ResourceImpact.NO_CHANGE]: "none",
};

function one(dir) {
  const out = { resources: {}, broadens: false, iam: 0, security_groups: 0 };
  try {
    const old = JSON.parse(fs.readFileSync(path.join(dir, "old.cfn.json"), "utf8"));
    const neu = JSON.parse(fs.readFileSync(path.join(dir, "new.cfn.json"), "utf8"));
    const d = fullDiff(old, neu);
    d.resources.forEachDifference((id, change) => {
      out.resources[id] = IMPACT[change.changeImpact] || String(change.changeImpact);
    });
    out.broadens = d.permissionsBroadened;
    out.iam = d.iamChanges.statements.additions.length + d.iamChanges.statements.removals.length
      + d.iamChanges.managedPolicies.additions.length + d.iamChanges.managedPolicies.removals.length;
    out.security_groups = d.securityGroupChanges.ingress.additions.length + d.securityGroupChanges.ingress.removals.length
      + d.securityGroupChanges.egress.additions.length + d.securityGroupChanges.egress.removals.length;
  } catch (e) {
    out.crash = String(e && e.stack ? e.stack.split("\n").slice(0, 3).join(" | ") : e);
  }
  fs.writeFileSync(path.join(dir, "cdk.json"), JSON.stringify(out));
}

let dirs = process.argv.slice(2);
if (dirs.length === 0) {
  dirs = fs.readFileSync(0, "utf8").split("\n").filter(Boolean);
}
for (const d of dirs) one(d);
console.log(`cdk diff: ${dirs.length} pairs`);
