"""Check-yourself exercises of notebook 06 (words: integer codes vs one-hot vs embeddings).

Expected values are computed by torch from the modules named in each question.
"""
from __future__ import annotations

import torch
from torch import nn

from ._core import Feedback, approx, build, exact_int as _int, exercise, verdict

__all__ = ["onehot_row", "onehot_input_weights", "why_integer_fails", "onehot_vocab", "onehot_accuracy"]


@exercise("7: a one-hot vector has its single 1 at position 7, so v @ W adds up row 7 of W alone.")
def onehot_row(answer) -> Feedback:
    """``v = one_hot(torch.tensor(7), 10).float()`` and ``W`` is a (10, 3) matrix.
    ``v @ W`` equals which row of ``W``? Answer with the row index (an int)."""
    W = torch.arange(30.0).reshape(10, 3)                                      # (V, E)
    v = nn.functional.one_hot(torch.tensor(7), 10).float()                     # (V,)
    row = int(torch.nonzero((W == v @ W).all(dim=1))[0])
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with a row index (an int), got {answer!r}")
    hint = ("rows count from 0, and so do word ids" if k in (6, 8)
            else "v is all zeros except a single 1: which rows of W does the product add up?")
    return verdict(k == row, f"v @ W is row {row} of W: multiplying by a one-hot vector looks up one row, "
                             "which is exactly what nn.Embedding does, without the multiplications.", hint)


@exercise("320,000 = 32 units x 10,000 inputs: one column of 32 numbers per word, a 32-d embedding inside the RNN.")
def onehot_input_weights(answer) -> Feedback:
    """A one-hot vector of the 10,000-word vocabulary feeds ``nn.RNN(10000, 32)`` directly.
    How many numbers does its input matrix ``weight_ih_l0`` hold? Answer with an int."""
    expected = build(nn.RNN, 10000, 32).weight_ih_l0.numel()
    k = _int(answer)
    if k is None:
        return verdict(False, "", f"answer with an int, got {answer!r}")
    hints = {20000: "that is the 2-d embedding's size; the RNN's input matrix maps 10,000 inputs to 32 units",
             10000 * 32 + 32 * 32: "only the input matrix weight_ih_l0: leave out the recurrent weight_hh_l0"}
    return verdict(k == expected,
                   f"{expected:,} numbers: one column of 32 per word, i.e. a 32-d embedding of every word "
                   "hidden inside the RNN's input matrix.",
                   hints.get(k, "weight_ih_l0 has one row per hidden unit and one column per input feature"))


@exercise("b: an id is a name, not an amount; one input weight times the id makes nearby ids look alike.")
def why_integer_fails(answer) -> Feedback:
    """Why does an RNN that reads each word id as one number stay near chance? Answer "a", "b" or "c".

    a. 32 hidden units are too few for 10,000 words.
    b. An id's size means nothing (word 501 is not "more" than word 500), yet the input
       weight treats it as an amount, so similar ids look alike whatever they mean.
    c. 100 words are too few to tell a review's sentiment.
    """
    choice = answer.strip().lower() if isinstance(answer, str) else None
    hints = {"a": "the same 32 units reach well above chance with an embedding in this notebook",
             "c": "the embedding models in this notebook read the same 100 words and do well"}
    return verdict(choice == "b",
                   "ids are names, not amounts: one weight times the id puts 'excellent' next to whichever "
                   "words happen to have nearby ranks in the frequency list.",
                   hints.get(choice, 'answer with one letter: "a", "b" or "c"'))


def onehot_accuracy(vocab_size: int, seed: int = 0) -> float:
    """Test accuracy of the one-hot RNN of notebook 06's comparison cell with a ``vocab_size``-word
    one-hot input, trained exactly as there (the same subsets, seeds and schedule; one torch thread)."""
    import rnnviz
    from rnncourse.lessons import text

    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or not 2 <= vocab_size <= 10_000:
        raise ValueError(f"expected vocab_size an int in 2..10000, got {vocab_size!r}")
    imdb = rnnviz.data.imdb(max_len=100, vocab_size=10_000, align="left", keep="last")
    train = text.subset(imdb.train, 3000, seed=seed)
    test = text.subset(imdb.test, 2000, seed=seed + 1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng(devices=[]):                    # the student's random numbers stay as they were
            torch.manual_seed(seed)
            model = text.CodedClassifier(coding="onehot", pooling="mean", vocab_size=vocab_size)
            _, acc = text.fit_reviews(model, train, test, epochs=2, batch_size=32, max_lr=1e-2,
                                      vocab_size=vocab_size, seed=seed)
    finally:
        torch.set_num_threads(threads)
    return acc


@exercise("Any answer the student measured: the checker retrains the one-hot RNN itself (about half a minute). "
          "More words give every frequent word its own column instead of <unk>; whether 3,000 reviews and two "
          "epochs are enough to learn the extra columns is what the number says.")
def onehot_vocab(answer, vocab_size: int = 2000, seed: int = 0) -> Feedback:
    """Modify and observe: the one-hot coding's test accuracy with a ``vocab_size``-word vocabulary
    (recomputed here with :func:`onehot_accuracy`)."""
    acc = onehot_accuracy(vocab_size, seed)
    return verdict(approx(answer, acc, rel=0.02, abs_=0.005),
                   f"{acc:.3f} with {vocab_size:,} one-hot words (against the 500-word row of the comparison): "
                   "one-hot into 32 units is a 32-d embedding of every word it keeps, so more words is a bigger "
                   "embedding table learned from the same 3,000 reviews.",
                   f"in the comparison cell set the one-hot row to dict(vocab_size={vocab_size}), rerun it and give "
                   "that row's test accuracy (a number between 0 and 1).")
