"""Token ids from the sentencepiece library: the tokenizer's own ids on every review the project
ships, the tokenizer's call for the texts it is not proven on, and no fast path where it would
not give the same ids."""

import logging
import random
from pathlib import Path

import pytest
from tokenizers import Tokenizer
from transformers import AutoTokenizer

from model import sentencepiece_ids
from model.backbone import build_tokenizer
from model.encoding import Encoder
from model.sentencepiece_ids import SentencePieceIds
from model.text import clean
from training.builtin import SHIPPED, read_shipped

#: Texts the fast path leaves to the tokenizer: a variation selector, a zero-width joiner, a
#: combining accent, an added token's text, conjoining jamo, halfwidth katakana, an emoji newer
#: than this Python's Unicode tables would be unassigned (U+1FAE8 was added in Unicode 15).
LEFT_TO_THE_TOKENIZER = [
    "my kids loved it ❤️",
    "family night 👨\u200d👩\u200d👧 was fun",
    "cafe\u0301 scene",
    "the <mask> was great",
    "\u1100\u1161 drama",
    "ｶﾞ anime",
]


@pytest.fixture(scope="module")
def xlmr(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """XLM-R's real tokenizer (the offline backbone's), without the model: a few seconds."""
    return build_tokenizer(tmp_path_factory.mktemp("xlmr") / "tokenizer")


@pytest.fixture(scope="module")
def backend(xlmr: Path) -> Tokenizer:
    return Tokenizer.from_file(str(xlmr / "tokenizer.json"))


def shipped_reviews() -> list[str]:
    return [
        clean(row["text"]) for path in sorted(SHIPPED.glob("*.tsv")) for row in read_shipped(path)
    ]


def test_every_shipped_review_gets_the_tokenizers_ids(backend: Tokenizer) -> None:
    fast = SentencePieceIds.for_tokenizer(backend)
    assert fast is not None
    texts = shipped_reviews()
    assert len(texts) > 2500
    texts += ["query: " + text for text in texts[:200]]  # e5's prefix, as the head pools
    ids = fast.encode(texts)[0]
    expected = [e.ids for e in backend.encode_batch_fast(texts)]
    taken = [i for i, row in enumerate(ids) if row is not None]
    assert len(taken) > 0.97 * len(texts)  # a few chat reviews carry ❤️'s variation selector
    assert [ids[i] for i in taken] == [expected[i] for i in taken]


def test_texts_it_is_not_proven_on_are_left_to_the_tokenizer(backend: Tokenizer) -> None:
    fast = SentencePieceIds.for_tokenizer(backend)
    assert fast.encode(LEFT_TO_THE_TOKENIZER)[0] == [None] * len(LEFT_TO_THE_TOKENIZER)
    assert fast.encode(["hola 😀 🇪🇸 ＦＵＬＬ\u00a0width"])[0] == [
        backend.encode("hola 😀 🇪🇸 ＦＵＬＬ\u00a0width").ids
    ]


def test_on_random_strings_they_differ_at_most_in_the_order_of_tied_pieces(
    backend: Tokenizer,
) -> None:
    fast = SentencePieceIds.for_tokenizer(backend)
    rng = random.Random(0)
    pools = [
        "abcdefghijklmnopqrstuvwxyz ABC ñáéíóúü¿¡ .,!?'\"-",
        " \t\n\u00a0\u2002\u3000\u200b\u200d\ufeff\u0301\ufe0f",
        "😀🎬👍🏽❤️\u200d🔥🇪🇸",
        "ＡＢＣ１２３ﬁﬂ①Ⅻ㎏ｶﾞ",
        "".join(chr(c) for c in range(0x20, 0x10000, 7) if not 0xD800 <= c <= 0xDFFF),
        "".join(chr(c) for c in range(0x1F000, 0x1FB00, 3)),
        "".join(chr(c) for c in range(0x10000, 0x30000, 97)),
    ]
    texts = [
        "".join(rng.choice(rng.choice(pools)) for _ in range(rng.randint(0, 40)))
        for _ in range(6000)
    ]
    ids = fast.encode(texts)[0]
    expected = [e.ids for e in backend.encode_batch_fast(texts)]
    taken = [i for i, row in enumerate(ids) if row is not None]
    assert len(taken) > 300
    for i in taken:
        assert ids[i] == expected[i] or sorted(ids[i]) == sorted(expected[i]), repr(texts[i])


def test_the_encoder_gives_the_tokenizers_ids_with_either_path(xlmr: Path) -> None:
    tokenizer = AutoTokenizer.from_pretrained(xlmr)
    texts = shipped_reviews()[:500] + LEFT_TO_THE_TOKENIZER + ["word " * 400, ""]
    encoder = Encoder(tokenizer, max_length=64, threads=2, prefix="query: ")
    try:
        assert encoder._pieces is not None
        encoded = encoder.encode(texts)
    finally:
        encoder.close()
    full = tokenizer(["query: " + clean(t) for t in texts])["input_ids"]
    assert encoded.ids == [row if len(row) <= 64 else row[:63] + row[-1:] for row in full]
    assert encoded.n_tokens == [len(row) - 3 for row in full]  # "query:" is 3 tokens


def test_other_tokenizers_keep_their_own_call(tiny_checkpoint: Path, backend: Tokenizer) -> None:
    tiny = AutoTokenizer.from_pretrained(tiny_checkpoint)  # Unigram, but normalized by NFKC rules
    assert SentencePieceIds.for_tokenizer(tiny.backend_tokenizer) is None
    wordpiece = Tokenizer.from_str(
        '{"version":"1.0","model":{"type":"WordLevel","vocab":{"[UNK]":0},"unk_token":"[UNK]"}}'
    )
    assert SentencePieceIds.for_tokenizer(wordpiece) is None


def test_a_model_that_would_differ_is_not_used(
    backend: Tokenizer, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Rebuilt without the normalizer's character map, fullwidth probes come out differently."""
    build = sentencepiece_ids._processor
    monkeypatch.setattr(sentencepiece_ids, "_processor", lambda spec, charsmap: build(spec, b""))
    with caplog.at_level(logging.WARNING, logger="model.sentencepiece_ids"):
        assert SentencePieceIds.for_tokenizer(backend) is None
    assert "sentencepiece differs" in caplog.text
