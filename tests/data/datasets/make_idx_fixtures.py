#!/usr/bin/env python3
"""Writes the tiny MNIST-format fixtures of tests/unit/test_plugin_torchvision.cpp.

Pixel (r, c) of image i is (37 * i + 28 * r + c) % 256; the tests recompute it.
  idx_gz/                         gzipped idx files in the root, as Debian installs them
  idx_torchvision/FashionMNIST/raw  uncompressed, in torchvision's layout
"""
import gzip
import pathlib
import struct

HERE = pathlib.Path(__file__).resolve().parent
SPLITS = {"train": [3, 1, 4, 1, 5, 9], "t10k": [2, 6, 5]}


def images(count):
    header = struct.pack(">IIII", 0x803, count, 28, 28)
    return header + bytes((37 * i + 28 * r + c) % 256 for i in range(count) for r in range(28) for c in range(28))


def labels(values):
    return struct.pack(">II", 0x801, len(values)) + bytes(values)


def write(path, data, compress):
    path.parent.mkdir(parents=True, exist_ok=True)
    if compress:
        path = path.with_name(path.name + ".gz")
        data = gzip.compress(data, mtime=0)
    path.write_bytes(data)


for directory, compress in ((HERE / "idx_gz", True), (HERE / "idx_torchvision" / "FashionMNIST" / "raw", False)):
    for split, values in SPLITS.items():
        write(directory / f"{split}-images-idx3-ubyte", images(len(values)), compress)
        write(directory / f"{split}-labels-idx1-ubyte", labels(values), compress)
