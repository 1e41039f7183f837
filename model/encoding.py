"""The CPU half of classification: clean, tokenize, truncate, detect the language; on threads.

A batch is cut into chunks of at least MIN_CHUNK texts, encoded by a small thread pool and put
back in order. Token ids come from the sentencepiece library for XLM-R-kind tokenizers (a sixth
of the cost, on the texts where it gives the tokenizer's ids: model/sentencepiece_ids.py),
else from the Rust tokenizer (`encode_batch_fast`); both release the GIL while they work, so
one chunk's tokenization runs beside another chunk's Python steps and beside the scorer and
writer threads of the worker; lingua (2.1.1) and the Python steps hold the GIL (measured: a
thread spinning in Python ran freely during `encode_batch_fast`, and barely during a lingua
call), which is why language detection settles most reviews with function words first, and
sends the rest to processes of their own where the worker is bound by its GIL
(`REVIEWBOT_MODEL_LANGUAGE_PROCESSES`, model/language_processes.py).

Each step's CPU time is measured with the thread's own clock in the thread that does the work,
so the costs in `Encoded.cpu_s` are exact whatever the pool size. The worker process sets
TOKENIZERS_PARALLELISM=false so that the tokenizer's own rayon pool does not run under ours
(its threads would oversubscribe the cores and their CPU time would be nobody's).
"""

import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from transformers import PreTrainedTokenizerBase

from model.language import detect_languages, preload
from model.language_processes import LanguageProcesses
from model.sentencepiece_ids import SentencePieceIds
from model.text import clean
from reviewbot.messages import Language

#: Fewer texts than this per chunk cost more in hand-offs than they gain (a chunk of 64 short
#: reviews is ~5 ms of work; a hand-off to a pool thread ~50 µs).
MIN_CHUNK = 64
#: Encoding threads when REVIEWBOT_MODEL_ENCODE_THREADS is 0: the cores this process may use,
#: up to this many (beyond it, the GIL-bound steps are the limit, not the cores).
MAX_AUTO_THREADS = 8


@dataclass(frozen=True)
class Encoded:
    """Texts tokenized on the CPU, in the order given."""

    ids: list[list[int]]
    n_tokens: list[int]
    truncated: list[bool]
    languages: list[Language]
    #: What encoding cost, per step ("clean", "tokenize", "language"): CPU seconds of the
    #: threads that did it, and wall seconds. The worker reports them per stage.
    cpu_s: dict[str, float] = field(default_factory=dict, compare=False)
    wall_s: dict[str, float] = field(default_factory=dict, compare=False)

    def __len__(self) -> int:
        return len(self.ids)


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class Encoder:
    """Encodes batches of texts for one tokenizer, spread over `threads` threads."""

    def __init__(
        self,
        tokenizer: PreTrainedTokenizerBase,
        max_length: int,
        threads: int,
        prefix: str = "",
        language_processes: int = 0,
    ) -> None:
        self.tokenizer = tokenizer
        self.max_length = max_length
        self.suffix_len = _special_suffix_length(tokenizer)
        #: Put before every text (e5's "query: "); its tokens are not counted as the review's.
        self.prefix = prefix
        self.prefix_len = (
            len(tokenizer(prefix, add_special_tokens=False)["input_ids"]) if prefix else 0
        )
        self.threads = threads or min(MAX_AUTO_THREADS, usable_cores())
        # The Rust tokenizer itself, without the Python wrapper's per-call set-up (~15% of the
        # time on short reviews): a copy, so truncation or padding set on the wrapper's
        # backend by other callers never applies here. Slow (Python) tokenizers keep the call.
        self._backend = None
        #: XLM-R-kind tokenizers: ids from the sentencepiece library, at a sixth of the cost, for
        #: the texts where they match the tokenizer's (model/sentencepiece_ids.py); else None.
        self._pieces = None
        if getattr(tokenizer, "is_fast", False):
            from tokenizers import Tokenizer

            self._backend = Tokenizer.from_str(tokenizer.backend_tokenizer.to_str())
            self._backend.no_truncation()
            self._backend.no_padding()
            self._pieces = SentencePieceIds.for_tokenizer(self._backend)
        self._pool = (
            ThreadPoolExecutor(self.threads, thread_name_prefix="encode")
            if self.threads > 1
            else None
        )
        #: lingua's share of language detection in processes of its own (off this process's
        #: GIL), or None: in the encoding threads.
        self._lingua = LanguageProcesses(language_processes) if language_processes else None

    def encode(self, texts: Sequence[str]) -> Encoded:
        texts = list(texts)
        chunks = self._chunks(len(texts))
        if self._pool is None or len(chunks) == 1:
            parts = [self._encode_chunk(texts)]
        else:
            parts = list(self._pool.map(lambda c: self._encode_chunk(texts[c[0] : c[1]]), chunks))
        cpu_s: dict[str, float] = {}
        wall_s: dict[str, float] = {}
        for part in parts:
            for name, seconds in part.cpu_s.items():
                cpu_s[name] = cpu_s.get(name, 0.0) + seconds
            for name, seconds in part.wall_s.items():
                # Chunks run side by side: the step's wall time is the longest chunk's.
                wall_s[name] = max(wall_s.get(name, 0.0), seconds)
        return Encoded(
            ids=[row for part in parts for row in part.ids],
            n_tokens=[n for part in parts for n in part.n_tokens],
            truncated=[t for part in parts for t in part.truncated],
            languages=[language for part in parts for language in part.languages],
            cpu_s=cpu_s,
            wall_s=wall_s,
        )

    def warm_up(self) -> None:
        """Load the language models and start the threads before the first batch needs them."""
        if self._lingua is not None:
            self._lingua.warm_up()
        else:
            preload()
        self.encode(["A warm-up review.", "Una reseña de calentamiento."] * MIN_CHUNK)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._lingua is not None:
            self._lingua.close()

    def _chunks(self, n: int) -> list[tuple[int, int]]:
        if n == 0:
            return [(0, 0)]
        count = max(1, min(self.threads, n // MIN_CHUNK))
        size = -(-n // count)
        return [(start, min(n, start + size)) for start in range(0, n, size)]

    def _encode_chunk(self, texts: list[str]) -> Encoded:
        clock = _Clock()
        texts = [clean(text) for text in texts]
        clock.lap("clean")
        inputs = [self.prefix + text for text in texts] if self.prefix else texts
        elsewhere_s = 0.0
        if self._backend is not None:
            full, elsewhere_s = self._token_ids(inputs)
        else:
            full = self.tokenizer(inputs, verbose=False)["input_ids"] if inputs else []
        limit = self.max_length
        ids = [row if len(row) <= limit else self._truncate(row) for row in full]
        clock.lap("tokenize", elsewhere_s)
        languages, elsewhere_s = self._languages(texts)
        clock.lap("language", elsewhere_s)
        return Encoded(
            ids=ids,
            n_tokens=[len(row) - self.prefix_len for row in full],
            truncated=[len(row) > limit for row in full],
            languages=languages,
            cpu_s=clock.cpu_s,
            wall_s=clock.wall_s,
        )

    def _token_ids(self, texts: list[str]) -> tuple[list[list[int]], float]:
        """(the tokenizer's ids, from sentencepiece for the texts it applies to; the seconds
        sentencepiece's own thread worked on them)."""
        if not texts:
            return [], 0.0
        if self._pieces is None:
            return [e.ids for e in self._backend.encode_batch_fast(texts)], 0.0
        ids, elsewhere_s = self._pieces.encode(texts)
        rest = [i for i, row in enumerate(ids) if row is None]
        if rest:
            encoded = self._backend.encode_batch_fast([texts[i] for i in rest])
            for i, e in zip(rest, encoded, strict=True):
                ids[i] = e.ids
        return ids, elsewhere_s

    def _languages(self, texts: list[str]) -> tuple[list[Language], float]:
        """(each text's language; the CPU seconds lingua's processes spent on them)."""
        if self._lingua is None:
            return detect_languages(texts), 0.0
        elsewhere_s = 0.0

        def in_processes(rest: list[str]) -> list[Language]:
            nonlocal elsewhere_s
            languages, elsewhere_s = self._lingua.detect(rest)
            return languages

        return detect_languages(texts, in_processes), elsewhere_s

    def _truncate(self, row: list[int]) -> list[int]:
        """Cut the content, keep the special tokens around it (<s> ... </s> for XLM-R)."""
        keep = self.max_length - self.suffix_len
        return row[:keep] + (row[-self.suffix_len :] if self.suffix_len else [])


class _Clock:
    """Laps of this thread's CPU time and of wall time, named after the step that ended; a lap
    may add CPU time a library spent on a thread of its own for the step (`elsewhere_s`)."""

    def __init__(self) -> None:
        self.cpu_s: dict[str, float] = {}
        self.wall_s: dict[str, float] = {}
        self._cpu, self._wall = time.thread_time(), time.perf_counter()

    def lap(self, name: str, elsewhere_s: float = 0.0) -> None:
        cpu, wall = time.thread_time(), time.perf_counter()
        self.cpu_s[name] = self.cpu_s.get(name, 0.0) + cpu - self._cpu + elsewhere_s
        self.wall_s[name] = self.wall_s.get(name, 0.0) + wall - self._wall
        self._cpu, self._wall = cpu, wall


def _special_suffix_length(tokenizer: PreTrainedTokenizerBase) -> int:
    """How many special tokens the tokenizer appends after a text's content."""
    bare = tokenizer("a", add_special_tokens=False)["input_ids"]
    full = tokenizer("a")["input_ids"]
    for start in range(len(full) - len(bare) + 1):
        if full[start : start + len(bare)] == bare:
            return len(full) - start - len(bare)
    return 0
