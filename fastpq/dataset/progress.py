"""Optional progress bars (tqdm) for reads and writes over many files or row groups.

Off by default; ``progress=True`` shows one, ``progress=<dict>`` passes options
to ``tqdm.tqdm``. tqdm is an optional dependency (``pip install fastpq[progress]``).
"""
from __future__ import annotations


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def bar(progress, total: int, desc: str):
    """A tqdm bar when ``progress`` asks for one (and there is more than one step), else a no-op."""
    if not progress or total <= 1:
        return _NoBar()
    try:
        from tqdm.auto import tqdm
    except ImportError:
        raise ImportError("progress=True needs tqdm: pip install 'fastpq[progress]' (or pip install tqdm)") from None
    options = dict(total=total, desc=desc, unit="file" if "file" in desc else "it", leave=False)
    if isinstance(progress, dict):
        options.update(progress)
    return tqdm(**options)
