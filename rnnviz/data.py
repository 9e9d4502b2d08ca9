"""Real datasets shipped in the repository's ``data/`` folder, as ready tensors.

Nothing is ever downloaded: the files were derived from the original public
datasets by ``scripts/build_data.py`` (provenance, licences and citations in
``data/README.md``). Every file is checked against ``data/SHA256SUMS`` on its
first load in a process (:func:`verify` checks them all at once); a missing or damaged file raises :class:`DataFileError`
saying which file and how to restore it. Set the environment variable
``RNNVIZ_DATA`` to use a copy of the data folder elsewhere.

Text (word vocabularies: id 0 ``<pad>``, id 1 ``<unk>``, then words by frequency):

- :func:`imdb` - 25k/25k movie reviews as (N, max_len) ids, lengths, labels, vocab.
- :func:`polarity` - 10,662 short review snippets with labels.
- :func:`shakespeare` - Tiny Shakespeare as text, char vocab and (T,) ids.
- :func:`eng_fra` - 5,000 English-French sentence pairs.
- :func:`ud_pos` - UD English-EWT sentences as word ids and UPOS tag ids.

Time series (:class:`TimeSeries`, values (T, F), missing values interpolated):
:func:`beijing_pm25`, :func:`seattle_temps`, :func:`seattle_weather`, :func:`sunspots`.
"""
from __future__ import annotations

from ._data.series import TimeSeries, beijing_pm25, seattle_temps, seattle_weather, sunspots
from ._data.store import DataFileError, data_dir, verify
from ._data.text import (IMDB, POS, TAG_PAD, CharText, Pairs, Reviews, Snippets, Tagged,
                         build_vocab, eng_fra, imdb, polarity, shakespeare, ud_pos)
from ._data.vocab import PAD, UNK, Vocab, tokenize

__all__ = [
    "imdb", "polarity", "shakespeare", "eng_fra", "ud_pos",
    "beijing_pm25", "seattle_temps", "seattle_weather", "sunspots",
    "Vocab", "build_vocab", "tokenize", "PAD", "UNK", "TAG_PAD",
    "IMDB", "Reviews", "Snippets", "CharText", "Pairs", "POS", "Tagged", "TimeSeries",
    "DataFileError", "data_dir", "verify",
]
