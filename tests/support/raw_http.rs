//! What the tests that talk to the real binary on 127.0.0.1 share: the server's stdout read line
//! by line, and a plain HTTP/1.1 exchange over a TCP socket (one request with
//! `Connection: close`, the whole answer read, a chunked body joined). Used by `tests/e2e.rs`
//! and `tests/clients.rs`, the browser tests and some of `crates/api/tests` (`#[path]`).
#![allow(dead_code)] // each test binary uses a different part of this module

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest one exchange may take before the test fails.
pub const IO_DEADLINE: Duration = Duration::from_secs(60);

pub struct HttpReply {
    pub status: u16,
    /// The status line and the headers.
    #[allow(dead_code)] // each test file uses its own part
    pub head: String,
    pub body: String,
}

/// The lines the child prints on its stdout (piped), as they come, read on a thread of their own.
pub fn stdout_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stdout = child.stdout.take().expect("the child's stdout is piped");
    let (lines_tx, lines) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { return };
            if lines_tx.send(line).is_err() {
                return;
            }
        }
    });
    lines
}

/// Sends one request and reads the whole answer, failing the test after [`IO_DEADLINE`].
pub async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpReply {
    tokio::time::timeout(
        IO_DEADLINE,
        http_unbounded(addr, method, path, headers, body),
    )
    .await
    .unwrap_or_else(|_| panic!("{method} {path} did not finish in time"))
}

/// [`http`] without the deadline.
pub async fn http_unbounded(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> HttpReply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).await.unwrap();
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a response head");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut payload = raw[split + 4..].to_vec();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status code");
    if head
        .lines()
        .any(|l| l.eq_ignore_ascii_case("transfer-encoding: chunked"))
    {
        payload = dechunk(&payload);
    }
    HttpReply {
        status,
        head,
        body: String::from_utf8_lossy(&payload).into_owned(),
    }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let end = data.windows(2).position(|w| w == b"\r\n").unwrap();
        let size_text = std::str::from_utf8(&data[..end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}
