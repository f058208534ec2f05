"""localshelf benchmarks: `python -m benchmarks --scale town|city|country` (see benchmarks/README.md)."""
