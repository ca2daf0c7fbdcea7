"""Measurements that are reported, never asserted in tests; cosine_index.py is the code they share."""
