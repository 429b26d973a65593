"""A private Dovecot IMAP server for tests: Debian's dovecot-imapd started from a throwaway
configuration in a temporary directory (its own ports on 127.0.0.1, its own maildirs, a
static passdb where any user name logs in with the server's one password, a self-signed
certificate for TLS); no system service is touched.

    server = Dovecot.start()
    user, password = server.add_user()          # a fresh, empty mailbox
    server.append(user, password, "INBOX", raw_message_bytes, when=datetime(...))
    server.write_maildir(user, "Sent", [...])   # many messages at once, straight to disk
    server.stop()

Ports: `plain_port` speaks IMAP with STARTTLS offered (and plain-text login allowed, for
the "none" setting); `tls_port` is implicit TLS. `ca_file` is the certificate to trust."""

from __future__ import annotations

import imaplib
import ipaddress
import itertools
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

DOVECOT = os.environ.get("LEADOPS_TEST_DOVECOT", "/usr/sbin/dovecot")
_users = itertools.count(1)

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
instance_name = leadops-test-{tag}
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal_user}
default_login_user = {login_user}
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid={mail_uid} gid={mail_gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {plain_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    special_use = \\Sent
    auto = create
  }}
}}
"""


def skip_reason() -> str:
    """Why the IMAP tests cannot run here ("" when they can)."""
    if not os.path.exists(DOVECOT):
        return f"Dovecot not found at {DOVECOT} (apt-get install dovecot-imapd; CI installs it)"
    return ""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _self_signed(root: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (root / "cert.pem").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (root / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    os.chmod(root / "key.pem", 0o600)


class Dovecot:
    def __init__(self, root: Path, plain_port: int, tls_port: int, mail_uid: int, mail_gid: int):
        self.root, self.plain_port, self.tls_port = root, plain_port, tls_port
        self.mail_uid, self.mail_gid = mail_uid, mail_gid
        self.ca_file = str(root / "cert.pem")
        self.password = "pw-" + secrets.token_urlsafe(12)  # every user's (a static passdb: any name logs in)
        self.host = "127.0.0.1"

    @classmethod
    def start(cls) -> Dovecot:
        root = Path(tempfile.mkdtemp(prefix="leadops-dovecot-"))
        os.chmod(root, 0o711)  # noqa: S103 (Dovecot's own users must reach the maildirs inside)
        if os.geteuid() == 0:  # as root: Dovecot's own unprivileged users, mail owned by "dovecot"
            internal_user, login_user = "dovecot", "dovenull"
            owner = pwd.getpwnam("dovecot")
            mail_uid, mail_gid = owner.pw_uid, owner.pw_gid
        else:  # as anyone else: everything runs as that user
            internal_user = login_user = pwd.getpwuid(os.getuid()).pw_name
            mail_uid, mail_gid = os.getuid(), os.getgid()
        for folder in ("mail", "home"):
            (root / folder).mkdir()
            os.chown(root / folder, mail_uid, mail_gid)
        _self_signed(root)
        server = cls(root, _free_port(), _free_port(), mail_uid, mail_gid)
        (root / "dovecot.conf").write_text(
            CONFIG.format(
                root=root,
                tag=secrets.token_hex(4),
                internal_user=internal_user,
                login_user=login_user,
                mail_uid=mail_uid,
                mail_gid=mail_gid,
                plain_port=server.plain_port,
                tls_port=server.tls_port,
                password=server.password,
            )  # fmt: skip
        )
        try:
            server.launch()
        except Exception:
            server.stop()
            raise
        return server

    def launch(self) -> None:
        """Run the master, which daemonizes: its output goes to a file, not a pipe (the
        daemon would hold a pipe open and the wait for its end would never return)."""
        with open(self.root / "startup.log", "w") as output:
            code = subprocess.call(
                [DOVECOT, "-c", str(self.root / "dovecot.conf")], stdin=subprocess.DEVNULL, stdout=output, stderr=output
            )
        if code != 0:
            raise RuntimeError(f"dovecot did not start: {(self.root / 'startup.log').read_text()} {self.log()}")
        self.wait_until_listening()

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_until_listening(self, seconds: float = 10.0) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self._master_pid() is None:  # written once the new master runs
                time.sleep(0.05)
                continue
            try:
                with socket.create_connection((self.host, self.plain_port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot does not listen on {self.plain_port}: {self.log()}")

    def _master_pid(self) -> int | None:
        path = self.root / "run" / "master.pid"
        try:
            return int(path.read_text().strip())
        except (OSError, ValueError):
            return None

    def stop(self, *, remove: bool = True) -> None:
        pid = self._master_pid()
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pid = None
            deadline = time.monotonic() + 10
            while pid and time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def restart(self) -> None:
        """Stop and start again on the same ports with the same maildirs."""
        self.stop(remove=False)
        (self.root / "run" / "master.pid").unlink(missing_ok=True)
        self.launch()

    # --- users and messages -------------------------------------------------------------

    def add_user(self, name: str | None = None) -> tuple[str, str]:
        user = name or f"rep{next(_users)}-{secrets.token_hex(3)}@ourco.test"
        return user, self.password

    def client(self, user: str, password: str) -> imaplib.IMAP4:
        client = imaplib.IMAP4(self.host, self.plain_port, timeout=10)
        client.login(user, password)
        return client

    def append(self, user: str, password: str, folder: str, raw: bytes, when: datetime) -> None:
        """Store one message through IMAP APPEND, with `when` as its internal date."""
        client = self.client(user, password)
        try:
            status, data = client.append(f'"{folder}"', None, imaplib.Time2Internaldate(when.timestamp()), raw)
            if status != "OK":
                raise RuntimeError(f"APPEND to {folder} failed: {data}")
        finally:
            client.logout()

    def append_many(self, user: str, password: str, messages: list[tuple[str, bytes, datetime]]) -> None:
        """Several APPENDs over one connection: (folder, raw message, internal date)."""
        client = self.client(user, password)
        try:
            for folder, raw, when in messages:
                status, data = client.append(f'"{folder}"', None, imaplib.Time2Internaldate(when.timestamp()), raw)
                if status != "OK":
                    raise RuntimeError(f"APPEND to {folder} failed: {data}")
        finally:
            client.logout()

    def write_maildir(self, user: str, folder: str, messages: list[tuple[bytes, datetime]]) -> None:
        """Many messages straight into the user's maildir (Dovecot indexes them when the
        folder is next opened): fast enough for a mailbox of tens of thousands."""
        base = self.root / "mail" / user
        target = base if folder == "INBOX" else base / f".{folder.replace('/', '.')}"
        for part in ("cur", "new", "tmp"):
            (target / part).mkdir(parents=True, exist_ok=True)
        host = socket.gethostname()
        for index, (raw, when) in enumerate(messages):
            stamp = int(when.timestamp())
            path = target / "cur" / f"{stamp}.M{index}P{os.getpid()}.{host}:2,S"
            path.write_bytes(raw)
            os.utime(path, (stamp, stamp))
        for directory, _, files in os.walk(base):
            os.chown(directory, self.mail_uid, self.mail_gid)
            for name in files:
                os.chown(os.path.join(directory, name), self.mail_uid, self.mail_gid)
