"""The engine: computes and returns frames; never imports reports/, operator/ or another family."""
