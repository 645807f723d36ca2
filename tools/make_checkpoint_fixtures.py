"""Write the checkpoint-import fixtures: one small CoAtNet saved in every way people save it.

Usage (Debian: apt-get install python3-torch python3-numpy):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_checkpoint_fixtures.py \
        --reference ../shared/reference/coatnet.py --out tests/fixtures/checkpoints

The output folder gets:
- cctt_*.pth / cctt.safetensors: the C,C,T,T model (1 channel, 32x32, 3 classes) in every
  layout. These are a bare state_dict, two training checkpoints with extra entries, `module.`
  and `_orig_mod.` prefixes, a whole pickled model, float16, bfloat16, safetensors and the
  legacy (pre-1.6) format. cctt_labels.txt has 3 names, cctt_labels_wrong_count.txt has 4.
- cttt_64.pth (C,T,T,T, 64x64), ccct_64x96.pth (non-square) and cccc_32.pth (no Transformer
  stage): state_dicts whose image size the importer must infer, or ask for.
- cctt_timm_style.pth: the weights under timm-like key names (stem.*, stages.*, head.fc.*).
- views.pth, views_protocol5.pth (the same, pickled with protocol 5) and views.json: tensors
  that are non-contiguous views, share storages or have a storage offset, with their values.
- malicious_*.pth: pickles whose payload would create /tmp/coatnet-pwned-* if it ever ran.
  This tool only writes them; nothing here loads them.
- cctt_truncated.pth (the bare file cut short) and random_bytes.bin.

Every file is the same on each run except cctt_legacy.pth and malicious_legacy.pth: the legacy
format names storages by their memory address.
- expected.safetensors: per model, the input `input_NAME` [1, C, H, W] and the logits of a true
  global average pool, `logits_NAME` (float32 weights) and `logits_NAME_float16` /
  `logits_NAME_bfloat16` (weights rounded to that dtype, computed in float32).
- manifest.json: the config of each model.

`--coatnet0 PATH` also writes a coatnet_0 state_dict (random weights, about 71 MB) as a .pth
for import speed and memory checks. That file is not part of the fixtures.
"""

import argparse
import builtins
import collections
import copy
import json
import os
import sys
import warnings

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import (build_model, global_average_logits, load_reference, randomize_normalization,  # noqa: E402
                       save_safetensors)

# torch 1.13 warns that meshgrid will require `indexing=`; the reference relies on the default
# 'ij' order, which 1.13 still uses.
warnings.filterwarnings('ignore', message='torch.meshgrid')

MODELS = {
    'cctt': {
        'description': 'C,C,T,T, 1-channel 32x32 input, 3 classes; two blocks in s0 and s1.',
        'config': {'imageSize': [32, 32], 'inChannels': 1, 'numBlocks': [2, 2, 1, 1, 1],
                   'channels': [8, 8, 12, 16, 16], 'numClasses': 3, 'blockTypes': ['C', 'C', 'T', 'T']},
    },
    'cttt_64': {
        'description': 'C,T,T,T, 3-channel 64x64 input: attention at 8x8, 4x4 and 2x2, so the '
                       'image size follows from the relative-position tables.',
        'config': {'imageSize': [64, 64], 'inChannels': 3, 'numBlocks': [1, 1, 1, 1, 1],
                   'channels': [8, 8, 8, 12, 16], 'numClasses': 4, 'blockTypes': ['C', 'T', 'T', 'T']},
    },
    'ccct_64x96': {
        'description': 'C,C,C,T, 3-channel 64x96 (H x W) input: one non-square 2x3 attention '
                       'grid in s4, which only relative_index tells apart from 3x2.',
        'config': {'imageSize': [64, 96], 'inChannels': 3, 'numBlocks': [1, 1, 1, 1, 1],
                   'channels': [8, 8, 8, 8, 12], 'numClasses': 5, 'blockTypes': ['C', 'C', 'C', 'T']},
    },
    'cccc_32': {
        'description': 'C,C,C,C, 3-channel 32x32 input: no Transformer stage, so the weights '
                       'do not determine the image size.',
        'config': {'imageSize': [32, 32], 'inChannels': 3, 'numBlocks': [1, 1, 2, 1, 1],
                   'channels': [8, 8, 8, 12, 16], 'numClasses': 2, 'blockTypes': ['C', 'C', 'C', 'C']},
    },
}

LABELS = ['cat', 'dog', 'bird']

# Files the malicious fixtures would create if their pickles were ever executed.
PWNED_MARKERS = {
    'malicious_os_system.pth': '/tmp/coatnet-pwned-os-system',
    'malicious_exec.pth': '/tmp/coatnet-pwned-exec',
    'malicious_legacy.pth': '/tmp/coatnet-pwned-legacy',
}

# Per-channel random norm statistics and bias tables, so that a wrong Batch Norm fold,
# channel order or relative-position lookup changes the logits (as in make_parity_fixtures.py).
RELATIVE_BIAS_STD = 1.0
CLASSIFIER_WEIGHT_SCALE = 4.0


def randomize(ref, model):
    def randomize_bias_table(module):
        if isinstance(module, ref.Attention):
            module.relative_bias_table.normal_(0.0, RELATIVE_BIAS_STD)

    randomize_normalization(model, randomize_other=randomize_bias_table)
    with torch.no_grad():
        model.fc.weight.mul_(CLASSIFIER_WEIGHT_SCALE)


def train_one_step(model, config, seed):
    """One SGD step with momentum in train mode: real optimizer state and BN counters."""
    torch.manual_seed(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    height, width = config['imageSize']
    model.train()
    images = torch.randn(4, config['inChannels'], height, width)
    targets = torch.randint(0, config['numClasses'], (4,))
    loss = torch.nn.functional.cross_entropy(global_average_logits(model, images), targets)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    model.eval()
    return optimizer


def build_trained_model(ref, config, seed):
    torch.manual_seed(seed)
    model = build_model(ref, config)
    randomize(ref, model)
    optimizer = train_one_step(model, config, seed + 1)
    return model, optimizer


def rounded_copy(model, dtype):
    """A float32 copy whose floating-point weights were rounded through `dtype`."""
    rounded = copy.deepcopy(model)
    state = {key: value.to(dtype).float() if value.is_floating_point() else value
             for key, value in model.state_dict().items()}
    rounded.load_state_dict(state)
    return rounded


def logits_for(model, x):
    with torch.no_grad():
        logits = global_average_logits(model, x)
        if x.shape[2] == x.shape[3]:
            # For a square input the reference's own pooling is a global average too.
            torch.testing.assert_close(logits, model(x), rtol=1e-5, atol=1e-5)
    if not torch.isfinite(logits).all():
        raise ValueError('logits contain NaN or Inf; lower the weight scales')
    return logits


def cast_state_dict(state_dict, dtype):
    return collections.OrderedDict(
        (key, value.to(dtype) if value.is_floating_point() else value) for key, value in state_dict.items())


def renamed(state_dict, rename):
    return collections.OrderedDict((rename(key), value) for key, value in state_dict.items())


def timm_style_name(key):
    if key.startswith('s0.'):
        return 'stem.' + key[3:]
    if key.startswith('fc.'):
        return 'head.' + key
    return f'stages.{int(key[1]) - 1}.blocks.' + key[3:]


class SystemPayload:
    """Pickles as posix.system('touch MARKER'): the classic malicious checkpoint."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}',)


class ExecPayload:
    """Pickles as builtins.exec(code) with code that creates MARKER."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f'open({self.marker!r}, "w").close()',)


def write_main_model(ref, out, seed, expected):
    config = MODELS['cctt']['config']
    model, optimizer = build_trained_model(ref, config, seed)
    state_dict = model.state_dict()
    torch.manual_seed(seed + 2)
    x = torch.randn(1, config['inChannels'], *config['imageSize'])
    expected['input_cctt'] = x
    expected['logits_cctt'] = logits_for(model, x)
    expected['logits_cctt_float16'] = logits_for(rounded_copy(model, torch.float16), x)
    expected['logits_cctt_bfloat16'] = logits_for(rounded_copy(model, torch.bfloat16), x)

    path = lambda name: os.path.join(out, name)  # noqa: E731
    torch.save(state_dict, path('cctt_bare.pth'))
    torch.save({
        'epoch': 7,
        'state_dict': state_dict,
        'optimizer': optimizer.state_dict(),
        'args': argparse.Namespace(arch='coatnet', lr=0.01, image_size=32, classes=LABELS),
        'best_acc': np.float64(0.8125),
    }, path('cctt_wrapped.pth'))
    torch.save({'model_state_dict': state_dict, 'epoch': 3, 'classes': LABELS}, path('cctt_model_state_dict.pth'))
    torch.save(torch.nn.DataParallel(model).state_dict(), path('cctt_module_prefix.pth'))
    torch.save(renamed(state_dict, lambda key: '_orig_mod.' + key), path('cctt_orig_mod_prefix.pth'))
    torch.save(model, path('cctt_whole_model.pth'))
    torch.save(cast_state_dict(state_dict, torch.float16), path('cctt_float16.pth'))
    torch.save(cast_state_dict(state_dict, torch.bfloat16), path('cctt_bfloat16.pth'))
    save_safetensors(state_dict, path('cctt.safetensors'), {'fixture': 'cctt'})
    torch.save(state_dict, path('cctt_legacy.pth'), _use_new_zipfile_serialization=False)
    torch.save(renamed(state_dict, timm_style_name), path('cctt_timm_style.pth'))

    with open(path('cctt_bare.pth'), 'rb') as f:
        whole = f.read()
    with open(path('cctt_truncated.pth'), 'wb') as f:
        f.write(whole[: len(whole) * 3 // 5])

    with open(path('cctt_labels.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(LABELS) + '\n\n')
    with open(path('cctt_labels_wrong_count.txt'), 'w', encoding='utf-8') as f:
        f.write('\n'.join(LABELS + ['fish']) + '\n')

    small = collections.OrderedDict(list(state_dict.items())[:3])
    torch.save({'state_dict': small, 'payload': SystemPayload(PWNED_MARKERS['malicious_os_system.pth'])},
               path('malicious_os_system.pth'))
    torch.save({'state_dict': small, 'payload': ExecPayload(PWNED_MARKERS['malicious_exec.pth'])},
               path('malicious_exec.pth'))
    torch.save({'state_dict': small, 'payload': SystemPayload(PWNED_MARKERS['malicious_legacy.pth'])},
               path('malicious_legacy.pth'), _use_new_zipfile_serialization=False)


def write_other_model(ref, name, out, seed, expected):
    config = MODELS[name]['config']
    model, _ = build_trained_model(ref, config, seed)
    torch.manual_seed(seed + 2)
    x = torch.randn(1, config['inChannels'], *config['imageSize'])
    expected[f'input_{name}'] = x
    expected[f'logits_{name}'] = logits_for(model, x)
    torch.save(model.state_dict(), os.path.join(out, f'{name}.pth'))


def view_cases():
    """Tensors that exercise storage offsets, strides and shared storages."""
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6) * 0.5 - 3.0
    half = (torch.arange(12, dtype=torch.float32) / 8 - 0.7).reshape(3, 4).half()
    brain = (torch.arange(20, dtype=torch.float32) * 0.37 - 2.0).reshape(4, 5).bfloat16()
    volume = torch.arange(120, dtype=torch.float32).reshape(2, 3, 4, 5) / 7
    longs = torch.arange(10, dtype=torch.int64) * 1000000007
    return collections.OrderedDict([
        ('base', base),
        ('transposed', base.t()),
        ('row_slice', base[1:3]),
        ('column_stride', base[:, ::2]),
        ('offset_tail', base[2, 3:]),
        ('element', base[3, 5]),
        ('broadcast', torch.arange(3, dtype=torch.float32).expand(2, 3)),
        ('half_columns', half[:, 1::2]),
        ('bfloat16_transposed', brain.t()),
        ('permuted_nhwc', volume.permute(0, 2, 3, 1)),
        ('int64_strided', longs[1:9:3]),
        ('int32_flipped_view', torch.arange(6, dtype=torch.int32).reshape(2, 3).t()),
        ('float64_diagonal', torch.arange(9, dtype=torch.float64).reshape(3, 3).diagonal()),
        ('bool_mask', torch.tensor([True, False, True, True])),
        ('empty', torch.zeros(0, 3)),
    ])


def write_views(out):
    cases = view_cases()
    torch.save(cases, os.path.join(out, 'views.pth'))
    # Protocol 5 instead of torch.save's default 2: FRAME, MEMOIZE, SHORT_BINUNICODE, STACK_GLOBAL.
    torch.save(cases, os.path.join(out, 'views_protocol5.pth'), pickle_protocol=5)
    expected = {}
    for name, tensor in cases.items():
        values = tensor.float() if tensor.dtype in (torch.float16, torch.bfloat16, torch.float64) else tensor
        expected[name] = {
            'shape': list(tensor.shape),
            'dtype': str(tensor.dtype).replace('torch.', ''),
            'values': values.contiguous().flatten().tolist(),
        }
    storages = {tensor.storage().data_ptr() for tensor in cases.values() if tensor.numel() > 0}
    with open(os.path.join(out, 'views.json'), 'w', encoding='utf-8') as f:
        json.dump({'storageCount': len(storages), 'tensors': expected}, f, indent=1)
        f.write('\n')


def write_random_bytes(out, seed):
    data = np.random.default_rng(seed).bytes(4096)
    # The file must not look like any format by accident.
    if data[:2] == b'PK' or data[0] == 0x80:
        raise AssertionError('random bytes start like a zip or pickle; change the seed')
    with open(os.path.join(out, 'random_bytes.bin'), 'wb') as f:
        f.write(data)


def write_coatnet0(ref, path, seed):
    torch.manual_seed(seed)
    model = ref.coatnet_0()
    randomize(ref, model)
    torch.save(model.state_dict(), path)
    print(f'coatnet_0: {os.path.getsize(path)} bytes -> {path}')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path of the reference coatnet.py')
    parser.add_argument('--out', default='tests/fixtures/checkpoints', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='base seed; model i uses seed + 10 * i')
    parser.add_argument('--coatnet0', metavar='PATH',
                        help='also write a random coatnet_0 state_dict (about 71 MB) to this .pth file')
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(1)
    ref = load_reference(args.reference)
    # torch.save(model) pickles classes by module name; register the reference under the name
    # load_reference gave it. Readers must not need it: the app never imports anything.
    sys.modules[ref.__name__] = ref
    os.makedirs(args.out, exist_ok=True)
    for marker in PWNED_MARKERS.values():
        if os.path.exists(marker):
            os.remove(marker)

    expected = {}
    write_main_model(ref, args.out, args.seed, expected)
    for index, name in enumerate(['cttt_64', 'ccct_64x96', 'cccc_32'], start=1):
        write_other_model(ref, name, args.out, args.seed + 10 * index, expected)
    write_views(args.out)
    write_random_bytes(args.out, args.seed)
    save_safetensors(expected, os.path.join(args.out, 'expected.safetensors'), {'seed': args.seed})

    manifest = {'models': MODELS, 'labels': LABELS, 'pwnedMarkers': PWNED_MARKERS}
    with open(os.path.join(args.out, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')

    for marker in PWNED_MARKERS.values():
        if os.path.exists(marker):
            raise AssertionError(f'{marker} exists: a malicious payload ran while writing the fixtures')
    total = 0
    for name in sorted(os.listdir(args.out)):
        size = os.path.getsize(os.path.join(args.out, name))
        total += size
        print(f'{size:9d}  {name}')
    print(f'{total:9d}  total')

    if args.coatnet0:
        write_coatnet0(ref, args.coatnet0, args.seed)


if __name__ == '__main__':
    main()
