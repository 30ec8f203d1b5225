CARGO ?= cargo
CMBENCH := target/release/cmbench

.PHONY: redis-server build bench ceiling test lint plots regress regress-baseline reproduce reproduce-quick

build:
	$(CARGO) build --release --bin cmbench

## A quick comparison of CausalMesh, the eventual cache and no cache on the
## embedded emulated database, into results/quick/ (summary, histograms, plots).
bench: build
	$(CMBENCH) run --config workloads/configs/quick.toml --out results/quick

## Every design with all latencies zero: the in-process ceiling.
ceiling: build
	$(CMBENCH) run --config workloads/configs/ceiling.toml --out results/ceiling

## Every test of the workspace (the Redis backend's tests start their own
## redis-server, installed here when missing).
test: redis-server
	$(CARGO) test --workspace

redis-server:
	@command -v redis-server >/dev/null || { apt-get update && apt-get install -y redis-server; }

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

## Redraw the plots of every results folder and sweep folder.
plots: build
	@for d in results/*/; do \
	  if [ -f "$$d/summary.csv" ] || [ -f "$$d/sweep.csv" ]; then $(CMBENCH) plot "$$d" || exit 1; fi; \
	done

## The paper's evaluation (workloads/paper/experiments.toml): every experiment
## as a sweep, its plots, and results/paper/REPORT.md against the published
## numbers. Finished points are kept, so an interrupted run resumes.
reproduce: build
	$(CMBENCH) reproduce --out results/paper

## A reduced run of every experiment (fewer points, shorter runs; under 10
## minutes on 2 cores once built) into results/paper-quick/.
reproduce-quick: build
	$(CMBENCH) reproduce --quick --out results/paper-quick

REGRESS_GATE := --metric throughput_wf_s,p50_us,p99_us --threshold 0.02

## Performance regression gate: a fixed sim run compared with the committed
## baseline; fails when a design's throughput, p50 or p99 moves past 2% the wrong way.
regress: build
	$(CMBENCH) run --config workloads/configs/regress.toml --out results/regress --quiet --no-plots
	$(CMBENCH) compare results/baseline results/regress $(REGRESS_GATE)

## Rewrite the baseline after an intended performance change (commit its
## summary.csv and config.toml).
regress-baseline: build
	rm -rf results/baseline
	$(CMBENCH) run --config workloads/configs/regress.toml --out results/baseline --quiet --no-plots
	find results/baseline -type f ! -name summary.csv ! -name config.toml -delete
