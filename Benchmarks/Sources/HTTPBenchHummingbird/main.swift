print("HTTPBenchHummingbird: not written yet")
