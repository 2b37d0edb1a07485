#!/usr/bin/env bash
# Install causal-rca and everything it needs on a fresh machine:
# Debian's graphviz (for `dot`) and chromium (for the HTML report's browser test),
# then the package with its test extras and the explain extra (shap: the decision-drivers tests need it).
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages still missing, as "command:package" pairs; apt-get update runs once for all of them.
missing=()
command -v dot >/dev/null 2>&1 || missing+=("dot:graphviz")
command -v chromium >/dev/null 2>&1 || missing+=("chromium:chromium")

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then SUDO=(); else SUDO=(sudo); fi
  if command -v apt-get >/dev/null 2>&1 && { [ "${#SUDO[@]}" -eq 0 ] || command -v sudo >/dev/null 2>&1; }; then
    updated=no
    for pair in "${missing[@]}"; do
      package="${pair#*:}"
      if [ "$updated" = no ]; then
        "${SUDO[@]}" apt-get update -qq || echo "setup: apt-get update failed; trying to install anyway" >&2
        updated=yes
      fi
      echo "setup: installing Debian's $package" >&2
      "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null \
        || echo "setup: could not install $package; see docs/reports.md for what needs it" >&2
    done
  else
    for pair in "${missing[@]}"; do
      echo "setup: '${pair%%:*}' not found; install ${pair#*:} (e.g. apt-get install ${pair#*:})" >&2
    done
  fi
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" -m pip install --quiet --disable-pip-version-check -e '.[test,explain]'
# pyenv only exposes new console scripts after a rehash.
if command -v pyenv >/dev/null 2>&1; then pyenv rehash; fi
command -v causal-rca >/dev/null 2>&1 || echo "setup: causal-rca is not on PATH; use '$PYTHON -m causal_rca'" >&2
echo "setup: done" >&2
