"""Run INV-10-02: RO inventories against the ranges of IRM 1.4.50.10.2 (shared/spec/inventory.md).

Plain functions, frames in and frames out; `step.run_inventory` wires them into one run on the
shared machinery (deck control, the open error register, the store's generations).
"""
