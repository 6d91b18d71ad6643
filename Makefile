# Shortcuts for the scripts in script/ (which work without make).
.PHONY: up test unit lint bench clean

up:            ## bring the platform up on this host
	script/up

test:          ## the whole test suite (installs what it needs)
	script/test

unit:          ## pure-logic tests only, no services
	script/bootstrap && .venv/bin/pytest -m unit

lint:
	script/bootstrap && .venv/bin/ruff check .

bench:         ## benchmarks (print numbers against an in-run baseline)
	script/bootstrap && .venv/bin/python -m bench

clean:         ## remove the venv and build leftovers (platform data stays)
	rm -rf .venv *.egg-info build .pytest_cache
