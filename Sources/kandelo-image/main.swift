print("kandelo-image")
