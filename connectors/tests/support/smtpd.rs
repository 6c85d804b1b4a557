//! A real SMTP server for tests: Python's `aiosmtpd` (PyPI) on a free loopback port, with a
//! handler written here that stores every message as a `.eml` file and its SMTP envelope as
//! `.json`. If the server cannot start the test fails with the reason; `.ci/run` installs
//! aiosmtpd on a fresh machine.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::{Child, Command};

/// The handler aiosmtpd loads (`-c eml_dir.EmlDir DIR`): one `.eml` per message, its envelope
/// beside it (written first, so a visible `.eml` always has one), recipients at `refused.*`
/// answered 550 the way a real server refuses an unknown mailbox.
const HANDLER: &str = r#"
import json, os

class EmlDir:
    def __init__(self, directory):
        self.directory = directory
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("EmlDir takes the directory to write to")
        return cls(args[0])

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("refused"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.directory, "%04d" % self.count)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos}, f)
        with open(base + ".tmp", "wb") as f:
            f.write(envelope.original_content)
        os.rename(base + ".tmp", base + ".eml")
        return "250 Message accepted for delivery"
"#;

pub struct Smtpd {
    _child: Child,
    dir: TempDir,
    pub port: u16,
}

impl Smtpd {
    pub async fn start() -> Smtpd {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("eml_dir.py"), HANDLER).expect("handler written");
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).expect("mail dir");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
            .args(["-c", "eml_dir.EmlDir"])
            .arg(&mail)
            .env("PYTHONPATH", dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run python3 for aiosmtpd: {e}"));
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = child.try_wait().expect("child status") {
                let mut why = String::new();
                if let Some(mut err) = child.stderr.take() {
                    use tokio::io::AsyncReadExt;
                    let _ = err.read_to_string(&mut why).await;
                }
                panic!(
                    "aiosmtpd exited ({status}) before listening — install it with \
                     `python3 -m pip install aiosmtpd`:\n{why}"
                );
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "aiosmtpd did not listen on 127.0.0.1:{port} within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Smtpd {
            _child: child,
            dir,
            port,
        }
    }

    /// `(raw message, envelope JSON)` of everything received, oldest first.
    pub fn messages(&self) -> Vec<(Vec<u8>, serde_json::Value)> {
        let mail = self.dir.path().join("mail");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&mail)
            .expect("mail dir")
            .map(|e| e.expect("entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "eml"))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|eml| {
                let raw = std::fs::read(&eml).expect("eml");
                let envelope = std::fs::read(eml.with_extension("json")).expect("envelope");
                (
                    raw,
                    serde_json::from_slice(&envelope).expect("envelope JSON"),
                )
            })
            .collect()
    }
}
