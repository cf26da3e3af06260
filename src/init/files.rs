//! The texts of a new project's files other than the blueprint.

use crate::synth::LEFTOVER_PATTERNS;

/// `.gitignore`: what a synth stopped mid-way may leave beside `out/`, and the CI outputs.
/// `out/` and its manifest are committed: the manifest records the hashes reviewers see.
pub fn gitignore() -> String {
    let mut s = String::from(
        "# Left beside out/ by a synth that was stopped mid-way; the next synth removes them.\n",
    );
    for p in LEFTOVER_PATTERNS {
        s.push_str(p);
        s.push('\n');
    }
    s.push_str("# Written by the CI workflow.\n/perimeter.sarif\n/comment.md\n");
    s
}

pub fn readme(solution: &str, action: &str) -> String {
    let repo = action.split_once('@').map_or(action, |(r, _)| r);
    format!(
        r#"# Infrastructure

CloudFormation for the `{solution}` solution, synthesized by
[perimeter](https://github.com/{repo}) from the blueprints in `blueprints/`.

| path | what it is |
| --- | --- |
| `blueprints/*.yaml` | the solution's settings and its targets (account, region, stage); `schema/blueprint.schema.json` lets editors complete and check them |
| `out/` | the synthesized templates, committed: a pull request shows what a change does to them |
| `.github/workflows/perimeter.yml` | CI: `out/` is current, `perimeter check` passes (findings in code scanning), and pull requests get the diff as a comment |
| `.pre-commit-config.yaml` | the same checks before each commit (`pre-commit install`) |

## Daily use

```bash
perimeter synth              # after editing a blueprint: rewrite out/, then commit it
perimeter diff               # what the edit does, resource by resource
perimeter check              # schema, references, quotas, data-perimeter rules, access simulation
perimeter synth --check      # what CI runs: is out/ what the blueprints make?
```
"#
    )
}

/// Local hooks (perimeter on the PATH, as `perimeter init` was); the repository's own
/// `.pre-commit-hooks.yaml` serves those who let pre-commit build it instead.
pub fn pre_commit(action: &str) -> String {
    let (repo, rev) = action.split_once('@').unwrap_or((action, "main"));
    format!(
        r#"# pre-commit (https://pre-commit.com): `pre-commit install`, then these run before each commit.
# They use the perimeter on your PATH. To have pre-commit build it instead, replace the
# `local` repository with:
#   - repo: https://github.com/{repo}
#     rev: {rev}
#     hooks: [{{id: perimeter-synth-check}}, {{id: perimeter-check}}]
repos:
  - repo: local
    hooks:
      - id: perimeter-synth-check
        name: perimeter synth --check (out/ is what the blueprints make)
        entry: perimeter synth --check
        language: system
        pass_filenames: false
        files: ^(blueprints|out)/
      - id: perimeter-check
        name: perimeter check
        entry: perimeter check
        language: system
        pass_filenames: false
        files: ^(blueprints|out)/
"#
    )
}

/// The GitHub Actions workflow. Each `run:` step is a plain shell command, so the tests
/// run them as written.
pub fn workflow(action: &str) -> String {
    format!(
        r#"# perimeter in CI: out/ must be what the blueprints make, `perimeter check` must pass
# (its findings go to code scanning), and a pull request gets the semantic diff of its
# change as a comment (kept within GitHub's 65,536-character limit).
name: perimeter

on:
  push:
    branches: [main]
  pull_request:

permissions:
  contents: read

jobs:
  perimeter:
    runs-on: ubuntu-latest
    permissions:
      contents: read
      security-events: write   # upload the SARIF report to code scanning
      pull-requests: write     # the diff comment
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0       # diff --against needs the base branch
      - name: Install perimeter
        uses: {action}
        with:
          install-only: true
      - name: out/ is what the blueprints make
        run: perimeter synth --check
      - name: Check
        run: perimeter check --format sarif > perimeter.sarif
      - name: Upload the findings to code scanning
        if: always() && hashFiles('perimeter.sarif') != ''
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: perimeter.sarif
          category: perimeter
      - name: Diff against the base branch
        if: always() && github.event_name == 'pull_request'
        run: perimeter diff --against "origin/$GITHUB_BASE_REF" --format markdown > comment.md
      - name: Comment on the pull request
        if: always() && github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository && hashFiles('comment.md') != ''
        env:
          GH_TOKEN: ${{{{ github.token }}}}
          PR: ${{{{ github.event.pull_request.number }}}}
        run: gh pr comment "$PR" --edit-last --body-file comment.md || gh pr comment "$PR" --body-file comment.md
"#
    )
}
