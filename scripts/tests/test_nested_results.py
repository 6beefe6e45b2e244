"""Tests of the nested launcher's results stream decoder: intact, in any
chunking, truncated, garbled, and the holder's records."""

from __future__ import annotations

import os
import zlib

import pytest
import harness_testlib  # noqa: F401  (first: it puts the package roots on sys.path)
from hcabi_nested.results import Event, JobResult, ResultDecoder, decode_results

# ---------------------------------------------------------------------------
# the results stream


def rec(line: str) -> bytes:
    return b"@@hcabi-nested " + line.encode() + b"\n"


def data(name: str, kind: str, payload: bytes, crc: int | None = None) -> bytes:
    c = zlib.crc32(payload) if crc is None else crc
    return rec(f"data name={name} kind={kind} size={len(payload)} crc32={c:08x}") + payload + b"\n"


def job(name: str, serial: bytes, stderr: bytes = b"", status: int = 0, killed: int = 0) -> bytes:
    return (
        rec(f"job-start name={name}")
        + data(name, "serial", serial)
        + data(name, "stderr", stderr)
        + rec(f"status name={name} status={status} elapsed_ms=12 killed={killed}")
    )


HEAD = rec("start protocol=1 jobs=2") + rec("kvm ok vendor=amd")
BINARY = bytes(range(256)) * 3 + b"\n@@hcabi-nested done\n" + b"\r\n\x00"


def results(events: list[Event]) -> dict[str, JobResult]:
    return {e.result.name: e.result for e in events if e.kind == "result" and e.result}


def kinds(events: list[Event]) -> list[str]:
    return [e.kind for e in events]


def test_decode_complete_stream() -> None:
    stream = HEAD + job("a", BINARY, b"warn\n", 1) + job("b", b"", b"", 0, killed=1) + rec("done")
    ev = decode_results(stream)
    assert kinds(ev) == ["start", "kvm-ok", "job-start", "result", "job-start", "result", "done"]
    r = results(ev)
    assert r["a"].serial == BINARY and r["a"].stderr == b"warn\n" and r["a"].status == 1 and not r["a"].killed
    assert r["b"].serial == b"" and r["b"].killed and r["b"].elapsed_ms == 12


@pytest.mark.parametrize("chunk", [1, 2, 7, 64, 4096])
def test_decode_in_any_chunking(chunk: int) -> None:
    stream = HEAD + job("a", BINARY * 10, b"e") + job("b", b"x") + rec("done")
    d = ResultDecoder()
    ev: list[Event] = []
    for i in range(0, len(stream), chunk):
        ev += d.feed(stream[i : i + chunk])
    ev += d.finish()
    assert [e for e in ev if e.kind == "problem"] == []
    assert results(ev)["a"].serial == BINARY * 10
    assert d.done


def test_decode_large_payload() -> None:
    big = os.urandom(3 << 20)
    r = results(decode_results(HEAD + job("a", big) + rec("done")))
    assert r["a"].serial == big


@pytest.mark.parametrize("cut", [1, 10, 40, 60, 100, 300, 900])
def test_decode_truncated_stream(cut: int) -> None:
    """Whatever the cut, the first job (complete) survives, the second never
    counts as completed, and no exception escapes."""
    first = HEAD + job("a", b"A" * 50)
    second = job("b", BINARY)
    stream = first + second + rec("done")
    ev = decode_results(stream[: len(first) + min(cut, len(second) - 1)])
    r = results(ev)
    assert "a" in r and "b" not in r
    assert "done" not in kinds(ev)
    assert any(e.kind == "problem" for e in ev)


def test_decode_truncated_inside_header() -> None:
    ev = decode_results(HEAD + b"@@hcabi-nested job-st")
    assert kinds(ev)[-1] == "problem"
    assert "ends inside a record" in ev[-1].text


def test_decode_empty_stream() -> None:
    assert decode_results(b"") == []


def test_decode_crc_mismatch_loses_only_that_job() -> None:
    bad = rec("job-start name=a") + data("a", "serial", b"hello", crc=0x1234) + data("a", "stderr", b"") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = decode_results(HEAD + bad + job("b", b"fine") + rec("done"))
    r = results(ev)
    assert list(r) == ["b"]
    texts = [e.text for e in ev if e.kind == "problem"]
    assert any("CRC" in t for t in texts)
    assert any("job a" in t and "not counted" in t for t in texts)


def test_decode_flipped_payload_byte() -> None:
    stream = bytearray(HEAD + job("a", b"0123456789" * 10) + rec("done"))
    pos = stream.index(b"0123456789") + 5
    stream[pos] ^= 0x01
    ev = decode_results(bytes(stream))
    assert results(ev) == {}
    assert "done" in kinds(ev)


def test_decode_wrong_size_resyncs() -> None:
    """A size that is too small leaves payload where a header should be: the
    job is lost, the decoder finds the next record and the rest survives."""
    payload = b"abcdefghij"
    bad = rec("job-start name=a") + rec(f"data name=a kind=serial size=4 crc32={zlib.crc32(payload[:4]):08x}") + payload + b"\n"
    bad += data("a", "stderr", b"") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = decode_results(HEAD + bad + job("b", b"ok") + rec("done"))
    assert list(results(ev)) == ["b"]
    assert "done" in kinds(ev)


def test_decode_garbage_between_records() -> None:
    stream = HEAD + b"kernel noise\r\n\x00\xff" + job("a", b"x") + b"junk" + rec("done")
    ev = decode_results(stream)
    assert list(results(ev)) == ["a"]
    assert "done" in kinds(ev)
    problems = [e for e in ev if e.kind == "problem"]
    assert len(problems) == 2  # one per damaged stretch, not one per byte


def test_decode_garbage_inside_a_job_loses_it() -> None:
    stream = HEAD + rec("job-start name=a") + b"noise\n" + data("a", "serial", b"x") + data("a", "stderr", b"")
    stream += rec("status name=a status=0 elapsed_ms=1 killed=0") + rec("done")
    ev = decode_results(stream)
    assert results(ev) == {}


def test_decode_missing_stderr_section() -> None:
    stream = HEAD + rec("job-start name=a") + data("a", "serial", b"x") + rec("status name=a status=0 elapsed_ms=1 killed=0")
    ev = decode_results(stream)
    assert results(ev) == {}
    assert any("missing stderr" in e.text for e in ev)


def test_decode_data_for_another_job() -> None:
    stream = HEAD + rec("job-start name=a") + data("b", "serial", b"x") + data("a", "stderr", b"")
    stream += rec("status name=a status=0 elapsed_ms=1 killed=0")
    assert results(decode_results(stream)) == {}


def test_decode_bad_headers_do_not_raise() -> None:
    for line in ["data name=a kind=serial size=-1 crc32=0", "data name=a kind=other size=1 crc32=0", "data name=a", "status name=a status=x", "status", "job-start", "what is this", "data name=a kind=serial size=1 crc32=zz"]:
        ev = decode_results(HEAD + rec("job-start name=a") + rec(line) + rec("done"))
        assert any(e.kind == "problem" for e in ev), line
        assert "done" in kinds(ev)


def test_decode_non_ascii_header() -> None:
    ev = decode_results(HEAD + b"@@hcabi-nested \xff\xfe\n" + rec("done"))
    assert any(e.kind == "problem" for e in ev)
    assert "done" in kinds(ev)


def test_decode_endless_header() -> None:
    d = ResultDecoder()
    ev = d.feed(b"@@hcabi-nested " + b"x" * 10000)
    assert any("too long" in e.text for e in ev)
    ev2 = d.feed(b"\n" + rec("done"))
    assert "done" in kinds(ev2)


def test_decode_kvm_fail() -> None:
    ev = decode_results(rec("start protocol=1 jobs=1") + rec("kvm-fail msg=insmod kvm_amd failed: Operation not supported"))
    fails = [e for e in ev if e.kind == "kvm-fail"]
    assert fails and fails[0].text == "insmod kvm_amd failed: Operation not supported"


def test_decode_protocol_mismatch_is_reported() -> None:
    ev = decode_results(rec("start protocol=9 jobs=0") + rec("done"))
    assert any("protocol 9" in e.text for e in ev)


def test_decode_unfinished_job_reported() -> None:
    ev = decode_results(HEAD + rec("job-start name=a") + data("a", "serial", b"x"))
    assert any("job a did not finish" in e.text for e in ev)


def test_decode_holder_records() -> None:
    stream = (
        HEAD
        + rec("holder state=up msg=nested-probe: hold=ready keys=preempt_notifier,kvm_xen_enabled")
        + job("a", b"x")
        + rec("holder state=stopped msg=status 0: nested-probe: hold=released signal=15")
        + rec("done")
    )
    ev = decode_results(stream)
    assert kinds(ev) == ["start", "kvm-ok", "holder-up", "job-start", "result", "holder-stopped", "done"]
    assert ev[2].text == "nested-probe: hold=ready keys=preempt_notifier,kvm_xen_enabled"
    ev = decode_results(HEAD + rec("holder state=failed msg=it ended with status 127") + rec("done"))
    assert kinds(ev) == ["start", "kvm-ok", "holder-failed", "done"]
    ev = decode_results(HEAD + rec("holder state=bogus msg=x") + rec("holder") + rec("done"))
    assert kinds(ev) == ["start", "kvm-ok", "problem", "problem", "done"]
