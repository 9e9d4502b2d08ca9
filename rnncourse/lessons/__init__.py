"""Experiment helpers the course notebooks share, one concept a module.

Notebooks wire these together and teach; the logic lives here, with tests.

- 00-01: ``basics`` (setup check, the who-bites-whom order task), ``diagrams`` (SVG
  drawings of the loop, a stack, a bidirectional pair; also 02 and 03);
- 02: ``memory`` (memory span, spectral radius, clipping, the keep-gate path),
  ``streams`` (truncated BPTT on a long stream, norm vs element-wise clipping);
- 03: ``depth`` (depth and direction on tagging), ``forecast`` (sunspots, baselines,
  error build-up), and the streaming helpers in ``memory``;
- 04: ``hybrid``, ``signals`` (burst signals, the convolution-only baseline),
  ``translation`` (with and without attention, teacher forcing);
- 05: ``cells`` (LSTM and GRU by hand), ``zoo`` (learning curves and speed);
- 06-07: ``text``, ``reviews`` (IMDB with a recurrent layer), ``paths`` (how far the
  error signal travels), ``charlm`` (character model baselines), ``_text_speed``.
"""
