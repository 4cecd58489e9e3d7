"""State: the store's atomic generations, run folders, safe file writing."""
