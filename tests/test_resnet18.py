"""The Keras ResNet-18 is torchvision's: a random torchvision-layout state dict, converted,
gives the same outputs as a NumPy reference of the same network (and as torch, if installed)."""

import numpy as np
import pytest

from lungxray.models.resnet18 import STAGES, load_torchvision_state_dict, resnet18_classifier


def random_state_dict(n_classes=4, seed=0):
    rng = np.random.default_rng(seed)
    sd = {}

    def conv(name, cout, cin, k):
        sd[f"{name}.weight"] = rng.normal(0, np.sqrt(2 / (cin * k * k)), (cout, cin, k, k)).astype(np.float32)

    def bn(name, c):
        sd[f"{name}.weight"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        sd[f"{name}.bias"] = rng.normal(0, 0.1, c).astype(np.float32)
        sd[f"{name}.running_mean"] = rng.normal(0, 0.1, c).astype(np.float32)
        sd[f"{name}.running_var"] = rng.uniform(0.5, 1.5, c).astype(np.float32)
        sd[f"{name}.num_batches_tracked"] = np.array(0)

    conv("conv1", 64, 3, 7)
    bn("bn1", 64)
    cin = 64
    for i, (c, stride) in enumerate(STAGES, start=1):
        for b in range(2):
            p = f"layer{i}.{b}"
            conv(f"{p}.conv1", c, cin if b == 0 else c, 3)
            bn(f"{p}.bn1", c)
            conv(f"{p}.conv2", c, c, 3)
            bn(f"{p}.bn2", c)
            if b == 0 and (stride != 1 or cin != c):
                conv(f"{p}.downsample.0", c, cin, 1)
                bn(f"{p}.downsample.1", c)
        cin = c
    sd["fc.weight"] = rng.normal(0, 0.05, (n_classes, 512)).astype(np.float32)
    sd["fc.bias"] = rng.normal(0, 0.05, n_classes).astype(np.float32)
    return sd


# --- NumPy reference (NCHW, as PyTorch computes it) ----------------------------------------------
def np_conv(x, w, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    o, _, k, _ = w.shape
    oh, ow = (h - k) // stride + 1, (wd - k) // stride + 1
    s = x.strides
    cols = np.lib.stride_tricks.as_strided(x, (n, c, oh, ow, k, k),
                                           (s[0], s[1], s[2] * stride, s[3] * stride, s[2], s[3]))
    return np.einsum("nchwij,ocij->nohw", cols, w, optimize=True)


def np_bn(x, sd, name, eps=1e-5):
    g, b, m, v = (sd[f"{name}.{k}"][None, :, None, None] for k in ("weight", "bias", "running_mean", "running_var"))
    return (x - m) / np.sqrt(v + eps) * g + b


def np_maxpool(x):
    x = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    n, c, h, w = x.shape
    oh, ow = (h - 3) // 2 + 1, (w - 3) // 2 + 1
    s = x.strides
    win = np.lib.stride_tricks.as_strided(x, (n, c, oh, ow, 3, 3), (s[0], s[1], s[2] * 2, s[3] * 2, s[2], s[3]))
    return win.max(axis=(4, 5))


def np_resnet18(x_nhwc, sd):
    relu = lambda t: np.maximum(t, 0)  # noqa: E731
    x = np.transpose(x_nhwc, (0, 3, 1, 2)).astype(np.float64)
    x = np_maxpool(relu(np_bn(np_conv(x, sd["conv1.weight"], 2, 3), sd, "bn1")))
    for i, (_c, stride) in enumerate(STAGES, start=1):
        for b in range(2):
            p, s = f"layer{i}.{b}", stride if b == 0 else 1
            y = relu(np_bn(np_conv(x, sd[f"{p}.conv1.weight"], s, 1), sd, f"{p}.bn1"))
            y = np_bn(np_conv(y, sd[f"{p}.conv2.weight"], 1, 1), sd, f"{p}.bn2")
            sc = np_bn(np_conv(x, sd[f"{p}.downsample.0.weight"], s, 0), sd, f"{p}.downsample.1") \
                if f"{p}.downsample.0.weight" in sd else x
            x = relu(y + sc)
    feats = x.mean(axis=(2, 3))
    logits = feats @ sd["fc.weight"].T + sd["fc.bias"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


@pytest.fixture(scope="module")
def converted():
    sd = random_state_dict()
    model = resnet18_classifier(4, (64, 64, 3), None)
    unused = load_torchvision_state_dict(model, sd)
    return model, sd, unused


def test_every_key_is_used(converted):
    _, _, unused = converted
    assert all(k.endswith("num_batches_tracked") for k in unused)


def test_keras_port_matches_numpy_reference(converted):
    model, sd, _ = converted
    x = np.random.default_rng(1).normal(size=(2, 64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), np_resnet18(x, sd), atol=1e-4)


def test_keras_port_matches_torch_when_installed(converted):
    torch = pytest.importorskip("torch")
    tv = pytest.importorskip("torchvision")
    model, sd, _ = converted
    net = tv.models.resnet18(num_classes=4).eval()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in sd.items()})
    x = np.random.default_rng(2).normal(size=(2, 64, 64, 3)).astype(np.float32)
    with torch.no_grad():
        ref = torch.softmax(net(torch.from_numpy(x).permute(0, 3, 1, 2)), 1).numpy()
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, atol=1e-4)


def test_parameter_count_matches_torchvision():
    # torchvision resnet18 with a 1000-way fc has 11,689,512 parameters (+ BN running stats)
    model = resnet18_classifier(1000, (224, 224, 3), None)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert trainable == 11_689_512
