//! moto's server on a free loopback port, one per test, stopped when dropped.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::venv;

/// How long a starting server may take before the test gives up.
const START_DEADLINE: Duration = Duration::from_secs(60);

/// A running `moto_server`.
pub struct Moto {
    child: Child,
    /// `127.0.0.1:<port>`.
    pub address: String,
    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`.
    pub url: String,
    log: tempfile::NamedTempFile,
}

impl Moto {
    /// Starts a server and waits until it answers HTTP.
    pub fn start() -> Moto {
        let bin = venv::bin_dir();
        let mut last_log = String::new();
        // Another process may take the free port between our probe and moto's bind: retry.
        for _ in 0..3 {
            let port = free_port();
            let log = tempfile::NamedTempFile::new().expect("cannot create moto's log file");
            let stderr = log.reopen().expect("cannot open moto's log file");
            let child = Command::new(bin.join("moto_server"))
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .expect("cannot start moto_server");
            let address = format!("127.0.0.1:{port}");
            let mut moto = Moto {
                child,
                url: format!("http://{address}"),
                address,
                log,
            };
            if moto.wait_ready() {
                return moto;
            }
            last_log = moto.log();
        }
        panic!("moto_server did not start; its last log:\n{last_log}");
    }

    /// Polls until the server answers an HTTP request (true) or exits or the deadline passes.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + START_DEADLINE;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            if answers_http(&self.address) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    /// What the server logged so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log.path()).unwrap_or_default()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("cannot find a free port")
        .port()
}

fn answers_http(address: &str) -> bool {
    let Ok(mut stream) = TcpStream::connect(address) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /moto-api/ HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 8];
    stream.read_exact(&mut head).is_ok() && head.starts_with(b"HTTP/1.")
}
