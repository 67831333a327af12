#!/usr/bin/env bash
# Install the local BigQuery emulator (bqemulator) into its own virtualenv.
#
#   tools/bqemulator/install.sh            # from anywhere; `make test` runs it
#   PYTHON=python3.11 tools/bqemulator/install.sh
#
# Why a separate venv: bqemulator pins DuckDB 1.5.x, the project uses its own DuckDB.
# Result: <repo>/.venv-bqemu/bin/bqemulator, used by tests/support/bqemu.py.
#
# Offline start-up: at start the emulator runs `INSTALL spatial; LOAD spatial` and aborts
# ("IO Error: Failed to download extension "spatial" at URL http://extensions.duckdb.org/...")
# if DuckDB cannot download the extension. We install the extension from the
# duckdb-extension-spatial wheel (its version must equal DuckDB's) with
# `INSTALL '<path>/spatial.duckdb_extension'`, which copies it into DuckDB's per-user
# extension directory, ${HOME}/.duckdb/extensions/v1.5.5/<platform>/ (so it is per HOME:
# a different user or HOME re-runs this step). The emulator is then started with
# BQEMU_ENABLE_FORMAT_EXTENSIONS=false (skips an avro download) by tests/support/bqemu.py.
#
# Idempotent: a stamp file records the install spec, and the extension file is checked;
# a second run is a fast no-op. BQEMU_FORCE_REINSTALL=1 rebuilds the venv from scratch.
set -euo pipefail

BQEMU_VERSION="1.4.0"
DUCKDB_VERSION="1.5.5"
PACKAGES=(
    "bqemulator==${BQEMU_VERSION}"
    "numpy"           # imported by bqemulator but not declared
    "testcontainers"  # needed by bqemulator's [testing] extra / pytest plugin
    "duckdb==${DUCKDB_VERSION}"
    "duckdb-extension-spatial==${DUCKDB_VERSION}"
)

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${SCRIPT_DIR}/../.." && pwd)"
VENV="${REPO_ROOT}/.venv-bqemu"
STAMP="${VENV}/.bqemu-installed"
PYTHON_BIN="${PYTHON:-python3}"
SPEC="v1 ${PACKAGES[*]}"

extension_installed() {
    compgen -G "${HOME}/.duckdb/extensions/v${DUCKDB_VERSION}/*/spatial.duckdb_extension" \
        > /dev/null
}

start=${SECONDS}
if [[ "${BQEMU_FORCE_REINSTALL:-0}" == "1" ]]; then
    rm -rf "${VENV}"
fi

if [[ -f "${STAMP}" && -x "${VENV}/bin/bqemulator" && "$(cat "${STAMP}")" == "${SPEC}" ]]; then
    if extension_installed; then
        echo "bqemulator: already installed in ${VENV} (delete ${STAMP} to reinstall)"
        exit 0
    fi
else
    rm -f "${STAMP}"
    if [[ ! -x "${VENV}/bin/python" ]]; then
        echo "bqemulator: creating ${VENV} with ${PYTHON_BIN}"
        "${PYTHON_BIN}" -m venv "${VENV}"
    fi
    echo "bqemulator: installing ${PACKAGES[*]}"
    if "${VENV}/bin/python" -m pip install --quiet uv; then
        "${VENV}/bin/uv" pip install --quiet --python "${VENV}/bin/python" "${PACKAGES[@]}"
    else
        echo "bqemulator: could not install uv, falling back to pip" >&2
        "${VENV}/bin/python" -m pip install --quiet "${PACKAGES[@]}"
    fi
fi
VPY="${VENV}/bin/python"

# Install the spatial extension from the wheel into DuckDB's local extension directory
# (~/.duckdb/extensions/<duckdb version>/<platform>/), so `INSTALL spatial` needs no network.
"${VPY}" - <<'PY'
import glob
import os

import duckdb
import duckdb_extension_spatial

pkg_dir = os.path.dirname(duckdb_extension_spatial.__file__)
version = "v" + duckdb.__version__
candidates = sorted(glob.glob(os.path.join(pkg_dir, "extensions", "*", "spatial.duckdb_extension")))
if not candidates:
    raise SystemExit(f"bqemulator: no spatial.duckdb_extension under {pkg_dir}/extensions")
exact = [c for c in candidates if os.path.basename(os.path.dirname(c)) == version]
path = (exact or candidates)[-1]
con = duckdb.connect()
con.execute(f"INSTALL '{path}'")
con.execute("LOAD spatial")
print(f"bqemulator: installed DuckDB {duckdb.__version__} spatial extension from {path}")
PY

echo "${SPEC}" > "${STAMP}"
echo "bqemulator: ready in $((SECONDS - start)) s: ${VENV}/bin/bqemulator"
