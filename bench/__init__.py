"""Benchmarks (`make bench`): our code side by side with a baseline, measured in one run."""
