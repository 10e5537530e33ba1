#!/usr/bin/env bash
# Ensures .build/pyenv, the Python the indicator tests and benchmark use, can import talib, numpy, pandas and scikit-learn.
# PyPI's TA-Lib wheels (0.6.5 and later) bundle the TA-Lib C library, so no Debian package is needed.
# The same venv holds openapi-spec-validator (installed by `make test-openapi`).
set -euo pipefail
cd "$(dirname "$0")/.."
venv=.build/pyenv
[ -x "$venv/bin/python3" ] || { mkdir -p .build && python3 -m venv "$venv"; }
if ! "$venv/bin/python3" -c 'import talib, numpy, pandas' >/dev/null 2>&1; then
  echo "installing TA-Lib numpy pandas into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check TA-Lib numpy pandas
fi
# scikit-learn: the reference for calibration metrics (OutcomeAPITests checks ECE, Brier and reliability against it).
if ! "$venv/bin/python3" -c 'import sklearn' >/dev/null 2>&1; then
  echo "installing scikit-learn into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check scikit-learn
fi
# standardwebhooks: the Standard Webhooks reference library, which WebhookTests verifies our deliveries with.
if ! "$venv/bin/python3" -c 'import standardwebhooks' >/dev/null 2>&1; then
  echo "installing standardwebhooks into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check standardwebhooks
fi
# playwright: drives the system Chromium (Debian's `chromium`, via executable_path; no browser download) in the
# dashboard's browser test (Tests/Browser/dashboard_test.py).
if ! "$venv/bin/python3" -c 'import playwright' >/dev/null 2>&1; then
  echo "installing playwright into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check playwright
fi
# schemathesis: checks openapi.yaml against the running service (scripts/schemathesis.sh);
# openapi-python-client: proves a client generated from the spec has every operation (scripts/openapi-client.sh).
if ! "$venv/bin/python3" -c 'import schemathesis, openapi_python_client' >/dev/null 2>&1; then
  echo "installing schemathesis openapi-python-client into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check schemathesis openapi-python-client
fi
# backtesting (backtesting.py): the reference engine BacktestReferenceTests and BacktestBench compare our fills,
# trades and final equity with. empyrical-reloaded: the reference for Sharpe, Sortino and max drawdown.
if ! "$venv/bin/python3" -c 'import backtesting' >/dev/null 2>&1; then
  echo "installing backtesting into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check backtesting
fi
if ! "$venv/bin/python3" -c 'import empyrical' >/dev/null 2>&1; then
  echo "installing empyrical-reloaded into $venv" >&2
  "$venv/bin/pip" install -q --disable-pip-version-check empyrical-reloaded
fi
