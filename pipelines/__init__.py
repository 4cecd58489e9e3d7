"""The weekly QAP engine, its CLI and its flows."""

import os

# polars allocates through jemalloc, which by default keeps freed pages for ten seconds; a
# weekly run allocates and frees large frames in turn, so handing them back after a quarter
# second (from a background thread, off the allocation path) keeps the peak resident memory
# down at little cost in time. On a machine of a few cores one arena serves every thread: a
# frame freed by one of polars' threads is then reused by the next, where an arena per thread
# (four per core by default) faults in fresh pages, which cost a fifth of the run's CPU in the
# kernel; more cores keep jemalloc's default, made to spare them contention for the arenas'
# locks (both measured in docs/performance.md). Read when polars loads: set before it is
# imported, and a user's own setting wins.
_CORES = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
os.environ.setdefault("_RJEM_MALLOC_CONF",
                      "background_thread:true,dirty_decay_ms:250,muzzy_decay_ms:0"
                      + (",narenas:1" if (_CORES or 1) <= 4 else ""))
