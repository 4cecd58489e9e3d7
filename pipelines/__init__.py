"""The weekly QAP engine, its CLI and its flows."""

import os

# polars allocates through jemalloc, which by default keeps freed pages for a while; a weekly
# run allocates and frees large frames in turn, so returning them at once keeps the peak
# resident memory down (docs/performance.md). Read when polars loads: set before it is
# imported, and a user's own setting wins.
os.environ.setdefault("_RJEM_MALLOC_CONF", "dirty_decay_ms:0,muzzy_decay_ms:0")
