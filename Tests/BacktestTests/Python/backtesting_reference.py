"""The reference backtest: SMA(20)/SMA(50) crossover, long only, commission in basis points, fills at
the next bar's open, in backtesting.py (PyPI `backtesting`). Prints the trades and final equity as JSON.

usage: backtesting_reference.py FILE [FILE ...]  (CSV files of daily bars: Date,Open,High,Low,Close,...,Volume)
env: BT_COMMISSION (fraction, default 0.001), BT_CASH (default 100000), BT_SIZE (default 0.9999)
"""
import json
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from backtesting import Backtest, Strategy

warnings.filterwarnings("ignore")


def sma(values, n):
    return pd.Series(values).rolling(n).mean().to_numpy()


class SmaCross(Strategy):
    fast = 20
    slow = 50
    size = 0.9999

    def init(self):
        self.f = self.I(sma, self.data.Close, self.fast)
        self.s = self.I(sma, self.data.Close, self.slow)

    def next(self):
        f0, f1, s0, s1 = self.f[-2], self.f[-1], self.s[-2], self.s[-1]
        # The same rule as our SMACrossover: a cross is f0 <= s0 and f1 > s1 (down: f0 >= s0 and f1 < s1).
        if f0 <= s0 and f1 > s1:
            if not self.position:
                self.buy(size=self.size)
        elif f0 >= s0 and f1 < s1:
            self.position.close()


def load(path):
    df = pd.read_csv(path)
    df.columns = [c.strip().lower() for c in df.columns]
    df = df.rename(columns={"date": "Date", "open": "Open", "high": "High", "low": "Low", "close": "Close", "volume": "Volume"})
    for c in ["Open", "High", "Low", "Close", "Volume"]:
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df = df.dropna(subset=["Open", "High", "Low", "Close"])
    df["Date"] = pd.to_datetime(df["Date"])
    df = df.drop_duplicates("Date", keep="last").set_index("Date").sort_index()
    return df[["Open", "High", "Low", "Close", "Volume"]]


def main():
    commission = float(os.environ.get("BT_COMMISSION", "0.001"))
    cash = float(os.environ.get("BT_CASH", "100000"))
    SmaCross.size = float(os.environ.get("BT_SIZE", "0.9999"))
    out = []
    frames = [(p, load(p)) for p in sys.argv[1:]]
    started = time.perf_counter()
    for path, df in frames:
        bt = Backtest(df, SmaCross, cash=cash, commission=commission, trade_on_close=False, finalize_trades=False)
        stats = bt.run()
        trades = stats["_trades"]
        out.append({
            "file": os.path.basename(path),
            "open_position": bool(stats["_strategy"].position),
            "final_equity": float(stats["Equity Final [$]"]),
            "trades": [{
                "entry_time": int(pd.Timestamp(r.EntryTime).tz_localize("UTC").timestamp()),
                "exit_time": int(pd.Timestamp(r.ExitTime).tz_localize("UTC").timestamp()),
                "entry_price": float(r.EntryPrice), "exit_price": float(r.ExitPrice),
                "size": int(r.Size), "pnl": float(r.PnL),
            } for r in trades.itertuples()],
        })
    elapsed = time.perf_counter() - started
    print(json.dumps({"runs": out, "seconds": elapsed}))


if __name__ == "__main__":
    main()
