#!/usr/bin/env bash
# Runs one La-Lisa command as the service user, with the configuration the systemd units use:
#   sudo /opt/lalisa/deploy/lalisa-run.sh -m backoffice.bootstrap
#   sudo /opt/lalisa/deploy/lalisa-run.sh -m lalisa.backup restore --from /var/backups/lalisa/<stamp>
# Output comes back to this terminal (--pipe), not to the journal.
set -euo pipefail
if [[ $# -eq 0 ]]; then
  echo "usage: $0 -m <module> [arguments]" >&2
  exit 2
fi
exec systemd-run --quiet --wait --pipe --collect \
  --uid=lalisa --gid=lalisa \
  --working-directory=/opt/lalisa \
  --property=EnvironmentFile=/etc/lalisa/lalisa.env \
  --property=UMask=0077 \
  --setenv=LALISA_ENV_FILE= \
  --setenv=HOME=/var/lib/lalisa \
  /usr/bin/env LALISA_ENV=production LALISA_VAR_DIR=/var/lib/lalisa \
  /opt/lalisa/.venv/bin/python "$@"
