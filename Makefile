# Two commands for a teacher:  make lab   (set up, open the course)
#                              make test  (set up, run every test)
# Both create or reuse the virtual environment in .venv with CPU torch.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.rnnviz-installed
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

.PHONY: lab test setup chromium bench robustness clean-venv

# Another laptop, as torch sees it: no vector kernels of this CPU, MKL in its
# conditional-reproducibility mode (what an AMD or older Intel CPU would run).
OTHER_CPU := ATEN_CPU_CAPABILITY=default MKL_CBWR=COMPATIBLE

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	# CPU torch first, from PyTorch's CPU index: PyPI's Linux torch is a multi-GB CUDA build.
	# Where that index cannot be reached (a mirror, an offline wheel cache), pip's own sources;
	# one quick probe decides, so pip does not retry an unreachable index for every package.
	if $(PY) -c "import urllib.request as u; u.urlopen('$(TORCH_INDEX)/torch/', timeout=15)" 2>/dev/null; then \
	  $(PY) -m pip install --quiet torch==2.13.0 --index-url $(TORCH_INDEX); \
	else \
	  echo "$(TORCH_INDEX) not reachable: torch from pip's configured sources"; \
	  $(PY) -m pip install --quiet torch==2.13.0; \
	fi
	$(PY) -m pip install --quiet -e ".[lab,test]"
	touch $(STAMP)

setup: $(STAMP)

chromium:
	sh scripts/ensure_chromium.sh

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/$(if $(filter 0,$(shell id -u)), --allow-root,)

# Unit tests and the browser test (which runs every notebook in JupyterLab on this
# CPU's kernels), then every notebook again under nbval as another CPU would run it.
test: $(STAMP) chromium
	$(PY) -m pytest --durations=15 tests
	$(OTHER_CPU) $(PY) -m pytest --nbval-lax --nbval-cell-timeout=300 --durations=8 notebooks

# Every claim of every notebook over 3 seeds x 3 CPU kernel variants (about 30-40 minutes).
robustness: $(STAMP)
	$(PY) bench/robustness.py

bench: $(STAMP)
	for b in bench/*.py; do $(PY) $$b || exit 1; done

clean-venv:
	rm -rf $(VENV)
