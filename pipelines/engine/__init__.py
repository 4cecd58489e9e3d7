"""The engine: plain functions that compute (frames in, frames out), one folder per run
family; it never imports reports/ or operator/."""
