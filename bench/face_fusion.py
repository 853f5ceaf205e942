"""Benchmark: does fusing several images per side lower false rejects at 0.1% FAR?

The kiosk can enrol from several photos and can probe with several video frames. This
measures, on the East Asian sets (folder mode, embeddings from the calibration tool's
cache), each way of using them against the baseline in the same run, one image against
one image:

- ``probe_fused_k2/k3``: ``fuse`` of k probe images against a single-image template;
- ``template_fused_m2/m3``: ``fuse`` of m template images against a single probe;
- ``both_fused_2x2``: fused template against fused probe;
- ``*_min_*`` / ``*_mean_*``: no fusion, the smallest / the mean of the m x k image
  distances (the alternatives to fusing embeddings).

Each person with at least 4 images with a face (after the same first-N-by-name cap as the
calibration) has their images shuffled once per split (``--splits``, seeded); the template
is the first m of that order and the probe the next k, so every strategy sees the same
shuffles. Genuine: person A's template against A's probe. Impostor: A's template against
B's probe for every ordered pair A != B, built the same way. Results pool all splits.

A fused distance has a different distribution from a single-pair distance, so each
strategy gets its OWN 0.1%-FAR threshold; the FAR each strategy would have at the
single-image threshold says whether one production threshold can serve both. Intervals
come from the identity bootstrap (splits reuse the same people and photos, so pairs are
far from independent).

    .venv/bin/python bench/face_fusion.py [--max-per-person 10] [--splits 30] [--seed 0] \\
        [--out docs/biometrics/fusion.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench.calibrate_faces import (  # noqa: E402
    EmbeddingCache,
    embed_images,
    floor_to,
    folder_images,
    interval_pair,
    pairwise_distances,
    rate,
)
from kiosk.idv import error_rates as er  # noqa: E402
from kiosk.idv.embedding import DlibResNetEmbedder, fuse  # noqa: E402
from tests.drivers.shared_data import shared_data_dir  # noqa: E402

EAST_ASIAN = (shared_data_dir() or REPO.parent / "shared" / "data") / "faces" / "east_asian"
DEFAULT_SETS = ("lfw_east_asian", "cn_celeb_nz29")
MIN_IMAGES = 4  # the largest m + k below, so every strategy sees the same people
TARGET_FARS = (0.001, 0.01)


@dataclass(frozen=True)
class Strategy:
    name: str
    template_images: int  # m
    probe_images: int  # k
    combine: str  # "fuse" (embeddings), "min" or "mean" (of the m x k distances)


STRATEGIES = (
    Strategy("single", 1, 1, "fuse"),
    Strategy("probe_fused_k2", 1, 2, "fuse"),
    Strategy("probe_fused_k3", 1, 3, "fuse"),
    Strategy("template_fused_m2", 2, 1, "fuse"),
    Strategy("template_fused_m3", 3, 1, "fuse"),
    Strategy("both_fused_2x2", 2, 2, "fuse"),
    Strategy("probe_min_k2", 1, 2, "min"),
    Strategy("probe_min_k3", 1, 3, "min"),
    Strategy("probe_mean_k2", 1, 2, "mean"),
    Strategy("probe_mean_k3", 1, 3, "mean"),
    Strategy("template_min_m2", 2, 1, "min"),
    Strategy("template_min_m3", 3, 1, "min"),
    Strategy("template_mean_m2", 2, 1, "mean"),
    Strategy("template_mean_m3", 3, 1, "mean"),
    Strategy("both_min_2x2", 2, 2, "min"),
    Strategy("both_mean_2x2", 2, 2, "mean"),
)


@dataclass
class Comparisons:
    genuine: list[np.ndarray]
    impostor: list[np.ndarray]

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate(self.genuine), np.concatenate(self.impostor)


def strategy_distances(
    strategy: Strategy,
    vectors: np.ndarray,
    image_distances: np.ndarray,
    order: list[np.ndarray],
) -> np.ndarray:
    """(people x people) matrix: row A's template against column B's probe, for one split.
    ``order[p]`` lists person p's image rows in this split's shuffled order."""
    m, k = strategy.template_images, strategy.probe_images
    template_rows = np.stack([rows[:m] for rows in order])  # (N, m)
    probe_rows = np.stack([rows[m : m + k] for rows in order])  # (N, k)
    if strategy.combine == "fuse":
        templates = np.stack([fuse(list(vectors[rows])) for rows in template_rows])
        probes = np.stack([fuse(list(vectors[rows])) for rows in probe_rows])
        diff = templates[:, None, :] - probes[None, :, :]
        return np.sqrt(np.einsum("abk,abk->ab", diff, diff))
    # (N, m, N, k): every template image of A against every probe image of B.
    block = image_distances[template_rows[:, :, None, None], probe_rows[None, None, :, :]]
    reduce = np.min if strategy.combine == "min" else np.mean
    return reduce(block, axis=(1, 3))


def run_set(
    root: Path, max_per_person: int, splits: int, seed: int, replicates: int
) -> dict[str, object]:
    embedder = DlibResNetEmbedder()
    cache = EmbeddingCache(embedder.name)
    people = folder_images(root, max_per_person)
    run = embed_images((p for files in people.values() for p in files), embedder, cache)
    names: list[str] = []
    rows_of: list[np.ndarray] = []
    vectors: list[np.ndarray] = []
    for person, files in people.items():
        found = [run.images[p].embedding for p in files if run.images[p].embedding is not None]
        if len(found) < MIN_IMAGES:
            continue
        names.append(person)
        rows_of.append(np.arange(len(vectors), len(vectors) + len(found)))
        vectors.extend(found)
    matrix = np.stack(vectors)
    image_distances = pairwise_distances(matrix)
    people_ids = np.array(names)
    off_diagonal = ~np.eye(len(names), dtype=bool)
    a_ids, b_ids = np.nonzero(off_diagonal)

    rng = np.random.default_rng(seed)
    pooled = {s.name: Comparisons([], []) for s in STRATEGIES}
    for _ in range(splits):
        order = [rng.permutation(rows) for rows in rows_of]
        for strategy in STRATEGIES:
            d = strategy_distances(strategy, matrix, image_distances, order)
            pooled[strategy.name].genuine.append(np.diag(d).copy())
            pooled[strategy.name].impostor.append(d[off_diagonal])
    genuine_ids = np.tile(people_ids, splits)
    impostor_ids = np.tile(np.stack([people_ids[a_ids], people_ids[b_ids]], axis=1), (splits, 1))

    baseline_thresholds: dict[float, float] = {}
    results: dict[str, object] = {}
    frr_at_target: dict[str, float] = {}
    for strategy in STRATEGIES:
        genuine, impostor = pooled[strategy.name].arrays()
        report, thresholds = strategy_report(
            genuine, genuine_ids, impostor, impostor_ids, replicates, seed
        )
        frr_at_target[strategy.name] = float(np.mean(genuine > thresholds[0.001]))
        if strategy.name == "single":
            baseline_thresholds = thresholds
        report["at_single_image_thresholds"] = {
            f"{target:g}_far_threshold_{t}": {
                "far": rate(int(np.count_nonzero(impostor <= t)), impostor.size),
                "frr": rate(int(np.count_nonzero(genuine > t)), genuine.size),
            }
            for target, t in baseline_thresholds.items()
        }
        results[strategy.name] = {
            "template_images": strategy.template_images,
            "probe_images": strategy.probe_images,
            "combine": strategy.combine,
            **report,
        }
    return {
        "root": os.path.relpath(root, REPO),
        "people_with_at_least_4_face_images": len(names),
        "images_used": len(vectors),
        "splits": splits,
        "embedding_s": round(run.seconds, 2),
        "strategies": results,
        "best_at_0.1pct_far": best_strategy(frr_at_target),
    }


def strategy_report(
    genuine: np.ndarray,
    genuine_ids: np.ndarray,
    impostor: np.ndarray,
    impostor_ids: np.ndarray,
    replicates: int,
    seed: int,
) -> tuple[dict[str, object], dict[float, float]]:
    thresholds: dict[float, float] = {}
    report: dict[str, object] = {
        "genuine_comparisons": int(genuine.size),
        "impostor_comparisons": int(impostor.size),
    }
    for target in TARGET_FARS:
        threshold = floor_to(er.threshold_at_far(impostor, target))
        thresholds[target] = threshold
        entry: dict[str, object] = {
            "threshold": threshold,
            "far": rate(int(np.count_nonzero(impostor <= threshold)), impostor.size),
            "frr": rate(int(np.count_nonzero(genuine > threshold)), genuine.size),
        }
        if target == 0.001:
            boot = er.bootstrap_threshold_at_far(
                genuine,
                genuine_ids,
                impostor,
                impostor_ids,
                target,
                replicates=replicates,
                seed=seed,
            )
            entry["threshold_ci95_identity_bootstrap"] = interval_pair(boot.threshold, 4)
            entry["frr_ci95_identity_bootstrap"] = interval_pair(boot.frr)
        report[f"at_{target:.1%}_far".replace("%", "pct")] = entry
    eer = er.equal_error_rate(genuine, impostor)
    report["eer"] = {"rate": round(eer.rate, 6), "threshold": round(eer.threshold, 4)}
    return report, thresholds


def best_strategy(frr: dict[str, float]) -> dict[str, object]:
    """The strategy with the lowest FRR at its own 0.1%-FAR threshold, and the ranking."""
    ranking = sorted(frr, key=lambda name: frr[name])
    best = ranking[0]
    return {
        "strategy": best,
        "frr": round(frr[best], 6),
        "single_image_frr": round(frr["single"], 6),
        "frr_reduction": round(frr["single"] - frr[best], 6),
        "ranking": [{"strategy": name, "frr": round(frr[name], 6)} for name in ranking],
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--folders",
        type=Path,
        nargs="+",
        default=[EAST_ASIAN / name for name in DEFAULT_SETS],
        help="one or more folder-mode sets (default: the two East Asian sets)",
    )
    parser.add_argument("--max-per-person", type=int, default=10)
    parser.add_argument("--splits", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--bootstrap", type=int, default=200, help="identity-bootstrap replicates")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "biometrics" / "fusion.json")
    args = parser.parse_args(argv)
    missing = [str(p) for p in args.folders if not p.is_dir()]
    if missing:
        raise SystemExit(f"data folder(s) not found: {', '.join(missing)}")
    started = time.perf_counter()
    sets = {
        folder.name: run_set(folder, args.max_per_person, args.splits, args.seed, args.bootstrap)
        for folder in args.folders
    }
    report = {
        "benchmark": "face_fusion",
        "embedder": "dlib_resnet_v1",
        "baseline": "single: one template image against one probe image",
        "protocol": {
            "min_face_images_per_person": MIN_IMAGES,
            "max_per_person": args.max_per_person,
            "cap_rule": "first N image files per person in sorted name order",
            "splits": args.splits,
            "seed": args.seed,
            "split_rule": "per split, each person's images shuffled; template = first m, "
            "probe = next k; impostor = A's template vs B's probe, all ordered A != B",
            "thresholds": "each strategy's own, rounded down to 4 decimals",
            "images": "distinct photos, often from different days; frames of one kiosk "
            "capture are far more alike, so a multi-frame probe gains less than shown here",
            "bootstrap": {"replicates": args.bootstrap, "resamples": "people"},
        },
        "sets": sets,
        "run_time_s": round(time.perf_counter() - started, 2),
        "command": shlex.join(
            ["python", "bench/face_fusion.py", *(sys.argv[1:] if argv is None else argv)]
        ),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report, indent=2)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
