"""Shared fixtures: where the shared corpus and the committed test data live."""
from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# Kernels compile from their first call in the suite (the hot path is what most tests
# must exercise); tests/test_interpreted.py runs the kernel and corpus suites again with
# FASTPQ_KERNELS=python, and checks the default "auto" start-up behaviour.
os.environ.setdefault("FASTPQ_KERNELS", "jit")

# The suite gates every landing, so by default it is deterministic: each property test
# runs the same examples on every machine (derandomize). Exploration is a separate run:
#   FASTPQ_HYPOTHESIS_PROFILE=explore FASTPQ_HYPOTHESIS_EXAMPLES=2000 python -m pytest tests/dataset ...
# draws fresh random examples (and more of them where a test reads that variable);
# whatever it finds becomes a fix plus, where useful, an @example.
settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("FASTPQ_HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
TEST_DATA = ROOT / "test-data"
CORPUS = Path(os.environ.get("FASTPQ_CORPUS", ROOT.parent / "shared" / "corpus"))
PARQUET_TESTING = CORPUS / "parquet-testing" / "data"
BAD_DATA = CORPUS / "parquet-testing" / "bad_data"
FASTPARQUET_DATA = CORPUS / "fastparquet"

# Prefix of a `python -c` script that runs as if pyarrow were not installed.
WITHOUT_PYARROW = (
    "import sys\n"
    "class Block:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name == 'pyarrow' or name.startswith('pyarrow.'):\n"
    "            raise ImportError('pyarrow blocked')\n"
    "sys.meta_path.insert(0, Block())\n"
)

_DATA_SUFFIXES = (".csv", ".json", ".md", ".bin", ".txt", ".crc")


def corpus_files() -> list[Path]:
    """Every Parquet file under the shared corpus (empty when the corpus is absent)."""
    if not CORPUS.exists():
        return []
    return sorted(
        p for p in CORPUS.rglob("*")
        if p.is_file() and not p.name.endswith(_DATA_SUFFIXES) and not p.name.startswith(".")
    )


def committed_files() -> list[Path]:
    """The committed files in test-data/."""
    return sorted(TEST_DATA.rglob("*.parquet")) if TEST_DATA.exists() else []


def relative(path: Path) -> str:
    for base in (CORPUS, TEST_DATA):
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


needs_corpus = pytest.mark.skipif(not CORPUS.exists(), reason="shared corpus absent")


def _drop_stale_numba_cache() -> None:
    """numba's on-disk cache keys a kernel on its own file only: a kernel that calls into
    another module keeps stale machine code when that module changes. Before the tests
    run, drop every cached kernel if any kernel source changed since the cache was made."""
    import hashlib

    kernels = ROOT / "fastpq" / "kernels"
    digest = hashlib.sha256()
    for path in sorted(kernels.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    stamp = kernels / "__pycache__" / "fastpq-kernels.sha256"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    for cached in (ROOT / "fastpq").rglob("__pycache__/*.nb[ic]"):
        cached.unlink(missing_ok=True)
    stamp.parent.mkdir(exist_ok=True)
    stamp.write_text(digest.hexdigest())


_drop_stale_numba_cache()


def pytest_sessionfinish(session, exitstatus):
    """An all-interpreted run must not have compiled anything behind the tests' backs."""
    if os.environ.get("FASTPQ_KERNELS") == "python":
        import sys
        assert "numba" not in sys.modules, "FASTPQ_KERNELS=python, yet numba was loaded"
