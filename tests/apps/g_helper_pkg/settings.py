FRUIT = ["Apple", "Banana", "Orange"]
VEG = ["Carrot", "Broccoli"]
