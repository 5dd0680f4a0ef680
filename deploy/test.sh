#!/usr/bin/env bash
# deploy/test.sh - the test command (README, .ci/run). On Debian 12 as root:
#   1. install the build and test dependencies (deploy/install-deps.sh);
#   2. gcc build with -Werror in build/, then ctest labels unit, fuzz (corpus
#      replay) and netns (multi-node labs in network namespaces);
#   3. clang build with ASan + UBSan, libFuzzer harnesses and -Werror in
#      build-asan/, then ctest labels unit and fuzz.
# Idempotent, runs from any directory. Exit status 0 only if every build and
# every test passed. The last line is "N passed, M failed" over both builds
# (a build that fails counts as one failed test); skipped tests are listed
# above it. Set JOBS to change the parallelism (default 2).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

JOBS=${JOBS:-2}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

passed=0
failed=0
skipped=0
report=()

step() { printf '\n==== %s\n' "$*"; }

# build DIR CC CMAKE-ARGS...: configure and build; 0 or 1.
build() {
	local dir=$1 cc=$2
	shift 2
	CC=$cc cmake -S . -B "$dir" "$@" && cmake --build "$dir" -j "$JOBS"
}

# attr NAME FILE: a count of the <testsuite> element of a ctest JUnit report
# (the first NAME="N" in the file; ctest puts one attribute per line).
attr() { grep -o "\\b$1=\"[0-9]*\"" "$2" | head -n 1 | tr -dc '0-9'; }

# run_ctest NAME DIR LABELS: run one ctest pass and add its totals.
run_ctest() {
	local name=$1 dir=$2 labels=$3 junit rc=0 t f s p
	junit=$PWD/$dir/ctest-junit.xml
	rm -f "$junit"
	ctest --test-dir "$dir" -L "$labels" --output-on-failure -j "$JOBS" \
		--output-junit "$junit" || rc=$?
	t=$(attr tests "$junit" 2>/dev/null)
	f=$(attr failures "$junit" 2>/dev/null)
	s=$(attr skipped "$junit" 2>/dev/null)
	t=${t:-0} f=${f:-0} s=${s:-0}
	if ((rc != 0 && f == 0)); then
		f=1 # ctest itself failed (or wrote no report): count it
		t=$((t + 1))
	fi
	p=$((t - f - s))
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	report+=("$name ($labels): $p passed, $f failed, $s skipped")
}

step "dependencies (deploy/install-deps.sh)"
if ! ./deploy/install-deps.sh; then
	echo "test.sh: installing dependencies failed" >&2
	echo "0 passed, 1 failed"
	exit 1
fi

step "gcc build, -Werror (build/)"
if build build gcc -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVX6_WERROR=ON; then
	step "gcc build: ctest -L 'unit|fuzz|netns'"
	run_ctest gcc build 'unit|fuzz|netns'
else
	failed=$((failed + 1))
	report+=("gcc build: BUILD FAILED")
fi

step "clang build, ASan + UBSan + libFuzzer, -Werror (build-asan/)"
if build build-asan clang -DCMAKE_BUILD_TYPE=Debug -DVX6_SANITIZE=ON -DVX6_FUZZ=ON \
	-DVX6_WERROR=ON; then
	step "clang sanitizer build: ctest -L 'unit|fuzz'"
	run_ctest clang-asan build-asan 'unit|fuzz'
else
	failed=$((failed + 1))
	report+=("clang sanitizer build: BUILD FAILED")
fi

step "summary"
printf '%s\n' "${report[@]}"
((skipped == 0)) || echo "$skipped skipped (see above)"
echo "$passed passed, $failed failed"
((failed == 0))
