"""Sample selection (IRM 3.30.28.2): see docs/sampling.md."""
