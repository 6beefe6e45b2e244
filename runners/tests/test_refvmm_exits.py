"""refvmm's exit statuses come from the file refvmm compiles in."""

from __future__ import annotations

import pytest

from hcabi_conform.errors import EnvError
from hcabi_conform.layout import current
from hcabi_conform.refvmm_exits import parse_exit_statuses, refvmm_exit_events


def test_the_definition_refvmm_compiles_is_read() -> None:
    assert current().exit_statuses.is_file()
    assert refvmm_exit_events() == {0: "shutdown", 2: "vmm-usage", 4: "host-error", 6: "fault", 8: "timeout", 10: "reboot", 12: "crash"}


def test_comments_and_blank_lines_are_skipped() -> None:
    text = '/* a\n * comment\n */\n\nHCABI__EXIT_STATUS(X, 14, "crash", "a (b) c")\n'
    assert parse_exit_statuses(text, "f.def") == {14: "crash"}


@pytest.mark.parametrize(
    "text, message",
    [
        ('HCABI__EXIT_STATUS(X, 1, "crash")\n', "f.def:1: not an entry"),
        ('HCABI__EXIT_STATUS(X, 2, "crash", "a")\nHCABI__EXIT_STATUS(Y, 2, "fault", "b")\n', "f.def:2: status 2 is defined twice"),
        ("/* only a comment */\n", "f.def: defines no exit status"),
    ],
)
def test_a_bad_definition_is_one_error_naming_the_line(text: str, message: str) -> None:
    with pytest.raises(EnvError) as e:
        parse_exit_statuses(text, "f.def")
    assert str(e.value).startswith(message)
