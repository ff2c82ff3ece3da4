print("kandelo-mount: not built yet")
