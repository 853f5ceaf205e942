"""Calibrate the face-match threshold on real photos: FAR and FRR of raw embedding distance.

The kiosk accepts a face when the embedding distance is at or under ``accept_max``. This
tool measures, on a labelled set, what each threshold costs: the false-accept rate (FAR,
impostor pairs accepted) and the false-reject rate (FRR, genuine pairs refused), the
threshold for 0.1% and 1% FAR with identity-bootstrap intervals, the equal error rate, and
the same by sex where the data says who is female or male. The baseline in the same run is
dlib's customary 0.6, which on East Asian faces accepts a large share of impostors.

Two ways to name the pairs:

- ``--folders DIR``: one subfolder per person; every same-person pair is genuine and every
  cross-person pair an impostor. ``--max-per-person N`` keeps the first N images of each
  person in sorted file-name order (deterministic, independent of ``--seed``; 0 keeps all),
  so that one person with 60 photos does not dominate the genuine pairs.
- ``--pairs-csv CSV --images DIR``: deepface's ``master.csv`` (``file_x,file_y,Decision``).
  Its photos have no person labels; people for the identity bootstrap are the groups of
  images linked by "Yes" pairs (an image in no "Yes" pair counts as a person of its own).

Images whose longer side exceeds 1000 px are downscaled first (detection cost grows with
area; the descriptor's 150 px chip does not need more). Images without a face are skipped
and counted. Embeddings are cached in ``${XDG_CACHE_HOME:-~/.cache}/bdmi-kiosk/embeddings``,
keyed by the file's SHA-256 and the embedder name, so a rerun only recomputes statistics.
``--seed`` seeds the bootstrap.

    .venv/bin/python bench/calibrate_faces.py --folders DIR [--max-per-person 10] \\
        [--labels-from-sources [SOURCES.txt] | --labels CSV] --name NAME --out-dir DIR
    .venv/bin/python bench/calibrate_faces.py --pairs-csv master.csv --images DIR \\
        --name NAME --out-dir DIR

Prints the JSON report and writes ``<out-dir>/<name>.json`` and ``<out-dir>/<name>.png``.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import math
import os
import re
import shlex
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from kiosk.idv import error_rates as er  # noqa: E402
from kiosk.idv.embedding import (  # noqa: E402
    DlibResNetEmbedder,
    FaceEmbedder,
    embed_photo,
    load_rgb,
)
from kiosk.idv.errors import IdvError  # noqa: E402

MAX_SIDE = 1000
# Anything that changes the embedding of a file besides the model goes into the cache name.
PIPELINE = f"maxside{MAX_SIDE}-largestface-upsample1-jitter0"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".webp"}
FIXED_THRESHOLDS = (0.6, 0.5, 0.45, 0.40)
TARGET_FARS = (0.001, 0.01)
CURVE_TABLE = np.round(np.arange(0.30, 0.7001, 0.01), 2)
CONFIDENCE = 0.95


# --- embeddings, cached ---------------------------------------------------------------------


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "bdmi-kiosk" / "embeddings"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class EmbeddingCache:
    """One .npz per embedder (and pipeline): SHA-256 of the image file -> a vector whose
    first element is the number of faces found and the rest the embedding (empty when no
    face). Written atomically, so an interrupted run leaves the old cache intact."""

    def __init__(self, embedder_name: str, directory: Path | None = None) -> None:
        self.path = (directory or cache_dir()) / f"{embedder_name}--{PIPELINE}.npz"
        self._entries: dict[str, np.ndarray] = {}
        self._dirty = False
        if self.path.is_file():
            with np.load(self.path) as data:
                self._entries = {key: data[key] for key in data.files}

    def get(self, sha: str) -> np.ndarray | None:
        return self._entries.get(sha)

    def put(self, sha: str, value: np.ndarray) -> None:
        self._entries[sha] = value
        self._dirty = True

    def save(self) -> None:
        if not self._dirty:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, **self._entries)
        os.replace(tmp, self.path)
        self._dirty = False


@dataclass
class Embedded:
    path: Path
    embedding: np.ndarray | None
    faces_found: int


@dataclass
class EmbeddingRun:
    images: dict[Path, Embedded] = field(default_factory=dict)
    computed: int = 0
    from_cache: int = 0
    seconds: float = 0.0

    @property
    def skipped(self) -> list[Path]:
        return [p for p, e in self.images.items() if e.embedding is None]


def downscaled(rgb: np.ndarray) -> np.ndarray:
    height, width = rgb.shape[:2]
    scale = MAX_SIDE / max(height, width)
    if scale >= 1:
        return rgb
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)


def embed_file(embedder: FaceEmbedder, path: Path) -> np.ndarray:
    """The cache record of one image: [faces_found, *embedding], or [0] without a face."""
    try:
        face = embed_photo(embedder, downscaled(load_rgb(path)))
    except IdvError as exc:
        if exc.reason != "IDV_NO_FACE":
            raise
        return np.zeros(1)
    return np.concatenate([[float(face.faces_found)], face.embedding])


def embed_images(
    paths: Iterable[Path], embedder: FaceEmbedder, cache: EmbeddingCache
) -> EmbeddingRun:
    run = EmbeddingRun()
    start = time.perf_counter()
    todo = sorted(set(paths))
    for n, path in enumerate(todo, 1):
        sha = file_sha256(path)
        record = cache.get(sha)
        if record is None:
            record = embed_file(embedder, path)
            cache.put(sha, record)
            run.computed += 1
            if run.computed % 50 == 0:
                cache.save()
                print(f"  embedded {n}/{len(todo)}", file=sys.stderr)
        else:
            run.from_cache += 1
        faces = int(record[0])
        run.images[path] = Embedded(path, record[1:] if faces else None, faces)
    cache.save()
    run.seconds = time.perf_counter() - start
    return run


# --- pairs ----------------------------------------------------------------------------------


@dataclass
class Pairs:
    """Distances with the people behind each one (for the identity bootstrap)."""

    genuine: np.ndarray
    genuine_ids: np.ndarray
    impostor: np.ndarray
    impostor_ids: np.ndarray  # (n, 2)
    notes: dict[str, object] = field(default_factory=dict)

    def subset(self, genuine_mask: np.ndarray, impostor_mask: np.ndarray) -> Pairs:
        return Pairs(
            self.genuine[genuine_mask],
            self.genuine_ids[genuine_mask],
            self.impostor[impostor_mask],
            self.impostor_ids[impostor_mask],
        )


def folder_images(root: Path, max_per_person: int) -> dict[str, list[Path]]:
    """Person folder name -> the first ``max_per_person`` image files, sorted by name."""
    if not root.is_dir():
        raise SystemExit(f"{root}: no such folder (the face sets live in ../shared/data/faces)")
    people: dict[str, list[Path]] = {}
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = sorted(
            p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
        )
        if max_per_person > 0:
            files = files[:max_per_person]
        if files:
            people[folder.name] = files
    if not people:
        raise SystemExit(f"{root}: no person folders with images")
    return people


def pairwise_distances(embeddings: np.ndarray) -> np.ndarray:
    """Euclidean distance of every pair of rows (as ``embedding.distance`` computes it)."""
    diff = embeddings[:, None, :] - embeddings[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def folder_pairs(people: dict[str, list[Path]], run: EmbeddingRun) -> Pairs:
    labels: list[str] = []
    vectors: list[np.ndarray] = []
    for person, files in people.items():
        for path in files:
            embedding = run.images[path].embedding
            if embedding is not None:
                labels.append(person)
                vectors.append(embedding)
    names = np.array(labels)
    matrix = pairwise_distances(np.stack(vectors))
    i, j = np.triu_indices(len(labels), k=1)
    same = names[i] == names[j]
    return Pairs(
        genuine=matrix[i[same], j[same]],
        genuine_ids=names[i[same]],
        impostor=matrix[i[~same], j[~same]],
        impostor_ids=np.stack([names[i[~same]], names[j[~same]]], axis=1),
    )


def read_pairs_csv(csv_path: Path) -> list[tuple[str, str, bool]]:
    with csv_path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    decisions = {"yes": True, "no": False}
    return [(r["file_x"], r["file_y"], decisions[r["Decision"].strip().lower()]) for r in rows]


def people_from_same_pairs(rows: Sequence[tuple[str, str, bool]]) -> dict[str, str]:
    """Union-find over "same person" pairs: file -> a label for its person."""
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for x, y, same in rows:
        root(x)
        root(y)
        if same:
            parent[root(x)] = root(y)
    return {name: root(name) for name in parent}


def csv_pairs(rows: Sequence[tuple[str, str, bool]], images: Path, run: EmbeddingRun) -> Pairs:
    person = people_from_same_pairs(rows)
    genuine, genuine_ids, impostor, impostor_ids = [], [], [], []
    skipped_pairs = conflicts = 0
    for x, y, same in rows:
        a, b = run.images[images / x].embedding, run.images[images / y].embedding
        if a is None or b is None:
            skipped_pairs += 1
            continue
        d = float(np.linalg.norm(a - b))
        if same:
            genuine.append(d)
            genuine_ids.append(person[x])
        else:
            conflicts += person[x] == person[y]
            impostor.append(d)
            impostor_ids.append((person[x], person[y]))
    return Pairs(
        np.array(genuine),
        np.array(genuine_ids),
        np.array(impostor),
        np.array(impostor_ids).reshape(-1, 2),
        notes={
            "pairs_skipped_no_face": skipped_pairs,
            "people_inferred_from_same_pairs": len(set(person.values())),
            "different_pairs_inside_one_inferred_person": conflicts,
        },
    )


# --- labels ---------------------------------------------------------------------------------

_ENTRY = re.compile(r"^\s+(?P<person>[^\s:]+):\s+\d+\b(?P<rest>.*)$")
_BRACKET = re.compile(r"\[\s*(?P<group>[^,\]]+?)\s*,\s*(?P<sex>[MF])\s*\]")
_FEMALE_MARK = re.compile(r"\(F\)")
_DEMOGRAPHY = re.compile(r"(\d+)\s+female\b.*?(\d+)\s+male\b", re.IGNORECASE)


def labels_from_sources(path: Path) -> tuple[dict[str, dict[str, str]], str]:
    """Person -> {"sex": ..., "group": ...} from a data set's SOURCES.txt, and how they were
    read. Two layouts exist: ``Name: 5  [JP, F]`` (group and sex on every line) and
    ``nz10: 4  name  (F)`` (only women marked). In the second, an unmarked person is taken
    as male only when the file's Demography line says "N female ... M male" and the
    marks add up to exactly those numbers; otherwise unmarked people get no sex label."""
    lines = path.read_text(encoding="utf-8").splitlines()
    start = next((n for n, line in enumerate(lines) if line.startswith("Per-identity")), None)
    if start is None:
        return {}, "no per-identity section"
    labels: dict[str, dict[str, str]] = {}
    female_marked: set[str] = set()
    unmarked: set[str] = set()
    for line in lines[start + 1 :]:
        entry = _ENTRY.match(line)
        if not entry:
            continue
        person, rest = entry["person"], entry["rest"]
        bracket = _BRACKET.search(rest)
        if bracket:
            labels[person] = {"sex": bracket["sex"], "group": bracket["group"]}
        elif _FEMALE_MARK.search(rest):
            labels[person] = {"sex": "F"}
            female_marked.add(person)
        else:
            unmarked.add(person)
    if not unmarked:
        return labels, "sex (and group) given per identity"
    demography = next((line for line in lines if line.startswith("Demography")), "")
    counts = _DEMOGRAPHY.search(demography)
    if counts and (int(counts[1]), int(counts[2])) == (len(female_marked), len(unmarked)):
        for person in unmarked:
            labels[person] = {"sex": "M"}
        return labels, "(F) marks; unmarked = male, as the Demography line's counts confirm"
    return labels, "(F) marks only; unmarked identities left unlabelled"


def labels_from_csv(path: Path) -> dict[str, dict[str, str]]:
    """A CSV with a ``person`` column; every other column is an attribute to break down by."""
    with path.open(newline="", encoding="utf-8") as handle:
        return {
            row["person"]: {k: v for k, v in row.items() if k != "person" and v}
            for row in csv.DictReader(handle)
        }


# --- statistics -----------------------------------------------------------------------------


def floor_to(value: float, digits: int = 4) -> float:
    """Round a threshold *down*: a calibrated accept_max must not accept more than measured."""
    if math.isinf(value):
        return value
    scale = 10**digits
    return math.floor(value * scale) / scale


def rate(errors: int, trials: int) -> dict[str, object]:
    interval = er.rate_interval(errors, trials, CONFIDENCE)
    return {
        "rate": round(errors / trials, 6),
        "errors": errors,
        "of": trials,
        "ci95_pairs": [round(interval.low, 6), round(interval.high, 6)],
        "ci_method": interval.method,
    }


def far_block(impostor: np.ndarray, threshold: float) -> dict[str, object]:
    return rate(int(np.count_nonzero(impostor <= threshold)), impostor.size)


def frr_block(genuine: np.ndarray, threshold: float) -> dict[str, object]:
    return rate(int(np.count_nonzero(genuine > threshold)), genuine.size)


def interval_pair(interval: er.Interval, digits: int = 6) -> list[float]:
    return [round(interval.low, digits), round(interval.high, digits)]


def fixed_threshold_report(pairs: Pairs, replicates: int, seed: int) -> dict[str, object]:
    """FAR and FRR at the customary thresholds, with pair-binomial and identity-bootstrap
    intervals (the second is the one to trust: pairs share people)."""
    points = np.array(FIXED_THRESHOLDS)

    def statistic(g_w: np.ndarray, i_w: np.ndarray) -> list[float]:
        far = er.far_at(pairs.impostor, points, i_w)
        frr = er.frr_at(pairs.genuine, points, g_w) if pairs.genuine.size else points * np.nan
        return [*far, *frr]

    rows = er.identity_bootstrap(
        statistic, pairs.genuine_ids, pairs.impostor_ids, replicates=replicates, seed=seed
    )
    report: dict[str, object] = {}
    for k, threshold in enumerate(FIXED_THRESHOLDS):
        far = far_block(pairs.impostor, threshold)
        far["ci95_identity_bootstrap"] = interval_pair(er.percentile_interval(rows[:, k]))
        entry: dict[str, object] = {"far": far}
        if pairs.genuine.size:
            frr = frr_block(pairs.genuine, threshold)
            column = rows[:, len(FIXED_THRESHOLDS) + k]
            frr["ci95_identity_bootstrap"] = interval_pair(er.percentile_interval(column))
            entry["frr"] = frr
        report[f"{threshold:.2f}"] = entry
    return report


def target_report(
    pairs: Pairs, target: float, replicates: int, seed: int
) -> tuple[float, dict[str, object]]:
    exact = er.threshold_at_far(pairs.impostor, target)
    threshold = floor_to(exact)
    boot = er.bootstrap_threshold_at_far(
        pairs.genuine,
        pairs.genuine_ids,
        pairs.impostor,
        pairs.impostor_ids,
        target,
        replicates=replicates,
        confidence=CONFIDENCE,
        seed=seed,
    )
    sorted_impostor = np.sort(pairs.impostor)
    accepted = sorted_impostor[sorted_impostor <= exact]
    report: dict[str, object] = {
        "threshold": threshold,
        "threshold_ci95_identity_bootstrap": interval_pair(boot.threshold, 4),
        "last_accepted_impostor_distance": round(float(accepted[-1]), 6) if accepted.size else None,
        "first_rejected_impostor_distance": round(float(sorted_impostor[accepted.size]), 6),
        "far": far_block(pairs.impostor, threshold),
        "frr": frr_block(pairs.genuine, threshold),
        "frr_ci95_identity_bootstrap_at_replicate_threshold": interval_pair(boot.frr),
    }
    if pairs.impostor.size * target < 1:
        report["note"] = (
            f"only {pairs.impostor.size} impostor pairs: fewer than 1/{target:g}, so this is "
            "just under the smallest impostor distance, not an estimate of this FAR"
        )
    return threshold, report


def accuracy_block(pairs: Pairs, threshold: float) -> dict[str, object]:
    result = er.accuracy_at(pairs.genuine, pairs.impostor, threshold)
    return {
        "threshold": threshold,
        "accuracy": round(result.accuracy, 6),
        "balanced_accuracy": round(result.balanced, 6),
    }


def summarize(
    pairs: Pairs, replicates: int, seed: int
) -> tuple[dict[str, object], dict[float, float]]:
    targets: dict[str, object] = {}
    thresholds: dict[float, float] = {}
    for target in TARGET_FARS:
        thresholds[target], targets[f"{target:g}"] = target_report(pairs, target, replicates, seed)
    eer = er.equal_error_rate(pairs.genuine, pairs.impostor)
    curves = er.error_curves(pairs.genuine, pairs.impostor, CURVE_TABLE)
    return {
        "genuine_pairs": int(pairs.genuine.size),
        "impostor_pairs": int(pairs.impostor.size),
        "at_fixed_thresholds": fixed_threshold_report(pairs, replicates, seed),
        "threshold_at_far": targets,
        "eer": {
            "rate": round(eer.rate, 6),
            "threshold": round(eer.threshold, 4),
            "far": round(eer.far, 6),
            "frr": round(eer.frr, 6),
        },
        "accuracy_at_chosen_threshold_0.1pct_far": accuracy_block(pairs, thresholds[0.001]),
        "accuracy_at_0.6": accuracy_block(pairs, 0.6),
        "curve": [
            {"t": float(t), "far": round(float(a), 6), "frr": round(float(r), 6)}
            for t, a, r in zip(curves.thresholds, curves.far, curves.frr, strict=True)
        ],
    }, thresholds


def breakdown(
    pairs: Pairs,
    labels: dict[str, dict[str, str]],
    overall: dict[float, float],
    replicates: int,
    seed: int,
) -> dict[str, object]:
    """Per attribute value: genuine pairs of those people and impostor pairs where both
    people share the value (an impostor of the same sex is the realistic attack), at the
    overall thresholds and at the subset's own 0.1%-FAR threshold; and the cross pairs."""
    attributes = sorted({key for person in labels.values() for key in person})
    result: dict[str, object] = {}

    def attr(ids: np.ndarray, key: str) -> np.ndarray:
        return np.array([labels.get(str(p), {}).get(key, "") for p in ids.ravel()]).reshape(
            ids.shape
        )

    for key in attributes:
        g_attr = attr(pairs.genuine_ids, key)
        i_attr = attr(pairs.impostor_ids, key)
        values = sorted({v for v in np.unique(i_attr) if v})
        per_value: dict[str, object] = {}
        for value in values:
            both = (i_attr[:, 0] == value) & (i_attr[:, 1] == value)
            part = pairs.subset(g_attr == value, both)
            per_value[value] = subset_report(part, overall, replicates, seed)
        labelled = (i_attr[:, 0] != "") & (i_attr[:, 1] != "")
        same = labelled & (i_attr[:, 0] == i_attr[:, 1])
        cross = labelled & (i_attr[:, 0] != i_attr[:, 1])
        no_genuine = np.zeros(pairs.genuine.size, dtype=bool)
        result[key] = {
            "people": {v: sum(1 for p in labels.values() if p.get(key) == v) for v in values},
            "by_value": per_value,
            f"same_{key}_impostors": subset_report(
                pairs.subset(g_attr != "", same), overall, replicates, seed
            ),
            f"cross_{key}_impostors": {
                "impostor_pairs": int(np.count_nonzero(cross)),
                "far_at_overall_thresholds": far_at_overall(
                    pairs.subset(no_genuine, cross), overall
                ),
            },
        }
    return result


def far_at_overall(part: Pairs, overall: dict[float, float]) -> dict[str, object]:
    points = {f"{t:.2f}": t for t in FIXED_THRESHOLDS}
    points |= {f"overall_{target:g}_far_threshold": t for target, t in overall.items()}
    if not part.impostor.size:
        return {}
    return {name: far_block(part.impostor, t) for name, t in points.items()}


def subset_report(
    part: Pairs, overall: dict[float, float], replicates: int, seed: int
) -> dict[str, object]:
    report: dict[str, object] = {
        "genuine_pairs": int(part.genuine.size),
        "impostor_pairs": int(part.impostor.size),
        "far_at_overall_thresholds": far_at_overall(part, overall),
    }
    if part.genuine.size:
        report["frr_at_overall_thresholds"] = {
            f"overall_{target:g}_far_threshold": frr_block(part.genuine, t)
            for target, t in overall.items()
        }
    if part.genuine.size and part.impostor.size:
        _, own = target_report(part, 0.001, replicates, seed)
        report["own_threshold_at_0.1pct_far"] = own
        eer = er.equal_error_rate(part.genuine, part.impostor)
        report["eer"] = {"rate": round(eer.rate, 6), "threshold": round(eer.threshold, 4)}
    return report


# --- plot -----------------------------------------------------------------------------------


def plot(pairs: Pairs, thresholds: dict[float, float], title: str, out: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(0.2, 0.9, 701)
    curves = er.error_curves(pairs.genuine, pairs.impostor, grid)
    floor = 0.5 / pairs.impostor.size  # below one error: where a zero rate is drawn
    fig, (linear, log) = plt.subplots(1, 2, figsize=(12, 4.8), constrained_layout=True)
    for axis, scale in ((linear, "linear"), (log, "log")):
        axis.plot(grid, curves.far, label="FAR (impostor accepted)", color="tab:red")
        axis.plot(grid, curves.frr, label="FRR (genuine refused)", color="tab:blue")
        for target, style in ((0.001, "-"), (0.01, "--")):
            t = thresholds[target]
            axis.axvline(
                t, color="black", linestyle=style, linewidth=1, label=f"{target:.1%} FAR: {t}"
            )
        axis.axvline(0.6, color="grey", linestyle=":", linewidth=1, label="dlib default 0.6")
        axis.set_xlabel("threshold (accept if distance <= t)")
        axis.set_yscale(scale)
        axis.grid(True, which="both", alpha=0.3)
    linear.set_ylabel("rate")
    for target in TARGET_FARS:
        log.axhline(target, color="tab:red", linestyle=":", linewidth=0.8, alpha=0.6)
    log.set_ylim(min(floor, 1e-4), 1.05)
    log.legend(loc="lower right", fontsize=8)
    fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)


# --- main -----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--folders", type=Path, help="one subfolder of images per person")
    source.add_argument(
        "--pairs-csv", type=Path, help="deepface master.csv: file_x,file_y,Decision"
    )
    parser.add_argument("--images", type=Path, help="where --pairs-csv's files are")
    parser.add_argument("--max-per-person", type=int, default=10, help="first N by name; 0: all")
    labels = parser.add_mutually_exclusive_group()
    labels.add_argument("--labels", type=Path, help="CSV: person,sex[,other attributes]")
    labels.add_argument(
        "--labels-from-sources",
        nargs="?",
        const="auto",
        help="read sex (and group) from the set's SOURCES.txt (default: <folders>/SOURCES.txt)",
    )
    parser.add_argument("--name", required=True)
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0, help="seeds the identity bootstrap")
    parser.add_argument("--bootstrap", type=int, default=1000, help="bootstrap replicates")
    args = parser.parse_args(argv)
    if args.pairs_csv and not args.images:
        args.images = args.pairs_csv.parent
    return args


def load_labels(args: argparse.Namespace) -> tuple[dict[str, dict[str, str]], str]:
    if args.labels:
        return labels_from_csv(args.labels), f"from {args.labels.name}"
    if args.labels_from_sources:
        if args.labels_from_sources == "auto":
            if not args.folders:
                raise SystemExit("--labels-from-sources needs a path with --pairs-csv")
            path = args.folders / "SOURCES.txt"
        else:
            path = Path(args.labels_from_sources)
        found, how = labels_from_sources(path)
        return found, f"from {path.name}: {how}" if found else "no labels in SOURCES.txt"
    return {}, "no labels"


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    started = time.perf_counter()
    embedder = DlibResNetEmbedder()
    cache = EmbeddingCache(embedder.name)
    counts: dict[str, object]
    if args.folders:
        people = folder_images(args.folders, args.max_per_person)
        run = embed_images((p for files in people.values() for p in files), embedder, cache)
        pairs = folder_pairs(people, run)
        with_face = {
            person
            for person, files in people.items()
            if any(run.images[p].embedding is not None for p in files)
        }
        counts = {"people": len(people), "people_with_a_face": len(with_face)}
        source: dict[str, object] = {
            "mode": "folders",
            "root": str(args.folders),
            "max_per_person": args.max_per_person,
            "cap_rule": "first N image files per person in sorted name order",
        }
    else:
        if not args.pairs_csv.is_file():
            raise SystemExit(f"{args.pairs_csv}: no such file")
        rows = read_pairs_csv(args.pairs_csv)
        run = embed_images(
            (args.images / name for x, y, _ in rows for name in (x, y)), embedder, cache
        )
        pairs = csv_pairs(rows, args.images, run)
        counts = {"people": "unlabelled", **pairs.notes}
        source = {"mode": "pairs-csv", "csv": str(args.pairs_csv), "pairs_listed": len(rows)}
    labels, labels_how = load_labels(args)
    several = sum(1 for e in run.images.values() if e.faces_found > 1)
    root = args.folders or args.images
    counts |= {
        "images": len(run.images),
        "skipped_no_face": len(run.skipped),
        "skipped_files": [str(p.relative_to(root)) for p in run.skipped],
        "images_with_several_faces_largest_used": several,
        "genuine_pairs": int(pairs.genuine.size),
        "impostor_pairs": int(pairs.impostor.size),
    }
    analysis_start = time.perf_counter()
    summary, thresholds = summarize(pairs, args.bootstrap, args.seed)
    report: dict[str, object] = {
        "benchmark": "face_match_calibration",
        "name": args.name,
        "embedder": embedder.name,
        "pipeline": PIPELINE,
        "distance": "Euclidean on raw dlib descriptors; accept if distance <= threshold",
        "source": source,
        "counts": counts,
        "baseline": "dlib's customary 0.6 (at_fixed_thresholds['0.60'])",
        **summary,
        "labels": labels_how,
        "by_label": breakdown(pairs, labels, thresholds, args.bootstrap, args.seed)
        if labels
        else "no labels",
        "bootstrap": {"replicates": args.bootstrap, "seed": args.seed, "resamples": "people"},
        "run_time_s": {
            "embedding": round(run.seconds, 2),
            "embedded_now": run.computed,
            "from_cache": run.from_cache,
            "statistics": round(time.perf_counter() - analysis_start, 2),
            "total": round(time.perf_counter() - started, 2),
        },
        "command": shlex.join(
            ["python", "bench/calibrate_faces.py", *(sys.argv[1:] if argv is None else argv)]
        ),
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    title = (
        f"{args.name}: {embedder.name}, {pairs.genuine.size} genuine / "
        f"{pairs.impostor.size} impostor pairs"
    )
    plot(pairs, thresholds, title, args.out_dir / f"{args.name}.png")
    text = json.dumps(report, indent=2, ensure_ascii=False)
    (args.out_dir / f"{args.name}.json").write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
