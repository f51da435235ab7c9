#!/usr/bin/env bash
# Circuit breaker deployment health check: the deployment guide's script, with our commands.
#
#   deploy/breaker_health_check.sh [MANIFEST]
#
# MANIFEST defaults to the guide's runs/content/manifest.sqlite3. The breaker
# configuration is $DOCSTOKG_BREAKERS_YAML (built-in defaults when unset), the cooldown
# store $DOCSTOKG_BREAKER_COOLDOWN_STORE. $BREAKER_ADVISOR names the command (default:
# breaker-advisor on PATH) and $PYTHON the interpreter it is installed in (default: python3).
# Exit status: 0 when every check passed (a telemetry database not yet created is only a
# warning), 1 when one failed.
set -euo pipefail

advisor="${BREAKER_ADVISOR:-breaker-advisor}"
python="${PYTHON:-python3}"
manifest="${1:-runs/content/manifest.sqlite3}"
config="${DOCSTOKG_BREAKERS_YAML:-}"
failed=0

check() {
    local label="$1"
    shift
    if "$@" >/dev/null 2>&1; then
        echo "✅ ${label}"
    else
        echo "❌ ${label}"
        failed=1
    fi
}

echo "Circuit Breaker Deployment Health Check"
echo "========================================"

# 1. Check modules exist (the producer kit: registry, listener, writer, cooldown store)
check "Core module" "${python}" -c "from advisor.telemetry import BreakerRegistry"

# 2. Check config loads (breaker show reads and validates it)
if [[ -n "${config}" ]]; then
    check "Config loads (${config})" "${advisor}" breaker show --config "${config}" --format json
else
    echo "⚠️  Config: DOCSTOKG_BREAKERS_YAML not set (built-in defaults)"
fi

# 3. Check CLI works
check "CLI works" "${advisor}" breaker show --format json

# 4. Check telemetry table
if [[ -f "${manifest}" ]]; then
    echo "✅ Telemetry DB present (${manifest})"
    check "Telemetry readable" "${advisor}" breaker show --manifest "${manifest}" --format json
else
    echo "⚠️  Telemetry DB not yet created (${manifest})"
fi

echo "Health check complete!"
exit "${failed}"
