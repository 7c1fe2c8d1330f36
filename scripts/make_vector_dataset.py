#!/usr/bin/env python3
"""One seeded dataset for scripts/bench-vectors.sh: base.f32, queries.f32, truth.i32 in DIR.

Sentence-embedding-like data: a Gaussian mixture of `--clusters` topics in `--dims`
dimensions. Centres are random directions; the spread around each centre is anisotropic
with a power-law spectrum (variance of the i-th principal direction ∝ 1/(i+1), in a random
rotation), as real embedding sets have few dominant directions. Cluster sizes are uneven
(Zipf-like weights). Every vector is normalised to unit length. Queries are fresh draws from
the same mixture (not copies of base vectors). truth.i32 holds, per query, the row numbers of
the exact top-k by cosine similarity (numpy brute force), best first.

All files are raw little-endian: float32 rows of `dims`, int32 rows of k.
"""
import argparse
import os
import sys

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--count", type=int, default=100_000)
    p.add_argument("--queries", type=int, default=1_000)
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--clusters", type=int, default=500)
    p.add_argument("--spread", type=float, default=0.9, help="noise norm relative to the unit centre")
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--seed", type=int, default=42)
    a = p.parse_args()
    rng = np.random.default_rng(a.seed)
    d = a.dims
    centres = rng.standard_normal((a.clusters, d)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
    spectrum = 1.0 / np.arange(1, d + 1)
    scale = (np.sqrt(spectrum / spectrum.sum()) * a.spread).astype(np.float32)  # E|noise|² = spread²
    basis = (rotation * scale[None, :]).T.astype(np.float32)  # row i: i-th direction × its std
    weights = 1.0 / np.arange(1, a.clusters + 1) ** 0.5
    weights /= weights.sum()

    def draw(n: int) -> np.ndarray:
        labels = rng.choice(a.clusters, size=n, p=weights)
        out = np.empty((n, d), dtype=np.float32)
        for start in range(0, n, 10_000):
            end = min(n, start + 10_000)
            noise = rng.standard_normal((end - start, d)).astype(np.float32) @ basis
            out[start:end] = centres[labels[start:end]] + noise
        out /= np.linalg.norm(out, axis=1, keepdims=True)
        return out

    base = draw(a.count)
    queries = draw(a.queries)
    truth = np.empty((a.queries, a.k), dtype=np.int32)
    for start in range(0, a.queries, 100):
        sims = queries[start : start + 100] @ base.T
        top = np.argpartition(-sims, a.k, axis=1)[:, : a.k]
        order = np.argsort(-np.take_along_axis(sims, top, axis=1), axis=1)
        truth[start : start + 100] = np.take_along_axis(top, order, axis=1)
    os.makedirs(a.dir, exist_ok=True)
    base.astype("<f4").tofile(os.path.join(a.dir, "base.f32"))
    queries.astype("<f4").tofile(os.path.join(a.dir, "queries.f32"))
    truth.astype("<i4").tofile(os.path.join(a.dir, "truth.i32"))
    nn = (queries @ base[truth[:, 0]].T).diagonal()
    print(
        f"dataset: {a.count} x {d}-d, {a.queries} queries, {a.clusters} clusters, spread {a.spread}, seed {a.seed}; "
        f"mean cosine of a query to its nearest neighbour {nn.mean():.3f}, to its 10th "
        f"{(queries * base[truth[:, -1]]).sum(axis=1).mean():.3f}",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
