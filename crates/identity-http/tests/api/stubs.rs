//! Stand-ins for what the server calls out to, on local ports, run by the test: an SMTP sink
//! that can refuse mail for a while, and an HTTP endpoint with scripted answers (the instance
//! provisioner, the notification service).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// How the sink answers a mail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SinkMode {
    Accept,
    /// `451` to every recipient: a temporary failure, the sender retries.
    Defer,
}

/// A minimal SMTP server keeping every message it accepted (the DATA), on its own task.
/// Several connections, several messages per connection (lettre pools connections).
#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    mode: Arc<Mutex<SinkMode>>,
}

impl SmtpSink {
    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    /// On `port` (0: any free one).
    pub async fn start_on(port: u16) -> Self {
        let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
        let sink = Self {
            port: listener.local_addr().unwrap().port(),
            messages: Arc::default(),
            mode: Arc::new(Mutex::new(SinkMode::Accept)),
        };
        let serving = sink.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serving.clone().converse(socket));
            }
        });
        sink
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn set_mode(&self, mode: SinkMode) {
        *self.mode.lock().unwrap() = mode;
    }

    /// Every message accepted so far (its DATA, headers and body).
    pub fn messages(&self) -> Vec<String> {
        self.messages.lock().unwrap().clone()
    }

    async fn converse(self, socket: tokio::net::TcpStream) {
        let (read, mut write) = socket.into_split();
        let mut lines = BufReader::new(read).lines();
        let _ = write.write_all(b"220 sink ESMTP\r\n").await;
        let mut data = String::new();
        let mut in_data = false;
        while let Ok(Some(line)) = lines.next_line().await {
            if in_data {
                if line == "." {
                    in_data = false;
                    self.messages.lock().unwrap().push(std::mem::take(&mut data));
                    let _ = write.write_all(b"250 queued\r\n").await;
                } else {
                    data.push_str(&line);
                    data.push('\n');
                }
                continue;
            }
            let verb = line.split_whitespace().next().unwrap_or("").to_ascii_uppercase();
            let deferring = *self.mode.lock().unwrap() == SinkMode::Defer;
            let reply: &[u8] = match verb.as_str() {
                "EHLO" | "HELO" => b"250 sink\r\n",
                "RCPT" if deferring => b"451 4.3.0 try again later\r\n",
                "DATA" => {
                    in_data = true;
                    b"354 go ahead\r\n"
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => b"250 ok\r\n",
            };
            if write.write_all(reply).await.is_err() {
                return;
            }
        }
    }
}

/// One answer of a [`StubHttp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Status(u16),
    /// Read the request, never answer (a provisioner that hangs).
    Hang,
}

/// An HTTP endpoint answering each request with the next scripted answer (the last one
/// repeats), keeping every request's head and body.
#[derive(Clone)]
pub struct StubHttp {
    pub url: String,
    script: Arc<Mutex<Vec<Answer>>>,
    requests: Arc<Mutex<Vec<(String, String)>>>,
}

impl StubHttp {
    pub async fn start(script: &[Answer]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let stub = Self {
            url: format!("http://{}/provision", listener.local_addr().unwrap()),
            script: Arc::new(Mutex::new(script.to_vec())),
            requests: Arc::default(),
        };
        let serving = stub.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serving.clone().answer(socket));
            }
        });
        stub
    }

    /// Replaces the answers still to come.
    pub fn script(&self, answers: &[Answer]) {
        *self.script.lock().unwrap() = answers.to_vec();
    }

    /// Every request so far: (head, body).
    pub fn requests(&self) -> Vec<(String, String)> {
        self.requests.lock().unwrap().clone()
    }

    async fn answer(self, mut socket: tokio::net::TcpStream) {
        loop {
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let head_end = loop {
                if let Some(at) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                    break at + 4;
                }
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            };
            let head = String::from_utf8_lossy(&raw[..head_end]).to_string();
            let length = head
                .lines()
                .find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().to_owned()))
                .and_then(|v| v.parse::<usize>().ok())
                .unwrap_or(0);
            while raw.len() < head_end + length {
                match socket.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(n) => raw.extend_from_slice(&buf[..n]),
                }
            }
            let body = String::from_utf8_lossy(&raw[head_end..head_end + length]).to_string();
            self.requests.lock().unwrap().push((head, body));
            let answer = {
                let mut script = self.script.lock().unwrap();
                if script.len() > 1 { script.remove(0) } else { script.first().copied().unwrap_or(Answer::Status(200)) }
            };
            let status = match answer {
                Answer::Hang => {
                    std::future::pending::<()>().await;
                    return;
                }
                Answer::Status(status) => status,
            };
            let body = "{}";
            let reply = format!(
                "HTTP/1.1 {status} Stub\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                body.len()
            );
            if socket.write_all(reply.as_bytes()).await.is_err() {
                return;
            }
        }
    }
}
