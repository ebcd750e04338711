//! A fault-injecting HTTP proxy in front of moto, set as `AWS_ENDPOINT_URL`.
//!
//! Plain HTTP/1.1, one request per connection (requests carry `Content-Length`; moto answers
//! `Connection: close`). Only `POST /getAlternateContact` gets faults: 429 throttling (planned,
//! or beyond an emulated quota per calling identity), 5xx, slow answers, connection resets,
//! denials, or no answer at all. Everything is forwarded unchanged otherwise, `Authorization`
//! included (moto routes on the SigV4 credential scope). Planned faults hit a fixed share of the
//! reads, counted in the order the proxy first sees them (every 20th read for 5%, evenly spread),
//! on fixed attempts of each read: the number of faults of a run is exact, and no read can
//! exhaust its retries by bad luck.
//!
//! AssumeRole into chosen accounts can be refused (403 AccessDenied), and the proxy learns which
//! access key belongs to which member from the AssumeRole answers, so reads in a member's own
//! context are attributed to the member.
//!
//! `POST /putAlternateContact` (the writes of `contactscan fix --apply`) is logged and can get
//! faults of its own: an emulated quota per calling identity, planned throttling, a fault on
//! every attempt of chosen slots, an answer of success without the write reaching moto, or a
//! delay.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use super::aws::MANAGEMENT;
use super::runtime;

/// A fault of one attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 TooManyRequestsException.
    Throttle,
    /// 500 InternalServerException.
    ServerError,
    /// The connection is reset without an answer.
    Reset,
    /// Answered after this delay.
    Slow(Duration),
    /// 403 AccessDeniedException.
    Deny,
}

/// What the proxy does to GetAlternateContact (and AssumeRole).
#[derive(Debug, Clone, Default)]
pub struct Faults {
    /// Emulates the GetAlternateContact quota per calling identity: (requests/s, burst).
    pub quota: Option<(f64, f64)>,
    /// Percent of reads throttled (429) on their first `throttle_attempts` attempts.
    pub throttle_percent: u32,
    /// Attempts throttled per chosen read (1 when 0).
    pub throttle_attempts: u32,
    /// Percent of reads answered 500 once.
    pub fail_once_percent: u32,
    /// Percent of reads whose connection is reset once.
    pub reset_once_percent: u32,
    /// Percent of reads answered `slow_by` late once.
    pub slow_once_percent: u32,
    pub slow_by: Duration,
    /// Reads (account id, contact type) that get this fault on every attempt.
    pub always: Vec<(String, String, Fault)>,
    /// AssumeRole into these accounts is refused with 403 AccessDenied.
    pub deny_assume_role: Vec<String>,
    /// No read is ever answered (until the proxy is dropped).
    pub hold_reads: bool,
    /// Security Hub BatchImportFindings: the first finding of each request is refused
    /// (`InvalidInput`), the others reported imported (without reaching moto).
    pub reject_first_import: bool,
    /// Emulates the PutAlternateContact quota per calling identity: (requests/s, burst).
    pub write_quota: Option<(f64, f64)>,
    /// Percent of writes throttled (429) on their first `write_throttle_attempts` attempts.
    pub write_throttle_percent: u32,
    /// Attempts throttled per chosen write (1 when 0).
    pub write_throttle_attempts: u32,
    /// Writes (account id, contact type) that get this fault on every attempt.
    pub always_writes: Vec<(String, String, Fault)>,
    /// Writes (account id, contact type) answered 200 without reaching moto: they do not
    /// read back.
    pub lose_writes: Vec<(String, String)>,
    /// Every write is answered this late.
    pub slow_writes: Option<Duration>,
}

/// One PutAlternateContact attempt as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Write {
    /// `AccountId` of the request, else the account of the signing credentials.
    pub account: String,
    pub contact_type: String,
    /// Whether the request named the account (`AccountId`).
    pub by_account_id: bool,
    /// The access key that signed it.
    pub access_key: String,
    /// The HTTP status answered.
    pub status: u16,
    /// Whether moto received it.
    pub forwarded: bool,
    /// The `EmailAddress` of the request.
    pub email: String,
    /// When the proxy received it.
    pub at: Instant,
}

/// One GetAlternateContact attempt as the proxy saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    /// `AccountId` of the request, else the account of the signing credentials.
    pub account: String,
    pub contact_type: String,
    /// Whether the request named the account (`AccountId`): a read through Organizations.
    pub by_account_id: bool,
    /// The access key that signed it.
    pub access_key: String,
    /// The HTTP status answered; 0 for a reset or a held request.
    pub status: u16,
}

/// Counts of what the proxy did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub reads: u64,
    pub quota_throttled: u64,
    pub planned_throttled: u64,
    pub server_errors: u64,
    pub resets: u64,
    pub slowed: u64,
    pub denied: u64,
    pub assume_role_denied: u64,
}

#[derive(Default)]
struct State {
    faults: Faults,
    reads: Vec<Read>,
    writes: Vec<Write>,
    /// Attempts per write key.
    write_attempts: HashMap<String, u32>,
    /// Index of each write key, in the order first seen.
    write_indexes: HashMap<String, u64>,
    /// Emulated write quota per access key: (tokens, last refill).
    write_buckets: HashMap<String, (f64, Instant)>,
    counts: Counts,
    /// Attempts per read key.
    attempts: HashMap<String, u32>,
    /// Index of each read key, in the order first seen.
    indexes: HashMap<String, u64>,
    /// "Once" faults already served, by (fault name, read key).
    served_once: HashSet<(&'static str, String)>,
    /// Emulated quota per access key: (tokens, last refill).
    buckets: HashMap<String, (f64, Instant)>,
    /// Member account of each access key AssumeRole handed out.
    key_accounts: HashMap<String, String>,
}

/// A running proxy; stops when dropped.
pub struct Proxy {
    /// `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL`.
    pub url: String,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`host:port`) with `faults`.
    pub fn start(upstream: &str, faults: Faults) -> Proxy {
        let state = Arc::new(Mutex::new(State {
            faults,
            ..State::default()
        }));
        let (shutdown, watch) = watch::channel(false);
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let url = format!("http://{}", listener.local_addr().expect("proxy address"));
        listener.set_nonblocking(true).expect("non-blocking proxy");
        let upstream = upstream.to_string();
        let shared = state.clone();
        let _guard = runtime().enter();
        let listener = TcpListener::from_std(listener).expect("tokio listener");
        runtime().spawn(accept_loop(listener, upstream, shared, watch));
        Proxy {
            url,
            state,
            shutdown,
        }
    }

    /// Replaces the faults and starts their schedule afresh (attempts, read order, emulated
    /// quota); counts and the log of reads are kept.
    pub fn set_faults(&self, faults: Faults) {
        let mut state = self.state.lock().unwrap();
        state.faults = faults;
        state.attempts.clear();
        state.indexes.clear();
        state.served_once.clear();
        state.buckets.clear();
        state.write_attempts.clear();
        state.write_indexes.clear();
        state.write_buckets.clear();
    }

    /// Every PutAlternateContact attempt so far.
    pub fn writes(&self) -> Vec<Write> {
        self.state.lock().unwrap().writes.clone()
    }

    /// Every GetAlternateContact attempt so far.
    pub fn reads(&self) -> Vec<Read> {
        self.state.lock().unwrap().reads.clone()
    }

    /// What the proxy did so far.
    pub fn counts(&self) -> Counts {
        self.state.lock().unwrap().counts
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

async fn accept_loop(
    listener: TcpListener,
    upstream: String,
    state: Arc<Mutex<State>>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.changed() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((client, _)) = accepted else { continue };
        let upstream = upstream.clone();
        let state = state.clone();
        let mut shutdown = shutdown.clone();
        tokio::spawn(async move {
            tokio::select! {
                _ = shutdown.changed() => {}
                _ = serve(client, &upstream, &state) => {}
            }
        });
    }
}

/// A request as read from the client.
struct Request {
    method: String,
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The access key of the SigV4 `Authorization` header.
    fn access_key(&self) -> String {
        self.header("authorization")
            .and_then(|a| a.split("Credential=").nth(1))
            .and_then(|c| c.split('/').next())
            .unwrap_or_default()
            .to_string()
    }

    /// The request as bytes for moto, asking it to close the connection after answering.
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = format!("{} {} HTTP/1.1\r\n", self.method, self.path).into_bytes();
        for (name, value) in &self.headers {
            if !name.eq_ignore_ascii_case("connection") {
                out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
            }
        }
        out.extend_from_slice(b"Connection: close\r\n\r\n");
        out.extend_from_slice(&self.body);
        out
    }
}

async fn read_request(client: &mut TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = find(&buffer, b"\r\n\r\n") {
            break i;
        }
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path = request_line.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = client.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        headers,
        body,
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What to do with one request.
enum Action {
    Forward,
    ForwardLate(Duration),
    Answer(Vec<u8>),
    Reset,
    Hold,
}

async fn serve(mut client: TcpStream, upstream: &str, state: &Arc<Mutex<State>>) {
    let Some(request) = read_request(&mut client).await else {
        return;
    };
    let is_read = request.method == "POST" && request.path.starts_with("/getAlternateContact");
    let is_write = request.method == "POST" && request.path.starts_with("/putAlternateContact");
    let assume_role = assume_role_account(&request);
    let is_import = request.method == "POST" && request.path.starts_with("/findings/import");
    let action = if is_read {
        decide_read(&request, &mut state.lock().unwrap())
    } else if is_write {
        decide_write(&request, &mut state.lock().unwrap())
    } else if is_import && state.lock().unwrap().faults.reject_first_import {
        Action::Answer(reject_first_finding(&request))
    } else if let Some(account) = &assume_role {
        let mut state = state.lock().unwrap();
        if state.faults.deny_assume_role.contains(account) {
            state.counts.assume_role_denied += 1;
            Action::Answer(sts_access_denied(account))
        } else {
            Action::Forward
        }
    } else {
        Action::Forward
    };
    let response = match action {
        Action::Forward => forward(&request, upstream).await,
        Action::ForwardLate(delay) => {
            tokio::time::sleep(delay).await;
            forward(&request, upstream).await
        }
        Action::Answer(response) => Some(response),
        Action::Reset => {
            let _ = client.set_zero_linger();
            return;
        }
        Action::Hold => {
            std::future::pending::<()>().await;
            return;
        }
    };
    let Some(response) = response else {
        let _ = client.set_zero_linger();
        return;
    };
    if let (Some(account), Some(key)) = (&assume_role, tag(&response, "AccessKeyId")) {
        state
            .lock()
            .unwrap()
            .key_accounts
            .insert(key, account.clone());
    }
    let _ = client.write_all(&response).await;
    let _ = client.shutdown().await;
}

/// The whole answer of moto, which closes the connection after it.
async fn forward(request: &Request, upstream: &str) -> Option<Vec<u8>> {
    let mut server = TcpStream::connect(upstream).await.ok()?;
    server.write_all(&request.to_bytes()).await.ok()?;
    let mut response = Vec::new();
    server.read_to_end(&mut response).await.ok()?;
    (!response.is_empty()).then_some(response)
}

fn decide_read(request: &Request, state: &mut State) -> Action {
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
    let contact_type = body["AlternateContactType"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let access_key = request.access_key();
    let (account, by_account_id) = match body["AccountId"].as_str() {
        Some(id) => (id.to_string(), true),
        None => (
            state
                .key_accounts
                .get(&access_key)
                .cloned()
                .unwrap_or_else(|| MANAGEMENT.to_string()),
            false,
        ),
    };
    let key = format!("{account}/{contact_type}");
    let attempt = {
        let n = state.attempts.entry(key.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let next = state.indexes.len() as u64;
    let index = *state.indexes.entry(key.clone()).or_insert(next);
    state.counts.reads += 1;
    let faults = state.faults.clone();
    let fault = if faults.hold_reads {
        None
    } else if let Some((_, _, fault)) = faults
        .always
        .iter()
        .find(|(a, t, _)| *a == account && *t == contact_type)
    {
        Some(fault.clone())
    } else if !quota_allows(state, &faults, &access_key) {
        state.counts.quota_throttled += 1;
        Some(Fault::Throttle)
    } else if chosen(index, 0, faults.throttle_percent)
        && attempt <= faults.throttle_attempts.max(1)
    {
        state.counts.planned_throttled += 1;
        Some(Fault::Throttle)
    } else if once(
        state,
        "fail",
        &key,
        chosen(index, 7, faults.fail_once_percent),
    ) {
        Some(Fault::ServerError)
    } else if once(
        state,
        "reset",
        &key,
        chosen(index, 13, faults.reset_once_percent),
    ) {
        Some(Fault::Reset)
    } else if once(
        state,
        "slow",
        &key,
        chosen(index, 17, faults.slow_once_percent),
    ) {
        Some(Fault::Slow(faults.slow_by))
    } else {
        None
    };
    let (action, status) = match fault {
        _ if faults.hold_reads => (Action::Hold, 0),
        None => (Action::Forward, 200),
        Some(Fault::Throttle) => (
            Action::Answer(json_error(429, "TooManyRequestsException", "Rate exceeded")),
            429,
        ),
        Some(Fault::ServerError) => {
            state.counts.server_errors += 1;
            (
                Action::Answer(json_error(
                    500,
                    "InternalServerException",
                    "Internal failure (injected by the test proxy)",
                )),
                500,
            )
        }
        Some(Fault::Reset) => {
            state.counts.resets += 1;
            (Action::Reset, 0)
        }
        Some(Fault::Slow(delay)) => {
            state.counts.slowed += 1;
            (Action::ForwardLate(delay), 200)
        }
        Some(Fault::Deny) => {
            state.counts.denied += 1;
            (
                Action::Answer(json_error(
                    403,
                    "AccessDeniedException",
                    "User is not authorized to perform: account:GetAlternateContact (injected by the test proxy)",
                )),
                403,
            )
        }
    };
    state.reads.push(Read {
        account,
        contact_type,
        by_account_id,
        access_key,
        status,
    });
    action
}

/// A successful PutAlternateContact answer (its body is empty).
fn empty_success() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 0\r\n\
      Connection: close\r\n\r\n"
        .to_vec()
}

fn decide_write(request: &Request, state: &mut State) -> Action {
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
    let text = |key: &str| body[key].as_str().unwrap_or("").to_string();
    let contact_type = text("AlternateContactType");
    let access_key = request.access_key();
    let (account, by_account_id) = match body["AccountId"].as_str() {
        Some(id) => (id.to_string(), true),
        None => (
            state
                .key_accounts
                .get(&access_key)
                .cloned()
                .unwrap_or_else(|| MANAGEMENT.to_string()),
            false,
        ),
    };
    let key = format!("{account}/{contact_type}");
    let attempt = {
        let n = state.write_attempts.entry(key.clone()).or_insert(0);
        *n += 1;
        *n
    };
    let next = state.write_indexes.len() as u64;
    let index = *state.write_indexes.entry(key).or_insert(next);
    let faults = state.faults.clone();
    let slot = |(a, t): (&String, &String)| *a == account && *t == contact_type;
    let fault =
        if let Some((_, _, fault)) = faults.always_writes.iter().find(|(a, t, _)| slot((a, t))) {
            Some(fault.clone())
        } else if !write_quota_allows(state, &faults, &access_key) {
            state.counts.quota_throttled += 1;
            Some(Fault::Throttle)
        } else if chosen(index, 0, faults.write_throttle_percent)
            && attempt <= faults.write_throttle_attempts.max(1)
        {
            state.counts.planned_throttled += 1;
            Some(Fault::Throttle)
        } else {
            None
        };
    let lost = faults.lose_writes.iter().any(|(a, t)| slot((a, t)));
    let (action, status, forwarded) = match fault {
        None if lost => (Action::Answer(empty_success()), 200, false),
        None => match faults.slow_writes {
            Some(delay) => (Action::ForwardLate(delay), 200, true),
            None => (Action::Forward, 200, true),
        },
        Some(Fault::Throttle) => (
            Action::Answer(json_error(429, "TooManyRequestsException", "Rate exceeded")),
            429,
            false,
        ),
        Some(Fault::ServerError) => (
            Action::Answer(json_error(
                500,
                "InternalServerException",
                "Internal failure (injected by the test proxy)",
            )),
            500,
            false,
        ),
        Some(Fault::Deny) => (
            Action::Answer(json_error(
                403,
                "AccessDeniedException",
                "User is not authorized to perform: account:PutAlternateContact (injected by the test proxy)",
            )),
            403,
            false,
        ),
        Some(Fault::Reset) => (Action::Reset, 0, false),
        Some(Fault::Slow(delay)) => (Action::ForwardLate(delay), 200, true),
    };
    state.writes.push(Write {
        account,
        contact_type,
        by_account_id,
        access_key,
        status,
        forwarded,
        email: text("EmailAddress"),
        at: Instant::now(),
    });
    action
}

/// Takes a token of the emulated write quota of `access_key`, if it is emulated.
fn write_quota_allows(state: &mut State, faults: &Faults, access_key: &str) -> bool {
    let Some((rate, burst)) = faults.write_quota else {
        return true;
    };
    take_token(
        state
            .write_buckets
            .entry(access_key.to_string())
            .or_insert((burst, Instant::now())),
        rate,
        burst,
    )
}

/// Takes a token from an emulated bucket (tokens, last refill).
fn take_token(bucket: &mut (f64, Instant), rate: f64, burst: f64) -> bool {
    let now = Instant::now();
    let (tokens, last) = bucket;
    *tokens = (*tokens + now.duration_since(*last).as_secs_f64() * rate).min(burst);
    *last = now;
    if *tokens >= 1.0 {
        *tokens -= 1.0;
        true
    } else {
        false
    }
}

/// Takes a token of the emulated quota of `access_key`, if the quota is emulated.
fn quota_allows(state: &mut State, faults: &Faults, access_key: &str) -> bool {
    let Some((rate, burst)) = faults.quota else {
        return true;
    };
    take_token(
        state
            .buckets
            .entry(access_key.to_string())
            .or_insert((burst, Instant::now())),
        rate,
        burst,
    )
}

/// Whether the read first seen as number `index` is among the `percent` chosen (evenly
/// spread: exactly `percent` of every 100 consecutive reads); `offset` shifts the choice so
/// that different faults hit different reads.
fn chosen(index: u64, offset: u64, percent: u32) -> bool {
    let k = index + offset;
    let p = u64::from(percent.min(100));
    (k + 1) * p / 100 > k * p / 100
}

/// Whether the chosen read `key` gets the `fault` served once now: the first time it gets
/// this far.
fn once(state: &mut State, fault: &'static str, key: &str, chosen: bool) -> bool {
    chosen && state.served_once.insert((fault, key.to_string()))
}

fn json_error(status: u16, code: &str, message: &str) -> Vec<u8> {
    let body = serde_json::json!({"__type": code, "message": message}).to_string();
    let reason = match status {
        403 => "Forbidden",
        429 => "Too Many Requests",
        _ => "Internal Server Error",
    };
    format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: application/x-amz-json-1.1\r\n\
         x-amzn-ErrorType: {code}\r\nx-amzn-RequestId: test-proxy\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A BatchImportFindings answer refusing the request's first finding.
fn reject_first_finding(request: &Request) -> Vec<u8> {
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap_or_default();
    let findings = body["Findings"].as_array().cloned().unwrap_or_default();
    let first = findings
        .first()
        .and_then(|f| f["Id"].as_str())
        .unwrap_or_default();
    let answer = serde_json::json!({
        "FailedCount": 1,
        "SuccessCount": findings.len().saturating_sub(1),
        "FailedFindings": [{"Id": first, "ErrorCode": "InvalidInput", "ErrorMessage": "refused by the test proxy"}],
    })
    .to_string();
    format!(
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
        answer.len()
    )
    .into_bytes()
}

/// The member account of an STS AssumeRole request (from its `RoleArn`).
fn assume_role_account(request: &Request) -> Option<String> {
    if request.method != "POST" || request.path != "/" {
        return None;
    }
    let body = String::from_utf8_lossy(&request.body);
    if !body.split('&').any(|p| p == "Action=AssumeRole") {
        return None;
    }
    let arn = body
        .split('&')
        .find_map(|p| p.strip_prefix("RoleArn="))
        .map(percent_decode)?;
    arn.split(':').nth(4).map(str::to_string)
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).to_string()
}

fn sts_access_denied(account: &str) -> Vec<u8> {
    let body = format!(
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>\
         <Code>AccessDenied</Code><Message>User: arn:aws:iam::{MANAGEMENT}:user/tests is not \
         authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{account}:role \
         (injected by the test proxy)</Message></Error><RequestId>test-proxy</RequestId></ErrorResponse>"
    );
    format!(
        "HTTP/1.1 403 Forbidden\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// The text of the first `<name>` element of a response.
fn tag(response: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(response);
    let open = format!("<{name}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find('<')? + start;
    Some(text[start..end].trim().to_string())
}
