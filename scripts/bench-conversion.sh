#!/usr/bin/env bash
# Conversion speed and allocations per vendor, next to the collector's OTLP
# JSON decoder on the same spans, interleaved: for each round, each vendor's
# conversion benchmark then its OTLP benchmark, for this tree and, given a
# git revision, for that revision too (same rounds, same machine state).
# Prints, per vendor and tree, the medians and the ratios OTLP ÷ vendor
# (time and allocations: above 1 the vendor conversion is cheaper).
#
#   scripts/bench-conversion.sh [BASE_REV] [ROUNDS] [BENCHTIME]
#   scripts/bench-conversion.sh f401ce9 7 1s
set -euo pipefail
base=${1:-}
rounds=${2:-7}
benchtime=${3:-1s}
root=$(git rev-parse --show-toplevel)
work=$(mktemp -d)
trap 'git -C "$root" worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
vendors=(langtrace opik langwatch langsmith promptlayer)

trees=(head)
declare -A dir=([head]=$root)
if [[ -n $base ]]; then
	git -C "$root" worktree add --detach "$work/base" "$base" >/dev/null
	trees+=(base)
	dir[base]=$work/base
fi

for t in "${trees[@]}"; do
	for v in "${vendors[@]}"; do
		(cd "${dir[$t]}" && go test -c -o "$work/$t-$v.test" "./internal/$v") >&2
	done
done

# The conversion benchmark of a package (Langtrace's was BenchmarkConvertPage
# before the uniform names).
conv_bench() {
	if "$1" -test.list '^BenchmarkConvert$' | grep -q .; then echo BenchmarkConvert; else echo BenchmarkConvertPage; fi
}

for r in $(seq "$rounds"); do
	echo "round $r/$rounds" >&2
	for v in "${vendors[@]}"; do
		for t in "${trees[@]}"; do
			bin=$work/$t-$v.test
			cb=$(conv_bench "$bin")
			for b in "$cb" BenchmarkOTLPJSONUnmarshal; do
				(cd "${dir[$t]}/internal/$v" && "$bin" -test.run '^$' -test.bench "^$b\$" -test.benchmem -test.benchtime "$benchtime") |
					awk -v t="$t" -v v="$v" -v kind="$([[ $b == BenchmarkOTLP* ]] && echo otlp || echo conv)" '
						/^Benchmark/ { for (i = 3; i < NF; i++) if ($(i+1) == "ns/op") ns = $i; else if ($(i+1) == "allocs/op") al = $i
							print t, v, kind, ns, al }' >>"$work/results"
			done
		done
	done
done

awk '
function median(key,   n, i, j, tmp, a) {
	n = split(vals[key], a, " ")
	for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { tmp = a[i]; a[i] = a[j]; a[j] = tmp }
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1 SUBSEP $2 SUBSEP $3; vals[k "ns"] = vals[k "ns"] " " $4; vals[k "al"] = vals[k "al"] " " $5; seen[$1 SUBSEP $2] = 1 }
END {
	printf "%-5s %-12s %14s %14s %12s %12s %10s %10s\n", "tree", "vendor", "conv ns/op", "otlp ns/op", "conv allocs", "otlp allocs", "time ratio", "alloc ratio"
	split("langtrace opik langwatch langsmith promptlayer", vs, " ")
	split("base head", ts, " ")
	for (i = 1; i <= 5; i++) for (j = 1; j <= 2; j++) {
		t = ts[j]; v = vs[i]
		if (!((t SUBSEP v) in seen)) continue
		c = t SUBSEP v SUBSEP "conv"; o = t SUBSEP v SUBSEP "otlp"
		cn = median(c "ns"); on = median(o "ns"); ca = median(c "al"); oa = median(o "al")
		printf "%-5s %-12s %14.0f %14.0f %12.0f %12.0f %10.2f %10.2f\n", t, v, cn, on, ca, oa, on / cn, oa / ca
	}
}' "$work/results"
