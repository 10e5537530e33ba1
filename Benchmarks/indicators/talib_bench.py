#!/usr/bin/env python3
"""The TA-Lib side of IndicatorBench: times the same indicator set through TA-Lib's C library (via the
`talib` wrapper) on the last BARS rows of FILE, best of ROUNDS, timed inside Python with time.perf_counter.
Prints one JSON object: {"bars", "close_sum", "rounds", "talib_version", "total", "per": {name: seconds}}.

Usage: talib_bench.py FILE BARS ROUNDS"""
import csv
import json
import sys
import time

import numpy as np
import talib


def read_ohlcv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().lower() for h in rows[0]]
    idx = [header.index(n) for n in ("high", "low", "close", "volume")]
    cols = [[], [], [], []]
    for row in rows[1:]:
        if not row:
            continue
        fields = [row[i].strip() for i in idx]
        if any(v == "" or v.lower() == "null" for v in fields):
            continue
        for col, v in zip(cols, fields):
            col.append(float(v))
    return [np.array(c, dtype=float) for c in cols]


def main():
    path, bars, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    h, l, c, v = (a[-bars:].copy() for a in read_ohlcv(path))
    ma = talib.MA_Type.SMA
    indicators = {
        "sma20": lambda: talib.SMA(c, 20),
        "ema20": lambda: talib.EMA(c, 20),
        "wma20": lambda: talib.WMA(c, 20),
        "rsi14": lambda: talib.RSI(c, 14),
        "macd": lambda: talib.MACD(c, 12, 26, 9),
        "bbands": lambda: talib.BBANDS(c, 20, 2.0, 2.0, ma),
        "atr14": lambda: talib.ATR(h, l, c, 14),
        "natr14": lambda: talib.NATR(h, l, c, 14),
        "stoch": lambda: talib.STOCH(h, l, c, 14, 3, ma, 3, ma),
        "willr14": lambda: talib.WILLR(h, l, c, 14),
        "cci20": lambda: talib.CCI(h, l, c, 20),
        "mfi14": lambda: talib.MFI(h, l, c, v, 14),
        "obv": lambda: talib.OBV(c, v),
        "adx14+di": lambda: (talib.ADX(h, l, c, 14), talib.PLUS_DI(h, l, c, 14), talib.MINUS_DI(h, l, c, 14)),
        "roc10": lambda: talib.ROC(c, 10),
        "donchian20": lambda: (talib.MAX(h, 20), talib.MIN(l, 20)),
    }
    per = {}
    for name, fn in indicators.items():
        best = float("inf")
        for _ in range(rounds):
            t0 = time.perf_counter()
            fn()
            best = min(best, time.perf_counter() - t0)
        per[name] = best
    total = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for fn in indicators.values():
            fn()
        total = min(total, time.perf_counter() - t0)
    version = talib.__ta_version__
    json.dump({"bars": int(len(c)), "close_sum": float(c.sum()), "rounds": rounds, "total": total, "per": per,
               "talib_version": version.decode() if isinstance(version, bytes) else str(version)}, sys.stdout)


if __name__ == "__main__":
    main()
