"""Token ids for an XLM-R-kind `tokenizer.json` from the sentencepiece library, at a sixth of
the tokenizers library's cost, for the texts on which the two agree.

XLM-R's tokenizer is a sentencepiece Unigram model. The tokenizers library (0.23) runs it at
~70 core-µs per short review (10,000 Rotten Tomatoes snippets, mean 38.6 tokens, one thread),
the largest CPU cost of a worker's review; the sentencepiece library's C++ runs the same model
at ~12 core-µs, most of it with the GIL released. The model is rebuilt from tokenizer.json
(pieces, scores, the normalizer's precompiled character map), so its ids are the file's ids
with no offset to map, for any checkpoint folder.

Where they differ, measured: on 12,273 movie reviews (English and Spanish, critics' snippets
and chat style, with emoji) not at all. On random strings, in two ways:
- Normalization: the tokenizers library normalizes grapheme by grapheme, sentencepiece
  character by character, so combining marks, format characters (zero-width joiners,
  variation selectors), conjoining Hangul jamo and halfwidth katakana can come out differently
  (3.8% of random strings mixing them; 0 of 12,097 without them). A text holding any of those,
  or an added token's text ("<mask>", "</s>"), is left to the tokenizer: `encode` gives None.
- Ties: where two segmentations score exactly the same, the libraries may pick different ones,
  e.g. "?!?!?!" after a word: "?!?", "!", "?!" against "?!", "?!?", "!" (3 of 180 strings of
  laughs, elongations and repeated punctuation). The pieces and their number are the same (so
  are `n_tokens` and truncation); which order a model saw in training depends on the library
  it was trained with (XLM-R's pre-training used sentencepiece).

Order of effects: `for_tokenizer` reads the file's shape and returns None for anything but
Unigram + precompiled normalizer + metaspace + `<s> $A </s>`; builds the model; encodes
PROBE_TEXTS both ways and returns None (with a warning) on any difference.
"""

import base64
import json
import logging
import re
import time
import unicodedata
from functools import cache
from typing import Any

log = logging.getLogger(__name__)

#: Unicode categories whose characters the two libraries may normalize differently: marks,
#: format characters, private use, unassigned, surrogates, modifier letters.
UNSAFE_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Cf", "Co", "Cn", "Cs", "Lm"})
#: Conjoining Hangul jamo (graphemes of several code points) and halfwidth katakana (NFKC
#: joins a sound mark to the letter before it).
UNSAFE_RANGES = ((0x1100, 0x11FF), (0xA960, 0xA97F), (0xD7B0, 0xD7FF), (0xFF65, 0xFF9F))
#: Beyond the first 65,536 code points only the emoji and symbol blocks are taken (0 of 50,000
#: random strings of them differed); anything else there goes to the tokenizer.
EMOJI_BLOCKS = (0x1F000, 0x1FAFF)
#: Checked both ways before the fast path is used: registers, accents, whitespace, emoji.
PROBE_TEXTS = (
    "An absolute delight from start to finish.",
    "query: Me aburrí muchísimo, miré el reloj cada cinco minutos.",
    "¡Qué película tan chimba, parce! 10/10",
    "Ｆｕｌｌｗｉｄｔｈ  and   spaced\u00a0text\u3000here",
    "meh... 🎬🍿 not worth it 👎",
    "ﬁlm noir, café, naïve, Ⅻ, ①",
    "",
)


def _unsafe(code: int) -> bool:
    return unicodedata.category(chr(code)) in UNSAFE_CATEGORIES or any(
        low <= code <= high for low, high in UNSAFE_RANGES
    )


@cache
def _screens() -> tuple[re.Pattern[str], frozenset[str]]:
    """(a character class of the unsafe characters below U+10000 and of every character above
    it, the emoji and symbols above it that are safe), built once (~0.2 s). One class with a
    single range above U+FFFF keeps the search at ~0.5 µs a review; hundreds of ranges there
    cost ~60."""
    ranges: list[tuple[int, int]] = []
    start = None
    for code in range(0x10000):
        unsafe = _unsafe(code)
        if unsafe and start is None:
            start = code
        elif not unsafe and start is not None:
            ranges.append((start, code - 1))
            start = None
    ranges.append((0x10000 if start is None else start, 0x10FFFF))
    pattern = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in ranges) + "]")
    low, high = EMOJI_BLOCKS
    return pattern, frozenset(chr(c) for c in range(low, high + 1) if not _unsafe(c))


class SentencePieceIds:
    """`encode(texts)`: per text its ids with the special tokens around them, or None where the
    text must go to the tokenizer."""

    def __init__(self, processor: Any, bos: int, eos: int, added: list[str]) -> None:
        self._processor = processor
        self._bos, self._eos = bos, eos
        self._screen, self._safe_astral = _screens()
        self._added = re.compile("|".join(map(re.escape, added))) if added else None

    @classmethod
    def for_tokenizer(cls, tokenizer: Any) -> "SentencePieceIds | None":
        """For a `tokenizers.Tokenizer`, or None when its ids cannot be had this way."""
        spec = json.loads(tokenizer.to_str())
        shape = _shape(spec)
        if shape is None:
            return None
        bos, eos, charsmap = shape
        added = [token["content"] for token in spec["added_tokens"]]
        try:
            fast = cls(_processor(spec, charsmap), bos, eos, added)
        except Exception as exc:  # noqa: BLE001 - no fast path is a slower worker, not a failure
            log.warning("token ids from the tokenizers library only: %s", exc)
            return None
        expected = [e.ids for e in tokenizer.encode_batch_fast(list(PROBE_TEXTS))]
        if fast.encode(list(PROBE_TEXTS))[0] != expected:
            log.warning("token ids from the tokenizers library only: sentencepiece differs")
            return None
        return fast

    def encode(self, texts: list[str]) -> tuple[list[list[int] | None], float]:
        """(per text its ids or None, wall seconds of the batch call). The batch call runs on a
        thread of sentencepiece's own while the caller waits, so the caller's thread CPU clock
        does not see it; its wall time is that thread's busy time. One call a text instead,
        all on the caller's thread, drops and takes the GIL per text: in the worker, beside
        its other threads, that cost 185 core-µs a review against 121 (same run)."""
        safe = [self._safe(text) for text in texts]
        started = time.perf_counter()
        encoded = self._processor.encode([t for t, ok in zip(texts, safe) if ok], num_threads=1)
        seconds = time.perf_counter() - started
        ids = iter(encoded)
        bos, eos = self._bos, self._eos
        return [[bos, *next(ids), eos] if ok else None for ok in safe], seconds

    def _safe(self, text: str) -> bool:
        if self._added is not None and self._added.search(text):
            return False
        found = self._screen.search(text)
        while found is not None:
            if found.group() not in self._safe_astral:
                return False
            found = self._screen.search(text, found.end())
        return True


def _shape(spec: dict) -> tuple[int, int, bytes] | None:
    """(bos id, eos id, precompiled charsmap) of an XLM-R-kind tokenizer.json, else None."""
    model, normalizer = spec.get("model") or {}, spec.get("normalizer") or {}
    pre, post = spec.get("pre_tokenizer") or {}, spec.get("post_processor") or {}
    if model.get("type") != "Unigram" or model.get("byte_fallback") or model.get("unk_id") is None:
        return None
    if normalizer.get("type") != "Precompiled":
        return None
    metaspace = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": True}
    steps = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    if steps not in ([metaspace], [{"type": "WhitespaceSplit"}, metaspace]):
        return None
    single = post.get("single") or []
    if post.get("type") != "TemplateProcessing" or len(single) != 3:
        return None
    first, middle, last = single
    if "SpecialToken" not in first or "SpecialToken" not in last or "Sequence" not in middle:
        return None
    specials = post.get("special_tokens", {})
    try:
        bos, eos = (specials[t["SpecialToken"]["id"]]["ids"] for t in (first, last))
    except KeyError:
        return None
    if len(bos) != 1 or len(eos) != 1:
        return None
    return bos[0], eos[0], base64.b64decode(normalizer["precompiled_charsmap"])


def _processor(spec: dict, charsmap: bytes) -> Any:
    """A SentencePieceProcessor holding the file's pieces and scores at the file's ids."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2 as pb

    piece_type = pb.ModelProto.SentencePiece
    model = pb.ModelProto()
    model.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    unk = spec["model"]["unk_id"]
    special = {t["id"] for t in spec["added_tokens"] if t.get("special")}
    for index, (text, score) in enumerate(spec["model"]["vocab"]):
        piece = model.pieces.add()
        piece.piece, piece.score = text, score
        if index == unk:
            piece.type = piece_type.UNKNOWN
        elif index in special:
            piece.type = piece_type.CONTROL
    model.trainer_spec.unk_id = unk
    model.trainer_spec.bos_id = model.trainer_spec.eos_id = model.trainer_spec.pad_id = -1
    model.normalizer_spec.name = "precompiled"
    model.normalizer_spec.precompiled_charsmap = charsmap
    model.normalizer_spec.add_dummy_prefix = True
    model.normalizer_spec.remove_extra_whitespaces = True
    model.normalizer_spec.escape_whitespaces = True
    return sentencepiece.SentencePieceProcessor(model_proto=model.SerializeToString())
