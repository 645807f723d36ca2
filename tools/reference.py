"""Load the reference PyTorch CoAtNet by path, and write safetensors files.

The reference imports einops, which Debian does not package. `install_einops_shim`
registers a tiny `einops` module that implements only the patterns the reference
uses, so the reference file runs unmodified on Debian's python3-torch.
"""

import importlib.util
import json
import struct
import sys
import types

import torch


def _rearrange_c_h_w_to_h_w_c(t, **_):
    return t.permute(1, 2, 0)


def _rearrange_split_heads(t, h, **_):
    b, n, hd = t.shape
    return t.reshape(b, n, h, hd // h).permute(0, 2, 1, 3)


def _rearrange_merge_heads(t, **_):
    b, h, n, d = t.shape
    return t.permute(0, 2, 1, 3).reshape(b, n, h * d)


def _rearrange_bias_table(t, h, w, **_):
    return t.reshape(h, w, t.shape[-1]).permute(2, 0, 1).unsqueeze(0)


def _rearrange_nchw_to_tokens(t, **_):
    b, c, ih, iw = t.shape
    return t.reshape(b, c, ih * iw).permute(0, 2, 1)


def _rearrange_tokens_to_nchw(t, ih, iw, **_):
    b, n, c = t.shape
    return t.permute(0, 2, 1).reshape(b, c, ih, iw)


_PATTERNS = {
    'c h w -> h w c': _rearrange_c_h_w_to_h_w_c,
    'b n (h d) -> b h n d': _rearrange_split_heads,
    'b h n d -> b n (h d)': _rearrange_merge_heads,
    '(h w) c -> 1 c h w': _rearrange_bias_table,
    'b c ih iw -> b (ih iw) c': _rearrange_nchw_to_tokens,
    'b (ih iw) c -> b c ih iw': _rearrange_tokens_to_nchw,
}


def rearrange(tensor, pattern, **axes):
    if pattern not in _PATTERNS:
        raise NotImplementedError(f'einops shim: pattern {pattern!r} is not supported; '
                                  f'supported: {sorted(_PATTERNS)}')
    return _PATTERNS[pattern](tensor, **axes)


class Rearrange(torch.nn.Module):
    def __init__(self, pattern, **axes):
        super().__init__()
        self.pattern = pattern
        self.axes = axes

    def forward(self, x):
        return rearrange(x, self.pattern, **self.axes)


def install_einops_shim():
    try:
        import einops  # noqa: F401  (the real package wins when installed)
        return
    except ImportError:
        pass
    einops = types.ModuleType('einops')
    einops.rearrange = rearrange
    layers = types.ModuleType('einops.layers')
    layers_torch = types.ModuleType('einops.layers.torch')
    layers_torch.Rearrange = Rearrange
    einops.layers = layers
    layers.torch = layers_torch
    sys.modules['einops'] = einops
    sys.modules['einops.layers'] = layers
    sys.modules['einops.layers.torch'] = layers_torch


def load_reference(path):
    """Import the reference coatnet.py from `path` and return it as a module."""
    install_einops_shim()
    spec = importlib.util.spec_from_file_location('coatnet_reference', path)
    if spec is None:
        raise FileNotFoundError(f'cannot import the reference CoAtNet from {path!r}')
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_model(ref, config):
    """Build the reference CoAtNet from a config dict (the app's model-card format)."""
    return ref.CoAtNet(tuple(config['imageSize']), config['inChannels'], list(config['numBlocks']),
                       list(config['channels']), num_classes=config['numClasses'],
                       block_types=list(config['blockTypes']))


def randomize_normalization(model, num_batches_tracked=None, randomize_other=None):
    """Fill BatchNorm and LayerNorm parameters and statistics with per-channel random values.

    Fixtures need them away from their defaults (mean 0, variance 1, scale 1, shift 0), because
    with the defaults a wrong BatchNorm fold or channel order would not change any output.
    `randomize_other(module)` runs for every other module in the same pass, so its random draws
    interleave with these in module order.
    """
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0.0, 0.5)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.2)
                if num_batches_tracked is not None:
                    module.num_batches_tracked.fill_(num_batches_tracked)
            elif isinstance(module, torch.nn.LayerNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0.0, 0.2)
            elif randomize_other is not None:
                randomize_other(module)


_SAFETENSORS_DTYPES = {
    torch.float32: 'F32',
    torch.float16: 'F16',
    torch.bfloat16: 'BF16',
    torch.int64: 'I64',
    torch.int32: 'I32',
    torch.uint8: 'U8',
}


_TORCH_DTYPES = {name: dtype for dtype, name in _SAFETENSORS_DTYPES.items()}


def load_safetensors(path):
    """Read a safetensors file written by save_safetensors into a dict of torch tensors."""
    with open(path, 'rb') as f:
        data = f.read()
    (header_length,) = struct.unpack('<Q', data[:8])
    header = json.loads(data[8:8 + header_length])
    start = 8 + header_length
    tensors = {}
    for name, entry in header.items():
        if name == '__metadata__':
            continue
        begin, end = entry['data_offsets']
        dtype = _TORCH_DTYPES[entry['dtype']]
        raw = bytearray(data[start + begin:start + end])
        tensors[name] = torch.frombuffer(raw, dtype=dtype).reshape(entry['shape']).clone()
    return tensors


def _tensor_bytes(t):
    # bfloat16 has no numpy dtype, so its raw bits go through int16.
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def save_safetensors(tensors, path, metadata=None):
    """Write `tensors` (name -> torch.Tensor) in the safetensors format.

    Layout: 8-byte little-endian header length, a JSON header mapping each name
    to dtype, shape and [begin, end) byte offsets, then the raw little-endian data.
    """
    header = {}
    chunks = []
    offset = 0
    for name, tensor in tensors.items():
        data = _tensor_bytes(tensor)
        header[name] = {
            'dtype': _SAFETENSORS_DTYPES[tensor.dtype],
            'shape': list(tensor.shape),
            'data_offsets': [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {key: str(value) for key, value in metadata.items()}
    header_bytes = json.dumps(header, separators=(',', ':')).encode('utf-8')
    # Pad so the data section starts 8-byte aligned, which lets readers view it in place.
    header_bytes += b' ' * ((8 - len(header_bytes) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(header_bytes)))
        f.write(header_bytes)
        for data in chunks:
            f.write(data)


def global_average_logits(model, x):
    """Logits with a true global average pool, which the app uses for every input shape.

    The reference pools with AvgPool2d(ih // 32, 1) and then `view(-1, C)`: for a
    non-square input that leaves several positions per image and the batch grows.
    """
    features = x
    for stage in (model.s0, model.s1, model.s2, model.s3, model.s4):
        features = stage(features)
    return model.fc(features.mean(dim=(2, 3)))


def stage_outputs(model, x):
    outputs = {}
    features = x
    for name in ('s0', 's1', 's2', 's3', 's4'):
        features = getattr(model, name)(features)
        outputs[name] = features
    return outputs
