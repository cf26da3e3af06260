//! The team's app: perimeter's command line (synth, diff, check, list, schema, init, and
//! deploy with the `deploy` feature) with the built-in solutions and ours.

fn main() {
    let app = perimeter::app::App::builtin()
        .named("private-secrets")
        .solution(private_secrets::PrivateSecrets);
    std::process::exit(app.run());
}
