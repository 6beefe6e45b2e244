"""The results stream (guest -> host): its constants and the host's decoder.
The record format is in the package docstring; the guest's side of it is
the /init (initramfs.py)."""

from __future__ import annotations

import dataclasses
import re
import zlib
from typing import Optional, Sequence

from .holder import HOLDER_STATES

PROTOCOL = 1
MAGIC = b"@@hcabi-nested "
PORT_NAME = "org.hcabi.nested.results"


@dataclasses.dataclass
class JobResult:
    name: str
    serial: bytes
    stderr: bytes
    status: int
    elapsed_ms: int
    killed: bool


@dataclasses.dataclass
class Event:
    kind: str  # start, kvm-ok, kvm-fail, holder-STATE, job-start, result, done, problem
    text: str = ""
    result: Optional[JobResult] = None


_KV_RE = re.compile(r"^[a-z0-9_]+=\S*$")


def _fields(words: Sequence[str]) -> dict[str, str]:
    out = {}
    for w in words:
        if not _KV_RE.match(w):
            raise ValueError(f"bad field {w!r}")
        k, v = w.split("=", 1)
        out[k] = v
    return out


class ResultDecoder:
    """Incremental decoder of the guest's results stream.

    ``feed()`` bytes as they arrive and collect the events; ``finish()`` at the
    end reports anything left incomplete.  Damage never raises: it yields a
    ``problem`` event, the job it hit is not completed, and decoding resumes at
    the next record.
    """

    MAX_HEADER = 4096

    def __init__(self) -> None:
        self.buf = bytearray()
        self.offset = 0  # stream offset of buf[0]
        self.current: Optional[str] = None  # job whose records are arriving
        self.parts: dict[str, bytes] = {}
        self.damaged = False  # the current job lost a record
        self.done = False
        self.started = False
        self.garbage = False  # inside a damaged stretch already reported

    def _problem(self, msg: str) -> Event:
        return Event("problem", f"results stream offset {self.offset}: {msg}")

    def _resync(self, events: list[Event], msg: str) -> None:
        """Drop bytes up to the next record header (one problem per damaged stretch)."""
        if not self.garbage:
            events.append(self._problem(msg))
            self.garbage = True
        if self.current:
            self.damaged = True
        nxt = self.buf.find(MAGIC, 1)
        if nxt > 0:
            drop = nxt
        else:  # keep the longest tail that may be the start of a header
            keep = 0
            for k in range(min(len(MAGIC) - 1, len(self.buf) - 1), 0, -1):
                if self.buf.endswith(MAGIC[:k]):
                    keep = k
                    break
            drop = len(self.buf) - keep
        del self.buf[:drop]
        self.offset += drop

    def feed(self, data: bytes) -> list[Event]:
        self.buf += data
        events: list[Event] = []
        while self.buf:
            if not self.buf.startswith(MAGIC[: min(len(self.buf), len(MAGIC))]):
                self._resync(events, "garbage where a record should start")
                continue
            nl = self.buf.find(b"\n")
            if nl < 0:
                if len(self.buf) > self.MAX_HEADER:
                    self._resync(events, "record header too long")
                    continue
                break  # wait for the rest of the line
            try:
                line = bytes(self.buf[len(MAGIC) : nl]).decode("ascii")
            except UnicodeDecodeError:
                self._resync(events, "non-ASCII record header")
                continue
            words = line.split(" ")
            kind = words[0]
            if kind == "data":
                try:
                    f = _fields(words[1:])
                    name, part, size, crc = f["name"], f["kind"], int(f["size"]), int(f["crc32"], 16)
                    if size < 0 or part not in ("serial", "stderr"):
                        raise ValueError("bad size or kind")
                except (ValueError, KeyError) as exc:
                    self._resync(events, f"bad data header {line!r}: {exc}")
                    continue
                self.garbage = False
                end = nl + 1 + size
                if len(self.buf) < end + 1:
                    break  # payload not complete yet
                payload = bytes(self.buf[nl + 1 : end])
                if self.buf[end : end + 1] != b"\n":
                    self._resync(events, f"data of job {name} ({part}) is not followed by a newline")
                    continue
                consumed = end + 1
                if name != self.current:
                    events.append(self._problem(f"data for job {name} while job {self.current} runs"))
                    self.damaged = True
                elif zlib.crc32(payload) != crc:
                    events.append(self._problem(f"job {name}: {part} failed its CRC check ({size} bytes)"))
                    self.damaged = True
                else:
                    self.parts[part] = payload
                del self.buf[:consumed]
                self.offset += consumed
                continue
            consumed = nl + 1
            del self.buf[:consumed]
            self.offset += consumed
            self.garbage = False
            try:
                if kind == "start":
                    f = _fields(words[1:])
                    if f.get("protocol") != str(PROTOCOL):
                        events.append(Event("problem", f"guest speaks protocol {f.get('protocol')}, expected {PROTOCOL}"))
                    self.started = True
                    events.append(Event("start", f.get("jobs", "")))
                elif kind == "kvm" and words[1:2] == ["ok"]:
                    events.append(Event("kvm-ok", " ".join(words[2:])))
                elif kind == "kvm-fail":
                    msg = line.split("msg=", 1)[1] if "msg=" in line else line
                    events.append(Event("kvm-fail", msg.strip()))
                elif kind == "holder":
                    state = _fields(words[1:2]).get("state", "")
                    if state not in HOLDER_STATES:
                        raise ValueError(f"unknown holder state {state!r}")
                    msg = line.split(" msg=", 1)[1] if " msg=" in line else ""
                    events.append(Event(f"holder-{state}", msg.strip()))
                elif kind == "job-start":
                    f = _fields(words[1:])
                    self.current, self.parts, self.damaged = f["name"], {}, False
                    events.append(Event("job-start", f["name"]))
                elif kind == "status":
                    f = _fields(words[1:])
                    name = f["name"]
                    status = int(f["status"])
                    if name != self.current:
                        events.append(self._problem(f"status for job {name} while job {self.current} runs"))
                    elif self.damaged or set(self.parts) != {"serial", "stderr"}:
                        missing = sorted({"serial", "stderr"} - set(self.parts))
                        why = "damaged" if self.damaged else f"missing {', '.join(missing)}"
                        events.append(Event("problem", f"job {name}: results {why}; not counted as completed"))
                    else:
                        result = JobResult(
                            name=name,
                            serial=self.parts["serial"],
                            stderr=self.parts["stderr"],
                            status=status,
                            elapsed_ms=int(f.get("elapsed_ms", "0")),
                            killed=f.get("killed") == "1",
                        )
                        events.append(Event("result", name, result))
                    self.current, self.parts, self.damaged = None, {}, False
                elif kind == "done":
                    self.done = True
                    events.append(Event("done"))
                else:
                    events.append(self._problem(f"unknown record {line!r}"))
            except (ValueError, KeyError, IndexError) as exc:
                events.append(self._problem(f"bad record {line!r}: {exc}"))
                if self.current:
                    self.damaged = True
        return events

    def finish(self) -> list[Event]:
        events: list[Event] = []
        if self.buf:
            events.append(self._problem(f"stream ends inside a record ({len(self.buf)} bytes left over)"))
            self.buf.clear()
        if self.current and not self.done:
            events.append(Event("problem", f"job {self.current} did not finish"))
        return events


def decode_results(data: bytes) -> list[Event]:
    d = ResultDecoder()
    return d.feed(data) + d.finish()

