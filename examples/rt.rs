use perimeter::template::*;
fn main() {
    let mut ok = 0; let mut bad = 0;
    for e in std::env::args().skip(1) {
        let text = std::fs::read_to_string(&e).unwrap();
        match Template::parse_any(&text) {
            Ok(t) => {
                let y = Template::parse(&t.to_yaml(), Format::Yaml);
                let j = Template::parse(&t.to_json(), Format::Json);
                if y.as_ref().ok() == Some(&t) && j.as_ref().ok() == Some(&t) { ok += 1 } else { bad += 1; println!("MISMATCH {e}: {:?} {:?}", y.err(), j.err()); }
            }
            Err(err) => { bad += 1; println!("PARSE {e}: {err}"); }
        }
    }
    println!("ok={ok} bad={bad}");
}
