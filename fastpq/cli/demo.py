"""``fastpq demo``: write a DataFrame, append to it, read it back, show the file."""
from __future__ import annotations

import os


def _demo(args) -> None:
    """Write a DataFrame, append to it in place, read it back, show what is in the file."""
    import tempfile

    import numpy as np
    import pandas as pd

    import fastpq
    from .text import print_meta

    rng = np.random.default_rng(7)
    n = 1000
    df = pd.DataFrame({
        "id": np.arange(n),
        "city": pd.Categorical(rng.choice(["Lisbon", "Oslo", "Quito", "Accra"], n)),
        "temp_c": rng.normal(15, 8, n).round(1),
        "at": pd.date_range("2026-01-01", periods=n, freq="h", tz="UTC"),
        "ok": rng.random(n) > 0.1,
        "note": [f"note {i}" if i % 7 == 0 else None for i in range(n)],
    })
    more = df.iloc[:500].assign(id=df.id[:500] + n, at=df["at"][:500] + pd.Timedelta(hours=n))
    folder = tempfile.mkdtemp(prefix="fastpq-demo-")
    path = os.path.join(folder, "weather.parquet")
    try:
        fastpq.write(path, df, compression="zstd")
        print(f"fastpq.write(path, df)               {len(df):,} rows -> {path} ({os.path.getsize(path):,} bytes)")
        fastpq.write(path, more, compression="zstd", append=True)
        print(f"fastpq.write(path, more, append=True) {len(more):,} rows appended in place, crash-safely")
        back = fastpq.read_parquet(path)
        pd.testing.assert_frame_equal(back, pd.concat([df, more], ignore_index=True))
        print(f"fastpq.read_parquet(path)            {len(back):,} rows, equal to the two frames concatenated\n")
        with pd.option_context("display.width", 120):
            print(back.head().to_string(), "\n")
        print(f"$ fastpq schema {path}\n{fastpq.ParquetFile(path).schema}\n")
        print(f"$ fastpq meta {path}")
        print_meta(fastpq.ParquetFile(path))
        print(f"\ndtypes: {', '.join(f'{k}: {v}' for k, v in back.dtypes.astype(str).items())}")
    finally:
        if args.keep:
            print(f"\nkept {path}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)

