print("HTTPBenchServer: not written yet")
