print("goldensignals")
