print("ImportBench: not written yet")
