# Two commands for a teacher:  make lab   (set up, open the course)
#                              make test  (set up, run every test)
# Both create or reuse the virtual environment in .venv with CPU torch.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rnnviz-installed

.PHONY: lab test setup chromium bench clean-venv

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch first: an unpinned torch would pull a multi-GB CUDA build.
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e ".[lab,test]"
	touch $(STAMP)

setup: $(STAMP)

chromium:
	sh scripts/ensure_chromium.sh

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/$(if $(filter 0,$(shell id -u)), --allow-root,)

test: $(STAMP) chromium
	$(PY) -m pytest --nbval-lax --nbval-cell-timeout=300 --durations=15 tests notebooks

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
