"""The threaded encoder gives what the tokenizer's own call gives, in order, whatever the threads."""

import pytest
from transformers import AutoTokenizer

from model.encoding import MIN_CHUNK, Encoder
from model.text import clean
from reviewbot.messages import Language

TEXTS = [
    "An instant classic, funny, smart and beautifully shot.",
    "Una película maravillosa, la recomiendo a todos mis amigos.",
    "Un film magnifique, les acteurs sont formidables.",
    "😀😀🎬🍿",
    "word " * 400,  # longer than max_length: truncated
    "",
    "Great&nbsp;<b>film</b>",
]


@pytest.fixture(scope="module")
def tokenizer(tiny_checkpoint):
    return AutoTokenizer.from_pretrained(tiny_checkpoint)


@pytest.mark.parametrize("threads", [1, 3])
def test_a_large_batch_spread_over_threads_comes_back_in_order(tokenizer, threads):
    texts = [f"{text} {i}" for i in range(3 * MIN_CHUNK) for text in TEXTS[:3]]
    encoder = Encoder(tokenizer, max_length=64, threads=threads)
    try:
        encoded = encoder.encode(texts)
    finally:
        encoder.close()
    expected = tokenizer([clean(t) for t in texts])["input_ids"]
    assert encoded.ids == expected
    assert encoded.languages == [Language.EN, Language.ES, Language.OTHER] * (3 * MIN_CHUNK)
    assert set(encoded.cpu_s) == {"clean", "tokenize", "language"}
    assert all(seconds >= 0 for seconds in encoded.cpu_s.values())


def test_truncation_keeps_the_closing_special_token(tokenizer):
    encoder = Encoder(tokenizer, max_length=16, threads=2)
    try:
        encoded = encoder.encode(TEXTS)
    finally:
        encoder.close()
    full = tokenizer([clean(t) for t in TEXTS])["input_ids"]
    assert encoded.n_tokens == [len(row) for row in full]
    assert encoded.truncated == [len(row) > 16 for row in full]
    long = TEXTS.index("word " * 400)
    assert len(encoded.ids[long]) == 16
    assert encoded.ids[long][-1] == full[long][-1]
    assert encoded.ids[long][:15] == full[long][:15]


def test_an_empty_batch_is_empty(tokenizer):
    encoder = Encoder(tokenizer, max_length=16, threads=2)
    try:
        assert len(encoder.encode([])) == 0
    finally:
        encoder.close()


def test_truncation_set_on_the_wrappers_backend_does_not_leak_in(tokenizer):
    tokenizer.backend_tokenizer.enable_truncation(4)
    try:
        encoder = Encoder(tokenizer, max_length=256, threads=1)
        assert encoder.encode([TEXTS[0]]).n_tokens[0] > 4
    finally:
        tokenizer.backend_tokenizer.no_truncation()
