"""Forward passes at a fixed set of shapes, replayed as CUDA graphs on a GPU.

A pass of `rows` reviews padded to `width` tokens runs in the smallest bucket (R, W) with
R >= rows and W >= width: widths in multiples of 16 up to 128, then of 32 up to max_length;
rows in powers of two from MIN_ROWS up to what the token budget allows at that width (and that
budget itself). Each bucket owns its input and output buffers on the device and, on CUDA, pinned
host buffers of the same shape that are filled in place, so the hot path allocates nothing.

On CUDA, `capture()` (at warm-up) records one CUDA graph per bucket: a pass then costs one
graph launch instead of ~200 kernel launches from Python, which is what caps small-batch
throughput (DESIGN.md: sorted batches 19.7k reviews/s, + CUDA graphs over fixed buckets 28k on
an H100). transformers skips its data-dependent mask checks while a stream is capturing
(`is_tracing`), so the model's own forward is captured as it is. If capturing fails (a model
or driver that does not support it), the classifier logs it and runs eagerly, as on the CPU.

The same code runs eagerly over the same buffers on the CPU (tests compare it with the plain
path), so only `torch.cuda.graph` itself is left to a GPU.

Label equality single vs batched: in fp32 (CPU) padding changes p(positive) by ~1e-7 and the
4-decimal rounding in `Classifier.decide` absorbs it. In bf16 (CUDA) a different bucket means
different kernels and p can move by ~1e-3 (bf16 keeps 8 significant bits): a review whose p is
that close to the threshold can get the other label alone than in a batch. The batched label is
the served one; tests check equality in fp32 only.
"""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

log = logging.getLogger(__name__)

#: Rows of the smallest bucket: a lone review pads to 8 rows (on a GPU, 8 rows cost what 1 does).
MIN_ROWS = 8
#: Graphs are captured after this many eager passes per bucket (cuBLAS/cuDNN pick their kernels
#: and allocate their workspaces during those, never during capture).
CAPTURE_WARMUP_PASSES = 2


def bucket_widths(max_length: int) -> list[int]:
    """Multiples of 16 up to 128, then of 32, then max_length itself (rounded up to 8)."""
    top = -(-max_length // 8) * 8
    widths = [w for w in range(16, 129, 16) if w < top]
    widths += [w for w in range(160, top, 32)]
    return sorted({*widths, top})


def bucket_rows(width: int, max_rows: int, max_tokens: int) -> list[int]:
    """Powers of two from MIN_ROWS up to the most rows the budget allows at `width`, and that."""
    top = max(1, min(max_rows, max_tokens // width))
    rows, r = [], MIN_ROWS
    while r < top:
        rows.append(r)
        r *= 2
    return [*rows, top]


@dataclass
class Bucket:
    rows: int
    width: int
    input_ids: torch.Tensor
    mask: torch.Tensor
    host_ids: torch.Tensor
    host_mask: torch.Tensor
    host_out: torch.Tensor
    out: torch.Tensor | None = None
    graph: "torch.cuda.CUDAGraph | None" = None
    #: Marks the end of the last pass's copies; the host buffers are reused only after it.
    done: "torch.cuda.Event | None" = None
    #: Where the last pass's results go, not yet collected.
    pending: list[int] | None = field(default=None)


class BucketRunner:
    """P(positive) for token rows, through fixed-shape buckets (CUDA graphs once captured)."""

    def __init__(
        self,
        forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
        device: torch.device,
        pad_id: int,
        max_length: int,
        max_rows: int,
        max_tokens: int,
    ) -> None:
        #: (input_ids, attention_mask) -> P(positive) per row: the classifier's own forward
        #: pass, whichever head it has (sequence-classification logits or a pooled head).
        self.forward = forward
        self.pad_id = pad_id
        self.device = device
        self.cuda = self.device.type == "cuda"
        self.widths = bucket_widths(max_length)
        self.rows = {w: bucket_rows(w, max_rows, max_tokens) for w in self.widths}
        self.buckets: dict[tuple[int, int], Bucket] = {}
        self.captured = False

    # -- shapes -----------------------------------------------------------------------------
    def shape_for(self, rows: int, width: int) -> tuple[int, int]:
        """The bucket a pass of `rows` rows of up to `width` tokens runs in; more rows than the
        largest bucket of that width holds are split by `passes`."""
        w = next((w for w in self.widths if w >= width), None)
        if w is None:
            raise ValueError(f"a row of {width} tokens is longer than the largest bucket")
        r = next((r for r in self.rows[w] if r >= rows), self.rows[w][-1])
        return r, w

    def passes(self, lengths: Sequence[int], order: Sequence[int]) -> list[list[int]]:
        """`order` (indices sorted by length, shortest first) cut into passes, each as many rows
        as the bucket of its longest row holds."""
        result: list[list[int]] = []
        current: list[int] = []
        for index in order:
            _, width = self.shape_for(1, lengths[index])
            if current and len(current) >= self.rows[width][-1]:
                result.append(current)
                current = []
            current.append(index)
        if current:
            result.append(current)
        return result

    def bucket(self, rows: int, width: int) -> Bucket:
        shape = self.shape_for(rows, width)
        found = self.buckets.get(shape)
        if found is None:
            found = self._allocate(*shape)
            self.buckets[shape] = found
        return found

    # -- running ----------------------------------------------------------------------------
    @torch.inference_mode()
    def probabilities(self, ids: Sequence[Sequence[int]]) -> np.ndarray:
        result = np.empty(len(ids), dtype=np.float64)
        lengths = [len(row) for row in ids]
        order = sorted(range(len(ids)), key=lengths.__getitem__)
        used: list[Bucket] = []
        for chunk in self.passes(lengths, order):
            bucket = self.bucket(len(chunk), lengths[chunk[-1]])
            self._collect(bucket, result)  # its buffers are free again
            self._fill(bucket, [ids[i] for i in chunk])
            self._launch(bucket)
            bucket.pending = chunk
            used.append(bucket)
        for bucket in used:
            self._collect(bucket, result)
        return result

    def capture(self) -> None:
        """Allocate every bucket and record its CUDA graph (CUDA only; call once, at warm-up)."""
        if not self.cuda:
            return
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.inference_mode(), torch.cuda.stream(stream):
            for width in self.widths:
                for rows in self.rows[width]:
                    bucket = self.bucket(rows, width)
                    bucket.host_ids.fill_(self.pad_id + 1)
                    bucket.host_mask.fill_(1)
                    bucket.input_ids.copy_(bucket.host_ids)
                    bucket.mask.copy_(bucket.host_mask)
                    for _ in range(CAPTURE_WARMUP_PASSES):
                        self._forward(bucket)
        torch.cuda.current_stream(self.device).wait_stream(stream)
        torch.cuda.synchronize(self.device)
        with torch.inference_mode():
            for bucket in self.buckets.values():
                graph = torch.cuda.CUDAGraph()
                with torch.cuda.graph(graph):
                    out = self._forward(bucket)
                bucket.graph, bucket.out = graph, out
        torch.cuda.synchronize(self.device)
        self.captured = True
        log.info("captured %d CUDA graphs (widths %s)", len(self.buckets), self.widths)

    # -- internals --------------------------------------------------------------------------
    def _allocate(self, rows: int, width: int) -> Bucket:
        def device_buffer() -> torch.Tensor:
            return torch.zeros((rows, width), dtype=torch.int64, device=self.device)

        def host_buffer(shape, dtype) -> torch.Tensor:
            return torch.zeros(shape, dtype=dtype, pin_memory=self.cuda)

        if self.cuda:
            input_ids, mask = device_buffer(), device_buffer()
        else:  # on the CPU the host buffers are the model's inputs
            input_ids = mask = None
        host_ids = host_buffer((rows, width), torch.int64)
        host_mask = host_buffer((rows, width), torch.int64)
        return Bucket(
            rows=rows,
            width=width,
            input_ids=host_ids if input_ids is None else input_ids,
            mask=host_mask if mask is None else mask,
            host_ids=host_ids,
            host_mask=host_mask,
            host_out=host_buffer((rows,), torch.float32),
            done=torch.cuda.Event() if self.cuda else None,
        )

    def _forward(self, bucket: Bucket) -> torch.Tensor:
        return self.forward(bucket.input_ids, bucket.mask)

    def _fill(self, bucket: Bucket, rows: list[Sequence[int]]) -> None:
        ids, mask = bucket.host_ids.numpy(), bucket.host_mask.numpy()
        ids.fill(self.pad_id)
        mask.fill(0)
        mask[:, 0] = 1  # rows beyond the pass's own attend to one pad token (no empty softmax)
        for r, row in enumerate(rows):
            ids[r, : len(row)] = row
            mask[r, : len(row)] = 1

    def _launch(self, bucket: Bucket) -> None:
        if not self.cuda:
            bucket.host_out.copy_(self._forward(bucket))
            return
        bucket.input_ids.copy_(bucket.host_ids, non_blocking=True)
        bucket.mask.copy_(bucket.host_mask, non_blocking=True)
        if bucket.graph is not None:
            bucket.graph.replay()
            out = bucket.out
        else:
            out = self._forward(bucket)
        bucket.host_out.copy_(out, non_blocking=True)
        bucket.done.record()

    def _collect(self, bucket: Bucket, result: np.ndarray) -> None:
        if bucket.pending is None:
            return
        if bucket.done is not None:
            bucket.done.synchronize()
        result[bucket.pending] = bucket.host_out.numpy()[: len(bucket.pending)]
        bucket.pending = None
