#!/usr/bin/env bash
# Ensures .build/pyenv holds the Python packages of scripts/requirements-test.txt, at its pinned versions:
#   TA-Lib, numpy, pandas — the indicator reference (PyPI's TA-Lib wheels bundle the C library, so no Debian
#     package is needed) and the indicator benchmark;
#   scikit-learn — the reference for calibration metrics (OutcomeAPITests: ECE, Brier, reliability);
#   standardwebhooks — the Standard Webhooks library WebhookTests verifies our deliveries with;
#   playwright — drives Debian's Chromium (executable_path; no browser download) in Tests/Browser/dashboard_test.py;
#   schemathesis, hypothesis — check openapi.yaml against the running service (scripts/schemathesis.sh);
#   openapi-python-client, openapi-spec-validator — the generated-client check and the spec's validity (make test-openapi);
#   backtesting (backtesting.py), empyrical-reloaded — the reference engine and metrics of the backtest tests.
# Installs only when the requirements changed since the last install into this venv.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/pyenv
requirements=scripts/requirements-test.txt
stamp="$venv/.requirements.sha256"
[ -x "$venv/bin/python3" ] || { mkdir -p .build && python3 -m venv "$venv"; }
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "installing $requirements into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check -r "$requirements"
  echo "$want" > "$stamp"
fi
