# Issue 17's benchmark (prints figures, asserts nothing; not part of `make test`): the failback runbook against a
# reference SDK script on generated estates (tests/emulators/bench/runbook_bench.py).
#   make bench                               N=10 and N=100, forks 50, the emulator at time scale 0.1
#   make bench BENCH_VMS=1000                one large estate
#   make bench BENCH_FORKS="5 50"            the playbook at each fork count (Ansible and AWX default to 5)
#   make bench BENCH_ARGS='--throttle tenth' ARM's buckets at 1/10
# Writes build/bench/bench.json (every figure) and build/bench/bench.svg (cost per VM against N).
BENCH_VMS ?= 10 100
BENCH_FORKS ?= 50
BENCH_ARGS ?=

.PHONY: bench
bench: venv vcsim runbook-collection
	$(VPY) tests/emulators/bench/runbook_bench.py --vms $(BENCH_VMS) --forks $(BENCH_FORKS) $(BENCH_ARGS)
