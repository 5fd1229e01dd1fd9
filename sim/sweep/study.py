"""A robustness study: several experiments' questions asked again under one set of uncertainties.

A study file (``experiments/pact_robustness.toml``) names experiments in ``questions`` and gives
what they share: ``[uncertainties]`` (``sim.uncertainty``), the replicates per world, the horizon,
the budget shares' spacing (``step``), ``[set]`` values, and a ``[ci]`` size. Each question keeps
its own scenario, design, seed and ``[set]``; the study's replace its replicates, steps, step and
uncertainties (and add to its ``[set]``).
``pactsim sweep STUDY`` runs each question as a sweep into ``<out>/<question's name>`` (each resumes
on its own) and writes ``<out>/study.json``; ``pactsim report`` of that folder writes every question's own
report and one ``report.html`` stating how robust each answer is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from sim.errors import ConfigError
from sim.scenario_files import format_validation_error, read_toml
from sim.sweep.experiment import (
    CiSize,
    Experiment,
    Uncertainties,
    _check_step,
    _Strict,
    load_experiment,
)

STUDY = "study.json"


class Study(_Strict):
    description: str = ""
    questions: list[str] = Field(min_length=1, max_length=100)
    replicates: int = Field(ge=1, le=100_000)
    steps: int | None = Field(None, ge=1, le=5200)
    step: float | None = Field(None, gt=0.0, le=1.0, description="budget shares' spacing of the "
                               "questions whose design takes one (simplex)")
    fixed: dict[str, Any] = Field(default_factory=dict, alias="set")
    uncertainties: Uncertainties
    ci: CiSize | None = None

    _step = field_validator("step")(lambda v: v if v is None else _check_step(v))

    @field_validator("questions")
    @classmethod
    def _distinct(cls, q: list[str]) -> list[str]:
        if len(set(q)) != len(q):
            raise ValueError(f"questions repeat: {q}")
        return q


def is_study(path: Path) -> bool:
    """Whether a TOML file is a study (it names ``questions``)."""
    try:
        return "questions" in read_toml(path)
    except ConfigError:
        return False


def load_study(path: Path) -> tuple[str, Study]:
    data = read_toml(path)
    try:
        return path.read_text(encoding="utf-8"), Study.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(str(path), e)) from None


def question_spec(path: Path, study: Study, name: str) -> tuple[Path, str, Experiment]:
    """Question ``name``'s experiment with the study's shared settings applied, validated."""
    qpath, text, spec = load_experiment(name)
    data = spec.model_dump(by_alias=True, exclude_none=True)
    data.update(replicates=study.replicates, uncertainties=study.uncertainties.model_dump())
    if study.steps is not None:
        data["steps"] = study.steps
    if study.step is not None and "step" in spec.design.ci_sizes:
        data["design"]["step"] = study.step
    data["set"] = {**spec.fixed, **study.fixed}
    ci = {**(spec.ci.model_dump(by_alias=True, exclude_none=True) if spec.ci else {}),
          **(study.ci.model_dump(by_alias=True, exclude_none=True) if study.ci else {})}
    if spec.ci is not None and study.ci is not None:
        ci["set"] = {**spec.ci.fixed, **study.ci.fixed}
    if ci:
        data["ci"] = ci
    if spec.scenario.endswith(".toml") and not Path(spec.scenario).is_absolute():
        data["scenario"] = str(qpath.parent / spec.scenario)
    try:
        return qpath, text, Experiment.model_validate(data)
    except ValidationError as e:
        raise ConfigError(format_validation_error(f"{path} (question {name})", e)) from None


def plans(path: Path, ci: bool = False, max_memory: float | None = None):
    """Every question's :class:`~sim.sweep.plan.Plan`, validated before anything runs."""
    from sim.sweep.plan import expand_spec

    _, study = load_study(path)
    names = [Path(q).stem for q in study.questions]  # each question's results folder
    if len(set(names)) != len(names):
        raise ConfigError(f"{path}: questions = {study.questions}: two share a name, and so would "
                          "share a results folder")
    return study, [expand_spec(*question_spec(path, study, q), ci=ci, max_memory=max_memory, name=n)
                   for q, n in zip(study.questions, names, strict=True)]


def design_digest(path: Path, ci: bool = True) -> str:
    """sha256 of the questions' design hashes (``Plan.design_hash``: every run id, so every
    sampled world's values and every seed): what a study's committed digest pins. The runs'
    outcomes are pinned by the questions' own digests and the study's tests."""
    import hashlib

    _, qplans = plans(path, ci)
    return hashlib.sha256("\n".join(f"{p.name} {p.design_hash}" for p in qplans).encode()).hexdigest()


def run_study(path: Path, *, out: Path | None = None, ci: bool = False, **sweep: Any) -> Path:
    """Run every question of a study into ``out/<question>``; return ``out`` (default
    ``results/<study>`` or ``results/<study>-ci``)."""
    from sim.storage import write_json
    from sim.sweep import RESULTS_DIR, run_experiment

    study, qplans = plans(path, ci, sweep.get("max_memory"))
    out = Path(out) if out is not None else RESULTS_DIR / (path.stem + ("-ci" if ci else ""))
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is not a folder")
    if (out / "manifest.json").exists():
        raise ConfigError(f"--out {out}: holds one sweep's results, not a study's: use --out "
                          "elsewhere")
    out.mkdir(parents=True, exist_ok=True)
    write_json(out / STUDY, {"kind": "study", "study": path.stem, "description": study.description,
                             "ci": ci, "questions": [p.name for p in qplans],
                             "study_text": path.read_text(encoding="utf-8")})
    for plan in qplans:
        run_experiment(plan, out=out / plan.name, **sweep)
    return out


def read(folder: Path) -> dict | None:
    """A study folder's ``study.json``, None when the folder is not a study's."""
    p = folder / STUDY
    if not p.is_file():
        return None
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as e:
        raise ConfigError(f"{p}: cannot read ({e})") from None
    if not isinstance(data, dict) or data.get("kind") != "study" or not isinstance(
            data.get("questions"), list):
        raise ConfigError(f"{p}: not a study manifest (kind \"study\" with its questions)")
    return data
