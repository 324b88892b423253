"""Probability models producing scoreline grids (Dixon-Coles, Poisson, ratings)."""
