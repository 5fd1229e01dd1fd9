"""One dotted-key syntax (sim.keys): `--set`, an experiment's design and the view accept and refuse
the same keys, with the same reason."""

import pytest

from sim import viz
from sim.errors import ConfigError
from sim.scenario_files import load_scenario
from sim.sweep import expand

ACCEPTED = ["levers.process", "behaviour.n_flip_hero", "culture.p_share.1", "process.capacity.0"]
REFUSED = {  # key -> what every refusal says
    "levers.proces": "levers.proces names no field: 'proces' is not a field of levers (allowed: mode,",
    "culture.p_share.2": "culture.p_share.2 names no value: culture.p_share is a list of 2 values",
    "culture.p_share.x": "index it with 0..1, got 'x'",
    "levers": "levers is a section, not a value",
    "levers.process.0": "levers.process.0 names no field: levers.process has no sub-keys",
}
VALUE = {"behaviour.n_flip_hero": 3}


def _set(key):
    return load_scenario("baseline", [f"{key}={VALUE.get(key, 0.5)}"])


def _design(key, tmp_path):
    path = tmp_path / "e.toml"
    path.write_text('scenario = "baseline"\nseed = 1\nreplicates = 1\nsteps = 2\n[design]\n'
                    f'kind = "grid"\nfactors = {{ "{key}" = [{VALUE.get(key, 0.5)}] }}\n')
    return expand(path).configs[0]


def _view(key):
    return viz.view_config("baseline", {viz.param_key(key): VALUE.get(key, 0.5)}, sliders=(key,))


@pytest.mark.parametrize("key", ACCEPTED)
def test_a_key_accepted_by_one_is_accepted_by_all(key, tmp_path):
    dumped = [c.model_dump() for c in (_set(key), _design(key, tmp_path), _view(key))]
    for part in key.split("."):
        dumped = [d[int(part)] if part.isdigit() else d[part] for d in dumped]
    assert dumped == [VALUE.get(key, 0.5)] * 3
    assert viz.slider_params(load_scenario("baseline"), (key,))[viz.param_key(key)]


@pytest.mark.parametrize("key", list(REFUSED))
def test_a_key_refused_by_one_is_refused_by_all_for_the_same_reason(key, tmp_path):
    for attempt in (lambda: _set(key), lambda: _design(key, tmp_path), lambda: _view(key),
                    lambda: viz.slider_params(load_scenario("baseline"), (key,))):
        with pytest.raises(ConfigError) as info:
            attempt()
        assert REFUSED[key] in str(info.value), str(info.value)
