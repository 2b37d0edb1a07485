#!/usr/bin/env bash
# Regenerate the example images of docs/reports.md from the built-in scenario
# schema_change_coerced_nulls: ./docs/img/regenerate.sh   (needs Graphviz; chromium for report.png)
set -euo pipefail
cd "$(dirname "$0")/../.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
causal-rca scenarios export schema_change_coerced_nulls --out "$work" >/dev/null
why=(causal-rca why recall --graph "$work/graph.yaml" --reference "$work/reference.csv" --current "$work/current.csv" --quiet)
"${why[@]}" --format json --out "$work/diagnosis.json"
causal-rca render "$work/graph.yaml" --diagnosis "$work/diagnosis.json" --out docs/img/lineage.svg
causal-rca render "$work/graph.yaml" --diagnosis "$work/diagnosis.json" --view fishbone --out docs/img/fishbone.svg
"${why[@]}" --format html --out "$work/report.html"
chromium --headless --no-sandbox --disable-gpu --user-data-dir="$work/profile" --window-size=1200,2200 \
  --screenshot="$PWD/docs/img/report.png" "file://$work/report.html" 2>/dev/null
echo "wrote docs/img/lineage.svg docs/img/fishbone.svg docs/img/report.png"
