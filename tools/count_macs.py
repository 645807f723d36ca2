"""Count multiply-adds (MACs) and parameters of the reference CoAtNet with forward hooks.

Usage (Debian: apt-get install python3-torch):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/count_macs.py \
        --reference ../shared/reference/coatnet.py > tests/fixtures/analysis/macs.json

For each config the output records, for one image (batch 1):
- every module the forward pass calls, with its type, whether it is a leaf and its
  output shape (PyTorch layout, batch dimension dropped), so the app's per-op shapes
  can be checked;
- MACs per Conv2d: output elements * in_channels / groups * kernel area;
- MACs per Linear: output elements * in_features;
- MACs per Attention module: the two matmuls q @ k^T and attn @ v, each
  heads * N * N * dim_head, computed from the input shape;
- MACs and trainable parameters per stage (s0..s4, head = fc) and in total.
Bias additions, normalization, activations, softmax, pooling, the SE gate product and
residual additions are not multiply-adds of a weight and are not counted.

The head runs as a true global average pool followed by fc, as the app does. The
reference's own AvgPool2d(ih // 32, 1) + view(-1, C) differs from that for non-square
inputs (see global_average_logits in tools/reference.py).
"""

import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import build_model, global_average_logits, load_reference  # noqa: E402

# torch 1.13 warns that meshgrid will require `indexing=`; its default 'ij' order is unchanged.
warnings.filterwarnings('ignore', message='torch.meshgrid')

STAGES = ('s0', 's1', 's2', 's3', 's4')

# Odd stage widths make int(0.25 * inp) in the SE layers truncate (18 -> 4, 30 -> 7),
# so a port that rounds instead is caught.
CONFIGS = [
    {
        'name': 'coatnet_0_224',
        'config': {
            'imageSize': [224, 224], 'inChannels': 3, 'numBlocks': [2, 2, 3, 5, 2],
            'channels': [64, 96, 192, 384, 768], 'numClasses': 1000,
            'blockTypes': ['C', 'C', 'T', 'T'],
        },
    },
    {
        'name': 'small_cctt_64',
        'config': {
            'imageSize': [64, 64], 'inChannels': 3, 'numBlocks': [2, 2, 3, 2, 2],
            'channels': [18, 30, 44, 60, 76], 'numClasses': 10,
            'blockTypes': ['C', 'C', 'T', 'T'],
        },
    },
    {
        'name': 'nonsquare_cctt_64x96',
        'config': {
            'imageSize': [64, 96], 'inChannels': 3, 'numBlocks': [1, 2, 2, 2, 2],
            'channels': [16, 24, 32, 48, 64], 'numClasses': 7,
            'blockTypes': ['C', 'C', 'T', 'T'],
        },
    },
    {
        'name': 'cttt_64',
        'config': {
            'imageSize': [64, 64], 'inChannels': 1, 'numBlocks': [1, 2, 2, 2, 1],
            'channels': [18, 30, 44, 60, 76], 'numClasses': 5,
            'blockTypes': ['C', 'T', 'T', 'T'],
        },
    },
]


def stage_of(module_name):
    """Map a module name such as 's2.0.conv.fn.0' to its stage, or 'head' for fc."""
    top = module_name.split('.', 1)[0]
    if top in STAGES:
        return top
    if top in ('fc', 'pool'):
        return 'head'
    raise ValueError(f'module {module_name!r} belongs to no stage; expected s0..s4, pool or fc')


def conv_macs(module, output):
    kernel_area = module.kernel_size[0] * module.kernel_size[1]
    return output.numel() * (module.in_channels // module.groups) * kernel_area


def linear_macs(module, output):
    return output.numel() * module.in_features


def attention_macs(module, tokens):
    """MACs of q @ k^T and attn @ v for tokens [B, N, C]: 2 * B * heads * N * N * dim_head."""
    batch, count, _ = tokens.shape
    dim_head = module.to_qkv.out_features // 3 // module.heads
    return 2 * batch * module.heads * count * count * dim_head


class Recorder:
    """Forward hooks that record every module the forward pass calls, containers included."""

    def __init__(self, ref, model):
        self.entries = []
        self.handles = []
        for name, module in model.named_modules():
            is_leaf = len(list(module.children())) == 0
            self.handles.append(module.register_forward_hook(self.hook(ref, name, is_leaf)))

    def hook(self, ref, name, is_leaf):
        def record(module, inputs, output):
            if isinstance(module, torch.nn.Conv2d):
                macs = conv_macs(module, output)
            elif isinstance(module, torch.nn.Linear):
                macs = linear_macs(module, output)
            elif isinstance(module, ref.Attention):
                macs = attention_macs(module, inputs[0])
            else:
                macs = 0
            self.entries.append({
                'name': name,
                'type': type(module).__name__,
                'leaf': is_leaf,
                'outputShape': list(output.shape[1:]),
                'macs': macs,
            })
        return record

    def remove(self):
        for handle in self.handles:
            handle.remove()


def count_parameters_per_stage(model):
    counts = {name: 0 for name in (*STAGES, 'head')}
    for name, parameter in model.named_parameters():
        if parameter.requires_grad:
            counts[stage_of(name)] += parameter.numel()
    return counts


def count_config(ref, entry):
    config = entry['config']
    torch.manual_seed(0)
    model = build_model(ref, config).eval()
    recorder = Recorder(ref, model)
    height, width = config['imageSize']
    with torch.no_grad():
        global_average_logits(model, torch.randn(1, config['inChannels'], height, width))
    recorder.remove()

    macs = {name: 0 for name in (*STAGES, 'head')}
    for record in recorder.entries:
        macs[stage_of(record['name'])] += record['macs']
    parameters = count_parameters_per_stage(model)

    return {
        'name': entry['name'],
        'config': config,
        'stages': {name: {'macs': macs[name], 'parameters': parameters[name]} for name in macs},
        'totalMacs': sum(macs.values()),
        'totalParameters': ref.count_parameters(model),
        'modules': recorder.entries,
    }


def format_results(results):
    """JSON with one line per module record, so a fixture diff shows which modules changed."""
    configs = []
    for result in results:
        fields = [f'  {json.dumps(key)}: {json.dumps(value)}' for key, value in result.items() if key != 'modules']
        modules = ',\n'.join(f'   {json.dumps(record)}' for record in result['modules'])
        fields.append(f'  "modules": [\n{modules}\n  ]')
        configs.append(' {\n' + ',\n'.join(fields) + '\n }')
    return '{"configs": [\n' + ',\n'.join(configs) + '\n]}'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path of the reference coatnet.py')
    args = parser.parse_args()

    torch.set_num_threads(1)
    ref = load_reference(args.reference)
    results = [count_config(ref, entry) for entry in CONFIGS]
    print(format_results(results))


if __name__ == '__main__':
    main()
