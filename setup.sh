#!/usr/bin/env bash
# Install causal-rca and everything it needs on a fresh machine:
# Debian's graphviz (for `dot`), then the package with its test extras.
set -euo pipefail
cd "$(dirname "$0")"

if ! command -v dot >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Debian's graphviz" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
      || echo "setup: could not install graphviz; diagrams will be unavailable" >&2
  elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
    (sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null) \
      || echo "setup: could not install graphviz; diagrams will be unavailable" >&2
  else
    echo "setup: 'dot' not found; install Graphviz for diagrams (e.g. apt-get install graphviz)" >&2
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test]'
# pyenv only exposes new console scripts after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
command -v causal-rca >/dev/null 2>&1 || echo "setup: causal-rca is not on PATH; use '$PYTHON -m causal_rca'" >&2
echo "setup: done" >&2
