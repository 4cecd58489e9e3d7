"""Shared run machinery: deck control and identity, the open error register, conservation,
the run result, condition codes, the run-family declaration."""
