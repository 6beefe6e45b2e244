"""QEMU monitor text in a VMM's output (hcabi_conform.monitor_noise): the
`-nographic` pitfall of --target cmd is named in one line, and clean output
is left alone."""

from __future__ import annotations

import io
from pathlib import Path

from hcabi_conform.model import BootRecord, Ending
from hcabi_conform.monitor_noise import monitor_text, monitor_warning, warn_monitor_noise

BANNER = b"QEMU 7.2.22 monitor - type 'help' for more information\r\n(qemu) "
CLEAN_SERIAL = b"HCABI conformance image base: 11 test(s)\n@hcabi 0 hello image=base protocol=2 nonce=- ~0 #0\n"


def boot(tmp_path: Path, name: str, serial: bytes, stderr: bytes) -> BootRecord:
    logs = {}
    for kind, data in (("serial", serial), ("stderr", stderr)):
        path = tmp_path / f"{name}.{kind}"
        path.write_bytes(data)
        logs[kind] = str(path)
    return BootRecord(name, f"hcabi-conf-{name}.elf", Ending("exited", "the VMM exited with status 1", status=1), logs=logs)


def test_banner_on_the_vmm_stdout_is_named_with_the_fix(tmp_path: Path) -> None:
    boots = [boot(tmp_path, "base", CLEAN_SERIAL, BANNER), boot(tmp_path, "time", CLEAN_SERIAL, BANNER)]
    line = monitor_warning(boots)
    assert line is not None and "\n" not in line
    assert "QEMU 7.2.22 monitor" in line
    assert "of base and 1 other boot(s)" in line
    assert str(tmp_path / "base.stderr") in line
    assert "-monitor none" in line and "not -nographic" in line


def test_prompt_inside_the_serial_stream_is_found(tmp_path: Path) -> None:
    # -nographic alone multiplexes the monitor into the serial stream
    serial = CLEAN_SERIAL + b"(qemu) info status\r\nVM status: running\r\n"
    record = boot(tmp_path, "base", serial, b"")
    assert monitor_text(Path(record.logs["serial"])) == "(qemu)"
    line = monitor_warning([record])
    assert line is not None and "'(qemu)'" in line and str(tmp_path / "base.serial") in line


def test_clean_output_and_guest_text_mentioning_qemu_are_not_noise(tmp_path: Path) -> None:
    serial = CLEAN_SERIAL + b"no HCABI signature in CPUID (QEMU's TCG?)\nnot (qemu) at the start of a line\n"
    stderr = b"qemu-system-x86_64: terminating on signal 15 from pid 7\n"
    assert monitor_warning([boot(tmp_path, "base", serial, stderr)]) is None
    out = io.StringIO()
    warn_monitor_noise([boot(tmp_path, "base", serial, stderr)], out)
    assert out.getvalue() == ""


def test_missing_logs_are_not_noise(tmp_path: Path) -> None:
    record = BootRecord("base", "hcabi-conf-base.elf", Ending("exited", "x", status=1), logs={"serial": str(tmp_path / "gone")})
    assert monitor_warning([record]) is None


def test_the_hook_prints_one_prefixed_line(tmp_path: Path) -> None:
    out = io.StringIO()
    warn_monitor_noise([boot(tmp_path, "base", CLEAN_SERIAL, BANNER)], out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hcabi-conform: warning: QEMU monitor output")
