"""The ``python -m lungxray`` commands: the parser and dispatch (``cli.main``), and one module per command that has
logic of its own (``check``, ``rescore``, ``table``, ``bench``, ``bench_data``, ``weights``)."""
