# The README's commands: `make demo` runs valuefrom against a local AWS
# emulator; `make test` runs every check and the whole test suite.

.PHONY: demo test

demo:
	./scripts/demo

test:
	./scripts/test
