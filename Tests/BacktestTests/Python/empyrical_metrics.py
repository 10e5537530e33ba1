"""Sharpe, Sortino and max drawdown of an equity curve by empyrical (PyPI `empyrical-reloaded`).

stdin: {"initial": 100000, "equity": [...], "bars_per_year": 252}
stdout: {"sharpe", "sortino", "max_drawdown", "volatility"}; the returns are E_k / E_{k-1} - 1 with E_{-1} the initial capital.
"""
import json
import sys

import empyrical
import numpy as np

data = json.load(sys.stdin)
equity = np.array([data["initial"]] + data["equity"], dtype=float)
returns = equity[1:] / equity[:-1] - 1
a = data["bars_per_year"]
print(json.dumps({
    "sharpe": float(empyrical.sharpe_ratio(returns, risk_free=0, annualization=a)),
    "sortino": float(empyrical.sortino_ratio(returns, required_return=0, annualization=a)),
    "max_drawdown": float(empyrical.max_drawdown(returns)),
    "volatility": float(empyrical.annual_volatility(returns, annualization=a)),
}))
