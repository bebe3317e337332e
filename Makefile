# The two commands of the README. Each creates .venv when it is missing and installs what it needs.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin

.PHONY: demo test typecheck lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

EVENTS := policies/huabei/examples/events.jsonl
CLX    := $(BIN)/chronolex

demo: $(VENV)/.installed
	@echo "== 1. The policy bundle is valid (what CI checks on every change)"
	$(CLX) validate policies/
	$(CLX) versions policies/huabei
	@echo
	@echo "== 2. 'I took a loan and now I cannot open Huabei': the answer a support agent reads out, in English and in Chinese"
	$(CLX) why acct-1001 --action open --at 2026-03-16T10:00 --events $(EVENTS)
	$(CLX) why acct-1001 --action open --at 2026-03-16T10:00 --events $(EVENTS) --lang zh-CN
	@echo
	@echo "== 2b. The same answer with its evidence: rule, condition, fact values and the events behind them"
	$(CLX) why acct-1001 --action open --at 2026-03-16T10:00 --events $(EVENTS) --details
	@echo
	@echo "== 2c. Overlapping reasons: the block as a whole lifts on 27 March, not when the maintenance windows end"
	$(CLX) why acct-1001 --action open --at 2026-03-08T02:30 --events $(EVENTS) --lang zh-CN
	@echo
	@echo "== 3. A maintenance window, and when it ends"
	$(CLX) why acct-1002 --action open --at 2026-03-08T01:30 --events $(EVENTS)
	@echo
	@echo "== 4. A regulation block, with its citation; time alone does not lift it"
	$(CLX) why acct-1003 --action open --at 2026-04-01T09:00 --events $(EVENTS)
	$(CLX) why acct-1003 --action open --at 2026-04-01T09:00 --events $(EVENTS) --details
	@echo
	@echo "== 5. A retroactive regulation: the answer today, and what the system could know on 2025-07-10"
	$(CLX) why acct-1006 --action open --at 2025-07-08T10:00 --events $(EVENTS) --details
	$(CLX) why acct-1006 --action open --at 2025-07-08T10:00 --as-known-at 2025-07-10 --events $(EVENTS) --details
	@echo
	@echo "== 6. The timeline of the mission customer's 'open' decision over March 2026"
	$(CLX) timeline acct-1001 --action open --from 2026-03-01 --to 2026-04-01 --events $(EVENTS)
	$(CLX) timeline acct-1001 --action open --from 2026-03-01 --to 2026-04-01 --events $(EVENTS) --lang zh-CN
	@echo
	@echo "== 7. Every account at once: who is blocked, by which category and rule"
	$(CLX) replay --at 2026-04-15T08:00 --events $(EVENTS) --output .demo-decisions.jsonl
	@echo
	@echo "== 8. What the 2026.03 version changed, in text, in meaning and for the example accounts"
	$(CLX) diff policies/huabei@2025.07 policies/huabei@2026.03 --action open --accounts --at 2026-03-16T10:00 --events $(EVENTS)
	@echo
	@echo "== 9. At platform scale: the events as Parquet, every account decided by one compiled DuckDB query,"
	@echo "      and the customers to notify before 2026.03 takes effect"
	$(CLX) events convert $(EVENTS) .demo-events.parquet
	$(CLX) replay --at 2026-03-16T10:00 --events .demo-events.parquet --engine duckdb --output .demo-decisions.parquet
	$(CLX) diff policies/huabei@2025.07 policies/huabei@2026.03 --no-semantic --accounts --at 2026-03-16T10:00 \
	    --events $(EVENTS) --notify .demo-notify.jsonl --lang zh-CN > /dev/null
	@echo "notifications written to .demo-notify.jsonl:"
	@head -2 .demo-notify.jsonl
	@echo
	@echo "== 10. The support console: the example accounts in a store, then the service and a browser"
	$(CLX) ingest $(EVENTS) --db .demo-events.db --bundle policies/huabei
	@echo "start:  $(CLX) serve policies/huabei --db .demo-events.db --log .demo-decision-log.db"
	@echo "open:   http://127.0.0.1:8181/?account=acct-1001&at=2026-03-16T10:00&action=open"

# mypy reads the package as it installs: chronolex = engine/, chronolex.cli = cli/.
typecheck: $(VENV)/.installed
	rm -rf build/typecheck && mkdir -p build/typecheck/chronolex
	for f in engine/*; do ln -s "../../../$$f" build/typecheck/chronolex/; done
	ln -s ../../../cli build/typecheck/chronolex/cli
	ln -s ../../../schemas build/typecheck/chronolex/_schemas
	$(BIN)/python -m mypy

# Tests run on every core; a test file stays on one worker (the docs' pages run in order).
test: typecheck
	$(BIN)/python -m pytest -n auto --dist loadfile
	$(CLX) test policies/ --threshold 100

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/validate.py
	$(BIN)/python benchmarks/diff.py
	$(BIN)/python benchmarks/evaluate.py --section d
	$(BIN)/python benchmarks/batch.py --accounts 20000 --sample 300

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .hypothesis
