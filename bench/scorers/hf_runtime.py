"""Inference engines for a fine-tuned transformer (``model.runtime``, ``model.quantize``, ``model.precision``).

- ``torch``: the model itself, under autocast at bf16/fp16 (CUDA) or plain fp32;
- ``torch`` + ``quantize: int8``: dynamic int8 quantisation of the linear layers (CPU);
- ``onnx``: the model exported with ``torch.onnx`` and run by ONNX Runtime (CPU, or CUDA where
  onnxruntime-gpu is installed), its encoder ops fused by ONNX Runtime's transformer optimizer;
  with ``quantize: int8`` the weights are quantised (per output channel) by ``onnxruntime.quantization``,
  activations dynamically at run time.

Every engine takes a dict of padded input tensors and returns the logits as a torch tensor.
"""

from __future__ import annotations

import copy
import inspect
import logging
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bench.errors import ConfigError, install_hint
from bench.scorers.hf_common import autocast, to_device

RUNTIMES = ("torch", "onnx")
QUANTIZATIONS = (None, "int8")


def check_runtime(runtime: str, quantize: str | None, precision: str, device: torch.device) -> None:
    """One clear error for a combination the engines do not run."""
    if runtime not in RUNTIMES:
        raise ConfigError(f"model.runtime={runtime!r}: must be one of {', '.join(RUNTIMES)}")
    if quantize not in QUANTIZATIONS:
        raise ConfigError(f"model.quantize={quantize!r}: must be null or int8")
    if (runtime == "onnx" or quantize) and precision not in ("auto", "fp32"):
        raise ConfigError(f"model.precision={precision}: the {runtime}{' int8' if quantize else ''} path runs "
                          "fp32 (set model.precision=fp32 or auto)")
    if runtime == "torch" and quantize and device.type != "cpu":
        raise ConfigError(f"model.quantize=int8 with model.runtime=torch runs on the CPU only, not {device} "
                          "(set model.device=cpu)")


class TorchEngine:
    """The torch model on its device, at ``dtype`` (autocast below fp32)."""

    def __init__(self, model: torch.nn.Module, device: torch.device, dtype: torch.dtype) -> None:
        self.model, self.device, self.dtype = model, device, dtype
        self.pin = device.type == "cuda"

    def __call__(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        with autocast(self.device, self.dtype):
            return self.model(**to_device(inputs, self.device)).logits


def quantized_int8(model: torch.nn.Module) -> torch.nn.Module:
    """A copy of ``model`` on the CPU with its linear layers dynamically quantised to int8."""
    from torch.ao.quantization import quantize_dynamic

    cpu_copy = copy.deepcopy(model).to("cpu").eval()
    with warnings.catch_warnings():  # torch announces a move of eager quantisation to torchao
        warnings.simplefilter("ignore")
        return quantize_dynamic(cpu_copy, {torch.nn.Linear}, dtype=torch.qint8)


class OnnxEngine:
    """The model exported to ONNX and run by ONNX Runtime (optionally int8-quantised)."""

    def __init__(self, model: torch.nn.Module, input_names: list[str], device: torch.device,
                 quantize: str | None) -> None:
        try:  # optional: the onnx extra
            import onnx  # noqa: F401 - the exporter and the int8 quantiser need it
            import onnxruntime as ort
        except ImportError:
            raise ConfigError(f"model.runtime=onnx needs the onnx extra: {install_hint('onnx')}") from None
        self._folder = tempfile.TemporaryDirectory(prefix="newsbias-onnx-")
        folder = Path(self._folder.name)
        path = export_onnx(model, input_names, folder / "model.onnx")
        path = optimize_onnx(path, model.config, folder / "model.opt.onnx")
        if quantize == "int8":
            path = quantize_onnx_int8(path, folder / "model.int8.onnx")
        providers = ["CPUExecutionProvider"]
        if device.type == "cuda" and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(path), options, providers=providers)
        self.inputs = [i.name for i in self.session.get_inputs()]
        self.device = torch.device("cpu")
        self.pin = False

    def __call__(self, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        feed = {name: inputs[name].numpy() for name in self.inputs}
        return torch.from_numpy(np.asarray(self.session.run(None, feed)[0]))


def export_onnx(model: torch.nn.Module, input_names: list[str], path: Path) -> Path:
    """``model`` (fp32, CPU copy) as an ONNX graph with dynamic batch and sequence axes."""
    cpu_model = copy.deepcopy(model).to("cpu").float().eval()
    if hasattr(cpu_model, "set_attn_implementation"):  # the eager pattern is the one ONNX Runtime fuses into Attention
        cpu_model.set_attn_implementation("eager")
    # the exporter names graph inputs in the order of forward()'s parameters, whatever the kwargs' order
    order = list(inspect.signature(cpu_model.forward).parameters)
    input_names = sorted(input_names, key=lambda name: order.index(name) if name in order else len(order))
    sample = {name: torch.ones((2, 8), dtype=torch.long) for name in input_names}
    sample["attention_mask"][1, 5:] = 0  # a padded row, so no "no padding" shortcut is traced
    if "token_type_ids" in sample:
        sample["token_type_ids"].zero_()
    axes = {name: {0: "batch", 1: "sequence"} for name in input_names}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer warnings about shape-dependent Python branches
        per_token = cpu_model(**sample).logits.dim() == 3  # token classification: (batch, sequence, labels)
        torch.onnx.export(cpu_model, (), str(path), kwargs=sample, input_names=input_names, output_names=["logits"],
                          dynamic_axes={**axes, "logits": {0: "batch", 1: "sequence"} if per_token else {0: "batch"}},
                          opset_version=17, dynamo=False)
    return path


def optimize_onnx(path: Path, config: Any, out: Path) -> Path:
    """ONNX Runtime's transformer fusions (attention, layer norm, GELU) for BERT-like encoders; the
    graph as exported for other architectures."""
    if getattr(config, "model_type", "") not in ("bert", "roberta", "distilbert", "xlm-roberta", "electra"):
        return path
    from onnxruntime.transformers import optimizer

    heads, hidden = int(config.num_attention_heads), int(config.hidden_size)
    previous = logging.getLogger("onnxruntime.transformers").level
    logging.getLogger("onnxruntime.transformers").setLevel(logging.ERROR)
    try:
        optimized = optimizer.optimize_model(str(path), model_type="bert", num_heads=heads, hidden_size=hidden,
                                             opt_level=0)
        optimized.save_model_to_file(str(out))
    finally:
        logging.getLogger("onnxruntime.transformers").setLevel(previous)
    return out


def quantize_onnx_int8(path: Path, out: Path) -> Path:
    """Dynamic int8 quantisation of the graph's weights (activations quantised at run time)."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    previous = root.level
    root.setLevel(logging.ERROR)  # "consider pre-processing before quantization" is advice, not an error
    try:
        # per-channel weight scales: on MiniLM/BABE per-tensor scales changed 4x more decisions
        # fused operators (com.microsoft domain) have no inferred output type: they are float
        quantize_dynamic(str(path), str(out), weight_type=QuantType.QInt8, per_channel=True,
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
    finally:
        root.setLevel(previous)
    return out


def build_engine(model: torch.nn.Module, input_names: list[str], *, runtime: str, quantize: str | None,
                 device: torch.device, dtype: torch.dtype) -> Any:
    """The engine for these settings (see the module docstring)."""
    model.eval()
    if runtime == "onnx":
        return OnnxEngine(model, input_names, device, quantize)
    if quantize == "int8":
        return TorchEngine(quantized_int8(model), torch.device("cpu"), torch.float32)
    return TorchEngine(model, device, dtype)
