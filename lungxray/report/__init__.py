"""PDF reports rendered from results.json alone (matplotlib + seaborn)."""
