"""Print the reference's parameter count and state_dict size for every CoAtNet preset.

Usage (Debian: apt-get install python3-torch):
    OPENBLAS_NUM_THREADS=1 /usr/bin/python3 tools/reference_counts.py \
        --reference ../shared/reference/coatnet.py > tests/fixtures/reference-counts.json

The output is JSON: preset name -> {"parameters": count_parameters(model),
"stateDictKeys": len(model.state_dict())}. coatnet_4 alone has 204 million float32
parameters (about 0.8 GB).
"""

import argparse
import json
import os
import sys
import warnings

os.environ.setdefault('OPENBLAS_NUM_THREADS', '1')

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from reference import load_reference  # noqa: E402

# torch 1.13 warns that meshgrid will require `indexing=`, but its default 'ij' order is unchanged.
warnings.filterwarnings('ignore', message='torch.meshgrid')

PRESETS = ['coatnet_0', 'coatnet_1', 'coatnet_2', 'coatnet_3', 'coatnet_4']


def count_preset(ref, name):
    model = getattr(ref, name)()
    counts = {
        'parameters': ref.count_parameters(model),
        'stateDictKeys': len(model.state_dict()),
    }
    del model
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--reference', required=True, help='path to the reference coatnet.py')
    args = parser.parse_args()

    torch.set_num_threads(1)
    ref = load_reference(args.reference)
    counts = {name: count_preset(ref, name) for name in PRESETS}
    print(json.dumps(counts, indent=2))


if __name__ == '__main__':
    main()
