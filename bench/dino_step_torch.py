"""The DINO-step benchmark for PyTorch, plain torch: the same step, protocol and JSON result as the
TypeScript implementations (bench/dino-step/harness.ts), on the same parameters and crops, which
bench/dino-step/export-host-data.ts writes for it. The position table is resized for the 12x12 crops
with DINO's own F.interpolate(mode="bicubic", scale_factor=(n + 0.1)/g).

    python3 bench/dino_step_torch.py --steps 2 [--json] [--warmup N] [--repeat N]
        [--device cpu|cuda] [--drop-path-rate R] [--host-data DIR]

Without --host-data it runs the exporter (npx tsx) into a temporary directory first.
"""

import argparse
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from array import array

try:
    import torch
    import torch.nn.functional as F
except ImportError:  # the driver checks first; this keeps a direct run readable
    torch = None

FROZEN_PARAM = "head.last_layer.weight_g"


def loaded_blas():
    """The BLAS libraries this process mapped (Debian's torch links netlib's reference BLAS unless
    OpenBLAS is found first on LD_LIBRARY_PATH, about 11x slower): read off /proc/self/maps."""
    try:
        with open("/proc/self/maps") as handle:
            paths = {line.split()[-1] for line in handle if "blas" in line.lower() and "/" in line}
    except OSError:
        return "unknown (no /proc/self/maps)"
    return ", ".join(sorted(paths)) or "none mapped"


def log(message):
    sys.stderr.write(message + "\n")


def parse_flags(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--backend", default=None, help="alias of --device, as the driver passes it")
    parser.add_argument("--mode", default="eager", choices=["eager"])
    parser.add_argument("--drop-path-rate", type=float, default=None)
    parser.add_argument("--host-data", default=None)
    flags = parser.parse_args(argv)
    if flags.backend:
        flags.device = flags.backend
    if flags.steps < 1 or flags.warmup < 0 or flags.repeat < 1:
        parser.error("--steps must be >= 1, --warmup >= 0, --repeat >= 1")
    return flags


def load_host_data(directory):
    """The exporter's arrays as {name: (shape, flat float list)}, and its manifest."""
    if directory is None:
        directory = tempfile.mkdtemp(prefix="dino-host-data-")
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        subprocess.run(["npx", "tsx", "bench/dino-step/export-host-data.ts", directory], cwd=root, check=True, stdout=sys.stderr)
    with open(os.path.join(directory, "host-data.json")) as handle:
        manifest = json.load(handle)
    floats = array("f")
    with open(os.path.join(directory, "host-data.bin"), "rb") as handle:
        floats.frombytes(handle.read())
    if sys.byteorder != "little":
        floats.byteswap()
    arrays = {}
    for entry in manifest["arrays"]:
        size = math.prod(entry["shape"])
        arrays[entry["name"]] = (entry["shape"], floats[entry["offset"] : entry["offset"] + size])
    return manifest, arrays


def to_tensor(shape_and_data, device):
    shape, data = shape_and_data
    return torch.frombuffer(bytearray(data.tobytes()), dtype=torch.float32).reshape(shape).to(device)


def drop_path_rates(rate, depth):
    return [rate * i / (depth - 1) if depth > 1 else 0.0 for i in range(depth)]


class DinoTorch:
    """Student, teacher, centre and AdamW as in DINO's main_dino.py, as functions over name -> tensor dicts."""

    def __init__(self, preset, params, device, drop_path_rate):
        self.preset = preset
        self.device = device
        self.rates = drop_path_rates(drop_path_rate, preset["depth"])
        self.student = {name: tensor.clone().requires_grad_(name != FROZEN_PARAM) for name, tensor in params.items()}
        self.teacher = {name: tensor.clone() for name, tensor in params.items()}
        self.center = torch.zeros(1, preset["outDim"], device=device)
        trainable = [(name, p) for name, p in self.student.items() if p.requires_grad]
        # get_params_groups: no decay for biases and rank <= 1 tensors
        decayed = [p for name, p in trainable if not name.endswith(".bias") and p.ndim > 1]
        not_decayed = [p for name, p in trainable if name.endswith(".bias") or p.ndim <= 1]
        self.optimizer = torch.optim.AdamW(
            [{"params": decayed, "weight_decay": preset["weightDecay"]}, {"params": not_decayed, "weight_decay": 0.0}],
            lr=preset["lr"], betas=(preset["beta1"], preset["beta2"]), eps=preset["adamEps"],
        )

    def linear(self, w, name, x):
        return F.linear(x, w[name + ".weight"], w[name + ".bias"])

    def layer_norm(self, w, name, x):
        return F.layer_norm(x, (x.shape[-1],), w[name + ".weight"], w[name + ".bias"], eps=self.preset["layerNormEps"])

    def drop_path(self, x, rate):
        if rate == 0:
            return x
        keep = 1 - rate
        return x * x.new_empty((x.shape[0], 1, 1)).bernoulli_(keep).div_(keep)

    def attention(self, w, name, x):
        batch, tokens, dim = x.shape
        heads = self.preset["numHeads"]
        qkv = self.linear(w, name + ".qkv", x).reshape(batch, tokens, 3, heads, dim // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        probs = ((q @ k.transpose(-2, -1)) * (dim // heads) ** -0.5).softmax(dim=-1)
        return self.linear(w, name + ".proj", (probs @ v).transpose(1, 2).reshape(batch, tokens, dim))

    def positions(self, w, grid):
        """VisionTransformer.interpolate_pos_encoding."""
        table = w["backbone.pos_embed"]
        entries, dim = table.shape[1] - 1, table.shape[2]
        table_grid = int(round(math.sqrt(entries)))
        if grid == table_grid:
            return table
        patch = table[:, 1:].reshape(1, table_grid, table_grid, dim).permute(0, 3, 1, 2)
        scale = (grid + 0.1) / table_grid
        patch = F.interpolate(patch, scale_factor=(scale, scale), mode="bicubic", align_corners=False)
        return torch.cat((table[:, :1], patch.permute(0, 2, 3, 1).reshape(1, -1, dim)), dim=1)

    def vit_features(self, w, images, train):
        p = self.preset["patchSize"]
        dim = self.preset["embedDim"]
        x = F.conv2d(images, w["backbone.patch_embed.proj.weight"], w["backbone.patch_embed.proj.bias"], stride=p)
        grid = x.shape[-1]
        x = x.flatten(2).transpose(1, 2)
        x = torch.cat((w["backbone.cls_token"].expand(x.shape[0], 1, dim), x), dim=1) + self.positions(w, grid)
        for i in range(self.preset["depth"]):
            block = "backbone.blocks.%d" % i
            rate = self.rates[i] if train else 0.0
            x = x + self.drop_path(self.attention(w, block + ".attn", self.layer_norm(w, block + ".norm1", x)), rate)
            hidden = self.linear(w, block + ".mlp.fc2", F.gelu(self.linear(w, block + ".mlp.fc1", self.layer_norm(w, block + ".norm2", x))))
            x = x + self.drop_path(hidden, rate)
        return self.layer_norm(w, "backbone.norm", x)[:, 0]

    def head(self, w, features):
        x = self.linear(w, "head.mlp.4", F.gelu(self.linear(w, "head.mlp.2", F.gelu(self.linear(w, "head.mlp.0", features)))))
        x = F.normalize(x, dim=-1, p=2)
        v = w["head.last_layer.weight_v"]
        prototypes = v * (w[FROZEN_PARAM].detach() / v.norm(dim=1, keepdim=True))
        return F.linear(x, prototypes)

    def forward(self, w, crops, train):
        """MultiCropWrapper: the backbone once per run of same-size crops, the head once on all rows."""
        groups = []
        for crop in crops:
            if groups and groups[-1][0].shape[-1] == crop.shape[-1]:
                groups[-1].append(crop)
            else:
                groups.append([crop])
        return self.head(w, torch.cat([self.vit_features(w, torch.cat(group), train) for group in groups]))

    def dino_loss(self, student_out, teacher_out):
        """DINOLoss.forward, centre update left to step()."""
        crops = student_out.shape[0] // self.preset["batch"]
        student_logp = F.log_softmax(student_out / self.preset["studentTemp"], dim=-1).chunk(crops)
        targets = F.softmax((teacher_out - self.center) / self.preset["teacherTemp"], dim=-1).detach().chunk(2)
        total, pairs = 0.0, 0
        for i, q in enumerate(targets):
            for v, logp in enumerate(student_logp):
                if v == i:
                    continue
                total = total + torch.sum(-q * logp, dim=-1).mean()
                pairs += 1
        return total / pairs

    def teacher_entropy(self, teacher_out):
        logq = F.log_softmax((teacher_out - self.center) / self.preset["teacherTemp"], dim=-1)
        return -(logq.exp() * logq).sum() / teacher_out.shape[0]

    def step(self, crops):
        with torch.no_grad():
            teacher_out = self.forward(self.teacher, crops[:2], train=False)
            entropy = self.teacher_entropy(teacher_out)
        loss = self.dino_loss(self.forward(self.student, crops, train=True), teacher_out)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        clip = self.preset["clipGrad"]
        for p in self.student.values():  # utils.clip_gradients
            if p.grad is not None:
                clip_coef = clip / (p.grad.detach().norm(2) + 1e-6)
                if clip_coef < 1:
                    p.grad.detach().mul_(clip_coef)
        self.optimizer.step()
        with torch.no_grad():
            m = self.preset["teacherMomentum"]
            for name, t in self.teacher.items():
                t.mul_(m).add_((1 - m) * self.student[name].detach())
            momentum = self.preset["centerMomentum"]
            self.center = self.center * momentum + teacher_out.mean(dim=0, keepdim=True) * (1 - momentum)
        if self.device.startswith("cuda"):
            torch.cuda.synchronize()
        return {"loss": loss.item(), "teacherEntropy": entropy.item()}


def summarize(samples):
    ordered = sorted(samples)
    middle = len(ordered) // 2
    median = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return {"medianMs": median, "minMs": ordered[0], "maxMs": ordered[-1], "samplesMs": samples}


def rss_mib():
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def time_matmul(device, size=512, repeats=5):
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(size, size, generator=generator).to(device)
    b = torch.randn(size, size, generator=generator).to(device)

    def run():
        a @ b
        if device.startswith("cuda"):
            torch.cuda.synchronize()

    run()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        samples.append((time.perf_counter() - start) * 1000)
    timing = summarize(samples)
    gflops = lambda ms: 2 * size**3 / (ms * 1e6)
    return {"gflops": gflops(timing["medianMs"]), "minGflops": gflops(timing["maxMs"]), "maxGflops": gflops(timing["minMs"])}


def run(flags):
    manifest, arrays = load_host_data(flags.host_data)
    preset = manifest["preset"]
    drop_path_rate = preset["dropPathRate"] if flags.drop_path_rate is None else flags.drop_path_rate
    device = flags.device
    params = {name[len("param:"):]: to_tensor(value, device) for name, value in arrays.items() if name.startswith("param:")}
    crops = lambda seed: [to_tensor(arrays["crops:%d:%d" % (seed, i)], device) for i in range(preset["globalCrops"] + preset["localCrops"])]
    label = "torch %s eager" % device
    torch.manual_seed(0)
    trainer = DinoTorch(preset, params, device, drop_path_rate)

    sanity_batch = crops(1)
    start = time.perf_counter()
    metrics = [trainer.step(sanity_batch)]
    first_step_ms = (time.perf_counter() - start) * 1000
    low, high = manifest["initialLossWindow"]
    log("%s: step 0 loss %.4f (ln K = %.4f, window [%.2f, %.2f]), %.0f ms" % (label, metrics[0]["loss"], math.log(preset["outDim"]), low, high, first_step_ms))
    for _ in range(flags.repeat):
        metrics.append(trainer.step(sanity_batch))
    losses = [m["loss"] for m in metrics]
    kl = [m["loss"] - m["teacherEntropy"] for m in metrics]
    log("%s: same batch %d more times: loss %s" % (label, flags.repeat, " -> ".join("%.4f" % x for x in losses)))
    log("%s:                          KL   %s" % (label, " -> ".join("%.4f" % x for x in kl)))

    batches = [crops(seed) for seed in (2, 3, 4)]
    for w in range(flags.warmup):
        trainer.step(batches[w % len(batches)])
    samples, resident = [], []
    for s in range(flags.steps):
        start = time.perf_counter()
        loss = trainer.step(batches[s % len(batches)])["loss"]
        samples.append((time.perf_counter() - start) * 1000)
        resident.append(rss_mib())
        if not math.isfinite(loss):
            raise RuntimeError("%s: loss %s at timed step %d" % (label, loss, s))
    step = summarize(samples)
    log("%s: %d timed steps, median %.1f ms [%.1f-%.1f]" % (label, flags.steps, step["medianMs"], step["minMs"], step["maxMs"]))
    peak_rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, max(resident))
    matmul = time_matmul(device)
    log("%s: matmul 512^3 %.2f GFLOP/s, peak RSS %.0f MiB" % (label, matmul["gflops"], peak_rss))
    return {
        "library": "torch",
        "version": torch.__version__,
        "backend": device,
        "mode": "eager",
        "notes": ["position table for 12x12 crops: bicubic, F.interpolate as DINO", "intra-op threads %d" % torch.get_num_threads(), "BLAS: %s" % loaded_blas()],
        "dropPathRate": drop_path_rate,
        "sanity": {
            "initialLoss": losses[0],
            "uniformLoss": math.log(preset["outDim"]),
            "initialLossWindow": [low, high],
            "initialLossOk": low <= losses[0] <= high,
            "repeatedBatchLosses": losses,
            "repeatedBatchKl": kl,
            "lossFalls": losses[-1] < losses[0],
            "klFalls": all(kl[i] < kl[i - 1] for i in range(1, len(kl))),
        },
        "firstStepMs": first_step_ms,
        "warmupSteps": flags.warmup,
        "step": step,
        "peakRssMiB": peak_rss,
        "rssGrowthMiB": resident[-1] - resident[0],
        "matmul512": matmul,
    }


def main():
    flags = parse_flags(sys.argv[1:])
    try:
        if torch is None:
            raise RuntimeError("skipped: no torch (python3 cannot import torch)")
        result = run(flags)
    except Exception as error:  # one JSON line for the driver, as the TypeScript harness does
        log("%s: %s" % (type(error).__name__, error))
        if flags.json:
            print(json.dumps({"error": str(error).split("\n")[0]}))
        sys.exit(1)
    print(json.dumps(result) if flags.json else json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
