//! The team's app: perimeter's command line with the built-in solutions and ours.

fn main() {
    let app = perimeter::app::App::builtin()
        .named("dynamodb-private")
        .solution(dynamodb_private::DynamoDbPrivate);
    std::process::exit(app.run());
}
