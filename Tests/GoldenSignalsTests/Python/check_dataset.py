"""Reads an exported dataset with pandas and checks it against the indicator endpoint's values.

argv: dataset.csv indicators.json manifest.json closes.json
Prints one line per failed check and exits 1 if any; prints OK otherwise.
"""
import json
import sys

import numpy as np
import pandas as pd

csv_path, indicators_path, manifest_path, closes_path = sys.argv[1:5]
failures = []


def check(ok, message):
    if not ok:
        failures.append(message)


df = pd.read_csv(csv_path)
manifest = json.load(open(manifest_path))
expected_columns = manifest["columns"]
check(list(df.columns) == expected_columns, f"columns {list(df.columns)} != manifest {expected_columns}")
check(pd.api.types.is_string_dtype(df["symbol"]) and set(df["symbol"]) == {"AAPL"}, f"symbol column {df['symbol'].dtype}")
ts = pd.to_datetime(df["timestamp"], utc=True)
check(ts.is_monotonic_increasing and ts.is_unique, "timestamps ascending and unique")

features = [f["name"] for f in manifest["features"]]
for f in manifest["features"]:
    name, warmup = f["name"], f["warmup_bars"]
    col = df[name]
    check(col.dtype == np.float64 or col.dtype == np.int64, f"{name} dtype {col.dtype}")
    # Warm-up: exactly the first `warmup` rows are null (this export starts at the first stored bar).
    nulls = col.isna().to_numpy()
    check(nulls[:warmup].all(), f"{name}: a value inside its warm-up of {warmup}")
    if name not in ("bb_pctb_20", "volume_z_20", "obv_slope_20"):
        check(not nulls[warmup:].any(), f"{name}: null after its warm-up of {warmup} (first at {np.argmax(nulls[warmup:]) + warmup})")

labels = [c for c in df.columns if c.startswith("label_")]
check(set(labels) == {"label_fwd_ret_5", "label_tb_10_2_1", "label_tb_10_2_1_bars", "label_horizon_past_end"}, f"labels {labels}")
check(not any(c.startswith("label_") for c in features), "a feature named like a label")
past = df["label_horizon_past_end"]
check(past.dtype == np.int64 and set(past.unique()) <= {0, 1}, "past-end marker is 0/1")
check(past.iloc[-5:].eq(1).all() and df["label_fwd_ret_5"].iloc[-5:].isna().all(), "last 5 rows marked past the end and null")
check(df.loc[past == 0, "label_fwd_ret_5"].notna().all(), "forward return present wherever not past the end")
tb = df["label_tb_10_2_1"].dropna()
check(set(tb.unique()) <= {-1.0, 0.0, 1.0} and len(tb.unique()) == 3, f"triple barrier values {sorted(tb.unique())}")
bars = df["label_tb_10_2_1_bars"].dropna()
check(bars.between(1, 10).all(), "triple barrier bars within 1..10")
check(set(df["split"].unique()) <= {"train", "test_1", "test_2", "test_3", "purged", "embargoed"}, f"splits {df['split'].unique()}")

# The indicator endpoint's values on the same bars.
ind = json.load(open(indicators_path))
rows = {r["timestamp"]: r["values"] for r in ind["rows"]}
pairs = {"rsi_14": "rsi_14", "stoch_k": "stoch_k", "stoch_d": "stoch_d", "willr_14": "willr_14", "cci_20": "cci_20",
         "mfi_14": "mfi_14", "adx_14": "adx_14", "plus_di_14": "plus_di_14", "minus_di_14": "minus_di_14"}
sub = df[df["timestamp"].isin(rows.keys())]
check(len(sub) == len(rows) and len(sub) > 100, f"{len(sub)} rows matched of {len(rows)}")
for feature, indicator in pairs.items():
    got = sub[feature].to_numpy()
    want = np.array([np.nan if rows[t][indicator] is None else rows[t][indicator] for t in sub["timestamp"]], dtype=float)
    same = np.isclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True)
    check(same.all(), f"{feature} differs from the endpoint's {indicator} at {int((~same).sum())} rows")
# atr_frac_14 × close = ATR(14) from the endpoint.
atr = np.array([rows[t]["atr_14"] if rows[t]["atr_14"] is not None else np.nan for t in sub["timestamp"]], dtype=float)
close_by_time = json.load(open(closes_path))
closes = np.array([close_by_time[t] for t in sub["timestamp"]], dtype=float)
check(np.allclose(sub["atr_frac_14"].to_numpy() * closes, atr, rtol=1e-8, equal_nan=True), "atr_frac_14 × close != ATR(14)")

if failures:
    print("\n".join(failures))
    sys.exit(1)
print(f"OK {len(df)} rows, {len(df.columns)} columns")
