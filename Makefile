# Shortcuts for contributors. The README's two commands are the reference; these assume the
# virtual environment .venv already exists (created by either README command).
VENV := . .venv/bin/activate &&

.PHONY: help install book test unit pages browser mathjax colab notebooks student benchmarks clean

help:
	@echo "make install     create .venv and install the course environment (CPU torch)"
	@echo "make book        build the book into _build/html (-W, executes every chapter)"
	@echo "make test        run every test (unit, notebooks, exercises, strict book build)"
	@echo "make unit        run the fast unit tests only"
	@echo "make pages       check the chapters' page furniture and code line lengths (no execution)"
	@echo "make browser     build the book and open every page in headless Chromium"
	@echo "                 (needs: apt-get install chromium; npm, for MathJax)"
	@echo "make colab       run every notebook with only Colab's packages (venv in ~/.cache/tk-colab-venv)"
	@echo "make mathjax     fetch MathJax into _vendor_static/ (the browser test serves it)"
	@echo "make notebooks   regenerate the .ipynb twins of the chapters"
	@echo "make student     regenerate the student exercise notebooks"
	@echo "make benchmarks  print the speed benchmarks"
	@echo "make clean       remove _build"

install:
	python3 -m venv .venv && $(VENV) pip install torch==2.13.0 -r requirements.txt

book:
	$(VENV) jupyter-book build . -W --keep-going

test:
	$(VENV) python -m pytest

unit:
	$(VENV) python -m pytest -m "not book and not notebook"

pages:
	$(VENV) python -m pytest tests/test_pages.py

browser: mathjax
	$(VENV) TK_REQUIRE_BROWSER=1 python -m pytest tests/test_browser.py tests/test_book.py

colab:
	$(VENV) python tools/colab_env.py --real --venv $(HOME)/.cache/tk-colab-venv

mathjax:
	$(VENV) python tools/vendor_mathjax.py

notebooks:
	$(VENV) python tools/notebooks.py

student:
	$(VENV) python tools/make_student.py

benchmarks:
	$(VENV) for script in benchmarks/*.py; do echo "== $$script"; python $$script; done

clean:
	rm -rf _build
