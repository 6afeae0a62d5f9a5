import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from gridgov.catalogue.actions import LoadReport, load_catalogue
from gridgov.catalogue.datafiles import DATA_DIR


@pytest.fixture
def catalogue(db: None) -> LoadReport:
    """The bundled catalogue, loaded."""
    return load_catalogue(actor_label="tests")


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A writable copy of the bundled data folder."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """Messages are asserted in their English source form, whatever the .po files say."""
    with translation.override("en"):
        yield
