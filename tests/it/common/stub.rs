//! A stand-in for the AWS APIs where moto does not model what a test needs (bucket
//! ownership, template URLs, throttling, paged events): an HTTP server on 127.0.0.1
//! with a free port, in a thread, answering each request with what the test's handler
//! says and recording every request. The SDKs reach it through `AWS_ENDPOINT_URL`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// One request as the stub read it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// The path without the query.
    pub path: String,
    pub query: String,
    /// Header names lowercase.
    pub headers: BTreeMap<String, String>,
    pub body: Vec<u8>,
    /// The form of a query-protocol call (CloudFormation, STS), decoded.
    pub form: BTreeMap<String, String>,
}

impl Request {
    /// The query-protocol action (`CreateChangeSet`, ...), if this is one.
    pub fn action(&self) -> Option<&str> {
        self.form.get("Action").map(String::as_str)
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(String::as_str)
    }
}

/// An answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Response {
    pub fn xml(body: impl Into<String>) -> Response {
        Response {
            status: 200,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: body.into(),
        }
    }
    /// A query-protocol answer: `<{action}Response><{action}Result>inner</...>`.
    pub fn result(action: &str, inner: &str) -> Response {
        Response::xml(format!(
            "<{action}Response><{action}Result>{inner}</{action}Result><ResponseMetadata><RequestId>stub</RequestId></ResponseMetadata></{action}Response>"
        ))
    }
    /// A query-protocol error.
    pub fn error(status: u16, code: &str, message: &str) -> Response {
        Response {
            status,
            headers: vec![("content-type".into(), "text/xml".into())],
            body: format!(
                "<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error><RequestId>stub</RequestId></ErrorResponse>"
            ),
        }
    }
    /// A status with no body (S3's answer to HEAD).
    pub fn empty(status: u16) -> Response {
        Response {
            status,
            headers: Vec::new(),
            body: String::new(),
        }
    }
    pub fn with_header(mut self, name: &str, value: &str) -> Response {
        self.headers.push((name.into(), value.into()));
        self
    }
}

type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// The running stub; stopped when dropped.
pub struct Stub {
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    stop: Arc<AtomicBool>,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl Stub {
    pub fn start(handler: impl Fn(&Request) -> Response + Send + Sync + 'static) -> Stub {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = listener.local_addr().unwrap().port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let handler: Arc<Handler> = Arc::new(handler);
        let (r, s) = (requests.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let (r, h) = (r.clone(), handler.clone());
                std::thread::spawn(move || serve(conn, &r, &*h));
            }
        });
        Stub {
            url: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
            thread: Some(thread),
        }
    }

    /// Every request so far, in the order they arrived.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// The query-protocol calls of one action.
    pub fn calls(&self, action: &str) -> Vec<Request> {
        self.requests()
            .into_iter()
            .filter(|r| r.action() == Some(action))
            .collect()
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the accept loop so it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Answers requests on one connection until the client closes it.
fn serve(conn: TcpStream, log: &Mutex<Vec<Request>>, handler: &Handler) {
    let mut out = conn.try_clone().expect("a second handle");
    let mut reader = BufReader::new(conn);
    while let Some(req) = read(&mut reader) {
        log.lock().unwrap().push(req.clone());
        let res = handler(&req);
        let mut head = format!("HTTP/1.1 {} Stub\r\n", res.status);
        for (k, v) in &res.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        // A HEAD answer declares no body.
        if req.method != "HEAD" {
            head.push_str(&format!("content-length: {}\r\n", res.body.len()));
        } else {
            head.push_str("content-length: 0\r\n");
        }
        head.push_str("\r\n");
        let mut bytes = head.into_bytes();
        if req.method != "HEAD" {
            bytes.extend_from_slice(res.body.as_bytes());
        }
        if out.write_all(&bytes).is_err() {
            return;
        }
    }
}

fn read(reader: &mut BufReader<TcpStream>) -> Option<Request> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = BTreeMap::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(n) = headers
        .get("content-length")
        .and_then(|n| n.parse::<usize>().ok())
    {
        body.resize(n, 0);
        reader.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|t| t.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let n = usize::from_str_radix(size.trim().split(';').next()?, 16).ok()?;
            let mut chunk = vec![0; n + 2];
            reader.read_exact(&mut chunk).ok()?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
        }
    }
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let form = if headers
        .get("content-type")
        .is_some_and(|c| c.contains("x-www-form-urlencoded"))
    {
        decode_form(&String::from_utf8_lossy(&body))
    } else {
        BTreeMap::new()
    };
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
        form,
    })
}

fn decode_form(s: &str) -> BTreeMap<String, String> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                let hex = std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}
