"""pandas' own Parquet tests against fastpq (../shared/pandas-suite/run.sh), as a CI gate.

Fails when a test that passes with pandas' real engines fails (or errors) with fastpq and is not
listed in .ci/pandas-suite-known.txt; tests listed there that pass now are reported, so the list
only shrinks. Skips (with a message) where the suite is not beside the checkout.
usage: python .ci/pandas_suite.py [PYTHON]
"""
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
SUITE = ROOT.parent / "shared" / "pandas-suite" / "run.sh"
KNOWN = ROOT / ".ci" / "pandas-suite-known.txt"


def main() -> int:
    python = sys.argv[1] if len(sys.argv) > 1 else str(ROOT / ".venv" / "bin" / "python")
    if not SUITE.exists():
        print(f"pandas suite: {SUITE} not found, skipped")
        return 0
    proc = subprocess.run(["bash", str(SUITE), python], cwd=ROOT, capture_output=True, text=True, timeout=3600)
    print(proc.stdout[-20000:], proc.stderr[-5000:], sep="\n")
    broken = set()
    for line in proc.stdout.splitlines():
        m = re.match(r"\[(\w+)\] (\S+): \w+ -> (failed|error)\b", line)
        if m:
            broken.add(f"[{m.group(1)}] {m.group(2)}")
    known = {line.split("  #")[0].strip() for line in KNOWN.read_text().splitlines()
             if line.strip() and not line.startswith("#")}
    new = sorted(broken - known)
    fixed = sorted(known - broken)
    for name in fixed:
        print(f"pandas suite: now passes, remove from {KNOWN.name}: {name}")
    for name in new:
        print(f"pandas suite: NEW FAILURE (not in {KNOWN.name}): {name}")
    if "pandas suite:" not in proc.stdout:
        print("pandas suite: the run did not finish")
        return 1
    print(f"pandas suite: {len(broken)} known differences, {len(new)} new")
    return 1 if new else 0


if __name__ == "__main__":
    sys.exit(main())
