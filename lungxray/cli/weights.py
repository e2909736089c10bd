"""``python -m lungxray weights [STUDY ...] [--check]``: the pretrained files, where they go, and
whether what is in place is the published file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from lungxray._util import env
from lungxray.models.weight_files import (
    KERAS_CACHE,
    WeightFile,
    digests,
    keras_models_dir,
    study_weight_files,
)


@dataclass
class Needed:
    file: WeightFile
    users: dict[str, list[str]] = field(default_factory=dict)  # study -> "experiment[ with --variant ...]"


def needed_files(studies) -> list[Needed]:
    out: dict[WeightFile, Needed] = {}
    for st in studies:
        for f, exps in study_weight_files(st):
            out.setdefault(f, Needed(f)).users.setdefault(st.id, []).extend(exps)
    return list(out.values())


def torch_hub_dir() -> Path:
    home = env.folder("TORCH_HOME") or (env.folder("XDG_CACHE_HOME") or Path("~/.cache").expanduser()) / "torch"
    return home / "hub" / "checkpoints"


def candidates(f: WeightFile, given: list[Path]) -> list[Path]:
    """Where to look for ``f``: a --weights path with its name (or the only one given), else the usual places."""
    named = [p for p in given if p.name == f.name]
    if named:
        return named
    if f.place == KERAS_CACHE:
        return [keras_models_dir() / f.name]
    return [Path.cwd() / f.name, torch_hub_dir() / f.name, keras_models_dir() / f.name]


def load_problem(f: WeightFile, path: Path) -> str | None:
    """Why the file cannot be loaded into its architecture, or None when it loads."""
    import keras

    try:
        if f.arch == "resnet18":
            from lungxray.models.resnet18 import (
                load_torchvision_state_dict,
                read_state_dict,
                resnet18_features,
            )

            feats = resnet18_features((64, 64, 3))
            model = keras.Model(feats.input, keras.layers.Dense(1000, name="fc")(feats.output))
            load_torchvision_state_dict(model, read_state_dict(path))
        else:
            builder = {"resnet50": keras.applications.ResNet50, "mobilenetv2": keras.applications.MobileNetV2}[f.arch]
            builder(weights=str(path), include_top=False, input_shape=(f.input_size, f.input_size, 3))
    except Exception as exc:  # any failure to load is what --check reports
        return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return None


def check_file(f: WeightFile, given: list[Path]) -> tuple[bool, list[str]]:
    """(ok, lines) for one needed file."""
    found = [p for p in candidates(f, given) if p.is_file()]
    if not found:
        looked = ", ".join(str(p) for p in candidates(f, given))
        return False, [f"MISSING: not found (looked at {looked})"]
    path = found[0]
    d = digests(path)
    match = f.matches(d)
    lines = [f"found {path} ({path.stat().st_size:,} bytes), sha256 {d['sha256']}"]
    ok = True
    if match is False:
        ok = False
        lines.append(f"WRONG: its {f.hash_algorithm} is not the published {f.known_hash}: a different or damaged "
                     f"file; download it again from {f.url}")
    elif match is True:
        lines.append(f"hash matches the published {f.hash_algorithm} {f.known_hash}")
    else:
        lines.append("no published hash to check it against: runs record this sha256 and list it as a "
                     "departure; compare it with the sha256 on the machine you downloaded it on")
    problem = load_problem(f, path) if match is not False else None
    if problem:
        ok = False
        lines.append(f"WRONG: does not load into {f.arch}: {problem}")
    elif match is not False:
        lines.append(f"loads into {f.arch}")
    if f.place != KERAS_CACHE or path.parent != keras_models_dir():
        lines.append(f"use it with --weights {path}")
    return ok, lines


def main(study_ids: list[str], check: bool, weights: list[str], as_json: bool = False) -> int:
    """Print the needed files (``as_json``: a JSON object, nothing else on stdout); exit 1 if a check fails."""
    from dataclasses import asdict

    from lungxray._util.output import emit_json
    from lungxray.spec.study import get_study, load_studies

    studies = [get_study(s) for s in study_ids] if study_ids else [v for _, v in sorted(load_studies().items())]
    given = [Path(w).expanduser() for w in weights]
    files = needed_files(studies)
    records = []
    n_bad = 0
    for n in files:
        f = n.file
        where = (f"Keras cache {keras_models_dir()}/ (Keras finds it by name; or pass --weights PATH)"
                 if f.place == KERAS_CACHE else "anywhere; pass --weights PATH (Keras has no such model)")
        users = "; ".join(f"{sid}: {', '.join(exps)}" for sid, exps in n.users.items())
        lines = [f"used by: {users}", f"download: curl -fL -o {f.name} {f.url}", f"put it: {where}"]
        if f.known_hash:
            tool = "md5sum" if f.hash_algorithm == "md5" else "sha256sum"
            kind = "sha256 starts with" if f.hash_algorithm == "sha256-prefix" else f.hash_algorithm
            lines.append(f"published hash: {kind} {f.known_hash} ({f.hash_source}); check: {tool} {f.name}")
        else:
            lines.append(f"published hash: {f.hash_source}")
        rec = {**asdict(f), "users": n.users, "where": where}
        if check:
            ok, more = check_file(f, given)
            n_bad += not ok
            lines += more
            rec.update(ok=ok, check=more)
        records.append((f.name, lines, rec))
    if as_json:
        emit_json({"keras_cache": str(keras_models_dir()), "files": [r for _, _, r in records],
                   **({"in_place": len(files) - n_bad, "missing_or_wrong": n_bad} if check else {})})
        return 1 if n_bad else 0
    if not files:
        print("no pretrained weights needed")
        return 0
    print(f"Keras cache: {keras_models_dir()} (set KERAS_HOME=DIR to use DIR/models)\n")
    for name, lines, _ in records:
        print(name)
        print("\n".join(f"  {line}" for line in lines))
    if check:
        print(f"\nweights check: {len(files) - n_bad} of {len(files)} in place"
              + ("" if not n_bad else f"; {n_bad} missing or wrong (see above)"))
    return 1 if n_bad else 0
