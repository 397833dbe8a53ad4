# Shared settings for the .ci scripts (sourced, not run).
# Builds go to a target dir outside the clone so that a fresh clone (CI) reuses earlier builds.
export CARGO_TARGET_DIR="${PRUNELAB_TARGET_DIR:-$HOME/.cache/prunelab/target}"
export PRUNELAB_TOOLS="${PRUNELAB_TOOLS:-$HOME/.cache/prunelab/tools}"
export PATH="$PRUNELAB_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
step() { printf '\n==> %s\n' "$*"; }
