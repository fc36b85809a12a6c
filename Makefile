# The two commands of the README:  `make run` (the protected API, locally) and `make test` (every check).
# Both set up everything they need first (scripts/bootstrap.sh is idempotent and fast when up to date).
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# SAM CLI would otherwise send telemetry; nothing here talks to anything but 127.0.0.1.
export SAM_CLI_TELEMETRY := 0

.PHONY: setup run test lint typecheck validate checkov build pytest bench events invoke fuzz clean test-docker \
	docker-if-answers route-table publish-authorizer

setup:
	@bash scripts/bootstrap.sh

## run: the local stack (issuer, DynamoDB Local, API Gateway emulator + Lambda RIE) on 127.0.0.1
run: setup
	@$(PY) -m devstack $(ARGS)

## test: linters, type checks, template lint, every test, and test-docker when a Docker daemon answers
test: setup lint typecheck validate checkov build pytest docker-if-answers

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck:
	cd layers/revocation && ../../$(VENV)/bin/mypy .
	cd authorizer && MYPYPATH=../layers/revocation ../$(VENV)/bin/mypy .
	cd api_handler && MYPYPATH=../layers/revocation ../$(VENV)/bin/mypy .
	@# One run per test folder: each has its own conftest.py, which mypy would see as duplicate modules.
	for target in "scripts/devstack scripts/lambda_build.py bench fuzz tests/conftest.py tests/lambda_loader.py tests/test_template.py \
	               tests/test_openapi.py tests/test_template_snapstart.py examples tests/event_outcomes.py tests/test_example_dpop.py \
	               tests/test_committed_events.py tests/test_bytecode_build.py tests/bytecode_probe.py \
	               tests/test_template_revocation.py tests/test_route_table.py tests/test_publish.py \
	               tests/test_template_http_api.py tests/test_lambda_build_graph.py" \
	              tests/authorizer tests/api_handler tests/revocation tests/e2e tests/faults tests/bench tests/docker \
	              tests/interop tests/browser; do \
		MYPYPATH=authorizer:api_handler:layers/revocation:scripts:tests:examples $(VENV)/bin/mypy $$target || exit 1; \
	done

# Every template: ours, the authorizer application it nests, and the example HTTP API.
TEMPLATES := template.yaml authorizer_app/template.yaml examples/http-api/template.yaml

validate:
	for template in $(TEMPLATES); do \
		$(VENV)/bin/sam validate --lint --template $$template || exit 1; \
	done
	$(VENV)/bin/cfn-lint --include-checks I -- $(TEMPLATES)

## checkov: the template against checkov's policies; any failed check fails (skips: docs/deploying.md, "Running it in production")
# --skip-download and BC_SKIP_MAPPING: checkov asks its vendor's API for guidelines otherwise.
checkov:
	BC_SKIP_MAPPING=TRUE CKV_SKIP_PACKAGE_UPDATE_CHECK=true $(VENV)/checkov/bin/checkov \
		$(foreach template,$(TEMPLATES),--file $(template)) --framework cloudformation --skip-download --compact --quiet

# `sam build` needs the runtime's interpreter (python3.13) on PATH; the venv has it when bootstrap found one.
build:
	@if [ -x $(VENV)/bin/python3.13 ]; then \
		PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam build --template template.yaml --build-dir .aws-sam/build; \
	else echo "skipping sam build: python3.13 (the Lambda runtime) is not installed"; fi

pytest:
	$(PY) -m pytest $(PYTEST_ARGS)

## test-docker: the Docker section of docs/local-development.md with the real SAM CLI (installs and starts Docker when it can)
test-docker: setup
	@bash scripts/docker/test-docker.sh

# DOCKER_TESTS=no leaves test-docker out of `make test` (.ci/run runs it on its own).
DOCKER_TESTS ?= auto
docker-if-answers:
	@if [ "$(DOCKER_TESTS)" = no ]; then echo "make test: test-docker left out (DOCKER_TESTS=no)"; \
	elif docker info >/dev/null 2>&1; then bash scripts/docker/test-docker.sh; \
	else echo "make test: skipped test-docker (no Docker daemon answers); run it with: make test-docker"; fi

## bench: the authorizer next to its floor, cold start, memory, local-stack load (table + bench/results.json)
bench: setup
	$(PY) -m bench $(ARGS)

## fuzz: the coverage-guided fuzz targets (fuzz/), FUZZ_SECONDS each from the committed seeds; CI: 60
FUZZ_SECONDS ?= 600
fuzz: setup
	$(PY) -m fuzz --seconds $(FUZZ_SECONDS)

## events: draw a new development key; rewrite events/*.json and events/env.json (its public JWKS) together
events: setup
	$(PY) -m devstack.make_events

## invoke: the Docker-free twin of `sam local invoke FUNCTION -e EVENT`
invoke: setup
	@$(PY) -m devstack.invoke $(FUNCTION) -e $(EVENT)

## route-table: ROUTE_SCOPES (the authorizer's RouteScopes) from an OpenAPI 3 document; OPENAPI=openapi.yaml
OPENAPI ?= openapi.yaml
route-table: setup
	@$(PY) -m devstack.route_table $(OPENAPI)

## publish-authorizer: the authorizer application to the Serverless Application Repository (needs AWS credentials)
# SOURCE_CODE_URL (required): where its source lives; SEMANTIC_VERSION: overrides the template's.
publish-authorizer: setup
	@test -n "$(SOURCE_CODE_URL)" || { echo "make publish-authorizer: set SOURCE_CODE_URL=https://..." >&2; exit 2; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(VENV)/bin/sam build --template authorizer_app/template.yaml \
		--build-dir .aws-sam/authorizer-app
	$(VENV)/bin/sam package --template-file .aws-sam/authorizer-app/template.yaml --resolve-s3 \
		--output-template-file .aws-sam/authorizer-app-packaged.yaml
	$(PY) -m devstack.publish .aws-sam/authorizer-app-packaged.yaml --source-code-url $(SOURCE_CODE_URL)
	$(VENV)/bin/sam publish --template .aws-sam/authorizer-app-packaged.yaml \
		$(if $(SEMANTIC_VERSION),--semantic-version $(SEMANTIC_VERSION))

clean:
	rm -rf $(VENV) scripts/node_modules .aws-sam .pytest_cache .mypy_cache .ruff_cache .local
