print("QualityBench: not written yet")
