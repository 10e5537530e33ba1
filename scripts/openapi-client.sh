#!/usr/bin/env bash
# Generates a Python client from openapi.yaml with openapi-python-client (PyPI) and fails when the
# generator skips anything (an unsupported content type drops an operation or a response) or when an
# operation of the spec has no function in the client.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/pyenv
[ -x "$venv/bin/openapi-python-client" ] || scripts/python-deps.sh
out=.build/openapi-client
log=.build/openapi-client.log
rm -rf "$out"
# The generator takes request bodies as JSON, forms or files only: text/csv (the CSV upload, which the
# service also takes as application/octet-stream) is read as a file, as its own option for that says.
config=.build/openapi-client.yaml
printf 'content_type_overrides:\n  text/csv: application/octet-stream\n' >"$config"
"$venv/bin/openapi-python-client" generate --path openapi.yaml --config "$config" --output-path "$out" --overwrite >"$log" 2>&1
if grep -q "^WARNING" "$log"; then
  echo "openapi-python-client skipped parts of openapi.yaml:" >&2
  grep -A2 "^WARNING" "$log" >&2
  exit 1
fi
missing=0
for id in $(grep -oE "operationId: [A-Za-z]+" openapi.yaml | awk '{ print $2 }'); do
  module="$("$venv/bin/python3" -c 'import re,sys; print(re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", sys.argv[1]).lower())' "$id")"
  if ! find "$out" -name "$module.py" -path "*/api/*" | grep -q .; then echo "no client function for $id" >&2; missing=1; fi
done
[ "$missing" = 0 ]
echo "openapi-python-client: every operation of openapi.yaml has a client function"
