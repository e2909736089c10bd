"""A paper against itself: the record type and its makers (``audit.claims``), the forensic tools, one module each
(``audit.forensics``), the tools run on what a study declares (``audit.tools``) and the runner that checks a whole
paper (``audit.runner``, ``lungxray audit``)."""
