"""Optimal proposal pools: the problem, its constraints, the solver and the validator."""
