"""Check-yourself exercises of notebook 07 (RNNs vs Transformers).

Expected values are computed by torch from the modules named in each question.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, build, exact_int as _int, exercise, verdict

__all__ = ["attention_weight_count", "stream_state_floats", "top_probability", "gru_recall_accuracy", "longer_gru"]


@exercise("40,000 = 4 heads x 100 x 100: every head weighs every (query, key) pair.")
def attention_weight_count(answer) -> Feedback:
    """``nn.MultiheadAttention(64, num_heads=4)`` attends a sequence of 100 tokens to itself
    (batch 1). Each head computes its own weight for every (query token, key token) pair. How
    many attention weights do the 4 heads compute together? Answer with an int. (By default the
    module returns them averaged over the heads; ``average_attn_weights=False`` returns every head's.)"""
    mha = build(nn.MultiheadAttention, 64, 4, batch_first=True)
    x = torch.zeros(1, 100, 64)                                                # (B, T, E)
    with torch.no_grad():
        _, w = mha(x, x, x, average_attn_weights=False)                        # (B, heads, T, T)
    expected = w.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {10000: "that is one head: every head has its own weights",
             400: "every token weighs every token, not just itself"}
    return verdict(k == expected, f"{expected:,}: heads x T x T. Doubling the length quadruples them, which "
                                  "is the price of letting every token see every other in one step.",
                   hints.get(k, "each head gives one weight for every (query token, key token) pair"))


@exercise("256: h and c, 128 numbers each, whatever the length so far.")
def stream_state_floats(answer) -> Feedback:
    """An ``nn.LSTM(32, 128)`` generates text one token at a time (batch 1). How many numbers
    does it carry from one step to the next, whatever the length so far? Answer with an int."""
    lstm = build(nn.LSTM, 32, 128)
    with torch.no_grad():
        _, (h, c) = lstm(torch.zeros(5, 1, 32))                                # (L, B, H) each
    expected = h.numel() + c.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {128: "an LSTM carries two vectors: the hidden state and the cell state"}
    return verdict(k == expected, f"{expected}: h and c, 128 each, after 5 tokens or after 5 million.",
                   hints.get(k, "count the state vectors the LSTM hands to its next step, not its weights"))


@exercise("0.87 = softmax([4, 2, 0])[0]: dividing by 0.5 doubles the gaps between logits.")
def top_probability(answer) -> Feedback:
    """Logits ``[2.0, 1.0, 0.0]`` are sampled at temperature 0.5, i.e. ``softmax(logits / 0.5)``.
    What probability does the first character get? Answer with a float (2 decimals are enough)."""
    expected = float(torch.softmax(torch.tensor([2.0, 1.0, 0.0]) / 0.5, dim=0)[0])
    plain = float(torch.softmax(torch.tensor([2.0, 1.0, 0.0]), dim=0)[0])
    if approx(answer, plain, rel=0.02):
        return verdict(False, "", "that is temperature 1: divide the logits by 0.5 first")
    # 0.8668: 0.867 and 0.87 (two decimals) are right; 0.88, the softmax with the e^0 term left out,
    # and 0.85 are not, which a relative 2 % (0.849..0.884) let through
    return verdict(approx(answer, expected, rel=0.0, abs_=0.006),
                   f"about {expected:.2f} (against {plain:.2f} at temperature 1): a low temperature sharpens "
                   "the distribution towards the most likely character; a high one flattens it.",
                   "divide every logit by the temperature, then take the softmax: every exponential, "
                   "e^0 included, goes into the denominator")


def gru_recall_accuracy(epochs: int, seed: int = 0) -> float:
    """Test accuracy of notebook 07's GRU on the 40-blank recall task after ``epochs`` epochs,
    trained exactly as there (the same data seeds, initial weights and schedule)."""
    import rnnviz
    from rnncourse.lessons import text
    from rnnviz.train import evaluate

    if isinstance(epochs, bool) or not isinstance(epochs, int) or not 1 <= epochs <= 30:
        raise ValueError(f"expected epochs an int in 1..30, got {epochs!r}")
    x, y = rnnviz.synthetic.recall(3000, lag=40, n_symbols=8, seed=seed)
    x_test, y_test = rnnviz.synthetic.recall(1000, lag=40, n_symbols=8, seed=seed + 1)
    with torch.random.fork_rng(devices=[]):                        # the student's random numbers stay as they were
        torch.manual_seed(seed)
        gru = rnnviz.models.SequenceClassifier(9, embed_dim=32, hidden_size=32, num_classes=8, cell="gru")
        rnnviz.fit(gru, (x, y), epochs=epochs, batch_size=64, loss_fn=nn.functional.cross_entropy,
                   scheduler=text.one_cycle(3e-3), seed=seed, progress=False)
    return evaluate(gru, (x_test, y_test))


@exercise("Any answer the student measured: the checker retrains the GRU itself (some seconds). A gated cell can "
          "carry a symbol over 40 steps, but the gradient that must teach it to arrives tiny; more epochs give "
          "it more chances, and the number shows whether this budget was enough.")
def longer_gru(answer, epochs: int = 10, seed: int = 0) -> Feedback:
    """Modify and observe: the GRU's recall accuracy after ``epochs`` epochs (recomputed here)."""
    acc = gru_recall_accuracy(epochs, seed)
    learned = "it found the symbol 40 steps back" if acc > 0.5 else "it is still near chance (0.125)"
    return verdict(approx(answer, acc, rel=0.02, abs_=0.005),
                   f"{acc:.3f} after {epochs} epochs: {learned}. The Transformer needed three.",
                   f"in the GRU cell set epochs={epochs}, rerun it and give the GRU's test accuracy "
                   "(a number between 0 and 1).")
