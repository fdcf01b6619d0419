#!/usr/bin/env bash
# What a reader on Colab or Binder does: a fresh virtual environment with only
#     pip install ".[notebooks]" ipykernel
# then every notebook run top to bottom in a kernel of that environment. A notebook that imports
# anything the extra does not install (myst_nb, pytest, ...) or raises anywhere fails the job.
#
#     bash .ci/fresh_venv.sh                   # every notebook git knows (committed or new)
#     bash .ci/fresh_venv.sh path/to/nb.ipynb  # only these
#
# The venv has no --system-site-packages, so it sees none of this machine's packages; the
# package is installed from a copy of the working tree (not editable), and each notebook runs
# in an empty directory, as on Colab, so nothing is imported or read from the repository.
# nbclient (from the outer environment) only drives the kernel, which is the venv's Python.
# Outputs are not compared (versions float here, as on Colab); nbval does that in pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unset PYTHONPATH PYTHONHOME PYTHONSTARTUP

if [ "$#" -gt 0 ]; then
    notebooks=("$@")
else
    mapfile -t notebooks < <(git ls-files --cached --others --exclude-standard -- '*.ipynb' | sort)
fi
[ "${#notebooks[@]}" -gt 0 ] || { echo "fresh_venv: no notebooks to run" >&2; exit 2; }
for nb in "${notebooks[@]}"; do
    [ -f "$nb" ] || { echo "fresh_venv: $nb: no such notebook" >&2; exit 2; }
done

start=$SECONDS
echo "== fresh venv: pip install \".[notebooks]\" ipykernel =="
mkdir "$work/src"
tar -C "$root" --exclude=./.git --exclude=./.venv --exclude=./_build --exclude='*.egg-info' \
    --exclude=./build --exclude=__pycache__ -cf - . | tar -C "$work/src" -xf -
python -m venv "$work/venv"
py=$work/venv/bin/python
"$py" -m pip install --quiet "$work/src[notebooks]" ipykernel
installed=$SECONDS
echo "installed in $((installed - start)) s: $(du -sh "$work/venv" | cut -f1)," \
     "$("$py" -m pip list --format=freeze | wc -l) packages"
# The guard that makes the job mean something: the venv must not see the authors' toolchain,
# and lamassu_course must come from the venv, not from the working tree.
(cd "$work" && "$py" - <<'EOF'
import importlib.util, sys
import lamassu_course
seen = [m for m in ("myst_nb", "sphinx", "pytest", "nbval", "jupyter_book")
        if importlib.util.find_spec(m) is not None]
assert not seen, f"the fresh venv sees {seen}: it is not isolated"
assert lamassu_course.__file__.startswith(sys.prefix), lamassu_course.__file__
print(f"venv {sys.prefix}: Python {sys.version.split()[0]}, lamassu_course "
      f"{lamassu_course.__version__}, no myst_nb/sphinx/pytest/nbval")
EOF
)
"$py" -m ipykernel install --sys-prefix --name fresh-venv >/dev/null

echo "== every notebook, top to bottom, in the fresh venv's kernel =="
JUPYTER_PATH=$work/venv/share/jupyter python - "$work/cwd" "${notebooks[@]}" <<'EOF'
import sys, time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from traitlets.config import Config

# CurveZMQ between nbclient and the kernel (the kernelspec declares support): without it
# ipykernel warns "Kernel is running over TCP without encryption".
config = Config({"KernelManager": {"transport_encryption": "auto"}})
cwd, paths, failed = Path(sys.argv[1]), sys.argv[2:], []
for number, path in enumerate(paths):
    run_dir = cwd / f"{number:03d}"
    run_dir.mkdir(parents=True)   # empty: the notebook finds only what the package brings
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, kernel_name="fresh-venv", timeout=600, allow_errors=False,
                            resources={"metadata": {"path": str(run_dir)}}, config=config)
    start = time.perf_counter()
    try:
        client.execute()
    except CellExecutionError as error:
        failed.append(path)
        print(f"FAILED {path}:\n{error}", flush=True)
        continue
    print(f"ok {path}: {time.perf_counter() - start:.1f} s", flush=True)
if failed:
    sys.exit(f"fresh_venv: {len(failed)} of {len(paths)} notebooks failed: {', '.join(failed)}")
EOF
echo "fresh_venv: install $((installed - start)) s, notebooks $((SECONDS - installed)) s," \
     "${#notebooks[@]} notebooks ran without error"
