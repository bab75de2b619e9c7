#!/bin/sh
# fuzz/build.sh [DIR]: build the libFuzzer harnesses with clang.
#
# Configures a clang build of libfirebreak.a with the fuzzer's coverage
# instrumentation and ASan + UBSan in DIR (default $TMPDIR/fb-fuzz), then
# links each fuzz/fuzz-*.c against it. Run a harness on its seed corpus:
#
#   DIR/fuzz-pickle -max_total_time=300 fuzz/corpus/pickle
#   DIR/fuzz-safetensors -max_total_time=300 fuzz/corpus/safetensors
#   DIR/fuzz-json-stream -max_total_time=300 -max_len=65536 \
#       fuzz/corpus/json-stream
#
# New inputs libFuzzer finds go to the corpus directory given; commit the
# ones worth keeping (make check replays fuzz/corpus/* in every build).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-${TMPDIR:-/tmp}/fb-fuzz}
command -v clang >/dev/null || {
	echo "fuzz/build.sh: clang is required (apt-get install clang)" >&2
	exit 2
}
[ -x "$top/configure" ] || (cd "$top" && autoreconf -fi)
mkdir -p "$out"
cd "$out"
[ -f Makefile ] ||
	CC=clang CFLAGS="-g -O1 -fsanitize=fuzzer-no-link,address,undefined" \
	"$top/configure" -q
make -s -j"$(nproc)" libfirebreak.a
# The link line the project itself uses, expanded by make.
libs=$(printf 'print:\n\t@echo $(FB_LIBS)\n' | make -s -f Makefile -f - print)
for src in "$top"/fuzz/fuzz-*.c; do
	name=$(basename "$src" .c)
	# shellcheck disable=SC2086
	clang -g -O1 -fsanitize=fuzzer,address,undefined -D_GNU_SOURCE \
		-I"$top/src" -I. -o "$name" "$src" $libs
	echo "fuzz/build.sh: built $out/$name"
done
