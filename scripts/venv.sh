# Sourced by scripts/test.sh and scripts/build_artifacts.sh: the project's
# one Python virtual environment (.venv), created or refreshed when the pins
# of scripts/requirements-test.txt or scripts/upstreams/requirements.txt change.
ensure_venv() {
  local want
  want=$(cat scripts/requirements-test.txt scripts/upstreams/requirements.txt | sha256sum | cut -d' ' -f1)
  if [ ! -x .venv/bin/python ] || [ "$(cat .venv/.requirements.sha 2>/dev/null)" != "$want" ]; then
    python3 -m venv .venv
    .venv/bin/pip install --quiet --upgrade pip
    .venv/bin/pip install --quiet -r scripts/requirements-test.txt -r scripts/upstreams/requirements.txt
    echo "$want" >.venv/.requirements.sha
  fi
}
