"""Import time of tk_lessons over `import torch` (target: at most 0.3 s).

    python benchmarks/import_time.py

Each measurement is a fresh interpreter; the script prints the median of several runs of
`import torch` and of `import torch; import tk_lessons`, and their difference.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

RUNS = 7
TIMER = "import time; t = time.perf_counter(); {stmt}; print(time.perf_counter() - t)"


def median_seconds(stmt: str) -> float:
    samples = []
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", TIMER.format(stmt=stmt)], capture_output=True, text=True,
                             check=True)
        samples.append(float(out.stdout.strip()))
    return statistics.median(samples)


def main() -> None:
    base = median_seconds("import torch")
    both = median_seconds("import torch; import tk_lessons")
    full = median_seconds("import torch; import tk_lessons as tk; tk.operators")
    print(f"import torch                       {base:7.3f} s (median of {RUNS})")
    print(f"import torch, tk_lessons           {both:7.3f} s   -> tk_lessons adds {both - base:+.3f} s (target <= 0.3)")
    print(f"... and first use of tk.operators  {full:7.3f} s   -> adds {full - base:+.3f} s")


if __name__ == "__main__":
    main()
