"""Turn one boot's serial log and ending into test results.

The guest is the witness and may be the victim: a test that began and never
ended is a crash (the VM ended) or a timeout (the runner stopped it); a test
that expected the VM to end (`expect`) passes only if the VMM saw that end.
Everything the guest says is checked against the tests manifest, so a stale or
broken build shows up as an `error`, not as a wrong verdict.

The log must also be *evidence* of this boot (protocol 2, docs/internals.md):
the hello carries the nonce this boot was given, every line's MAC verifies
with the boot's key, and sequence numbers run 0, 1, 2, ... without a gap. A
log that breaks this was printed or replayed by something other than the
image: its results are discarded and every selected test fails. A gap that
garbled lines explain is line noise instead: nothing can be concluded, so the
tests are `error`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional

from .console import ConsoleRegion, judge_file, judge_serial
from .evidence import EvidenceContext
from .manifests import ImageSpec, TestSpec
from .model import SEVERITY, BootRecord, Discovery, Ending, Problem, TestResult
from .protocol import Garbled, Item, Record, Signed, Tail, Text, item_text, read_items
from .versions import Version

PROTOCOL_VERSION = "2"
MAX_FAILED_CHECKS = 50
MAX_MESSAGE = 4000
GARBLED_SAMPLES = 3
# the text line the guest runtime prints before `discovery present=0`: what the
# binding's discovery call answered (arm64: "discovery: HVC DISCOVER returned x0=...")
DISCOVERY_SAID = "discovery: "
MAX_SAID = 200


@dataclass
class _OpenTest:
    """A test between test-begin and test-end."""

    name: str
    reqs: list[str]
    lineno: int
    failed: list[dict[str, str]] = field(default_factory=list)
    passed: set[str] = field(default_factory=set)
    expect: Optional[tuple[str, Optional[int]]] = None
    end_reqs: list[str] = field(default_factory=list)  # what the ending as announced shows
    code_req: Optional[str] = None  # what the announced code shows


@dataclass
class _Outcome:
    """What the image said (or the runner concluded) about one test."""

    status: str
    message: str
    failed: list[dict[str, str]] = field(default_factory=list)
    passed: list[str] = field(default_factory=list)
    needs: list[str] = field(default_factory=list)


def _clip(text: str) -> str:
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def parse_exts(text: str) -> dict[str, int]:
    """`BASE:1,CONSOLE:1` -> {"BASE": 1, "CONSOLE": 1} (already validated)."""
    if text in ("", "-"):
        return {}
    return {name: int(ver) for name, ver in (item.split(":") for item in text.split(","))}


def _parse_code(text: Optional[str]) -> Optional[int]:
    return None if text is None else int(text, 0)


def ending_satisfies(ending: Ending, event: str, code: Optional[int]) -> tuple[bool, str]:
    """Did the VM end the way an `expect` line announced? Returns (ok, note)."""
    if ending.kind == "restart":
        return event == "reboot", " (the VM restarted)"
    if not ending.verifiable and ending.kind == "exited":
        # Any orderly exit is not proof of a crash (or a shutdown): a VMM that
        # ignores SYSTEM.CRASH and exits 0 must not pass.
        return False, (
            f" (this target cannot tell how the VM ended: {ending.detail}; declare which exit status of the VMM "
            f"means {event} with --vmm-exit {event}=STATUS, e.g. --vmm-exit crash=12)"
        )
    if ending.kind != event:
        return False, ""
    # refvmm prints codes unsigned, a guest may print them signed: compare as u64.
    if code is not None and ending.code is not None and (ending.code - code) % (1 << 64):
        return False, ""
    return True, ""


class BootInterpreter:
    """State machine over one boot's protocol lines."""

    def __init__(self, image: ImageSpec, known: dict[str, TestSpec], evidence: EvidenceContext) -> None:
        self.image = image
        self.known = known
        self.evidence = evidence
        self.next_seq = 0  # the sequence number the next verified line must carry
        self.noise = 0  # garbled lines since the last verified one
        self.verified_lines = 0
        self.not_evidence: Optional[Problem] = None  # why this log proves nothing
        self.tail = Tail()
        self.hello: Optional[Record] = None
        self.restarted = False
        self.discovery: Optional[Discovery] = None
        self.discovery_said: Optional[str] = None  # the image's own words on its discovery (a `discovery: ` text line)
        self.current: Optional[_OpenTest] = None
        self.outcomes: dict[str, _Outcome] = {}
        self.verdicts: list[str] = []
        self.suite_end: Optional[dict[str, int]] = None
        self.garbled = 0
        self.garbled_samples: list[str] = []
        self.problems: list[Problem] = []
        self._unknown_kinds: set[str] = set()
        self.console_file: Optional[Path] = None  # {console}: CONSOLE output goes there, not to the serial log
        self.regions: list[ConsoleRegion] = []  # console-expect .. console-end, in order
        self.region: Optional[ConsoleRegion] = None  # the open one

    # -- feeding -------------------------------------------------------------

    def feed_all(self, items: Iterable[Item]) -> None:
        for item in items:
            self.feed(item)

    def feed(self, item: Item) -> None:
        """Consume one log item. After a restart (a second hello) the VM is
        running the image again: those lines are kept in the log only. Once
        the log is known not to be evidence, nothing more is interpreted."""
        self.tail.add(item_text(item))
        if self.not_evidence is not None:
            return
        if self.region is not None and not self.restarted:
            if isinstance(item, Text):
                self.region.take(item)
                return
            if not (isinstance(item, Record) and item.kind == "console-end"):
                # the guest writes no protocol line inside a region: what
                # arrived there was not the announced bytes
                self.region.interrupted = f"line {item.lineno} looks like a protocol line"
                self.region.own_line = isinstance(item, Record) and item.signed is not None and self.evidence.verify(item.signed.data, item.signed.mac)
                self.region = None
        if isinstance(item, Garbled):
            if item.signed is None:
                self.noise += 1  # line noise: it may have been a protocol line
            elif not self._bound(item.lineno, item.signed):
                return
            if self.restarted:
                return
            self.garbled += 1
            if len(self.garbled_samples) < GARBLED_SAMPLES:
                self.garbled_samples.append(f"line {item.lineno}: {item.reason}")
        elif isinstance(item, Record):
            if item.kind == "hello" and self.hello is None and not self._hello_nonce(item):
                return
            if item.signed is None or not self._bound(item.lineno, item.signed, restart=item.kind == "hello" and self.hello is not None):
                return
            self.verified_lines += 1
            if not self.restarted:
                self._record(item)
        elif isinstance(item, Text) and item.text.startswith(DISCOVERY_SAID) and self.hello is not None and self.discovery is None and not self.restarted:
            self.discovery_said = item.text[:MAX_SAID]  # what the binding's discovery call answered (shown, not evidence)

    # -- evidence ----------------------------------------------------------------

    def _reject(self, severity: str, message: str) -> None:
        """This log is not evidence of this boot (the first reason wins)."""
        if self.not_evidence is None:
            self.not_evidence = Problem(severity, message)

    def _hello_nonce(self, rec: Record) -> bool:
        """The first hello must carry the nonce this boot was given."""
        said = rec.fields.get("nonce", "-")
        if said == "-":
            self._reject(
                "fail",
                f"line {rec.lineno}: the image was given no nonce (hello says nonce=-): the VMM did not pass the guest "
                f"command line {'hcabi.nonce=' + self.evidence.nonce!r}, so nothing binds this log to this boot",
            )
            return False
        if said != self.evidence.nonce:
            self._reject("fail", f"replayed or forged serial log: hello carries nonce {said}, this boot was given {self.evidence.nonce}")
            return False
        return True

    def _bound(self, lineno: int, signed: Signed, restart: bool = False) -> bool:
        """Check one intact line's MAC and sequence number. A second hello
        (the VM restarted and runs the image again) starts again at 0."""
        if not self.evidence.verify(signed.data, signed.mac):
            self._reject("fail", f"line {lineno}: MAC does not match this boot's key (forged or from another run)")
            return False
        if restart and signed.seq == 0:
            self.next_seq, self.noise = 1, 0
            return True
        seq, want = signed.seq, self.next_seq
        after = f"after {want - 1}" if want else "as the first line"
        if seq > want:
            missing = seq - want
            if self.noise >= missing:
                self._reject(
                    "error",
                    f"line {lineno}: sequence {seq} {after}: the {missing} missing line(s) arrived garbled "
                    f"(a noisy serial line); nothing this boot reported can be relied on",
                )
            else:
                self._reject("fail", f"line {lineno}: sequence {seq} {after} (a line is missing)")
            return False
        if seq < want:
            self._reject("fail", f"line {lineno}: sequence {seq} {after} (a line is duplicated or out of order)")
            return False
        self.next_seq, self.noise = seq + 1, 0
        return True

    def _record(self, rec: Record) -> None:
        if not rec.known:
            if rec.kind not in self._unknown_kinds:
                self._unknown_kinds.add(rec.kind)
                self._warn(f"line {rec.lineno}: unknown protocol line type {rec.kind!r} ignored")
            return
        handler = getattr(self, "_on_" + rec.kind.replace("-", "_"))
        handler(rec)

    def _warn(self, message: str) -> None:
        self.problems.append(Problem("warning", message))

    def _error(self, message: str) -> None:
        self.problems.append(Problem("error", message))

    def _on_hello(self, rec: Record) -> None:
        if self.hello is not None:
            self.restarted = True
            return
        self.hello = rec
        if rec.fields["image"] != self.image.name:
            self._error(f"the booted image says it is {rec.fields['image']!r}, expected {self.image.name!r}")
        if rec.fields["protocol"] != PROTOCOL_VERSION:
            self._error(f"image speaks protocol {rec.fields['protocol']}, this runner speaks {PROTOCOL_VERSION}")

    def _on_discovery(self, rec: Record) -> None:
        f = rec.fields
        disc = Discovery(
            present=f["present"] == "1",
            spec=f.get("spec"),
            impl=f.get("impl"),
            implver=f.get("implver"),
            signature=f.get("signature"),
            base=f.get("base"),
            exts=parse_exts(f.get("exts", "")),
            said=None if f["present"] == "1" else self.discovery_said,
        )
        if disc.present and not disc.spec:
            self._error(f"line {rec.lineno}: discovery present=1 without spec=")
        if self.discovery is not None and self.discovery != disc:
            self._warn(f"line {rec.lineno}: a second, different discovery line")
            return
        self.discovery = disc

    def _on_test_begin(self, rec: Record) -> None:
        name = rec.fields["name"]
        if self.current is not None:
            self._close(self.current.name, "error", f"test-begin of {name} arrived before its test-end")
        reqs = [r for r in rec.fields.get("reqs", "").split(",") if r and r != "-"]
        if name in self.outcomes:
            # a log that says fail and then pass must not end as pass: the image
            # runs each test once, so a second report is a broken image or a forgery
            self._error(f"line {rec.lineno}: test {name} is reported a second time in one boot (first result: {self.outcomes[name].status})")
        spec = self.known.get(name)
        if spec is None or spec.image != self.image.name:
            self._error(f"line {rec.lineno}: image reported test {name}, which the tests manifest does not list for image {self.image.name}")
        elif set(reqs) != set(spec.requirements):
            self._error(
                f"line {rec.lineno}: test {name} cites {','.join(sorted(reqs)) or '-'} but the tests manifest says "
                f"{','.join(sorted(spec.requirements)) or '-'} (stale build?)"
            )
        self.current = _OpenTest(name, reqs, rec.lineno)

    def _on_check(self, rec: Record) -> None:
        if self.current is None:
            self._warn(f"line {rec.lineno}: check outside a test ignored")
            return
        req = rec.fields.get("req", "-")
        if rec.fields["result"] == "pass":
            if req != "-":
                self.current.passed.add(req)
        elif len(self.current.failed) < MAX_FAILED_CHECKS:
            self.current.failed.append({"req": req, "msg": rec.msg})

    def _on_expect(self, rec: Record) -> None:
        if self.current is None:
            self._warn(f"line {rec.lineno}: expect outside a test ignored")
            return
        self.current.expect = (rec.fields["event"], _parse_code(rec.fields.get("code")))
        self.current.end_reqs = [r for r in rec.fields.get("req", "").split(",") if r]
        self.current.code_req = rec.fields.get("code_req")

    def _on_test_end(self, rec: Record) -> None:
        name, verdict = rec.fields["name"], rec.fields["verdict"]
        self.verdicts.append(verdict)
        if self.current is None or self.current.name != name:
            self._error(f"line {rec.lineno}: test-end for {name} without its test-begin")
            return
        failed = self.current.failed
        status = verdict
        message = rec.msg
        if failed and verdict in ("pass", "skip"):
            status = "fail"
            message = f"test-end said {verdict} but {len(failed)} check(s) failed" + (f"; {rec.msg}" if rec.msg else "")
        needs = [n for n in rec.fields.get("needs", "").split(",") if n] if status == "skip" else []
        self._close(name, status, message, needs)

    def _on_console_expect(self, rec: Record) -> None:
        f = rec.fields
        if self.current is None:
            self._warn(f"line {rec.lineno}: console-expect outside a test ignored")
            return
        self.region = ConsoleRegion(
            self.current.name, f["label"], int(f["len"]), f["sha256"], f["how"], f["req"], rec.lineno, self.console_file is None
        )
        self.regions.append(self.region)

    def _on_console_end(self, rec: Record) -> None:
        region = self.region
        if region is None or region.label != rec.fields["label"]:
            self._warn(f"line {rec.lineno}: console-end label={rec.fields['label']} without its console-expect")
            return
        region.closed = True
        self.region = None

    def _judge_console(self) -> None:
        """Compare what reached the console with what each region announced;
        a mismatch is a failing check of the test that wrote it."""
        if not self.regions:
            return
        k = self.evidence.k
        if self.console_file is None:
            verdicts = [judge_serial(r, k) for r in self.regions]
        else:
            verdicts = judge_file(self.regions, k, self.console_file, self.evidence.serial_limit)
        for region, problem in zip(self.regions, verdicts):
            if problem is None:
                continue
            if problem.startswith("error: "):
                self._error(f"line {region.lineno}: {problem[7:]}")
                continue
            out = self.outcomes.get(region.test)
            if out is None:
                continue
            if len(out.failed) < MAX_FAILED_CHECKS:
                out.failed.append({"req": region.req, "msg": problem})
            if out.status in ("pass", "skip"):
                out.status = "fail"
                out.message = _clip(f"{out.message + '; ' if out.message else ''}runner check failed: [{region.req}] {problem}")

    def _on_suite_end(self, rec: Record) -> None:
        if self.current is not None:
            self._close(self.current.name, "error", "suite-end arrived before this test's test-end")
        self.suite_end = {k: int(rec.fields[k]) for k in ("pass", "fail", "skip", "error")}
        seen = {k: self.verdicts.count(k) for k in self.suite_end}
        if seen != self.suite_end:
            self._warn(f"suite-end counts {self.suite_end} differ from the test-end lines received {seen}")

    def _close(self, name: str, status: str, message: str, needs: Optional[list[str]] = None) -> None:
        """Record the current test's outcome with its check details."""
        cur = self.current
        failed = cur.failed if cur else []
        passed = sorted(cur.passed) if cur else []
        if failed:
            detail = "; ".join(f"[{c['req']}] {c['msg']}".strip() for c in failed[:5])
            message = f"{message} (failed checks: {detail})" if message else f"failed checks: {detail}"
        earlier = self.outcomes.get(name)
        if earlier is not None and SEVERITY.get(earlier.status, 0) > SEVERITY.get(status, 0):
            self.current = None  # reported twice (an error already): the worse result stays
            return
        self.outcomes[name] = _Outcome(status, _clip(message), list(failed), passed, list(needs or []))
        self.current = None

    # -- finishing -----------------------------------------------------------

    def boot_error(self, ending: Ending) -> Optional[str]:
        """Why the boot as a whole is unusable, if it is."""
        if ending.kind in ("host-error", "vmm-usage"):
            return f"the VMM failed: {ending.detail}"
        if self.hello is None:
            garbled = f", {self.garbled} garbled line(s), e.g. {self.garbled_samples[0]}" if self.garbled else ""
            return f"the image did not start: no hello line ({ending.detail}{garbled})"
        if self.hello.fields["image"] != self.image.name or self.hello.fields["protocol"] != PROTOCOL_VERSION:
            return "the booted image does not match the manifest (see the boot's problems)"
        return None

    def _finish_open(self, ending: Ending) -> None:
        """Settle a test that began and never ended."""
        cur = self.current
        if cur is None:
            return
        where = f"test-begin at line {cur.lineno} had no test-end"
        if cur.expect is not None:
            event, code = cur.expect
            ok, note = ending_satisfies(ending, event, code)
            want = event + ("" if code is None else f" code={code}")
            self._judge_ending(cur, ending, event, code, ok)
            if ok:
                if cur.failed:  # the end came as announced, but the test had already failed
                    self._close(cur.name, "fail", f"the VMM reported {want} as expected{note}, but {len(cur.failed)} check(s) failed before")
                else:
                    self._close(cur.name, "pass", f"the VMM reported {want} as expected{note}")
                return
            # Ending the VM some other orderly way is a wrong behaviour (fail);
            # a fault, signal, timeout or VMM error keeps its own status.
            orderly = ending.kind in ("exit", "shutdown", "reboot", "crash", "restart", "exited")
            status = "fail" if orderly else ending.lost_test_status()
            self._close(cur.name, status, f"expected the VM to end by {want}, but: {ending.detail}{note}. Log tail:\n{self.tail.render()}")
            return
        self._close(cur.name, ending.lost_test_status(), f"{ending.detail}; {where}. Log tail:\n{self.tail.render()}")

    @staticmethod
    def _judge_ending(cur: _OpenTest, ending: Ending, event: str, code: Optional[int], ok: bool) -> None:
        """The expect line's requirements as checks: the ending's (`req`) pass
        when the VM ended by `event`, the code's (`code_req`) when it also
        carried `code`; whichever did not hold fails, naming what was seen."""
        event_ok = ok or ending_satisfies(ending, event, None)[0]
        seen = f"{ending.kind}" + ("" if ending.code is None else f" code={ending.code:#x}")
        for rid in cur.end_reqs:
            if event_ok:
                cur.passed.add(rid)
            else:
                cur.failed.append({"req": rid, "msg": f"the VM was to end by {event}; the VMM reported {seen}: {ending.detail}"})
        if cur.code_req and code is not None:
            if ok and ending.code is not None:  # a target that reports no code shows nothing
                cur.passed.add(cur.code_req)
            elif event_ok:
                cur.failed.append({"req": cur.code_req, "msg": f"the VM ended by {event} with code {ending.code if ending.code is None else hex(ending.code)}, not {code & ((1 << 64) - 1):#x}"})

    def _missing(self, test: TestSpec, ending: Ending, error: Optional[str]) -> _Outcome:
        """Outcome of a selected test the image never started."""
        disc = self.discovery
        if error:
            return _Outcome("error", _clip(f"{error}. Log tail:\n{self.tail.render()}"))
        if disc is not None and not disc.present:
            return _Outcome("fail", "not run: HCABI is not present on this target")
        if disc is not None and disc.spec and Version.is_valid(disc.spec) and test.since > Version.parse(disc.spec):
            return _Outcome("fail", f"not run: the implementation claims HCABI {disc.spec}; this test needs {test.since}")
        if self.suite_end is not None:
            return _Outcome("error", "the image ended its suite (suite-end) without reporting this test (stale build?)")
        if self.restarted:
            return _Outcome("crash", _clip(f"not reached: the VM restarted. Log tail:\n{self.tail.render()}"))
        status = ending.lost_test_status()
        return _Outcome(status, _clip(f"not reached: {ending.detail}. Log tail:\n{self.tail.render()}"))

    def finish(self, ending: Ending, selected: list[TestSpec]) -> tuple[list[Problem], list[TestResult]]:
        """Close the boot: settle open and missing tests, return the boot's
        problems and a result for every selected test of this image."""
        if self.not_evidence is not None:
            return self._discard(selected)
        error = self.boot_error(ending)
        effective = Ending("restart", "the VM restarted (a second hello line)") if self.restarted else ending
        self._finish_open(effective)
        self._judge_console()
        if error:
            self._error(error)
            self.outcomes.clear()  # an unusable boot's results are not evidence
        elif self.discovery is None:
            self._error("the image sent no discovery line")
        if self.suite_end is not None and ending.kind == "timeout":
            self._warn("the VM did not end after suite-end (timed out)")
        if self.suite_end is not None and ending.kind in ("fault", "signal"):
            self.problems.append(Problem("fail", f"the VM crashed after suite-end: {ending.detail}"))
        if self.garbled:
            self._warn(f"{self.garbled} garbled line(s) ignored, e.g. {'; '.join(self.garbled_samples)}")
        results = []
        for test in selected:
            out = self.outcomes.get(test.name) or self._missing(test, effective, error)
            results.append(self._result(test, out))
        return self.problems, results

    def _discard(self, selected: list[TestSpec]) -> tuple[list[Problem], list[TestResult]]:
        """The log is not evidence of this boot: nothing it says counts."""
        assert self.not_evidence is not None
        why = self.not_evidence
        self.outcomes.clear()
        self.discovery = None  # an unverified claim is no claim
        self.suite_end = None
        self.problems = [p for p in self.problems if p.severity == "warning"] + [why]
        out = _Outcome(why.severity, _clip(f"not evidence of this boot: {why.message}"))
        return self.problems, [self._result(test, out) for test in selected]

    @staticmethod
    def _result(test: TestSpec, out: _Outcome) -> TestResult:
        return TestResult(
            test=test.name,
            image=test.image,
            extension=test.extension,
            since=str(test.since),
            requirements=list(test.requirements),
            raw_status=out.status,
            raw_message=out.message,
            failed_checks=out.failed,
            passed_reqs=out.passed,
            needs=out.needs,
        )


def interpret_boot(
    image: ImageSpec,
    serial: Path,
    ending: Ending,
    known: dict[str, TestSpec],
    selected: list[TestSpec],
    evidence: EvidenceContext,
    console: Optional[Path] = None,
) -> tuple[BootRecord, list[TestResult]]:
    """Read a boot's serial log (streamed, at most `evidence.serial_limit`
    bytes of it; it may be huge or absent), check that it is evidence of this
    boot, and produce its record and the results of `selected` (this image's
    tests). `record.evidence` gets nonce, serial_bytes, serial_limit,
    serial_capped, verified and lines; the runner adds the checksums.
    `console`: the file the VMM writes CONSOLE output to ({console} of
    --target cmd), when not the serial log."""
    interp = BootInterpreter(image, known, evidence)
    interp.console_file = console
    size = 0
    try:
        size = os.stat(serial).st_size
        with open(serial, "rb") as stream:
            interp.feed_all(read_items(stream, limit=evidence.serial_limit))
    except FileNotFoundError:
        interp.problems.append(Problem("warning", f"no serial log was written ({serial})"))
    except OSError as exc:
        interp.problems.append(Problem("error", f"cannot read serial log {serial}: {exc.strerror or exc}"))
    capped = size >= evidence.serial_limit
    if capped:
        # A conforming image writes far less than the cap: whatever flooded
        # the serial port, the tests it did not report are lost.
        severity = "warning" if interp.suite_end is not None else "fail"
        interp.problems.append(
            Problem(severity, f"the serial output reached the cap of {evidence.serial_limit} bytes (--serial-limit); the rest was not read")
        )
    problems, results = interp.finish(ending, selected)
    verified = interp.not_evidence is None and interp.hello is not None
    record = BootRecord(
        image=image.name,
        file=image.file,
        ending=ending,
        hello=interp.hello is not None and interp.not_evidence is None,
        discovery=interp.discovery,
        garbled=interp.garbled,
        problems=problems,
        suite_end=interp.suite_end,
        tail=interp.tail.render(),
        evidence={
            "nonce": evidence.nonce,
            "serial_bytes": min(size, evidence.serial_limit),
            "serial_limit": evidence.serial_limit,
            "serial_capped": capped,
            "verified": verified,
            "lines": interp.verified_lines if verified else 0,
        },
    )
    return record, results
