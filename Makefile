# Shorthands for the scripts; each installs what it needs first.
.PHONY: run test bench package
run:
	scripts/run
test:
	scripts/test
bench:
	scripts/bench
package:
	scripts/package
