#!/usr/bin/env bash
# Installs Debian's Caddy for the live reverse-proxy test (tests/unit/test_deploy_files.py)
# when it is missing. Only where installing starts no service: the package enables
# caddy.service, which would take ports 80 and 443 on a machine run by systemd, so there the
# test keeps skipping and this script only says how to run it (CADDY_BIN).
set -euo pipefail
if command -v caddy >/dev/null 2>&1; then
  exit 0
fi
if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo ">> Caddy not installed: the live proxy test is skipped (apt-get install caddy)"
  exit 0
fi
if [[ -d /run/systemd/system ]]; then
  echo ">> Caddy not installed: the package would start caddy.service on ports 80/443 here;"
  echo "   set CADDY_BIN to a caddy binary to run the live proxy test"
  exit 0
fi
echo ">> installing Debian's caddy for the live proxy test (no service is started)"
# A mirror that does not answer must not fail the run: the test then skips, as without Caddy.
if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq caddy >/dev/null; }; then
  echo ">> Caddy could not be installed: the live proxy test is skipped"
fi
