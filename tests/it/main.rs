//! The integration tests, one binary: a test binary per file linked the whole library
//! once each (25 links of ~400 MB in debug), which cost CI minutes.

mod common;

mod blueprint_scenarios;
mod check;
mod cli;
mod cli_diff;
mod context;
mod daily_use;
mod data_constructs;
mod deploy;
mod deploy_org;
mod diff;
mod drift;
mod fuzz;
mod init;
mod init_app;
mod layers;
mod org;
mod program;
mod properties;
mod prove;
mod resources;
mod roundtrip;
mod shapes;
mod simulate;
mod solution;
mod team_solution;
mod template_errors;
mod workspace;
