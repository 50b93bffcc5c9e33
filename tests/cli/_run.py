"""Running the command line in a child process, as users run it."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

SCRIPT = Path(sys.executable).with_name("fastpq")  # the console script pip installed next to python


def run(*args, stdin: str | None = None, module: bool = False, cwd=None, timeout: float = 120):
    """``fastpq ARGS`` (the console script, or ``python -m fastpq`` with ``module``): CompletedProcess
    with text stdout / stderr."""
    if not module and not SCRIPT.exists():
        module = True  # not installed as a script (a bare checkout): the module is the same program
    cmd = [sys.executable, "-m", "fastpq"] if module else [str(SCRIPT)]
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run(cmd + [str(a) for a in args], input=stdin, capture_output=True, text=True,
                          cwd=cwd or ROOT, env=env, timeout=timeout)


def error_line(proc) -> str:
    """The one ``fastpq: error: ...`` line of a failed command (asserts there is exactly that)."""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastpq: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    return lines[0]
