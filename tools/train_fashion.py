"""Train the bundled CoAtNet on Fashion-MNIST with the reference implementation and export it.

Usage (Debian: apt-get install python3-torch libopenblas0-pthread dataset-fashion-mnist):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/train_fashion.py \
        --reference ../shared/reference/coatnet.py --out public/models/fashion-coatnet

Writes model.safetensors (the reference state_dict, float32), model.json (the model
card the app reads: config, preprocessing, labels, accuracy, command, wall time),
sample PNGs for the app, and the PyTorch top-1 of every test image for the tests.
"""

import argparse
import gzip
import json
import os
import platform
import random
import struct
import sys
import time
import zlib

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import build_model, load_reference, load_safetensors, save_safetensors  # noqa: E402

DATA_DIR = '/usr/share/datasets/fashion-mnist'
LABELS_EN = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
             'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot']
LABELS_JA = ['Tシャツ/トップス', 'ズボン', 'プルオーバー', 'ドレス', 'コート',
             'サンダル', 'シャツ', 'スニーカー', 'バッグ', 'アンクルブーツ']
CONFIG = {
    'imageSize': [64, 64],
    'inChannels': 1,
    'numBlocks': [1, 1, 2, 2, 1],
    'channels': [16, 48, 96, 192, 256],
    'numClasses': 10,
    'blockTypes': ['C', 'C', 'T', 'T'],
}


def read_idx(path):
    with gzip.open(path, 'rb') as f:
        data = f.read()
    magic, count = struct.unpack('>II', data[:8])
    if magic == 2051:
        rows, cols = struct.unpack('>II', data[8:16])
        return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)
    if magic == 2049:
        return np.frombuffer(data, np.uint8, offset=8)
    raise ValueError(f'{path}: unknown IDX magic number {magic}')


def load_split(data_dir, split):
    images = read_idx(os.path.join(data_dir, f'{split}-images-idx3-ubyte.gz'))
    labels = read_idx(os.path.join(data_dir, f'{split}-labels-idx1-ubyte.gz'))
    return images, labels


def resize_to_input(images_u8, size):
    """uint8 [N, 28, 28] -> float32 [N, 1, H, W] in [0, 1], bilinear, align_corners=False.

    The app's preprocessing implements this same interpolation, so browser inputs match.
    """
    x = torch.from_numpy(images_u8.astype(np.float32) / 255.0).unsqueeze(1)
    return F.interpolate(x, size=tuple(size), mode='bilinear', align_corners=False)


def augment(batch, generator):
    # Horizontal flip and a per-image shift of up to 4 pixels (zero padding = black background).
    flip = torch.rand(batch.shape[0], generator=generator) < 0.5
    batch = torch.where(flip[:, None, None, None], batch.flip(3), batch)
    padded = F.pad(batch, (4, 4, 4, 4))
    offsets = torch.randint(0, 9, (batch.shape[0], 2), generator=generator).tolist()
    height, width = batch.shape[2], batch.shape[3]
    return torch.stack([padded[i, :, dy:dy + height, dx:dx + width] for i, (dy, dx) in enumerate(offsets)])


def evaluate(model, inputs, labels, batch_size=500):
    model.eval()
    predictions = []
    with torch.no_grad():
        for start in range(0, inputs.shape[0], batch_size):
            predictions.append(model(inputs[start:start + batch_size]).argmax(1))
    predictions = torch.cat(predictions)
    return (predictions == labels).float().mean().item(), predictions


def write_png_gray(path, pixels):
    """Write an 8-bit grayscale PNG (no color profile, so browsers read the bytes as is)."""
    height, width = pixels.shape
    raw = b''.join(b'\x00' + pixels[row].tobytes() for row in range(height))

    def chunk(kind, body):
        return struct.pack('>I', len(body)) + kind + body + struct.pack('>I', zlib.crc32(kind + body))

    png = b'\x89PNG\r\n\x1a\n'
    png += chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 0, 0, 0, 0))
    png += chunk(b'IDAT', zlib.compress(raw, 9))
    png += chunk(b'IEND', b'')
    with open(path, 'wb') as f:
        f.write(png)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path of the reference coatnet.py')
    parser.add_argument('--out', default='public/models/fashion-coatnet', help='output folder')
    parser.add_argument('--data', default=DATA_DIR, help='folder with the Fashion-MNIST .gz files')
    parser.add_argument('--epochs', type=int, default=12)
    parser.add_argument('--batch-size', type=int, default=128)
    parser.add_argument('--lr', type=float, default=2e-3, help='peak learning rate (one-cycle)')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--threads', type=int, default=2, help='torch CPU threads')
    parser.add_argument('--init', help='start from these weights (a model.safetensors) instead of '
                        'random ones; its model.json training record is kept as previousTraining')
    parser.add_argument('--samples-out', default='public/samples', help='folder for sample PNGs')
    parser.add_argument('--predictions-out', default='tests/fixtures/fashion',
                        help='folder for PyTorch predictions and test PNGs used by the tests')
    return parser.parse_args()


def main():
    args = parse_args()
    started = time.time()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    np.random.seed(args.seed)

    ref = load_reference(args.reference)
    train_images, train_labels = load_split(args.data, 'train')
    test_images, test_labels = load_split(args.data, 't10k')
    train_x = resize_to_input(train_images, CONFIG['imageSize'])
    test_x = resize_to_input(test_images, CONFIG['imageSize'])
    mean = train_x.mean().item()
    std = train_x.std().item()
    train_x = (train_x - mean) / std
    test_x = (test_x - mean) / std
    train_y = torch.from_numpy(train_labels.astype(np.int64))
    test_y = torch.from_numpy(test_labels.astype(np.int64))

    model = build_model(ref, CONFIG)
    previous_training = None
    if args.init:
        model.load_state_dict(load_safetensors(args.init))
        with open(os.path.join(os.path.dirname(args.init), 'model.json'), encoding='utf-8') as f:
            previous_training = json.load(f)['training']
    parameter_count = ref.count_parameters(model)
    print(f'parameters: {parameter_count}, mean {mean:.4f}, std {std:.4f}', flush=True)

    generator = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = (train_x.shape[0] + args.batch_size - 1) // args.batch_size
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.05)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=args.lr, epochs=args.epochs, steps_per_epoch=steps_per_epoch)

    for epoch in range(args.epochs):
        model.train()
        order = torch.randperm(train_x.shape[0], generator=generator)
        epoch_started = time.time()
        total_loss = 0.0
        for step in range(steps_per_epoch):
            index = order[step * args.batch_size:(step + 1) * args.batch_size]
            batch = augment(train_x[index], generator)
            loss = F.cross_entropy(model(batch), train_y[index], label_smoothing=0.1)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total_loss += loss.item()
        accuracy, _ = evaluate(model, test_x, test_y)
        print(f'epoch {epoch + 1}/{args.epochs}: loss {total_loss / steps_per_epoch:.4f}, '
              f'test accuracy {accuracy:.4f}, {time.time() - epoch_started:.0f} s', flush=True)

    accuracy, predictions = evaluate(model, test_x, test_y)
    wall_time = time.time() - started
    export(args, model, parameter_count, accuracy, predictions, test_images, test_labels,
           mean, std, wall_time, previous_training)


def export(args, model, parameter_count, accuracy, predictions, test_images, test_labels,
           mean, std, wall_time, previous_training):
    os.makedirs(args.out, exist_ok=True)
    state = {name: tensor for name, tensor in model.state_dict().items()}
    save_safetensors(state, os.path.join(args.out, 'model.safetensors'),
                     metadata={'format': 'pt', 'source': 'tools/train_fashion.py'})

    command = ' '.join(['/usr/bin/python3'] + sys.argv)
    card = {
        'name': 'CoAtNet Fashion-MNIST',
        'description': {
            'en': 'Trained on Fashion-MNIST: one centred garment, light on a black background.',
            'ja': 'Fashion-MNIST で学習。黒い背景に明るく写った衣類 1 点を想定しています。',
        },
        'config': CONFIG,
        'weights': 'model.safetensors',
        'preprocessing': {
            'size': CONFIG['imageSize'],
            'resize': 'stretch',
            'interpolation': 'bilinear',
            'channels': 'grayscale',
            'scale': 1 / 255,
            'mean': [mean],
            'std': [std],
            'source': 'Fashion-MNIST 28x28 uint8, divided by 255, bilinear resize '
                      '(align_corners=False) to 64x64, then (x - mean) / std',
        },
        'labels': {'en': LABELS_EN, 'ja': LABELS_JA},
        'parameterCount': parameter_count,
        'testAccuracy': round(accuracy, 4),
        'testImages': int(test_labels.shape[0]),
        'training': {
            'command': command,
            'epochs': args.epochs,
            'batchSize': args.batch_size,
            'optimizer': f'AdamW lr {args.lr} one-cycle, weight decay 0.05, label smoothing 0.1',
            'augmentation': 'horizontal flip, per-image shift up to 4 px',
            'seed': args.seed,
            'wallTimeSeconds': round(wall_time),
            'threads': args.threads,
            'torch': torch.__version__,
            'machine': f'{platform.machine()}, {os.cpu_count()} cores',
        },
    }
    if previous_training:
        card['training']['previousTraining'] = previous_training
    with open(os.path.join(args.out, 'model.json'), 'w', encoding='utf-8') as f:
        json.dump(card, f, ensure_ascii=False, indent=2)
        f.write('\n')

    os.makedirs(args.samples_out, exist_ok=True)
    samples = []
    for label in range(10):
        index = int(np.nonzero(test_labels == label)[0][0])
        name = f'fashion-{index:05d}.png'
        write_png_gray(os.path.join(args.samples_out, name), test_images[index])
        samples.append({'file': name, 'label': label, 'testIndex': index})
    with open(os.path.join(args.samples_out, 'samples.json'), 'w') as f:
        json.dump(samples, f, indent=2)
        f.write('\n')

    os.makedirs(args.predictions_out, exist_ok=True)
    with open(os.path.join(args.predictions_out, 'pytorch-top1.json'), 'w') as f:
        json.dump({'labels': test_labels.tolist(), 'pytorchTop1': predictions.tolist()}, f)
    images_dir = os.path.join(args.predictions_out, 'images')
    os.makedirs(images_dir, exist_ok=True)
    for index in range(60):
        write_png_gray(os.path.join(images_dir, f'{index:05d}.png'), test_images[index])

    print(f'test accuracy {accuracy:.4f}; wrote {args.out}; wall time {wall_time:.0f} s', flush=True)


if __name__ == '__main__':
    main()
