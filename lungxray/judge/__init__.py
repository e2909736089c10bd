"""A run against its paper: metrics from a confusion matrix with each paper's definitions (``judge.metrics``), how
a published number was printed (``judge.printed``), intervals and the verdict rule (``judge.verdict``), departures
from the paper (``judge.faithful``) and a ``--runs`` set over its seeds (``judge.seeds``). Which published numbers
the audit finds inconsistent is passed in by the caller: the audit sits one layer up."""
