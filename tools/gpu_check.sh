#!/usr/bin/env bash
# The one prepared GPU check, for a session that is lent a GPU machine: CUDA parity tests, then
# the benchmarks on the GPU. Run it from the repository root after the README's install
# (which takes the CUDA build of torch when the torch==2.13.0 pin is dropped on that machine):
#     bash tools/gpu_check.sh > "$OUT/gpu_check.txt" 2>&1
set -uo pipefail
python -c "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print(torch.__version__, torch.cuda.get_device_name(0))" || exit 1
python -m pytest -m cuda -q -p no:cacheprovider tests
for script in operators solvers attacks; do
  echo "== benchmarks/$script.py (cuda)"
  python "benchmarks/$script.py" --device cuda $( [ "$script" != attacks ] && echo --quick )
done
echo "== benchmarks/networks.py (cuda)"
python benchmarks/networks.py --device cuda --repeats 10
