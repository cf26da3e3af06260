use perimeter::template::*;
fn main() {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap());
    for e in std::env::args().skip(2) {
        let Ok(t) = Template::parse_any(&std::fs::read_to_string(&e).unwrap()) else { continue };
        let stem = e.trim_start_matches("/tmp/fx/good/").replace('/', "__");
        std::fs::write(out.join(format!("{stem}.re.json")), t.to_json()).unwrap();
        std::fs::write(out.join(format!("{stem}.re.yaml")), t.to_yaml()).unwrap();
    }
}
