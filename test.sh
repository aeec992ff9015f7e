#!/usr/bin/env bash
# Runs the whole test suite once per PostgreSQL server version available:
#   - the machine's newest /usr/lib/postgresql/N/bin (or $PGROTATE_PG_BINDIR), always;
#   - every bin folder listed in $PGROTATE_TEST_PG_BINDIRS (colon-separated), e.g. the 17 and 18 that .ci/run provisions.
# Each run starts its own throwaway cluster. Prints one closing line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")"

dotnet build pgrotate.slnx -c Release -nologo -v quiet || { echo "0 passed, 1 failed"; exit 1; }

default_bindir=${PGROTATE_PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
IFS=: read -r -a extra <<< "${PGROTATE_TEST_PG_BINDIRS:-}"
passed=0; failed=0; status=0
for bindir in "$default_bindir" "${extra[@]}"; do
  [ -n "$bindir" ] || continue
  version=$("$bindir/postgres" -V 2>/dev/null || echo "PostgreSQL at $bindir")
  echo "=== tests on $version ==="
  log=$(mktemp)
  PGROTATE_TEST_PG_BINDIR=$bindir dotnet test --solution pgrotate.slnx -c Release --no-build 2>&1 | tee "$log"
  rc=${PIPESTATUS[0]}
  p=$(awk '/succeeded:/{s+=$2} END{print s+0}' "$log")
  f=$(awk '/failed:/{s+=$2} END{print s+0}' "$log")
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1   # a crashed run counts as a failure
  passed=$((passed + p)); failed=$((failed + f))
  [ "$rc" -ne 0 ] && status=1
  rm -f "$log"
done
echo "$passed passed, $failed failed"
exit $status
