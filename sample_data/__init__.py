"""Realistic AlgoItny sample data for local rehearsals, tests and benchmarks."""
