# Pixels to Tokens — the two commands a fresh machine needs are `make book` and `make test`.
SHELL := /bin/bash
# kernels need their inline matplotlib backend: a backend set in the environment hides figures
unexport MPLBACKEND
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# torch is installed first, on its own: on the course's build machines this version is a local
# CPU wheel; a plain `torch` requirement in a fresh venv would pull a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.installed
NOTEBOOK_PY := $(wildcard notebooks/*/*.py)

.PHONY: install book test test-min bench bench-busy stats sync strip nb student clean
VENV_MIN ?= .venv-min
MIN_STAMP := $(VENV_MIN)/.installed

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	@touch $(STAMP)

install: $(STAMP)

# axe-core (the accessibility engine of the site's browser test), pinned in tools/axe/package.json
AXE := tools/axe/node_modules/axe-core/axe.min.js
$(AXE): tools/axe/package.json
	cd tools/axe && npm install --no-audit --no-fund --no-package-lock --silent
	@touch $(AXE)

## make book: build the site into _build/html (executes notebooks, cached)
book: install
	$(BIN)/jupyter-book build . -W -n --keep-going
	@echo "Built: $(CURDIR)/_build/html/index.html"

## make test: the whole suite (structure, exports, every notebook under nbval, the book build)
# Two workers run two kernels at once on a 2-core machine: one math thread per kernel, or
# torch's thread pools spin against each other and small models train many times slower.
test: install $(AXE)
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(BIN)/pytest -n 2 --dist loadscope

## make test-min: every notebook under nbval with the OLDEST versions requirements.txt allows
## (each `>=` read as `==`; Colab ships older packages than our dev pins, e.g. ipywidgets 7)
$(MIN_STAMP): requirements.txt requirements-dev.txt
	@test -x $(VENV_MIN)/bin/python || $(PYTHON) -m venv $(VENV_MIN)
	sed -n 's/^\([A-Za-z0-9_.-]*\)>=\([0-9.]*\).*/\1==\2/p' requirements.txt > $(VENV_MIN)/requirements-min.txt
	$(VENV_MIN)/bin/python -m pip install -q $$(grep '^torch==' $(VENV_MIN)/requirements-min.txt)
	$(VENV_MIN)/bin/python -m pip install -q -r $(VENV_MIN)/requirements-min.txt \
	  $$(grep -E '^(pytest|pytest-xdist|nbval|ipykernel|nbformat)==' requirements-dev.txt)
	@touch $(MIN_STAMP)

test-min: $(MIN_STAMP)
	$(VENV_MIN)/bin/python -m pip list --format=freeze | grep -iE '^(torch|numpy|pillow|matplotlib|ipywidgets|scikit-image|tqdm|jupyterquiz)=='
	OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 $(VENV_MIN)/bin/pytest -n 2 --dist loadscope notebooks

## make bench: run every notebook once; per-notebook wall time and peak memory -> bench.json
bench: install
	$(BIN)/python tools/bench.py --json bench.json --markdown book/benchmarks.md

## make bench-busy: every notebook once quiet and once with one core kept busy -> busy/quiet ratios
bench-busy: install
	$(BIN)/python tools/bench.py --busy --json bench-busy.json --markdown book/benchmarks.md

## make stats: time to study, visible code lines, sections, exercises by kind -> book/benchmarks.md
stats: install
	$(BIN)/python tools/stats.py --markdown book/benchmarks.md --instructors book/for-instructors.md

## make sync: write each notebook's .ipynb from its edited py:percent twin (or the reverse)
sync: install
	@for f in $(NOTEBOOK_PY); do \
	  if [ -f "$${f%.py}.ipynb" ]; then $(BIN)/jupytext --sync -q "$$f"; \
	  else $(BIN)/jupytext --set-formats ipynb,py:percent -q "$$f"; fi; done

## make strip: remove outputs and execution counts from every .ipynb
strip: install
	$(BIN)/jupyter nbconvert --clear-output --inplace notebooks/*/*.ipynb

## make nb NB=notebooks/1-surface/1-1-images-become-tokens.py: run one notebook top to bottom
nb: install
	$(BIN)/jupyter nbconvert --to notebook --execute --ExecutePreprocessor.timeout=900 \
	  --output-dir /tmp --output "$$(basename $(NB:.py=)).out.ipynb" "$(NB:.py=.ipynb)"

## make student: student copies (solutions stubbed) under student/ (committed: Colab opens them) + a zip in _build
student: install
	$(BIN)/python tools/make_student.py --out student --zip _build/pixels-to-tokens-student.zip

clean:
	rm -rf _build
