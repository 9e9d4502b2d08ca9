"""The small teaching models the notebooks train.

Every recurrent part is a plain ``nn.RNN``/``nn.LSTM``/``nn.GRU`` submodule
(batch_first=True), so ``rnnviz.trace``, ``rnnviz.record`` and
``rnnviz.gradient_flow`` work on it.

- many-to-one: :class:`SequenceClassifier`; many-to-many synced: :class:`Tagger`;
  one-to-many generation: :class:`CharLM`; many-to-many with other lengths: :class:`Seq2Seq`;
- hybrids: :class:`ConvRNN`, :class:`ConvLSTMCell`, :class:`ConvLSTM`,
  :class:`RNNTransformer`, :class:`CNNRNNMLP`; one-to-one baseline: :class:`MLP`;
- building blocks for your own models: :func:`make_rnn`, :func:`run_rnn` (packed when
  lengths are given), :func:`last_layer_state`, and :mod:`.validate` (input checks with clear errors).
"""
from . import validate
from .hybrids import CNNRNNMLP, MLP, ConvLSTM, ConvLSTMCell, ConvRNN, RNNTransformer
from .seq2seq import Seq2Seq
from .rnn import last_layer_state, make_rnn, run_rnn
from .sequence import CharLM, SequenceClassifier, Tagger

__all__ = ["SequenceClassifier", "Tagger", "CharLM", "Seq2Seq", "ConvRNN", "ConvLSTMCell", "ConvLSTM",
           "RNNTransformer", "CNNRNNMLP", "MLP", "make_rnn", "run_rnn", "last_layer_state", "validate"]
