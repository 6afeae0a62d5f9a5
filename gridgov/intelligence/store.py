"""Where trained classifiers live, which one is current, and which department answers for a class.

Files in settings.GRIDGOV_MODEL_DIR (default var/models):
    classifier-<version>.npz   one file per trained version (classifier.save)
    classifier-current.txt     the file name of the current version

current_model()          the current TextClassifier, or None when nothing was trained yet; cached in
                         the process and reloaded when the pointer file changes
save_new_version(model)  write the model's file, then point at it; returns the file's path
department_for(label)    the department name responsible for a first-level message class
"""

import csv
import threading
from functools import cache
from pathlib import Path

from django.conf import settings

from gridgov.catalogue.models import CaseCategory, CategoryScheme
from gridgov.intelligence.classifier import TextClassifier, load, save

POINTER = "classifier-current.txt"
_CATALOGUE_DATA = Path(__file__).resolve().parent.parent / "catalogue" / "data"

_lock = threading.Lock()
_cached: tuple[Path, float, TextClassifier] | None = None


def model_dir() -> Path:
    return Path(settings.GRIDGOV_MODEL_DIR)


def model_path(version: str) -> Path:
    return model_dir() / f"classifier-{version}.npz"


def save_new_version(model: TextClassifier) -> Path:
    """Write the model and make it current (the pointer is replaced atomically, after the file exists)."""
    path = model_path(model.version)
    save(model, path)
    pointer = model_dir() / POINTER
    partial = pointer.with_name(pointer.name + ".partial")
    partial.write_text(path.name + "\n", encoding="utf-8")
    partial.replace(pointer)
    return path


def current_path() -> Path | None:
    pointer = model_dir() / POINTER
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    path = model_dir() / name
    return path if name and path.is_file() else None


def current_model() -> TextClassifier | None:
    """The current model, loaded once per process and again whenever the pointer names another file
    (or the file is rewritten)."""
    global _cached
    path = current_path()
    if path is None:
        return None
    stamp = path.stat().st_mtime
    with _lock:
        if _cached is not None and _cached[0] == path and _cached[1] == stamp:
            return _cached[2]
        model = load(path)
        _cached = (path, stamp, model)
        return model


def forget_cached_model() -> None:
    """Drop the process cache (tests that switch GRIDGOV_MODEL_DIR)."""
    global _cached
    with _lock:
        _cached = None


@cache
def _taxonomy_functions_from_files() -> dict[str, list[str]]:
    """First-level message class name → function codes, in the order message-taxonomy.csv lists them."""
    with (_CATALOGUE_DATA / "message-taxonomy.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["name"].strip(): [code for code in row["functions"].split(";") if code.strip()]
            for row in csv.DictReader(handle)
            if row["scheme"].strip() == "message" and not row["parent_code"].strip()
        }


@cache
def _unit_suffixes_from_files() -> dict[str, str]:
    with (_CATALOGUE_DATA / "functions.csv").open(encoding="utf-8-sig", newline="") as handle:
        return {
            row["code"].strip(): (row["unit_suffix"].strip() or row["name"].strip())
            for row in csv.DictReader(handle)
        }


def _department_from_db(label: str) -> str | None:
    category = (
        CaseCategory.objects.filter(scheme=CategoryScheme.CITIZEN_MESSAGE, depth=1, name=label)
        .prefetch_related("functions")
        .first()
    )
    if category is None:
        return None
    functions = list(category.functions.all())
    if not functions:
        return None
    # The data file lists a class's main function first (商贸旅游: commerce before culture-tourism-sports).
    preferred = _taxonomy_functions_from_files().get(label, [])
    functions.sort(
        key=lambda function: (
            preferred.index(function.code) if function.code in preferred else len(preferred),
            function.position,
            function.code,
        )
    )
    return functions[0].unit_suffix or functions[0].name


def department_for(label: str) -> str:
    """The department responsible for a first-level message class, e.g. 城乡建设 → 住房和城乡建设局:
    from the catalogue in the database when it has the class, else from the catalogue's data files;
    "" for a class neither knows."""
    from_db = _department_from_db(label)
    if from_db:
        return from_db
    functions = _taxonomy_functions_from_files().get(label, [])
    suffixes = _unit_suffixes_from_files()
    for code in functions:
        if code in suffixes:
            return suffixes[code]
    return ""
