#!/usr/bin/env python3
"""Reference values for IndicatorsTests: reads one OHLCV CSV and prints, as one JSON object on stdout,
the parsed columns (date, open, high, low, close, volume) and every indicator computed by TA-Lib's C
library (through the `talib` wrapper) with the parameter set the Swift test uses. NaN is written as null.
Every numeric column is also written bit for bit as <name>_hex (float.hex strings, or null).

Usage: talib_reference.py FILE.csv
Columns are found by name, case-insensitively (Date/Open/High/Low/Close/Volume; a leading unnamed
index column is ignored); rows with an empty or 'null' field among them are skipped."""
import csv
import json
import math
import sys

import numpy as np
import pandas as pd
import talib


def read_ohlcv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = [h.strip().lower() for h in rows[0]]
    idx = {name: header.index(name) for name in ("date", "open", "high", "low", "close", "volume")}
    cols = {name: [] for name in idx}
    for row in rows[1:]:
        if not row:
            continue
        fields = {name: row[i].strip() for name, i in idx.items()}
        if any(v == "" or v.lower() == "null" for v in fields.values()):
            continue
        cols["date"].append(fields["date"])
        for name in ("open", "high", "low", "close", "volume"):
            cols[name].append(float(fields[name]))
    return cols


def as_json_list(a):
    return [None if math.isnan(v) else float(v) for v in np.asarray(a, dtype=float)]


def main():
    cols = read_ohlcv(sys.argv[1])
    o, h, l, c, v = (np.array(cols[k], dtype=float) for k in ("open", "high", "low", "close", "volume"))
    out = {"date": cols["date"], "open": cols["open"], "high": cols["high"], "low": cols["low"],
           "close": cols["close"], "volume": cols["volume"]}
    out["sma20"] = talib.SMA(c, timeperiod=20)
    out["ema20"] = talib.EMA(c, timeperiod=20)
    out["wma20"] = talib.WMA(c, timeperiod=20)
    out["rsi14"] = talib.RSI(c, timeperiod=14)
    out["macd"], out["macd_signal"], out["macd_hist"] = talib.MACD(c, fastperiod=12, slowperiod=26, signalperiod=9)
    out["bb_upper"], out["bb_middle"], out["bb_lower"] = talib.BBANDS(c, timeperiod=20, nbdevup=2.0, nbdevdn=2.0, matype=0)
    out["atr14"] = talib.ATR(h, l, c, timeperiod=14)
    out["natr14"] = talib.NATR(h, l, c, timeperiod=14)
    out["stoch_k"], out["stoch_d"] = talib.STOCH(h, l, c, fastk_period=14, slowk_period=3, slowk_matype=0,
                                                 slowd_period=3, slowd_matype=0)
    out["willr14"] = talib.WILLR(h, l, c, timeperiod=14)
    out["cci20"] = talib.CCI(h, l, c, timeperiod=20)
    out["mfi14"] = talib.MFI(h, l, c, v, timeperiod=14)
    out["obv"] = talib.OBV(c, v)
    out["adx14"] = talib.ADX(h, l, c, timeperiod=14)
    out["plus_di14"] = talib.PLUS_DI(h, l, c, timeperiod=14)
    out["minus_di14"] = talib.MINUS_DI(h, l, c, timeperiod=14)
    out["roc10"] = talib.ROC(c, timeperiod=10)
    # Donchian(20) has no TA-Lib function: TA_MAX / TA_MIN over the same period.
    upper, lower = talib.MAX(h, timeperiod=20), talib.MIN(l, timeperiod=20)
    out["donchian_upper"], out["donchian_lower"], out["donchian_middle"] = upper, lower, (upper + lower) / 2
    # VWAP has no TA-Lib function: cumulative typical price x volume per calendar date, NaN while volume is 0.
    df = pd.DataFrame({"day": [d[:10] for d in cols["date"]], "pv": (h + l + c) / 3.0 * v, "v": v})
    cum_pv = df.groupby("day", sort=False)["pv"].cumsum().to_numpy()
    cum_v = df.groupby("day", sort=False)["v"].cumsum().to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["vwap"] = np.where(cum_v == 0.0, np.nan, cum_pv / cum_v)
    for k in list(out):
        if k not in ("date", "open", "high", "low", "close", "volume"):
            out[k] = as_json_list(out[k])
    # Every column again bit for bit (float.hex, or null), as <name>_hex: a JSON reader need not round
    # 17-digit numbers correctly, and an ulp lost in parsing would otherwise show up as a difference.
    for k in [k for k in out if k != "date"]:
        out[k + "_hex"] = [None if x is None else float(x).hex() for x in out[k]]
    out["talib_version"] = talib.__ta_version__.decode() if isinstance(talib.__ta_version__, bytes) else str(talib.__ta_version__)
    json.dump(out, sys.stdout, allow_nan=False)


if __name__ == "__main__":
    main()
