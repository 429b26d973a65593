"""The IMAP side, on the standard library's imaplib: connect (implicit TLS, STARTTLS or
plain), log in, look at a folder read-only, list UIDs above a mark, fetch headers only.

Every failure leaves as `ImapFailure` with a sentence a manager can act on (wrong
credentials, server unreachable, folder missing), never as a raw socket or protocol error."""

from __future__ import annotations

import email.utils
import imaplib
import re
import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.parser import BytesHeaderParser

from django.conf import settings

HEADER_FIELDS = "MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC DATE SUBJECT"
FETCH_ITEMS = f"(UID INTERNALDATE BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})])"
_UID = re.compile(rb"\bUID (\d+)")
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


class ImapFailure(Exception):
    """A sync step failed; str() is the sentence shown in the admin."""


@dataclass(frozen=True)
class FolderStatus:
    uidvalidity: int
    exists: int


@dataclass(frozen=True)
class Headers:
    uid: int
    message_id: str
    in_reply_to: str
    references: tuple[str, ...]
    from_address: str
    to_addresses: tuple[str, ...]
    sent_at: datetime | None  # the Date header, None when missing or unreadable
    internal_date: datetime | None
    subject: str


def _tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    if settings.LEADOPS_IMAP_CA_FILE:
        context.load_verify_locations(cafile=settings.LEADOPS_IMAP_CA_FILE)
    return context


def _text(value) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


class ImapSession:
    """One logged-in connection; use as a context manager (logs out, closes the socket)."""

    def __init__(self, *, host: str, port: int, security: str, username: str, password: str):
        self.host, self.port = host, port
        timeout = settings.LEADOPS_IMAP_TIMEOUT
        where = f"{host}:{port}"
        try:
            if security == "tls":
                self.client = imaplib.IMAP4_SSL(host, port, ssl_context=_tls_context(), timeout=timeout)
            else:
                self.client = imaplib.IMAP4(host, port, timeout=timeout)
                if security == "starttls":
                    self.client.starttls(ssl_context=_tls_context())
        except ssl.SSLCertVerificationError as error:
            raise ImapFailure(f"The certificate of {where} could not be verified ({error.verify_message}).") from error
        except ssl.SSLError as error:
            raise ImapFailure(
                f"TLS with {where} failed ({error.reason or error}); check the port and the security setting."
            ) from error
        except TimeoutError as error:
            raise ImapFailure(f"{where} did not answer within {timeout:g} s.") from error
        except socket.gaierror as error:
            raise ImapFailure(f"The server name {host} could not be resolved.") from error
        except ConnectionRefusedError as error:
            raise ImapFailure(f"{where} refused the connection: is the port right?") from error
        except OSError as error:
            raise ImapFailure(f"{where} could not be reached ({error.strerror or error}).") from error
        except imaplib.IMAP4.error as error:
            raise ImapFailure(f"{where} does not speak IMAP as expected ({_text(error)}).") from error
        try:
            self.client.login(username, password)
        except imaplib.IMAP4.error as error:
            self.close()
            detail = _text(error.args[0] if error.args else error)
            if "LOGINDISABLED" in detail.upper() or "PRIVACYREQUIRED" in detail.upper():
                raise ImapFailure(f"{where} refuses a login without TLS: choose TLS or STARTTLS.") from error
            raise ImapFailure(f"{where} refused the user name or password ({detail}).") from error
        except OSError as error:
            self.close()
            raise ImapFailure(f"The connection to {where} broke during login ({error}).") from error

    def __enter__(self) -> ImapSession:
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.client.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
        self.close()

    def close(self) -> None:
        try:
            self.client.shutdown()
        except (OSError, AttributeError):
            pass

    def _ok(self, what: str, result) -> list:
        status, data = result
        if status != "OK":
            raise ImapFailure(f"{what} failed: {_text(data[0]) if data and data[0] else status}.")
        return data

    def examine(self, folder: str) -> FolderStatus:
        """Open `folder` read-only (flags such as \\Seen are left alone)."""
        try:
            status, data = self.client.select(_quoted(folder), readonly=True)
        except imaplib.IMAP4.error as error:
            raise ImapFailure(f'The folder "{folder}" could not be opened ({_text(error)}).') from error
        if status != "OK":
            raise ImapFailure(f'There is no folder "{folder}" on {self.host} ({_text(data[0]) if data else status}).')
        uidvalidity = self.client.response("UIDVALIDITY")[1]
        if not uidvalidity or not uidvalidity[0]:
            raise ImapFailure(f'The server gave no UIDVALIDITY for "{folder}".')
        return FolderStatus(uidvalidity=int(uidvalidity[0]), exists=int(data[0] or 0))

    def uids_after(self, last_uid: int) -> list[int]:
        """The UIDs above `last_uid`, ascending. ("n:*" always includes the highest UID,
        even when it is below n: that one is filtered out.)"""
        data = self._ok("UID SEARCH", self.client.uid("SEARCH", None, f"UID {last_uid + 1}:*"))
        found = [int(part) for chunk in data if chunk for part in chunk.split()]
        return sorted(uid for uid in found if uid > last_uid)

    def fetch_headers(self, uids: list[int]) -> Iterator[Headers]:
        if not uids:
            return
        data = self._ok("UID FETCH", self.client.uid("FETCH", _uid_set(uids), FETCH_ITEMS))
        for index, item in enumerate(data):
            if not isinstance(item, tuple):
                continue
            meta = item[0]
            following = data[index + 1] if index + 1 < len(data) else b""
            if isinstance(following, bytes):
                meta += following  # some servers put UID after the literal
            uid = _UID.search(meta)
            if uid is None:
                continue
            yield parse_headers(int(uid.group(1)), item[1], _internal_date(meta))


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _uid_set(uids: list[int]) -> str:
    """A compact UID set: runs of consecutive UIDs as "a:b"."""
    parts, start, previous = [], uids[0], uids[0]
    for uid in uids[1:]:
        if uid == previous + 1:
            previous = uid
            continue
        parts.append(f"{start}:{previous}" if previous != start else str(start))
        start = previous = uid
    parts.append(f"{start}:{previous}" if previous != start else str(start))
    return ",".join(parts)


def _internal_date(meta: bytes) -> datetime | None:
    found = _INTERNALDATE.search(meta)
    if not found:
        return None
    try:
        return datetime.strptime(found.group(1).decode("ascii"), "%d-%b-%Y %H:%M:%S %z").astimezone(UTC)
    except ValueError:
        return None


def _decoded(value) -> str:
    if value is None:
        return ""
    try:
        return str(make_header(decode_header(str(value))))
    except (ValueError, LookupError, UnicodeError):
        return str(value)


def message_ids(value: str) -> tuple[str, ...]:
    return tuple(found.lower() for found in _MESSAGE_ID.findall(value or ""))


def addresses(*values: str) -> tuple[str, ...]:
    found = email.utils.getaddresses([value for value in values if value])
    return tuple(address.strip().lower() for _, address in found if "@" in address)


def parse_date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if parsed is None or parsed.tzinfo is None:
        return None
    return parsed.astimezone(UTC)


def parse_headers(uid: int, raw: bytes, internal_date: datetime | None) -> Headers:
    header = BytesHeaderParser().parsebytes(raw)
    ids = message_ids(_text(header.get("Message-ID", "")))
    senders = addresses(_text(header.get("From", "")))
    return Headers(
        uid=uid,
        message_id=ids[0][:500] if ids else "",
        in_reply_to=(message_ids(_text(header.get("In-Reply-To", ""))) or ("",))[0][:500],
        references=message_ids(_text(header.get("References", ""))),
        from_address=senders[0] if senders else "",
        to_addresses=addresses(_text(header.get("To", "")), _text(header.get("Cc", ""))),
        sent_at=parse_date(_text(header.get("Date", ""))),
        internal_date=internal_date,
        subject=" ".join(_decoded(header.get("Subject")).split())[:300],
    )
