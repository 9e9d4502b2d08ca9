"""Private data plumbing behind :mod:`rnnviz.data`: the file format and checksums (``store``),
vocabularies and the tokenizer (``vocab``), the text and time-series loaders (``text``, ``series``)."""
