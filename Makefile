# Shorthands for the scripts; each installs what it needs first.
.PHONY: run test bench
run:
	scripts/run
test:
	scripts/test
bench:
	scripts/bench
