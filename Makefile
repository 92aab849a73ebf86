# LogAtlas — the two commands a newcomer needs are `make run` and `make test`.
DATA_DIR ?= ./.logatlas
PORT ?= 8080

.PHONY: run test build release deps bench bench-broker bench-console bench-sigma bench-cluster clean

deps:
	@scripts/install-deps.sh
	@# Build folders from before schema/migrations/ and policies/shipped/ were copied as whole folders may carry
	@# files copied one by one; start the bundles afresh (cheap: they are copied again on the next build).
	@rm -rf .build/*/LogAtlas_*.resources

build: deps
	swift build

release: deps
	swift build -c release

## Build, start the service on the embedded PostgreSQL with the demo inventory, print URL and tokens.
run: build
	.build/debug/logatlas serve --demo --data-dir $(DATA_DIR) --port $(PORT)

## The whole test suite, on a PostgreSQL the tests start themselves (or DATABASE_URL when set), then the console's
## stories in headless Chromium (about a minute), the deployment files' checks, webhook deliveries verified by the
## Standard Webhooks library and e-mail through a local SMTP server (aiosmtpd; about a minute), console sign-in
## through an OpenID provider (oidc-provider-mock), three replicas behind nginx under a replica SIGKILL and a
## PostgreSQL restart (about 90 s), then the reliability suite (contract fuzzing and faults against a live service on
## its own PostgreSQL; about 7 minutes). Installs Chromium, its driver and Selenium when missing.
test: deps
	@scripts/install-deps.sh --browser
	swift build --build-tests
	swift test --skip-build
	.build/browser-venv/bin/python scripts/console_browser.py .build/debug/logatlas
	.build/deploy-venv/bin/python scripts/deploy_check.py .build/debug/logatlas
	.build/notify-venv/bin/python scripts/notifications_check.py .build/debug/logatlas
	.build/signin-venv/bin/python scripts/signin_check.py .build/debug/logatlas
	.build/deploy-venv/bin/python scripts/cluster_check.py .build/debug/logatlas
	RELIABILITY_SCHEMATHESIS=.build/schemathesis-venv/bin/schemathesis scripts/reliability.py .build/debug/logatlas

## Benchmarks on a release build (figures go to docs/performance.md).
bench: release
	Benchmarks/run.sh
	Benchmarks/broker.sh
	Benchmarks/console.sh
	Benchmarks/sigma.sh
	Benchmarks/cluster.sh

## Only the retrieval-broker benchmarks (evidence transfer against cp, filing latency).
bench-broker: release
	Benchmarks/broker.sh

## Only the console benchmarks (inbox and request page against their JSON, the readiness page's size and time).
bench-console: release
	Benchmarks/console.sh

## Only Sigma rule readiness (3,000 rules against 10,000 sources).
bench-sigma: release
	Benchmarks/sigma.sh

## Only the local cluster: reads with three replicas against one, failover and PostgreSQL-restart figures.
bench-cluster: release
	Benchmarks/cluster.sh

clean:
	rm -rf .build $(DATA_DIR)
