#!/usr/bin/env bash
# The one entry point on a fresh machine with only Python 3.11: installs uv if it is missing,
# builds the locked environment on first use, then runs the demo, the tests or any qap command.
#   ./go demo          the weekly Prefect flow on the sample week (temporary local server)
#   ./go demo-engine   the same two weeks on the engine alone (no Prefect), in seconds
#   ./go test          ruff, then the whole test suite
#   ./go run ...       any `qap` command (./go --help lists them)
# It works from any folder: paths on the command line, and the defaults (qap-data, qap-demo,
# qap-flow-demo), are the caller's, relative to the folder it is called from; only `test`
# runs inside the checkout.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"

USER_UV="${PYTHONUSERBASE:-$HOME/.local}/bin/uv"  # where `pip install --user uv` puts it
if command -v uv >/dev/null 2>&1; then
  UV=(uv)
elif [ -x "$USER_UV" ]; then  # the binary `python3 -m uv` runs, without starting Python (0.1 s)
  UV=("$USER_UV")
elif python3 -m uv --version >/dev/null 2>&1; then
  UV=(python3 -m uv)
else
  echo "go: installing uv for this user (python3 -m pip install --user uv)" >&2
  python3 -m pip install --quiet --user uv 2>/dev/null \
    || python3 -m pip install --quiet uv 2>/dev/null \
    || python3 -m pip install --quiet --user --break-system-packages uv
  UV=(python3 -m uv)
fi

# Set-up, once per lock file: sync the environment with its bytecode compiled, and compile the
# project's packages, so that no start of `qap` compiles polars, prefect... (a start without
# bytecode takes seconds; issue 20). Only when the lock changes: `uv run --compile-bytecode`
# would walk the whole environment again on every call (0.5-0.9 s).
VENV="${UV_PROJECT_ENVIRONMENT:-.venv}"  # uv reads a relative one from the project root
[[ "$VENV" = /* ]] || VENV="$HERE/$VENV"
LOCK="$(cksum <"$HERE/uv.lock")"
if [ "$(cat "$VENV/.qap-compiled" 2>/dev/null)" != "$LOCK" ] \
   && { [ ! -e "$VENV" ] || [ -w "$VENV" ]; }; then  # another user's environment: as it is
  "${UV[@]}" sync --frozen --inexact --compile-bytecode --project "$HERE"
  # (a file that does not compile is said when it is imported, not here)
  "${UV[@]}" run --frozen --no-sync --project "$HERE" python -m compileall -q \
    "$HERE/pipelines" "$HERE/layouts" "$HERE/validators" >/dev/null || true
  echo "$LOCK" 2>/dev/null >"$VENV/.qap-compiled" || true
fi

RUN=("${UV[@]}" run --frozen --project "$HERE")  # the checkout's environment, the caller's folder
case "${1:-}" in
  demo) shift; exec "${RUN[@]}" qap flow demo "$@" ;;
  demo-engine) shift; exec "${RUN[@]}" qap demo "$@" ;;
  test)
    shift
    cd "$HERE"
    "${RUN[@]}" ruff check .
    exec "${RUN[@]}" pytest "$@" ;;
  *) exec "${RUN[@]}" qap "$@" ;;
esac
