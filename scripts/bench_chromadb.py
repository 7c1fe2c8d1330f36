#!/usr/bin/env python3
"""chromadb (in-process) on the dataset of scripts/make_vector_dataset.py, for bench-vectors.sh.

EphemeralClient, one collection with `hnsw:space` cosine (chromadb's defaults otherwise:
M 16, construction_ef 100, search_ef 100). Insert rate: batched `add` calls (`--batch`
vectors each), timed until the last returns and a query sees the last vector. Queries one
at a time, top-k: p50/p99 latency and recall@k against numpy's exact top-k (truth.i32).
"""
import argparse
import json
import sys
import time

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("--dims", type=int, default=384)
    p.add_argument("--k", type=int, default=10)
    p.add_argument("--batch", type=int, default=5_000)
    p.add_argument("--json")
    a = p.parse_args()
    import chromadb

    base = np.fromfile(f"{a.dir}/base.f32", dtype="<f4").reshape(-1, a.dims)
    queries = np.fromfile(f"{a.dir}/queries.f32", dtype="<f4").reshape(-1, a.dims)
    truth = np.fromfile(f"{a.dir}/truth.i32", dtype="<i4").reshape(-1, a.k)
    n = len(base)
    client = chromadb.EphemeralClient()
    col = client.create_collection("bench", metadata={"hnsw:space": "cosine"})
    batch = min(a.batch, client.get_max_batch_size())
    ids = [str(i) for i in range(n)]
    start = time.perf_counter()
    for s in range(0, n, batch):
        col.add(ids=ids[s : s + batch], embeddings=base[s : s + batch])
    added = time.perf_counter() - start
    last = col.query(query_embeddings=base[n - 1 : n], n_results=1)["ids"][0]
    searchable = time.perf_counter() - start
    print(
        f"chromadb {chromadb.__version__}  insert {n / added:9.0f}/s (batches of {batch}; {added:.1f} s); "
        f"last vector found by a query: {last == [str(n - 1)]}, {searchable:.1f} s after the first add",
        file=sys.stderr,
    )
    times, hits = [], 0
    for qi, q in enumerate(queries):
        t0 = time.perf_counter()
        r = col.query(query_embeddings=q[None, :], n_results=a.k, include=["distances"])
        times.append(time.perf_counter() - t0)
        want = set(truth[qi].tolist())
        hits += sum(1 for i in r["ids"][0] if int(i) in want)
    times.sort()
    pct = lambda f: times[min(len(times) - 1, max(0, int(np.ceil(len(times) * f)) - 1))] * 1e3
    recall = hits / (a.k * len(queries))
    print(f"chromadb  query p50 {pct(0.5):7.3f} ms  p99 {pct(0.99):7.3f} ms   recall@{a.k} {recall:.4f}", file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(
                {"version": chromadb.__version__, "insert_per_s": n / added, "searchable_s": searchable,
                 "p50_ms": pct(0.5), "p99_ms": pct(0.99), "recall": recall, "batch": batch},
                f,
            )


if __name__ == "__main__":
    main()
