"""Write small random-weight CoAtNet fixtures that the TypeScript port must reproduce.

Usage (Debian: apt-get install python3-torch):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_parity_fixtures.py \
        --reference ../shared/reference/coatnet.py --out tests/fixtures/parity

For each fixture NAME the output folder gets:
- NAME.weights.safetensors: the reference state_dict() under its own key names
  (float32 parameters and statistics, int64 relative_index and num_batches_tracked).
- NAME.io.safetensors: float32 `input` [1, C, H, W], stage outputs `s0`..`s4` (NCHW),
  `logits` [1, classes] from a true global average pool, and the reference's own
  forward output: `reference_logits` for square inputs, `reference_pool_rows` otherwise.
- NAME.json: the model config (the app's camelCase model-card keys), a description
  and the shape of the reference forward output.
and index.json lists the fixture names.

`--coatnet0 PATH` also writes random coatnet_0() weights (about 73 MB) for benchmarks.
"""

import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import (build_model, global_average_logits, load_reference, randomize_normalization,  # noqa: E402
                       save_safetensors, stage_outputs)

# torch 1.13 warns that meshgrid will require `indexing=`. The reference relies on the
# default 'ij' order, which 1.13 still uses, so the warning does not affect these fixtures.
warnings.filterwarnings('ignore', message='torch.meshgrid')

FIXTURES = [
    {
        'name': 'a_cctt_1ch_32',
        'description': 'C,C,T,T on a 1-channel 32x32 input, several blocks per stage, '
                       'so stages s1-s4 each run a downsampling block followed by plain blocks.',
        'config': {
            'imageSize': [32, 32],
            'inChannels': 1,
            'numBlocks': [2, 2, 3, 2, 2],
            'channels': [16, 24, 32, 48, 64],
            'numClasses': 10,
            'blockTypes': ['C', 'C', 'T', 'T'],
        },
    },
    {
        'name': 'b_cttt_3ch_64',
        'description': 'C,T,T,T on a 3-channel 64x64 input, so attention runs at 8x8 (s2), '
                       '4x4 (s3) and 2x2 (s4) with relative-position bias tables of every size.',
        'config': {
            'imageSize': [64, 64],
            'inChannels': 3,
            'numBlocks': [1, 2, 2, 2, 1],
            'channels': [16, 24, 32, 48, 64],
            'numClasses': 5,
            'blockTypes': ['C', 'T', 'T', 'T'],
        },
    },
    {
        'name': 'c_nonsquare_64x96',
        'description': 'C,C,T,T on a 3-channel 64x96 (H x W) input. The reference pools the 2x3 '
                       's4 map with AvgPool2d(ih // 32, 1) into 1x2 and then calls view(-1, C) on '
                       'the NCHW tensor, so it returns 2 rows for one image and each row mixes '
                       'channels and positions (reference_pool_rows). `logits` uses a true '
                       'global average pool over the 2x3 s4 map instead.',
        'config': {
            'imageSize': [64, 96],
            'inChannels': 3,
            'numBlocks': [1, 2, 2, 2, 2],
            'channels': [16, 24, 32, 48, 64],
            'numClasses': 7,
            'blockTypes': ['C', 'C', 'T', 'T'],
        },
    },
]

# With the default statistics (mean 0, var 1, weight 1, bias 0) a wrong Batch Norm fold
# or channel order gives the right output. A zero relative-position bias table hides
# indexing bugs in the same way. So every such tensor gets per-channel random values.
NUM_BATCHES_TRACKED = 1234

# Measured on these fixtures with the default attention init and a bias table of
# std 0.5, a transposed relative_index moved the stage outputs (std about 0.8) by at
# most 0.01-0.02, which a loose tolerance would miss. A table std of 1.0 and doubled
# to_qkv weights (sharper softmax, larger values) raise that to about 0.035-0.1.
RELATIVE_BIAS_STD = 1.0
ATTENTION_QKV_SCALE = 2.0

# With PyTorch's default init the logits have a std of about 0.4-0.5, so a port that
# returned near-zero logits would pass loose tolerances. Scaling the classifier
# brings the logit std to about 2-3.5.
CLASSIFIER_WEIGHT_SCALE = 4.0


def randomize_attention(ref, model):
    """Fill every relative-position bias table and sharpen the attention weights."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, ref.Attention):
                module.relative_bias_table.normal_(0.0, RELATIVE_BIAS_STD)
                module.to_qkv.weight.mul_(ATTENTION_QKV_SCALE)


def build_random_model(ref, config, seed):
    torch.manual_seed(seed)
    model = build_model(ref, config)
    randomize_normalization(model, NUM_BATCHES_TRACKED)
    randomize_attention(ref, model)
    with torch.no_grad():
        model.fc.weight.mul_(CLASSIFIER_WEIGHT_SCALE)
    model.eval()
    return model


def check_state_dict_dtypes(state_dict, name):
    allowed_int64 = ('relative_index', 'num_batches_tracked')
    for key, tensor in state_dict.items():
        expected = torch.int64 if key.endswith(allowed_int64) else torch.float32
        if tensor.dtype != expected:
            raise ValueError(f'{name}: state_dict entry {key} has dtype {tensor.dtype}, '
                             f'expected {expected}')


def compute_outputs(model, config, seed):
    """Run the model on an N(0, 1) input and collect the tensors of NAME.io.safetensors."""
    torch.manual_seed(seed)
    height, width = config['imageSize']
    x = torch.randn(1, config['inChannels'], height, width)

    with torch.no_grad():
        stages = stage_outputs(model, x)
        logits = global_average_logits(model, x)
        reference_output = model(x)

    tensors = {'input': x, **stages, 'logits': logits}
    if height == width:
        # For a square input the reference pool is a global average, so both paths must agree.
        if not torch.allclose(logits, reference_output, rtol=1e-5, atol=1e-5):
            difference = (logits - reference_output).abs().max().item()
            raise AssertionError(f'global-average logits differ from the reference forward '
                                 f'by up to {difference:.3g} on a square {height}x{width} input')
        tensors['reference_logits'] = reference_output
    else:
        tensors['reference_pool_rows'] = reference_output
    return tensors, list(reference_output.shape)


def describe_statistics(name, tensors):
    for key in ('s0', 's1', 's2', 's3', 's4', 'logits'):
        tensor = tensors[key]
        if not torch.isfinite(tensor).all():
            raise ValueError(f'{name}: {key} contains NaN or Inf; lower the weight scale')
        print(f'  {key:7s} shape {list(tensor.shape)!s:18s} std {tensor.std().item():.4f}')


def write_fixture(ref, fixture, seed, out_dir):
    name = fixture['name']
    config = fixture['config']
    model = build_random_model(ref, config, seed)

    state_dict = model.state_dict()
    check_state_dict_dtypes(state_dict, name)
    tensors, reference_shape = compute_outputs(model, config, seed + 1)
    print(f'{name}: {sum(t.numel() for t in state_dict.values())} state_dict values, '
          f'reference output shape {reference_shape}')
    describe_statistics(name, tensors)

    metadata = {'fixture': name, 'seed': seed}
    save_safetensors(state_dict, os.path.join(out_dir, f'{name}.weights.safetensors'), metadata)
    save_safetensors(tensors, os.path.join(out_dir, f'{name}.io.safetensors'), metadata)

    card = {
        'config': config,
        'description': fixture['description'],
        'referenceOutputShape': reference_shape,
    }
    with open(os.path.join(out_dir, f'{name}.json'), 'w', encoding='utf-8') as f:
        json.dump(card, f, indent=2)
        f.write('\n')


def write_coatnet0(ref, path, seed):
    torch.manual_seed(seed)
    model = ref.coatnet_0()
    randomize_normalization(model, NUM_BATCHES_TRACKED)
    randomize_attention(ref, model)
    state_dict = model.state_dict()
    check_state_dict_dtypes(state_dict, 'coatnet_0')
    save_safetensors(state_dict, path, {'model': 'coatnet_0', 'seed': seed})
    print(f'coatnet_0: {len(state_dict)} tensors, {os.path.getsize(path)} bytes -> {path}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path of the reference coatnet.py')
    parser.add_argument('--out', default='tests/fixtures/parity', help='output folder')
    parser.add_argument('--seed', type=int, default=0,
                        help='base seed: fixture i builds its weights with seed + 10 * i '
                             'and draws its input with seed + 10 * i + 1')
    parser.add_argument('--coatnet0', metavar='PATH',
                        help='also write random coatnet_0() weights (about 73 MB) to this '
                             '.safetensors file; off by default')
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(1)
    ref = load_reference(args.reference)
    os.makedirs(args.out, exist_ok=True)

    for index, fixture in enumerate(FIXTURES):
        write_fixture(ref, fixture, args.seed + 10 * index, args.out)

    names = [fixture['name'] for fixture in FIXTURES]
    with open(os.path.join(args.out, 'index.json'), 'w', encoding='utf-8') as f:
        json.dump(names, f, indent=2)
        f.write('\n')

    if args.coatnet0:
        write_coatnet0(ref, args.coatnet0, args.seed)


if __name__ == '__main__':
    main()
