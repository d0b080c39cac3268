"""Time load_mnist(): first load (parse the .gz files, check them, write the cache)
and cached load, with an empty temporary cache folder. Prints JSON.
Needs ZERODL_DATA_DIR (the benchmarks never download). Run by tools/bench/run.py.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time


def main():
    if not os.environ.get("ZERODL_DATA_DIR"):
        print(json.dumps({"skipped": "ZERODL_DATA_DIR is not set (the benchmark never downloads MNIST)"}))
        return
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ZERODL_CACHE_DIR"] = cache
        from zerodl.datasets.mnist import load_mnist

        t0 = time.perf_counter()
        load_mnist()
        first = time.perf_counter() - t0
        cached = []
        for _ in range(5):
            t0 = time.perf_counter()
            load_mnist()
            cached.append(time.perf_counter() - t0)
        raw = []
        for _ in range(5):
            t0 = time.perf_counter()
            load_mnist(normalize=False)
            raw.append(time.perf_counter() - t0)
    print(json.dumps({
        "first_s": first,
        "cached_s": statistics.median(cached),
        "cached_uint8_s": statistics.median(raw),
    }))


if __name__ == "__main__":
    sys.exit(main())
