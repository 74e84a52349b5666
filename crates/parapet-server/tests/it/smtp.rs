//! A real SMTP server for the tests: Python's aiosmtpd (which scripts/test.sh installs) as a
//! child process, storing what it receives in a Maildir; messages are read back with Python's
//! standard `email` parser.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct SmtpServer {
    pub port: u16,
    maildir: PathBuf,
    child: Child,
    _dir: tempfile::TempDir,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One received message, as Python's email package reads it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Received {
    pub rcpt_to: String,
    pub to: String,
    pub from: String,
    pub subject: String,
    pub message_id: String,
    pub content_type: String,
    pub list_unsubscribe: Option<String>,
    pub list_unsubscribe_post: Option<String>,
    pub list_id: Option<String>,
    pub text: String,
    pub html: String,
}

const READ: &str = r#"
import email, email.policy, json, mailbox, sys
out = []
for message in mailbox.Maildir(sys.argv[1], factory=None, create=False):
    m = email.message_from_bytes(message.as_bytes(), policy=email.policy.default)
    part = lambda t: (m.get_body(preferencelist=(t,)) or m).get_content() if m.is_multipart() else ""
    out.append({
        "rcpt_to": str(m.get("X-RcptTo", "")), "to": str(m["To"]), "from": str(m["From"]),
        "subject": str(m["Subject"]), "message_id": str(m["Message-ID"]),
        "content_type": m.get_content_type(),
        "list_unsubscribe": m.get("List-Unsubscribe"), "list_unsubscribe_post": m.get("List-Unsubscribe-Post"),
        "list_id": m.get("List-Id"), "text": part("plain"), "html": part("html"),
    })
json.dump(out, sys.stdout)
"#;

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let maildir = dir.path().join("Maildir");
        for sub in ["cur", "new", "tmp"] {
            std::fs::create_dir_all(maildir.join(sub)).unwrap();
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut server = SmtpServer { port, maildir, child, _dir: dir };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = server.child.try_wait() {
                let mut stderr = String::new();
                use std::io::Read;
                server.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
                panic!("aiosmtpd exited ({status}); scripts/test.sh installs it: {stderr}");
            }
            assert!(started.elapsed() < Duration::from_secs(20), "aiosmtpd does not listen");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn messages(&self) -> Vec<Received> {
        let output = Command::new("python3").args(["-c", READ]).arg(&self.maildir).output().unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        serde_json::from_slice(&output.stdout).unwrap()
    }

    /// Waits until `count` messages have arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let messages = self.messages();
            if messages.len() >= count {
                return messages;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "{} of {count} mails arrived: {messages:#?}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
