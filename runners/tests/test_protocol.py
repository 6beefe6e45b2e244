"""The serial protocol parser: every line type, CRC checks, sequence numbers
and MAC fields, truncation, garbage, enormous logs and interleaving
(docs/internals.md). MACs are verified by boot.py (test_boot.py)."""

from __future__ import annotations

import io
import tracemalloc

import pytest
from conftest import TEST_KEY, TEST_NONCE
from conftest import proto as signed_proto

from hcabi_conform.protocol import (
    MAX_LINE,
    Garbled,
    Record,
    Text,
    encode_line,
    parse_line,
    read_items,
    split_lines,
)
from hcabi_conform.evidence import line_key


def proto(body: str, seq: int = 0) -> str:
    return signed_proto(body, seq)


def parse(text: str) -> object:
    return parse_line(text.encode(), 1)


def test_helper_matches_runner_encoder() -> None:
    body = f"hello image=base protocol=2 nonce={TEST_NONCE}"
    assert proto(body, 7).encode() == encode_line(body, 7, line_key(TEST_KEY, TEST_NONCE))


def test_record_carries_what_signs_it() -> None:
    line = proto("check result=pass req=BASE-001 msg=a ~0123456789abcdef in the text", 41)
    item = parse(line)
    assert isinstance(item, Record) and item.signed is not None
    assert item.signed.seq == 41 and item.msg == "a ~0123456789abcdef in the text"
    assert item.signed.data == line[: line.rfind(" ~")].encode() and line.endswith(item.signed.mac + " #" + line[-8:])


def test_protocol_1_line_is_garbled_and_says_so() -> None:
    import zlib

    data = b"@hcabi hello image=base protocol=1"
    item = parse(f"{data.decode()} #{zlib.crc32(data):08x}")
    assert isinstance(item, Garbled) and "protocol-1" in item.reason and item.signed is None


def test_intact_line_with_bad_fields_keeps_its_signature() -> None:
    item = parse(proto("check result=maybe req=X-1", 3))
    assert isinstance(item, Garbled) and item.signed is not None and item.signed.seq == 3


def test_read_items_stops_at_the_limit() -> None:
    data = ("\n".join(proto(f"check result=pass req=X-{i} msg=ok", i) for i in range(100)) + "\n").encode()
    first = len(proto("check result=pass req=X-0 msg=ok", 0)) + 1
    items = list(read_items(io.BytesIO(data), limit=first * 3 + 10))
    assert [type(i).__name__ for i in items] == ["Record", "Record", "Record", "Garbled"]


@pytest.mark.parametrize(
    "body, kind, fields, msg",
    [
        ("hello image=base protocol=2 nonce=-", "hello", {"image": "base", "protocol": "2", "nonce": "-"}, ""),
        (f"hello image=base protocol=2 nonce={TEST_NONCE}", "hello", {"image": "base", "protocol": "2", "nonce": TEST_NONCE}, ""),
        ("test-end name=TIME.x verdict=skip needs=TIME,VCPU msg=no", "test-end", {"name": "TIME.x", "verdict": "skip", "needs": "TIME,VCPU"}, "no"),
        (
            "discovery present=1 base=0x40000000 signature=HCABIrefvmm0 spec=1.0 impl=0x1 implver=0x10000 exts=BASE:1,CONSOLE:1",
            "discovery",
            {"present": "1", "base": "0x40000000", "signature": "HCABIrefvmm0", "spec": "1.0", "impl": "0x1", "implver": "0x10000", "exts": "BASE:1,CONSOLE:1"},
            "",
        ),
        ("discovery present=0 base=0x40000000 signature=KVMKVMKVM???", "discovery", {"present": "0", "base": "0x40000000", "signature": "KVMKVMKVM???"}, ""),
        ("test-begin name=BASE.get_spec_version reqs=BASE-001,BASE-002", "test-begin", {"name": "BASE.get_spec_version", "reqs": "BASE-001,BASE-002"}, ""),
        ("check result=pass req=BASE-001 msg=version is 0x10000", "check", {"result": "pass", "req": "BASE-001"}, "version is 0x10000"),
        ("check result=fail req=- msg=", "check", {"result": "fail", "req": "-"}, ""),
        ("test-end name=TIME.x verdict=skip msg=TIME not advertised", "test-end", {"name": "TIME.x", "verdict": "skip"}, "TIME not advertised"),
        ("expect event=shutdown code=0", "expect", {"event": "shutdown", "code": "0"}, ""),
        ("expect event=reboot", "expect", {"event": "reboot"}, ""),
        ("suite-end pass=3 fail=1 skip=0 error=0", "suite-end", {"pass": "3", "fail": "1", "skip": "0", "error": "0"}, ""),
    ],
)
def test_every_line_type(body: str, kind: str, fields: dict[str, str], msg: str) -> None:
    item = parse(proto(body))
    assert isinstance(item, Record) and item.known
    assert item.kind == kind
    assert dict(item.fields) == fields
    assert item.msg == msg


def test_msg_is_rest_of_line_even_with_equals_and_hash() -> None:
    item = parse(proto("check result=fail req=TIME-001 msg=got a=1 b=2 #not-the-crc"))
    assert isinstance(item, Record)
    assert item.msg == "got a=1 b=2 #not-the-crc"
    assert dict(item.fields) == {"result": "fail", "req": "TIME-001"}


def test_crc_mismatch_is_garbled() -> None:
    good = proto("test-end name=BASE.x verdict=pass msg=ok")
    bad = good.replace("verdict=pass", "verdict=fail")
    item = parse(bad)
    assert isinstance(item, Garbled) and "CRC mismatch" in item.reason


def test_one_flipped_crc_digit_is_garbled() -> None:
    good = proto("hello image=base protocol=2")
    last = good[-1]
    bad = good[:-1] + ("0" if last != "0" else "1")
    assert isinstance(parse(bad), Garbled)


def test_truncated_line_is_garbled() -> None:
    line = proto("test-end name=BASE.x verdict=pass msg=all fine")
    for cut in (10, len(line) // 2, len(line) - 3):
        item = parse(line[:cut])
        assert isinstance(item, Garbled), line[:cut]


def test_uppercase_crc_accepted_and_crlf_stripped() -> None:
    line = proto("hello image=base protocol=2")
    head, crc = line.rsplit("#", 1)
    item = parse_line((head + "#" + crc.upper() + "\r\n").encode(), 1)
    assert isinstance(item, Record) and item.kind == "hello"


def test_known_type_with_bad_fields_is_garbled() -> None:
    for body in ("hello image=base", "check result=maybe req=X-1", "suite-end pass=1 fail=x skip=0 error=0", "test-end name=A.b verdict=pass verdict=fail"):
        item = parse(proto(body))
        assert isinstance(item, Garbled), body


def test_unknown_type_is_kept_not_interpreted() -> None:
    item = parse(proto("progress pct=50"))
    assert isinstance(item, Record) and not item.known and item.kind == "progress"


def test_free_text_and_prefix_junk() -> None:
    assert isinstance(parse("SeaBIOS (version 1.16)"), Text)
    junk = "\x1b[2J\x1b[01;01H" + proto("hello image=base protocol=2")
    item = parse(junk)
    assert isinstance(item, Record) and item.kind == "hello"


def test_two_lines_run_together_first_broken_second_valid() -> None:
    broken = proto("test-begin name=A.b reqs=X-1")[:20]
    item = parse(broken + proto("test-end name=A.b verdict=pass msg=x"))
    assert isinstance(item, Record) and item.kind == "test-end"


def test_signature_with_space_is_tolerated() -> None:
    item = parse(proto("discovery present=0 base=0x40000000 signature=Microsoft Hv"))
    assert isinstance(item, Record) and item.fields["signature"] == "Microsoft Hv"


def test_binary_garbage_is_text_and_printable() -> None:
    garbage = bytes(range(256)) * 4
    items = list(read_items(io.BytesIO(garbage)))
    assert items and all(isinstance(i, Text) for i in items)
    for item in items:
        assert all(ch.isprintable() for ch in item.text)


def test_garbage_containing_prefix_is_garbled_not_text() -> None:
    item = parse_line(b"\xff\xfe@hcabi hello \x00\x01 #zzzz", 1)
    assert isinstance(item, Garbled)


def test_split_lines_final_line_without_newline() -> None:
    data = b"one\r\ntwo\n" + proto("hello image=a protocol=2").encode()
    assert [ln for ln, _ in split_lines(io.BytesIO(data))] == [b"one\r", b"two", proto("hello image=a protocol=2").encode()]


def test_lines_interleaved_with_free_text() -> None:
    lines = [
        "boot: paging on",
        proto("hello image=base protocol=2"),
        "cpu1: online",
        proto("test-begin name=BASE.a reqs=BASE-001"),
        "some log line with @ and # characters",
        proto("check result=pass req=BASE-001 msg=ok"),
        proto("test-end name=BASE.a verdict=pass msg=ok")[:-2],
        proto("test-end name=BASE.a verdict=pass msg=ok"),
    ]
    items = list(read_items(io.BytesIO("\n".join(lines).encode())))
    kinds = [type(i).__name__ + (":" + i.kind if isinstance(i, Record) else "") for i in items]
    assert kinds == ["Text", "Record:hello", "Text", "Record:test-begin", "Text", "Record:check", "Garbled", "Record:test-end"]
    assert [i.lineno for i in items] == list(range(1, 9))


class _Endless(io.RawIOBase):
    """A stream of `size` bytes produced on demand, never held in memory."""

    def __init__(self, size: int, newline_every: int = 0) -> None:
        self.left = size
        self.every = newline_every

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = min(n if n > 0 else 1 << 16, self.left)
        self.left -= n
        if self.every:
            block = (b"y" * (self.every - 1) + b"\n") * (n // self.every + 1)
            return block[:n]
        return b"z" * n


def test_enormous_single_line_uses_bounded_memory() -> None:
    tracemalloc.start()
    try:
        items = list(split_lines(_Endless(64 * 1024 * 1024)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert len(items) == 1
    line, truncated = items[0]
    assert truncated and len(line) == MAX_LINE
    assert peak < 4 * 1024 * 1024


def test_enormous_log_streams() -> None:
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_items(_Endless(4 * 1024 * 1024, newline_every=100)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count > 40_000  # ~100-byte lines
    assert peak < 4 * 1024 * 1024


def test_overlong_protocol_line_is_garbled() -> None:
    long = proto("check result=pass req=X-1 msg=" + "m" * (MAX_LINE + 10))
    items = list(read_items(io.BytesIO(long.encode() + b"\n")))
    assert len(items) == 1 and isinstance(items[0], Garbled) and "longer" in items[0].reason
