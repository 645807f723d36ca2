"""Write small PyTorch-computed fixtures for the preprocessing, safetensors and layout tests.

Usage (Debian: apt-get install python3-torch):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/make_preprocess_fixture.py \
        --reference ../shared/reference/coatnet.py --out tests/fixtures/preprocess

The output folder gets:
- images.safetensors and cases.json: random uint8 images `NAME.image` [H, W, C] and the
  expected network input `NAME.expected` [1, H, W, C] (NHWC float32) for each case in
  cases.json. The expected values follow the training pipeline: pixels * scale in float64,
  torch.nn.functional.interpolate(mode='bilinear', align_corners=False, antialias=False),
  then (x - mean) / std per channel.
- dtypes.safetensors: F16, BF16, F32, I64, I32 and U8 tensors with edge values (subnormals,
  infinities, NaN, -0, extreme integers). `NAME.as_f32` contains PyTorch's float32 conversion
  of each floating-point tensor, and the metadata lists the integer values in decimal.
- layers.safetensors: single layers of the reference model built for the c_nonsquare_64x96
  parity config, with random weights under their state_dict keys, plus `input:KEY` and
  `output:KEY` (NCHW for convolutions) computed by the reference's own modules.
"""

import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import build_model, load_reference, save_safetensors  # noqa: E402

# torch 1.13 warns that meshgrid will require `indexing=`, but its default 'ij' order is unchanged.
warnings.filterwarnings('ignore', message='torch.meshgrid')

GRAY_SPEC = {'scale': 1 / 255, 'mean': [0.2860], 'std': [0.3530]}
RGB_SPEC = {'scale': 1 / 255, 'mean': [0.485, 0.456, 0.406], 'std': [0.229, 0.224, 0.225]}

# Image sizes are (height, width), and `size` is the network input [height, width].
CASES = [
    {'name': 'gray_28x28_to_64x64', 'height': 28, 'width': 28, 'channels': 'grayscale',
     'size': [64, 64], 'resize': 'stretch', **GRAY_SPEC,
     'description': 'Fashion-MNIST-sized gray image, upscaled as in training'},
    {'name': 'rgb_30x40_to_64x96', 'height': 30, 'width': 40, 'channels': 'rgb',
     'size': [64, 96], 'resize': 'stretch', **RGB_SPEC,
     'description': 'RGB upscale to a non-square input with a different factor per axis'},
    {'name': 'rgb_56x80_to_32x32', 'height': 56, 'width': 80, 'channels': 'rgb',
     'size': [32, 32], 'resize': 'stretch', **RGB_SPEC,
     'description': 'RGB downscale by 1.75 (rows) and 2.5 (columns) without antialiasing'},
    {'name': 'gray_30x60_center_crop_32x32', 'height': 30, 'width': 60, 'channels': 'grayscale',
     'size': [32, 32], 'resize': 'center-crop', **GRAY_SPEC,
     'description': 'wide image: resize the short side to 32 (30x60 -> 32x64), crop the middle 32 columns'},
    {'name': 'gray_60x30_letterbox_32x32', 'height': 60, 'width': 30, 'channels': 'grayscale',
     'size': [32, 32], 'resize': 'letterbox', **GRAY_SPEC,
     'description': 'tall image: resize to 32x16, pad 8 black columns on each side'},
]

# The c_nonsquare_64x96 config of tools/make_parity_fixtures.py. Keep the two equal, because the
# layout test puts these layers into that fixture's weights and checks the config matches.
LAYER_CONFIG = {
    'imageSize': [64, 96],
    'inChannels': 3,
    'numBlocks': [1, 2, 2, 2, 2],
    'channels': [16, 24, 32, 48, 64],
    'numClasses': 7,
    'blockTypes': ['C', 'C', 'T', 'T'],
}


def resize_bilinear(x, size):
    return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=False, antialias=False)


def exact_size(value, label):
    """Return `value` as an int. Raise ValueError when it is not a whole number, which would make the crop ambiguous."""
    rounded = round(value)
    if abs(value - rounded) > 1e-9:
        raise ValueError(f'{label} {value} is not a whole number: choose other image sizes')
    return int(rounded)


def center_crop(x, out_h, out_w):
    _, _, height, width = x.shape
    scale = max(out_w / width, out_h / height)
    resized_h = exact_size(height * scale, 'resized height')
    resized_w = exact_size(width * scale, 'resized width')
    top = exact_size((resized_h - out_h) / 2, 'crop top')
    left = exact_size((resized_w - out_w) / 2, 'crop left')
    resized = resize_bilinear(x, (resized_h, resized_w))
    return resized[:, :, top:top + out_h, left:left + out_w]


def letterbox(x, out_h, out_w):
    _, _, height, width = x.shape
    scale = min(out_w / width, out_h / height)
    # Whole numbers here keep Python's round-half-even equal to JavaScript's Math.round.
    inner_h = exact_size(height * scale, 'letterbox height')
    inner_w = exact_size(width * scale, 'letterbox width')
    top = (out_h - inner_h) // 2
    left = (out_w - inner_w) // 2
    inner = resize_bilinear(x, (inner_h, inner_w))
    return F.pad(inner, (left, out_w - inner_w - left, top, out_h - inner_h - top), value=0.0)


def expected_input(image_u8, case):
    """Compute the network input for `image_u8` [H, W, C] as NHWC [1, H, W, C] float32."""
    x = torch.from_numpy(image_u8).double().permute(2, 0, 1).unsqueeze(0) * case['scale']
    out_h, out_w = case['size']
    if case['resize'] == 'stretch':
        y = resize_bilinear(x, (out_h, out_w))
    elif case['resize'] == 'center-crop':
        y = center_crop(x, out_h, out_w)
    else:
        y = letterbox(x, out_h, out_w)
    mean = torch.tensor(case['mean'], dtype=torch.float64).view(1, -1, 1, 1)
    std = torch.tensor(case['std'], dtype=torch.float64).view(1, -1, 1, 1)
    return ((y - mean) / std).permute(0, 2, 3, 1).float().contiguous()


def write_images(out_dir, seed):
    rng = np.random.default_rng(seed)
    tensors = {}
    cases = []
    for case in CASES:
        channel_count = 1 if case['channels'] == 'grayscale' else 3
        image = rng.integers(0, 256, size=(case['height'], case['width'], channel_count), dtype=np.uint8)
        tensors[f"{case['name']}.image"] = torch.from_numpy(image)
        tensors[f"{case['name']}.expected"] = expected_input(image, case)
        cases.append({
            'name': case['name'],
            'description': case['description'],
            'spec': {
                'size': case['size'], 'resize': case['resize'], 'interpolation': 'bilinear',
                'channels': case['channels'], 'scale': case['scale'],
                'mean': case['mean'], 'std': case['std'],
            },
        })
    save_safetensors(tensors, os.path.join(out_dir, 'images.safetensors'), {'seed': seed})
    with open(os.path.join(out_dir, 'cases.json'), 'w', encoding='utf-8') as f:
        json.dump(cases, f, indent=2)
        f.write('\n')


def from_bits(bits, dtype):
    """Reinterpret 16-bit patterns as float16 or bfloat16."""
    return torch.from_numpy(np.array(bits, dtype=np.uint16).view(np.int16)).view(dtype)


def float16_sweep():
    """Every exponent (0 = zero/subnormal, 31 = inf/NaN) with four fractions and both signs."""
    bits = [sign << 15 | exponent << 10 | fraction
            for sign in (0, 1) for exponent in range(32) for fraction in (0, 1, 0x155, 0x3ff)]
    return from_bits(bits, torch.float16)


def bfloat16_sweep():
    """Zero/subnormal, normal and inf/NaN exponents with four fractions and both signs."""
    bits = [sign << 15 | exponent << 7 | fraction
            for sign in (0, 1) for exponent in (0, 1, 2, 126, 127, 128, 254, 255)
            for fraction in (0, 1, 0x55, 0x7f)]
    return from_bits(bits, torch.bfloat16)


def write_dtypes(out_dir):
    special = [0.0, -0.0, 1.0, -2.5, 0.1, 1 / 3, float('inf'), float('-inf'), float('nan')]
    floats = {
        'f16_values': torch.tensor(special + [65504.0, 2.0 ** -14, 2.0 ** -24, 2.0 ** -15 + 2.0 ** -24],
                                   dtype=torch.float16),
        'f16_sweep': float16_sweep(),
        'bf16_values': torch.tensor(special + [3.3895313892515355e38, 2.0 ** -126, 2.0 ** -133],
                                    dtype=torch.bfloat16),
        'bf16_sweep': bfloat16_sweep(),
        'f32_values': torch.tensor(special + [3.4028234663852886e38, 2.0 ** -126, 2.0 ** -149],
                                   dtype=torch.float32),
    }
    integers = {
        'i64_values': torch.tensor([0, -1, 42, 2 ** 53 + 1, -2 ** 63, 2 ** 63 - 1], dtype=torch.int64),
        'i32_values': torch.tensor([0, -1, -2 ** 31, 2 ** 31 - 1], dtype=torch.int32),
        'u8_values': torch.tensor([0, 1, 128, 255], dtype=torch.uint8),
    }
    tensors = {}
    for name, tensor in floats.items():
        tensors[name] = tensor
        tensors[f'{name}.as_f32'] = tensor.float()
    tensors.update(integers)
    # A 2-D tensor checks that the shape is read as written.
    tensors['f32_matrix'] = torch.arange(6, dtype=torch.float32).reshape(2, 3) - 2.5
    metadata = {name: ','.join(str(v) for v in tensor.tolist()) for name, tensor in integers.items()}
    metadata['format'] = 'pt'
    save_safetensors(tensors, os.path.join(out_dir, 'dtypes.safetensors'), metadata)


def randomize_batch_norm(bn):
    bn.running_mean.normal_(0.0, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.normal_(0.0, 0.2)


def run_layer(tensors, key_prefix, module, input_shape, weight_keys):
    """Store the module's weights under their state_dict keys, a random input and its output."""
    x = torch.randn(*input_shape)
    with torch.no_grad():
        y = module(x)
    for key in weight_keys:
        tensors[f'{key_prefix}.{key}'] = getattr(module, key).detach().clone()
    tensors[f'input:{key_prefix}'] = x
    tensors[f'output:{key_prefix}'] = y


def write_layers(ref, out_dir, seed):
    torch.manual_seed(seed)
    model = build_model(ref, LAYER_CONFIG).eval()
    mbconv = model.s1[0]
    tensors = {}

    # The stem convolution: 3x3, stride 2, padding 1.
    run_layer(tensors, 's0.0.0', model.s0[0][0], (1, 3, 9, 10), ['weight'])
    # The MBConv expansion 1x1, which carries the downsampling stride 2.
    run_layer(tensors, 's1.0.conv.fn.0', mbconv.conv.fn[0], (1, 16, 5, 6), ['weight'])
    # The depthwise 3x3 convolution, padding 1.
    run_layer(tensors, 's1.0.conv.fn.3', mbconv.conv.fn[3], (1, 64, 3, 4), ['weight'])
    # Eval-mode Batch Norm with random statistics, which the port folds into scale and shift.
    norm = mbconv.conv.norm
    with torch.no_grad():
        randomize_batch_norm(norm)
    run_layer(tensors, 's1.0.conv.norm', norm, (1, 16, 2, 3),
              ['weight', 'bias', 'running_mean', 'running_var'])
    # Linear layers without bias (squeeze-excitation reduce) and with bias (feed-forward).
    run_layer(tensors, 's1.0.conv.fn.6.fc.0', mbconv.conv.fn[6].fc[0], (2, 64), ['weight'])
    run_layer(tensors, 's3.0.ff.1.fn.net.0', model.s3[0].ff[1].fn.net[0], (2, 48), ['weight', 'bias'])

    # The relative-position bias of a non-square 2x3 grid, gathered from a random table
    # with the reference's relative_index buffer into [heads, tokens, tokens].
    attention = model.s4[0].attn[1].fn
    with torch.no_grad():
        attention.relative_bias_table.normal_(0.0, 1.0)
    table = attention.relative_bias_table.detach().clone()
    tokens = attention.ih * attention.iw
    gathered = table[attention.relative_index[:, 0]]
    tensors['s4.0.attn.1.fn.relative_bias_table'] = table
    tensors['output:s4.0.attn.1.fn.relative_bias'] = gathered.t().reshape(attention.heads, tokens, tokens).contiguous()

    save_safetensors(tensors, os.path.join(out_dir, 'layers.safetensors'),
                     {'config': json.dumps(LAYER_CONFIG), 'seed': seed})


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path of the reference coatnet.py')
    parser.add_argument('--out', default='tests/fixtures/preprocess', help='output folder')
    parser.add_argument('--seed', type=int, default=0, help='seed of the random images and weights')
    return parser.parse_args()


def main():
    args = parse_args()
    torch.set_num_threads(1)
    ref = load_reference(args.reference)
    os.makedirs(args.out, exist_ok=True)

    write_images(args.out, args.seed)
    write_dtypes(args.out)
    write_layers(ref, args.out, args.seed + 1)

    for name in sorted(os.listdir(args.out)):
        print(f'{name}: {os.path.getsize(os.path.join(args.out, name))} bytes')


if __name__ == '__main__':
    main()
