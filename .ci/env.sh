# Shared settings for the .ci scripts (sourced, not run).
# Builds go to a target dir outside the clone so that a fresh clone (CI) reuses earlier builds.
export CARGO_TARGET_DIR="${PRUNELAB_TARGET_DIR:-$HOME/.cache/prunelab/target}"
export PRUNELAB_TOOLS="${PRUNELAB_TOOLS:-$HOME/.cache/prunelab/tools}"
export PATH="$PRUNELAB_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
export CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
export FIREFOX="${FIREFOX:-/usr/bin/firefox-esr}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export ROOT
step() { printf '\n==> %s\n' "$*"; }

# Runs a step and prints its wall time (and records it in the file STEP_TIMES names, when set).
timed() { # title command...
  local title=$1 started=$SECONDS line; shift
  step "$title"
  "$@"
  line="$(printf '%5d s  %s' $((SECONDS - started)) "$title")"
  [[ -z "${STEP_TIMES:-}" ]] || echo "$line" >> "$STEP_TIMES"
  printf '    (%d s)\n' $((SECONDS - started))
}

# Builds with clippy's driver as this crate's compiler, lints denied: what `cargo clippy -- -D warnings`
# runs, inside the build that compiles the crate anyway (dependencies are compiled by plain rustc).
linted() {
  RUSTC_WORKSPACE_WRAPPER="$(rustup which clippy-driver)" CLIPPY_ARGS="-D__CLIPPY_HACKERY__warnings__CLIPPY_HACKERY__" "$@"
}
