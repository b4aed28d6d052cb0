"""What the CLI's error path must look like (issue 13), for the tests that provoke one."""

from __future__ import annotations

import pytest

from outcomes.cli import BAD_INPUT


def one_line_error(capsys: pytest.CaptureFixture[str], code: int) -> str:
    """The error the CLI just printed: exit ``BAD_INPUT``, one ``error: ...`` line, no traceback."""
    err = capsys.readouterr().err.strip()
    assert code == BAD_INPUT, err
    assert len(err.splitlines()) == 1 and err.startswith("error: "), err
    assert "Traceback" not in err
    return err
