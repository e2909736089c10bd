"""Sweeps: every reading of a paper (its variants) times K seeds, each an ordinary run, serially or on Ray."""
