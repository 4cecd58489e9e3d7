"""The QAP weekly family (IRM 3.30.28): run 01, run 03, the Cumulative Data File, individual
data, and the weekly run that chains them."""
