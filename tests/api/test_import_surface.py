"""The API process runs without the model: importing the app and serving it must not load
torch, transformers or the worker's server modules (the `api` image has none of them)."""

from tests.imports import HEAVY, loaded_after_importing

API_MODULES = [
    "api.app",
    "api.cli",
    "api.errors",
    "api.keys",
    "api.limits",
    "api.metrics",
    "api.models",
    "api.page",
    "api.reviews",
    "api.server",
    "api.settings",
    "api.workers",
]


def test_the_api_imports_and_builds_its_app_without_torch_transformers_or_the_worker():
    assert loaded_after_importing(API_MODULES, HEAVY, then="api.app.create_app()") == []
