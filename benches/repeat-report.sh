#!/usr/bin/env bash
# Runs the report N times (default 10) and prints, per message, the median and the range
# of each target ratio over the runs: one run can be off by 20-50 % on a shared VM (the
# whole process, not single batches), so a claim should rest on several.
#
#   benches/repeat-report.sh [N]        # builds the report first
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
cargo build -q -p benches --bin report --release
bin="${CARGO_TARGET_DIR:-target}/release/report"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for i in $(seq "$n"); do
    "$bin" 2>/dev/null | awk -v run="$i" '
        /^### Targets/ { t = 1; next }
        t && /^\| [a-z_]+\.sip/ {
            split($0, c, "|")
            # rsip, fastest other peer, memchr split, lenient (rsip / peer / memchr)
            split(c[9], l, " / ")
            printf "%s %s %s %s %s %s %s\n", run, c[2], c[3] + 0, c[4] + 0, c[5] + 0, l[1] + 0, l[3] + 0
        }
        t && /^### [a-z]/ { t = 0 }' | sed 's/ \+/ /g' >>"$tmp"
    echo -n "." >&2
done
echo >&2
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "| message | strict vs rsip (≥10x) | strict vs fastest other peer (≥3x) | strict / memchr split (≤3x) | lenient / memchr split |"
echo "|---|---|---|---|---|"
awk '
    function med(a, k,   n, i, j, t, s) {
        n = split(a[k], s, " ")
        for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (s[j] + 0 < s[i] + 0) { t = s[i]; s[i] = s[j]; s[j] = t }
        if (s[1] + 0 == 0) return "n/a"
        return sprintf("%.1fx [%.1f-%.1f]", (n % 2 ? s[(n + 1) / 2] : (s[n / 2] + s[n / 2 + 1]) / 2), s[1], s[n])
    }
    { m = $2; if (!(m in seen)) { seen[m] = 1; order[++k] = m }
      r[m] = r[m] " " $3; p[m] = p[m] " " $4; x[m] = x[m] " " $5; lx[m] = lx[m] " " $7 }
    END { for (i = 1; i <= k; i++) { m = order[i]; printf "| %s | %s | %s | %s | %s |\n", m, med(r, m), med(p, m), med(x, m), med(lx, m) } }
' "$tmp"
echo
echo "$n runs; median [min-max] of each ratio."
