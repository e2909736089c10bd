"""Typed results and their files: ``RunResult`` and ``AggregateResult`` with their schema (``results.types``),
run folders, predictions.csv, atomic writes and provenance (``results.files``). No statistics: those are judge's."""
