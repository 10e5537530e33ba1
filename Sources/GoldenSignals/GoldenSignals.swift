// GoldenSignals module.
