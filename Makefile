# AlarmVault: `make run` starts everything on loopback, `make test` runs the tests.
# Both set up what they need on a fresh machine (.venv, Debian packages).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
DEV_CONFIG := var/alarmvault.toml
# Every package at the version in constraints.txt (also used by scripts/install.sh, so by CI and
# on a NAS). `make .venv/.installed CONSTRAINTS=` resolves afresh; see README, "Pinned versions".
CONSTRAINTS ?= -c constraints.txt
# The plate reader's model ships inside this wheel (no download at run time). Installed without
# its dependencies: they would put opencv-python over opencv-python-headless (both own cv2/), and
# only the model file is used (pipeline/detection/plate_reader.py). Also in scripts/install.sh.
PLATE_READER_INSTALL = $(PY) -m pip install -q --no-deps 'rapidocr-onnxruntime==1.4.4'

.PHONY: run test test-ultralytics lint bench constraints sysdeps-run sysdeps-test translations clean

$(STAMP): setup.cfg pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q $(CONSTRAINTS) -e '.[dev]'
	$(PLATE_READER_INSTALL)
	touch $(STAMP)

# Write the venv's versions into constraints.txt (pip, and AlarmVault itself, left out).
constraints: $(STAMP)
	{ sed -n '/^#/p' constraints.txt; \
	  $(PY) -m pip freeze --all --exclude-editable | grep -v -i -e '^pip==' -e '^alarmvault'; \
	} > constraints.txt.new
	mv constraints.txt.new constraints.txt
	touch $(STAMP)  # the venv is what the file now says

sysdeps-run:
	scripts/install-sysdeps run

sysdeps-test:
	scripts/install-sysdeps test

$(DEV_CONFIG): | $(STAMP)
	$(VENV)/bin/alarmvault init-config $(DEV_CONFIG)

run: $(STAMP) sysdeps-run $(DEV_CONFIG)
	$(VENV)/bin/alarmvault --config $(DEV_CONFIG) check-config
	$(VENV)/bin/alarmvault --config $(DEV_CONFIG) run --demo

# axe-core, the accessibility engine the browser tests inject (tests/webui/test_accessibility.py),
# at the version package-lock.json pins; into a git-ignored folder, never fetched at run time.
AXE_DIR := tests/webui/axe
AXE := $(AXE_DIR)/node_modules/axe-core/axe.min.js
$(AXE): $(AXE_DIR)/package-lock.json | sysdeps-test
	npm ci --prefix $(AXE_DIR) --no-audit --no-fund --loglevel=error
	touch $@

# Two pytest-xdist workers: the suite spends much of its time waiting on servers, real clients and
# browsers, so two workers on two cores halve its wall time. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2

test: $(STAMP) sysdeps-test $(AXE)
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) -m "not ultralytics" $(PYTEST_ARGS)

test-ultralytics: $(STAMP) sysdeps-test
	$(PY) -m pip install -q $(CONSTRAINTS) -e '.[dev,ultralytics]'
	$(PY) -m pytest -q -m ultralytics $(PYTEST_ARGS)

# Texts to translate: extract every marked string (babel.cfg) into messages.pot, merge it into
# each language's messages.po (translate the new entries there), compile the .mo files Flask-Babel
# and core.translation read. The .mo files are committed, so a fresh clone, `pip install` and
# scripts/install.sh need no build step; tests/webui/test_translations.py fails while a marked
# string has no German translation or a .mo is older than its .po.
TRANSLATIONS := webui/translations
translations: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k lazy_gettext --no-location --sort-output \
	  --project AlarmVault --copyright-holder AlarmVault -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) -w 100 \
	  --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d $(TRANSLATIONS) --statistics

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench: $(STAMP)
	scripts/install-sysdeps bench
	$(PY) scripts/bench

clean:
	rm -rf $(VENV) test-output .pytest_cache
