"""Ready-made elections for trying the app and for benchmarks: nothing here is real."""
