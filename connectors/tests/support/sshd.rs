//! A real OpenSSH `sshd` for tests: a free loopback port, host and client ed25519 keys made by
//! `ssh-keygen`, a config written here (`-f`, `-D -e`, `internal-sftp`, no PAM, no strict
//! modes, no pid file), run as the current user. The served tree is plain directories in a
//! temp dir, addressed by absolute paths (no chroot, which would need root-owned dirs). If
//! sshd cannot start, `start` returns why and the test fails; it never skips.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const SSHD: &str = "/usr/sbin/sshd";

pub struct Sshd {
    child: Child,
    pub port: u16,
    pub user: String,
    /// The directory the tests exchange files in.
    pub root: PathBuf,
    pub client_key: PathBuf,
    /// `ssh-ed25519 AAAA…` of the server.
    pub host_key: String,
    _dir: tempfile::TempDir,
}

fn keygen(path: &Path) -> Result<(), String> {
    let out = Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "switchyard-test",
            "-f",
        ])
        .arg(path)
        .output()
        .map_err(|e| format!("ssh-keygen could not run ({e}); install openssh-client"))?;
    if !out.status.success() {
        return Err(format!(
            "ssh-keygen failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(())
}

fn current_user() -> Result<String, String> {
    let out = Command::new("id")
        .arg("-un")
        .output()
        .map_err(|e| format!("id -un: {e}"))?;
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

impl Sshd {
    pub fn start() -> Result<Sshd, String> {
        if !Path::new(SSHD).exists() {
            return Err(format!(
                "{SSHD} is missing: apt-get install -y openssh-server (see .ci/run)"
            ));
        }
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let base = dir.path().to_path_buf();
        let root = base.join("srv");
        std::fs::create_dir_all(&root).map_err(|e| format!("{}: {e}", root.display()))?;
        let host = base.join("host_ed25519");
        let client = base.join("client_ed25519");
        keygen(&host)?;
        keygen(&client)?;
        let authorized = base.join("authorized_keys");
        std::fs::copy(client.with_extension("pub"), &authorized)
            .map_err(|e| format!("authorized_keys: {e}"))?;
        let host_key = std::fs::read_to_string(host.with_extension("pub"))
            .map_err(|e| format!("host key: {e}"))?
            .trim()
            .to_string();
        let user = current_user()?;
        // Run as root, sshd insists on its privilege-separation directory.
        let is_root = user == "root";
        if is_root && !Path::new("/run/sshd").exists() {
            std::fs::create_dir_all("/run/sshd").map_err(|e| format!("/run/sshd: {e}"))?;
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("free port: {e}"))?
            .port();
        let config = base.join("sshd_config");
        let text = format!(
            "Port {port}\nListenAddress 127.0.0.1\nHostKey {host}\nPidFile none\nUsePAM no\n\
             StrictModes no\nAuthorizedKeysFile {authorized}\nPubkeyAuthentication yes\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\n\
             PermitRootLogin prohibit-password\nSubsystem sftp internal-sftp\n\
             AllowTcpForwarding no\nX11Forwarding no\nLogLevel VERBOSE\n",
            host = host.display(),
            authorized = authorized.display(),
        );
        std::fs::write(&config, text).map_err(|e| format!("sshd_config: {e}"))?;
        let log = base.join("sshd.log");
        let log_file = std::fs::File::create(&log).map_err(|e| format!("sshd.log: {e}"))?;
        let mut child = Command::new(SSHD)
            .arg("-D")
            .arg("-e")
            .arg("-f")
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log_file)
            .spawn()
            .map_err(|e| format!("{SSHD} could not be started: {e}"))?;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let mut text = String::new();
                let _ = std::fs::File::open(&log).and_then(|mut f| f.read_to_string(&mut text));
                return Err(format!("sshd exited ({status}): {text}"));
            }
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err(format!("sshd did not listen on port {port} within 10 s"));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(Sshd {
            child,
            port,
            user,
            root,
            client_key: client,
            host_key,
            _dir: dir,
        })
    }

    /// Creates `rel` (and parents) under the served root and returns its absolute path.
    pub fn dir(&self, rel: &str) -> PathBuf {
        let path = self.root.join(rel);
        std::fs::create_dir_all(&path).expect("create served dir");
        path
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
