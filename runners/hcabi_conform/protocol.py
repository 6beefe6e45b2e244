"""The serial result protocol (guest -> runner), see docs/internals.md.

This is the only place that knows the wire format. A serial log is untrusted
input from a guest that may be broken or hostile: it may be garbage, never end
a line, or be gigabytes long. So the log is read in fixed-size chunks, a line is
capped at MAX_LINE bytes, and nothing here holds more than one line and a short
tail in memory.

A protocol line (protocol 2) is

    @hcabi SEQ TYPE key=value ... [msg=TEXT] ~MMMMMMMMMMMMMMMM #CCCCCCCC

SEQ the line's sequence number, M the MAC of every byte before ` ~` (checked
by boot.py with the boot's key: evidence.py), C the CRC-32 of every byte
before ` #`. A line whose CRC does not match is *garbled* (line noise):
reported, never interpreted. Parsing here needs no key: a Record carries the
signed bytes and the MAC for the caller to verify.
"""

from __future__ import annotations

import re
import zlib
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator, Mapping, Optional, Union

from .evidence import line_mac

PREFIX = b"@hcabi "
MAX_LINE = 16 * 1024
CHUNK = 64 * 1024
TAIL_LINES = 12
TAIL_LINE_CHARS = 240

_CRC_RE = re.compile(rb"^[0-9a-fA-F]{8}$")
_MAC_RE = re.compile(rb"^[0-9a-f]{16}$")
_SEQ_RE = re.compile(rb"^(0|[1-9][0-9]{0,19})$")
_INT = r"(0|[1-9][0-9]{0,9})"
_HEX_OR_INT = r"(0[xX][0-9a-fA-F]{1,16}|[0-9]{1,20})"
_NAME = r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}"
_VERSION = r"[0-9]{1,5}\.[0-9]{1,5}"
_LIST = r"(-|[A-Za-z0-9_.:-]+(,[A-Za-z0-9_.:-]+)*)?"
_EXTS = r"(-|[A-Za-z0-9_]+:[0-9]{1,10}(,[A-Za-z0-9_]+:[0-9]{1,10})*)?"

# For each known line type: (required fields, optional fields), each field with
# the pattern its value must match. A line of a known type that breaks this is
# treated like a garbled one: its CRC proves it arrived intact, so the image
# itself is broken, and guessing at its meaning would hide that.
_SCHEMA: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "hello": ({"image": _NAME, "protocol": _INT}, {"nonce": r"-|[0-9a-f]{1,64}"}),
    "discovery": (
        {"present": "[01]"},
        {
            "base": _HEX_OR_INT,
            "signature": r".{0,64}",
            "spec": _VERSION,
            "impl": _HEX_OR_INT,
            "implver": _HEX_OR_INT,
            "exts": _EXTS,
        },
    ),
    "test-begin": ({"name": _NAME}, {"reqs": _LIST}),
    "check": ({"result": "pass|fail"}, {"req": r"(-|" + _NAME + ")"}),
    "test-end": ({"name": _NAME, "verdict": "pass|fail|skip|error"}, {"needs": r"[A-Za-z0-9_]+(,[A-Za-z0-9_]+)*"}),
    # req: the requirements the VM's ending as `event` shows; code_req: the one
    # the reported code shows (each optional: an ending without them names none)
    "expect": ({"event": "shutdown|reboot|crash"}, {"code": r"-?" + _HEX_OR_INT, "req": _NAME + "(," + _NAME + ")*", "code_req": _NAME}),
    "suite-end": ({"pass": _INT, "fail": _INT, "skip": _INT, "error": _INT}, {}),
    # Console data paths: the bytes between these two lines are compared
    # with the announced stream (boot.py, docs/internals.md).
    "console-expect": (
        {"label": _NAME, "len": _INT, "sha256": r"[0-9a-f]{64}", "how": "write|pieces|bytes|rejected", "req": _NAME},
        {},
    ),
    "console-end": ({"label": _NAME}, {}),
}
_COMPILED = {
    kind: (
        {k: re.compile(f"^(?:{v})$") for k, v in req.items()},
        {k: re.compile(f"^(?:{v})$") for k, v in opt.items()},
    )
    for kind, (req, opt) in _SCHEMA.items()
}
KNOWN_TYPES = frozenset(_SCHEMA)


@dataclass(frozen=True)
class Signed:
    """What binds an intact line to a boot: its sequence number, its MAC and
    the bytes the MAC covers (`@hcabi SEQ ...` up to, not including, ` ~`)."""

    seq: int
    mac: str
    data: bytes


@dataclass(frozen=True)
class Record:
    """A protocol line whose CRC matched. `known` is False for a line type this
    runner does not know (a newer protocol revision): kept, not interpreted.
    Its MAC is not verified yet (boot.py does, with the boot's key)."""

    kind: str
    fields: Mapping[str, str]
    msg: str
    lineno: int
    known: bool = True
    signed: Optional[Signed] = None


@dataclass(frozen=True)
class Garbled:
    """A line that looked like protocol but cannot be trusted. `signed` is
    set when the line arrived intact (its CRC matched) but its content is
    invalid: its MAC still says whether the image wrote it."""

    lineno: int
    reason: str
    text: str
    signed: Optional[Signed] = None


@dataclass(frozen=True)
class Text:
    """Free-form log text; `raw` its bytes (without the newline), for the
    console data-path comparison; `truncated` when the line was cut at
    MAX_LINE."""

    lineno: int
    text: str
    raw: bytes = b""
    truncated: bool = False


Item = Union[Record, Garbled, Text]


def crc_hex(data: bytes) -> str:
    """The CRC field for `data` (the bytes before ` #`), as the guest writes it."""
    return f"{zlib.crc32(data) & 0xFFFFFFFF:08x}"


def encode_line(body: str, seq: int, k: bytes) -> bytes:
    """Build a valid protocol line (without newline) from `TYPE key=v ...`,
    its sequence number and the boot's line key K (evidence.line_key). The
    runner never sends lines; this exists for tests and fake guests."""
    data = PREFIX + f"{seq} ".encode("ascii") + body.encode("utf-8")
    data += b" ~" + line_mac(k, data).encode("ascii")
    return data + b" #" + crc_hex(data).encode("ascii")


def printable(data: Union[bytes, str], limit: int = TAIL_LINE_CHARS) -> str:
    """Render untrusted bytes as one short line safe for terminals and reports:
    control characters and invalid UTF-8 become escapes."""
    text = data.decode("utf-8", "backslashreplace") if isinstance(data, bytes) else data
    out = []
    for ch in text:
        if ch.isprintable() or ch == " ":
            out.append(ch)
        elif ch == "\t":
            out.append(" ")
        else:
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
    rendered = "".join(out)
    if len(rendered) > limit:
        rendered = rendered[: limit - 3] + "..."
    return rendered


def split_lines(stream: BinaryIO, max_line: int = MAX_LINE, limit: Optional[int] = None) -> Iterator[tuple[bytes, bool]]:
    """Yield (line, truncated) from a binary stream without ever holding more
    than `max_line` bytes of a line; the rest of an overlong line is dropped and
    `truncated` says so. A last line without a newline is still yielded (a VM
    that died mid-line). With `limit`, no more than that many bytes of the
    stream are read (the serial cap)."""
    buf = bytearray()
    truncated = False
    left = limit
    while True:
        chunk = stream.read(CHUNK if left is None else min(CHUNK, left))
        if not chunk:
            break
        if left is not None:
            left -= len(chunk)
        start = 0
        while start <= len(chunk):
            newline = chunk.find(b"\n", start)
            end = len(chunk) if newline < 0 else newline
            room = max_line - len(buf)
            if end - start > room:
                buf += chunk[start : start + max(room, 0)]
                truncated = True
            else:
                buf += chunk[start:end]
            if newline < 0:
                break
            yield bytes(buf), truncated
            buf.clear()
            truncated = False
            start = newline + 1
    if buf or truncated:
        yield bytes(buf), truncated


def _split_fields(text: str) -> tuple[dict[str, str], str] | str:
    """Split `key=value ... msg=TEXT` into fields and message, or return the
    reason it cannot be. A token without `=` continues the previous value
    (tolerates a space inside a CPUID signature)."""
    msg = ""
    match = re.search(r"(?:^| )msg=", text)
    if match:
        msg = text[match.end() :]
        text = text[: match.start()]
    fields: dict[str, str] = {}
    last = None
    for token in text.split(" "):
        if not token:
            continue
        key, eq, value = token.partition("=")
        if eq and key:
            if key in fields:
                return f"field {key!r} given twice"
            fields[key] = value
            last = key
        elif last is not None:
            fields[last] += " " + token
        else:
            return f"token {printable(token, 40)!r} is not key=value"
    return fields, msg


def _validate(kind: str, fields: Mapping[str, str]) -> str | None:
    """Return why a known line type's fields are invalid, or None."""
    required, optional = _COMPILED[kind]
    for key, pattern in required.items():
        if key not in fields:
            return f"{kind} line lacks {key}="
        if not pattern.match(fields[key]):
            return f"{kind} line has invalid {key}={printable(fields[key], 40)}"
    for key, pattern in optional.items():
        if key in fields and not pattern.match(fields[key]):
            return f"{kind} line has invalid {key}={printable(fields[key], 40)}"
    return None


def _parse_protocol(body: bytes, lineno: int) -> Record | str | tuple[str, Signed]:
    """Parse `@hcabi SEQ ... ~mac #crc` (body starts at the prefix); return the
    record, or the reason it is garbled (with what signs it when the line
    arrived intact)."""
    body = body.rstrip()
    sep = body.rfind(b" #")
    if sep < 0 or not _CRC_RE.match(body[sep + 2 :]):
        return "no CRC field (truncated line?)"
    if crc_hex(body[:sep]) != body[sep + 2 :].decode("ascii").lower():
        return "CRC mismatch"
    mark = body.rfind(b" ~", 0, sep)
    seq_text, _, rest_bytes = body[len(PREFIX) : max(mark, len(PREFIX))].partition(b" ")
    if mark < 0 or not _MAC_RE.match(body[mark + 2 : sep]) or not _SEQ_RE.match(seq_text):
        return "no sequence number or MAC: a protocol-1 line? (an image older than this runner: rebuild it)"
    signed = Signed(int(seq_text), body[mark + 2 : sep].decode("ascii"), body[:mark])
    text = rest_bytes.decode("utf-8", "replace")
    kind, _, rest = text.partition(" ")
    if not kind:
        return "empty line type", signed
    split = _split_fields(rest)
    if isinstance(split, str):
        return split, signed
    fields, msg = split
    msg = printable(msg, MAX_LINE)  # free text reaches terminals, XML and HTML
    if kind not in KNOWN_TYPES:
        return Record(kind, fields, msg, lineno, known=False, signed=signed)
    problem = _validate(kind, fields)
    if problem:
        return problem, signed
    return Record(kind, fields, msg, lineno, signed=signed)


def parse_line(raw: bytes, lineno: int, truncated: bool = False) -> Item:
    """Classify one serial line. `@hcabi ` may follow junk on the same line (a
    partial line the guest or firmware printed without a newline): each
    occurrence is tried and the first one whose CRC verifies wins."""
    first = raw.find(PREFIX)
    if first < 0:
        return Text(lineno, printable(raw.rstrip(b"\r\n")), raw, truncated)
    line = raw.rstrip(b"\r\n")
    if truncated:
        return Garbled(lineno, f"line longer than {MAX_LINE} bytes", printable(line))
    reason = ""
    signed: Optional[Signed] = None
    pos = first
    while pos >= 0:
        parsed = _parse_protocol(line[pos:], lineno)
        if isinstance(parsed, Record):
            return parsed
        if isinstance(parsed, tuple):
            parsed, signed = parsed[0], signed or parsed[1]
        reason = reason or parsed
        pos = line.find(PREFIX, pos + 1)
    return Garbled(lineno, reason, printable(line), signed)


def read_items(stream: BinaryIO, max_line: int = MAX_LINE, limit: Optional[int] = None) -> Iterator[Item]:
    """Parse a whole serial log lazily (at most `limit` bytes of it)."""
    for lineno, (raw, truncated) in enumerate(split_lines(stream, max_line, limit), start=1):
        yield parse_line(raw, lineno, truncated)


@dataclass
class Tail:
    """The last few lines of a log, for crash and timeout messages."""

    lines: deque = field(default_factory=lambda: deque(maxlen=TAIL_LINES))

    def add(self, text: str) -> None:
        """Remember one (already printable) line."""
        self.lines.append(text[:TAIL_LINE_CHARS])

    def render(self) -> str:
        """The tail as a block of text, or a note that the log is empty."""
        return "\n".join(self.lines) if self.lines else "(empty log)"


def item_text(item: Item) -> str:
    """How an item appears in a log tail."""
    if isinstance(item, Record):
        head = " ".join(f"{k}={v}" for k, v in item.fields.items())
        msg = f" msg={item.msg}" if item.msg else ""
        return printable(f"@hcabi {item.kind} {head}{msg}")
    if isinstance(item, Garbled):
        return f"[garbled: {item.reason}] {item.text}"
    return item.text


def file_tail_line(path: str, prefix: str = "", limit: int = 8192) -> str:
    """Last non-empty line of a (possibly huge) file, optionally the last one
    starting with `prefix`; reads only the final `limit` bytes."""
    try:
        with open(path, "rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except OSError:
        return ""
    lines = [ln.strip() for ln in data.splitlines() if ln.strip()]
    if prefix:
        marked = [ln for ln in lines if ln.startswith(prefix.encode())]
        lines = marked or lines
    return printable(lines[-1]) if lines else ""
