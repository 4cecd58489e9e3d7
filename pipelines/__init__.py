"""The weekly QAP engine, its CLI and its flows."""

import os

# polars allocates through jemalloc, which by default keeps freed pages for ten seconds; a
# weekly run allocates and frees large frames in turn, so handing them back after a quarter
# second (from a background thread, off the allocation path) keeps the peak resident memory
# down at little cost in time (measured in docs/performance.md). Read when polars loads: set
# before it is imported, and a user's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF",
                      "background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0")
